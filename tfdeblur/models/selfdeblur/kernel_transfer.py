"""Kernels between pyramid levels: resampling, carrying a kernel into a kernel generator, trimming."""

from __future__ import annotations

import cv2
import numpy as np

# Floor added before the log: a zero tap must stay reachable (softmax logits cannot be -inf).
LOG_FLOOR = 1e-6


def odd(value: float, minimum: int = 3) -> int:
    """The odd integer nearest to `value`, at least `minimum`."""
    n = int(round(value))
    n = n + 1 if n % 2 == 0 else n
    return max(n, minimum)


def normalize(kernel: np.ndarray) -> np.ndarray:
    kernel = np.clip(np.asarray(kernel, np.float64), 0.0, None)
    total = kernel.sum()
    if total <= 0:
        kernel = np.ones_like(kernel)
        total = kernel.sum()
    return (kernel / total).astype(np.float32)


def resize_kernel(kernel: np.ndarray, size) -> np.ndarray:
    """Resample a kernel to `size` = (kh, kw) (centres kept aligned), non-negative, summing to 1."""
    kh, kw = (size, size) if np.ndim(size) == 0 else size
    src = np.asarray(kernel, np.float32)
    if src.shape == (kh, kw):
        return normalize(src)
    # Area-preserving when shrinking, bilinear when enlarging; OpenCV maps centre to centre.
    shrinking = kh < src.shape[0]
    out = cv2.resize(src, (kw, kh), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return normalize(out)


def carried_logits(kernel: np.ndarray) -> np.ndarray:
    """Softmax logits that reproduce `kernel` (up to the floor): log(k + floor)."""
    return np.log(np.asarray(kernel, np.float64) + LOG_FLOOR).astype(np.float32)


def carry_kernel(kernel_generator, kernel: np.ndarray) -> np.ndarray:
    """Set a built `KernelGenerator` so that it outputs `kernel` whatever its input noise.

    The last layer's weights are zeroed and its bias set to log(kernel + floor): the output is then
    softmax(bias) = (kernel + floor) / sum. The weights still receive gradients (the hidden activations
    are not zero), so the generator keeps its full freedom from there. Returns the kernel it now outputs.
    """
    kh, kw = kernel_generator.kernel_size
    if np.shape(kernel) != (kh, kw):
        raise ValueError(f"kernel {np.shape(kernel)} does not match the generator's {kh}x{kw}")
    taps = kernel_generator.taps
    taps.kernel.assign(np.zeros(taps.kernel.shape, np.float32))
    logits = carried_logits(kernel).reshape(-1)
    taps.bias.assign(logits)
    out = np.exp(logits.astype(np.float64) - logits.max())
    return (out / out.sum()).reshape(kh, kw).astype(np.float32)


def trim_kernel(kernel: np.ndarray, energy: float = 0.01, minimum: int = 3) -> np.ndarray:
    """Drop border rows/columns that together carry less than `energy` of the kernel's mass.

    Rows and columns go in symmetric pairs so the kernel stays odd-sized and centred; taps below
    2% of the peak are ignored first (the softmax never gives exact zeros).
    """
    k = np.asarray(kernel, np.float64)
    k = np.where(k < 0.02 * k.max(), 0.0, k)
    k = k / k.sum()
    for axis in (0, 1):
        while k.shape[axis] > minimum:
            profile = k.sum(axis=1 - axis)
            if profile[0] + profile[-1] > energy:
                break
            k = k[1:-1] if axis == 0 else k[:, 1:-1]
            energy -= profile[0] + profile[-1]
    return normalize(k)


def recentre(kernel: np.ndarray) -> np.ndarray:
    """Shift a kernel by whole pixels so its centre of mass sits on the middle tap (float32, sum 1).

    The blind problem fixes the kernel only up to a translation; an estimate drifting towards a border
    would lose taps when resampled for the next level.
    """
    from tfdeblur.solvers.kernel_estimation import recentre as recentre_float64

    return normalize(recentre_float64(normalize(kernel)))
