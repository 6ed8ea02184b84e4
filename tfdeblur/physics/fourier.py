"""Fourier-domain helpers for blur kernels (real FFTs over the last two axes).

`otf` / `kernel_spectrum` are TensorFlow ops; `centred_pad` / `numpy_otf` are their float64 numpy twins
for the filter design done once per kernel (inverse filters, GCV).
"""

from __future__ import annotations

import os

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


# Grids at least this large are transformed on every core: numpy's 2-D real FFT is a 1-D transform of every
# row, then of every column, so running blocks of rows (then of columns) in threads gives numpy's result bit for
# bit (a kernel estimate turns rounding differences into other kernels: docs/blind.md), 1.5-1.7x faster on
# 2 cores at 226-317 px. Smaller grids: the threads cost more than they save (162 px: 0.09 -> 0.18 ms).
THREADED_FROM = 200 * 200
_pool = []  # [(ThreadPoolExecutor or None, blocks per transform)], made at the first large transform
if hasattr(os, "register_at_fork"):  # a forked child has none of the parent's threads: it makes its own pool
    os.register_at_fork(after_in_child=_pool.clear)


def _threads():
    """(pool of the other cores or None, blocks per transform)."""
    if not _pool:
        workers = min(os.cpu_count() or 1, 4)
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            _pool.append((ThreadPoolExecutor(workers - 1, thread_name_prefix="tfdeblur-fft"), workers))
        else:
            _pool.append((None, 1))
    return _pool[0]


def in_threads(n: int, work) -> None:
    """`work(lo, hi)` over blocks of range(n) that together cover it, one block in this thread and the
    others on the other cores. For work whose results do not depend on the blocking (each row or column
    computed alone, written to its own part of an output): numpy releases the GIL in its loops and FFTs."""
    pool, count = _threads()
    edges = [n * i // count for i in range(count + 1)]
    pending = [pool.submit(work, lo, hi) for lo, hi in zip(edges[1:-1], edges[2:])] if count > 1 else []
    work(edges[0], edges[1])
    for part in pending:
        part.result()


def real_fft2(x: np.ndarray, shape=None) -> np.ndarray:
    """`np.fft.rfft2(x, shape)` bit for bit, on every core for large grids (issue 32: the blind default's
    kernel estimate spends most of its time in these transforms)."""
    x = np.asarray(x)
    if shape is not None:  # numpy crops or zero-pads to `shape` first
        x = np.pad(x[:shape[0], :shape[1]], ((0, max(0, shape[0] - x.shape[0])), (0, max(0, shape[1] - x.shape[1]))))
    if x.ndim != 2 or x.size < THREADED_FROM:
        return np.fft.rfft2(x)
    rows = _rows_forward(x)
    out = np.empty_like(rows)
    in_threads(rows.shape[1], lambda lo, hi: np.fft.fft(rows[:, lo:hi], axis=0, out=out[:, lo:hi]))
    return out


def inverse_real_fft2(spectrum: np.ndarray, shape) -> np.ndarray:
    """`np.fft.irfft2(spectrum, s=shape)` bit for bit, on every core for large grids (numpy's order: the
    first axis inverted as complex, then the last one to real, each with its own 1/n)."""
    spectrum = np.asarray(spectrum)
    if spectrum.ndim != 2 or shape[0] * shape[1] < THREADED_FROM or spectrum.shape[0] != shape[0]:
        return np.fft.irfft2(spectrum, s=shape)  # (numpy crops or zero-pads the first axis to shape[0])
    columns = np.empty(spectrum.shape, np.result_type(spectrum.dtype, np.complex64))
    in_threads(spectrum.shape[1], lambda lo, hi: np.fft.ifft(spectrum[:, lo:hi], axis=0, out=columns[:, lo:hi]))
    return _rows_inverse(columns, shape[1])


def real_filter(x: np.ndarray, combine) -> np.ndarray:
    """`inverse_real_fft2(combine(real_fft2(x), all columns), x.shape)` for an elementwise `combine(spectrum
    block, columns slice)`, bit for bit, with the combination done column block by column block between the
    two column passes (one hand-over to the threads instead of three, and the combination itself on every
    core). The Fourier-domain solve of a deconvolution: `combine` divides by the system's spectrum."""
    x = np.asarray(x)
    if x.ndim != 2 or x.size < THREADED_FROM:
        return np.fft.irfft2(combine(np.fft.rfft2(x), slice(None)), s=x.shape)
    rows = _rows_forward(x)

    def columns(lo, hi):
        block = slice(lo, hi)
        rows[:, block] = np.fft.ifft(combine(np.fft.fft(rows[:, block], axis=0), block), axis=0)

    in_threads(rows.shape[1], columns)
    return _rows_inverse(rows, x.shape[1])


def _rows_forward(x: np.ndarray) -> np.ndarray:
    rows = np.empty((x.shape[0], x.shape[1] // 2 + 1), np.result_type(x.dtype, np.complex64))
    in_threads(x.shape[0], lambda lo, hi: np.fft.rfft(x[lo:hi], axis=1, out=rows[lo:hi]))
    return rows


def _rows_inverse(columns: np.ndarray, width: int) -> np.ndarray:
    image = np.empty((columns.shape[0], width), columns.real.dtype)
    in_threads(columns.shape[0], lambda lo, hi: np.fft.irfft(columns[lo:hi], n=width, axis=1, out=image[lo:hi]))
    return image


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
