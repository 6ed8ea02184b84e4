"""Operations on a kernel's support: normalising, padding, resampling, recentring and trimming kernels.

Blind estimation works coarse to fine and finds a kernel only up to a translation; these keep an estimate a
valid convolution kernel (non-negative, summing to 1, odd-sized and centred) between its stages.
"""

from __future__ import annotations

import cv2
import numpy as np


def odd(value: float, minimum: int = 3) -> int:
    """The odd integer nearest to `value`, at least `minimum`."""
    n = int(round(value))
    n = n + 1 if n % 2 == 0 else n
    return max(n, minimum)


def within_reach(mask: np.ndarray, footprint) -> np.ndarray:
    """HxW bool: the pixels a (height, width) box centred on them shares with `mask`, i.e. the pixels a
    kernel of that footprint blurs a masked pixel (a clipped light) into, or reads one from."""
    return cv2.dilate(np.asarray(mask, np.uint8), np.ones(tuple(footprint), np.uint8)) > 0


def normalize_kernel(kernel: np.ndarray) -> np.ndarray:
    """Non-negative float32 summing to 1 (a uniform kernel if nothing positive is left)."""
    kernel = np.clip(np.asarray(kernel, np.float64), 0.0, None)
    total = kernel.sum()
    if total <= 0:
        kernel = np.ones_like(kernel)
        total = kernel.sum()
    return (kernel / total).astype(np.float32)


def pad_kernel(kernel: np.ndarray, side: int) -> np.ndarray:
    """`kernel` centred on a side x side zero support (side >= its size; float64)."""
    kernel = np.asarray(kernel, np.float64)
    out = np.zeros((side, side))
    top, left = (side - kernel.shape[0]) // 2, (side - kernel.shape[1]) // 2
    out[top:top + kernel.shape[0], left:left + kernel.shape[1]] = kernel
    return out


def resize_kernel(kernel: np.ndarray, size) -> np.ndarray:
    """Resample a kernel to `size` = (kh, kw) (centres kept aligned), non-negative, summing to 1."""
    kh, kw = (size, size) if np.ndim(size) == 0 else size
    src = np.asarray(kernel, np.float32)
    if src.shape == (kh, kw):
        return normalize_kernel(src)
    # Area-preserving when shrinking, bilinear when enlarging; OpenCV maps centre to centre.
    shrinking = kh < src.shape[0]
    out = cv2.resize(src, (kw, kh), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return normalize_kernel(out)


def recentre_kernel(kernel: np.ndarray) -> np.ndarray:
    """Shift by whole pixels so the centre of mass sits on the centre tap (float64, sums to 1).

    The blind problem fixes the kernel only up to a translation; an estimate drifting towards a border
    would lose taps when resampled for the next level.
    """
    k = np.asarray(kernel, np.float64)
    k = k / k.sum()
    rows, cols = np.indices(k.shape)
    dy = int(round((k.shape[0] - 1) / 2 - (rows * k).sum()))
    dx = int(round((k.shape[1] - 1) / 2 - (cols * k).sum()))
    out = np.zeros_like(k)
    src = k[max(-dy, 0):k.shape[0] - max(dy, 0), max(-dx, 0):k.shape[1] - max(dx, 0)]
    out[max(dy, 0):max(dy, 0) + src.shape[0], max(dx, 0):max(dx, 0) + src.shape[1]] = src
    return out / out.sum()


def trim_kernel(kernel: np.ndarray, energy: float = 0.01, minimum: int = 3) -> np.ndarray:
    """Drop border rows/columns that together carry less than `energy` of the kernel's mass.

    Rows and columns go in symmetric pairs so the kernel stays odd-sized and centred; taps below
    2% of the peak are ignored first.
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
    return normalize_kernel(k)
