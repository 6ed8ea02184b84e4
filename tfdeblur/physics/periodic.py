"""Periodic (circular) blur on NumPy arrays in float64: the model of Fourier-domain kernel estimation.

Blind kernel estimation alternates many small FFT solves on one gray image; in float64 NumPy they cost
a few milliseconds each and need no graph. The batched real FFTs (`real_spectra`) run on TensorFlow's FFT,
which is faster than numpy's on prime lengths. The conventions are those of `physics.blur` ("circular" mode):
the kernel's centre tap ((kh - 1) // 2, (kw - 1) // 2) sits at the origin, and `y = k (*) x` is a true
convolution.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfdeblur.physics.fourier import centred_pad


def spectrum(kernel: np.ndarray, shape) -> np.ndarray:
    """FFT of `kernel` zero-padded to `shape` with its centre tap moved to the origin (its OTF)."""
    return np.fft.fft2(centred_pad(kernel, shape))


def taps(spec: np.ndarray, size) -> np.ndarray:
    """Inverse of `spectrum`: the (kh, kw) taps around the origin of a periodic filter given by its FFT."""
    return centre_taps(np.real(np.fft.ifft2(spec)), size)


def centre_taps(filter_grid: np.ndarray, size) -> np.ndarray:
    """The (kh, kw) taps around the origin of a periodic filter given on its grid (`centred_pad`'s inverse)."""
    kh, kw = size
    return np.roll(filter_grid, ((kh - 1) // 2, (kw - 1) // 2), axis=(0, 1))[:kh, :kw]


def real_spectra(*planes: np.ndarray) -> np.ndarray:
    """`np.fft.rfft2` of equally shaped float64 planes, stacked: (N, H, W // 2 + 1) complex128.

    One TensorFlow call for the lot: its FFT is ~1.6x numpy's on the prime lengths an extension by the
    kernel size often gives (317 = 255 + 2 * 31), and equal to rounding (issue 32)."""
    return tf.signal.rfft2d(tf.constant(np.stack(planes), tf.float64)).numpy()


def from_real_spectra(spectra: np.ndarray, shape) -> np.ndarray:
    """Inverse of `real_spectra` for planes of `shape`: (N, H, W) float64."""
    return tf.signal.irfft2d(tf.constant(spectra, tf.complex128), fft_length=tuple(shape)).numpy()


def convolve(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Circular convolution of a 2-D array by a small kernel."""
    return np.real(np.fft.ifft2(np.fft.fft2(x) * spectrum(kernel, x.shape)))


def differences(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Circular forward differences (x[:, j+1] - x[:, j], x[i+1, :] - x[i, :])."""
    return np.roll(x, -1, axis=1) - x, np.roll(x, -1, axis=0) - x


def difference_spectra(shape) -> tuple[np.ndarray, np.ndarray]:
    """FFTs of the two forward-difference filters of `differences` on a periodic grid of `shape`."""
    dx = np.zeros(shape)
    dx[0, 0], dx[0, -1] = -1.0, 1.0
    dy = np.zeros(shape)
    dy[0, 0], dy[-1, 0] = -1.0, 1.0
    return np.fft.fft2(dx), np.fft.fft2(dy)
