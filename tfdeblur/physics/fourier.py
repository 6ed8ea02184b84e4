"""Fourier-domain helpers for blur kernels (real FFTs over the last two axes).

`otf` / `kernel_spectrum` are TensorFlow ops; `centred_pad` / `numpy_otf` are their float64 numpy twins
for the filter design done once per kernel (inverse filters, GCV).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def fast_length(n: int) -> int:
    """The smallest length >= `n` whose only prime factors are 2, 3 and 5: FFTs of other lengths (a prime
    such as 317, a 255 px photo extended by a 31 px kernel on each side) run 2.5-7x slower in numpy."""
    n = max(1, int(n))
    best = 2 ** (n - 1).bit_length()
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            size = power35
            while size < n:
                size *= 2
            best = min(best, size)
            power35 *= 3
        power5 *= 5
    return best


def centred_pad(kernel, shape) -> np.ndarray:
    """`kernel` zero-padded to `shape` ((H, W), or an int for a square) with its centre ((k - 1) // 2) moved
    to the origin of the periodic grid: the spatial form of the optical transfer function (float64)."""
    kernel = np.asarray(kernel, np.float64)
    height, width = (shape, shape) if np.ndim(shape) == 0 else shape
    kh, kw = kernel.shape
    grid = np.zeros((height, width))
    grid[:kh, :kw] = kernel
    return np.roll(grid, (-((kh - 1) // 2), -((kw - 1) // 2)), axis=(0, 1))


def numpy_otf(kernel, shape) -> np.ndarray:
    """`otf` in numpy float64: the rFFT of `centred_pad(kernel, shape)`, shape (H, W // 2 + 1)."""
    return np.fft.rfft2(centred_pad(kernel, shape))


def kernel_spectrum(kernel, size, centred: bool = True, dtype=tf.float32) -> tf.Tensor:
    """rFFT of a kernel zero-padded to `size` = (H, W).

    Args:
        kernel: (kh, kw) or (N, kh, kw).
        size: (H, W), ints or a tensor; must be at least the kernel size.
        centred: if True the kernel centre ((kh-1)//2, (kw-1)//2) is moved to the origin (the optical
            transfer function, for centred circular convolution); if False the kernel's corner stays at
            the origin (for linear convolution computed on a large enough grid).
        dtype: float32 or float64 (the spectrum is complex64 or complex128).

    Returns:
        complex tensor (..., H, W // 2 + 1).
    """
    kernel = tf.convert_to_tensor(kernel, dtype=dtype)
    kh, kw = kernel.shape[-2], kernel.shape[-1]
    if kh is None or kw is None:  # a kernel whose size is known only when the graph runs
        kh, kw = tf.shape(kernel)[-2], tf.shape(kernel)[-1]
    size = tf.cast(size, tf.int32)
    rank = kernel.shape.rank
    pads = [[0, 0]] * (rank - 2) + [[0, size[0] - kh], [0, size[1] - kw]]
    padded = tf.pad(kernel, pads)
    if centred:
        padded = tf.roll(padded, shift=[-((kh - 1) // 2), -((kw - 1) // 2)], axis=[rank - 2, rank - 1])
    return tf.signal.rfft2d(padded, fft_length=size)


def otf(kernel, size, dtype=tf.float32) -> tf.Tensor:
    """Optical transfer function: the spectrum of the centred kernel on an (H, W) periodic grid."""
    return kernel_spectrum(kernel, size, centred=True, dtype=dtype)


def image_spectrum(x) -> tf.Tensor:
    """rFFT of every plane of an NHWC batch: (N, C, H, W // 2 + 1)."""
    return tf.signal.rfft2d(tf.transpose(x, [0, 3, 1, 2]))


def image_from_spectrum(spectrum, size) -> tf.Tensor:
    """Inverse of `image_spectrum` for planes of size (H, W): an NHWC batch."""
    return tf.transpose(tf.signal.irfft2d(spectrum, fft_length=size), [0, 2, 3, 1])


def gradient_spectrum_energy(size, dtype=tf.float32) -> tf.Tensor:
    """|D_x|^2 + |D_y|^2 for forward differences on an (H, W) grid, shape (H, W // 2 + 1), real."""
    dx = tf.constant([[1.0, -1.0]], dtype)
    dy = tf.constant([[1.0], [-1.0]], dtype)
    ex = tf.abs(kernel_spectrum(dx, size, centred=False, dtype=dtype)) ** 2
    ey = tf.abs(kernel_spectrum(dy, size, centred=False, dtype=dtype)) ** 2
    return ex + ey
