"""Periodic (circular) blur on NumPy arrays in float64: the model of Fourier-domain kernel estimation.

Blind kernel estimation alternates many small FFT solves on one gray image; in float64 NumPy they cost
a few milliseconds each and need no graph. The conventions are those of `physics.blur` ("circular" mode):
the kernel's centre tap ((kh - 1) // 2, (kw - 1) // 2) sits at the origin, and `y = k (*) x` is a true
convolution.
"""

from __future__ import annotations

import numpy as np

from tfdeblur.physics.fourier import centred_pad, inverse_real_fft2


def spectrum(kernel: np.ndarray, shape) -> np.ndarray:
    """FFT of `kernel` zero-padded to `shape` with its centre tap moved to the origin (its OTF)."""
    return np.fft.fft2(centred_pad(kernel, shape))


def taps(spec: np.ndarray, size) -> np.ndarray:
    """Inverse of `spectrum`: the (kh, kw) taps around the origin of a periodic filter given by its FFT."""
    kh, kw = size
    full = np.real(np.fft.ifft2(spec))
    return np.roll(full, ((kh - 1) // 2, (kw - 1) // 2), axis=(0, 1))[:kh, :kw]


def real_taps(spec: np.ndarray, size, shape) -> np.ndarray:
    """`taps` of a real FFT (`np.fft.rfft2`'s layout: the first `shape[1] // 2 + 1` columns) on a periodic
    grid of `shape`."""
    kh, kw = size
    full = inverse_real_fft2(spec, shape)
    return np.roll(full, ((kh - 1) // 2, (kw - 1) // 2), axis=(0, 1))[:kh, :kw]


def convolve(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Circular convolution of a 2-D array by a small kernel."""
    return np.real(np.fft.ifft2(np.fft.fft2(x) * spectrum(kernel, x.shape)))


def differences(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Circular forward differences (x[:, j+1] - x[:, j], x[i+1, :] - x[i, :])."""
    return np.roll(x, -1, axis=1) - x, np.roll(x, -1, axis=0) - x


def difference_filters(shape) -> tuple[np.ndarray, np.ndarray]:
    """The two forward-difference filters of `differences` on a periodic grid of `shape` (as convolutions)."""
    dx = np.zeros(shape)
    dx[0, 0], dx[0, -1] = -1.0, 1.0
    dy = np.zeros(shape)
    dy[0, 0], dy[-1, 0] = -1.0, 1.0
    return dx, dy


def difference_spectra(shape) -> tuple[np.ndarray, np.ndarray]:
    """FFTs of the two forward-difference filters of `differences` on a periodic grid of `shape`."""
    dx, dy = difference_filters(shape)
    return np.fft.fft2(dx), np.fft.fft2(dy)
