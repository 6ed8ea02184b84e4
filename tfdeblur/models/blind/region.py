"""The part of a photo the kernel is estimated on: a bounded window rich in edges.

A uniform blur is the same everywhere, so one well-chosen window determines it; flat sky or smooth
walls carry no information about the kernel. Bounding the window bounds the estimation's memory and
time whatever the photo's size.
"""

from __future__ import annotations

import numpy as np


def _integral(a: np.ndarray) -> np.ndarray:
    out = np.zeros((a.shape[0] + 1, a.shape[1] + 1), np.float64)
    out[1:, 1:] = a.cumsum(0).cumsum(1)
    return out


def _starts(length: int, window: int, stride: int) -> list[int]:
    if length <= window:
        return [0]
    return sorted(set(list(range(0, length - window, stride)) + [length - window]))


def edge_score(luma: np.ndarray) -> np.ndarray:
    """Per-pixel edge strength: the gradient magnitude, clipped at a high quantile so a few saturated
    highlights do not outweigh texture spread over the window."""
    gy, gx = np.gradient(np.asarray(luma, np.float64))
    magnitude = np.hypot(gx, gy)
    return np.minimum(magnitude, np.quantile(magnitude, 0.995) + 1e-12)


def select_region(luma: np.ndarray, size: int, stride: int | None = None) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the `size` x `size` window (clipped to the image) with the highest
    mean edge strength among windows on a grid of `stride` (default size / 4)."""
    h, w = luma.shape[:2]
    wh, ww = min(size, h), min(size, w)
    if (wh, ww) == (h, w):
        return 0, 0, h, w
    stride = stride or max(1, size // 4)
    table = _integral(edge_score(luma))
    best, where = -1.0, (0, 0)
    for top in _starts(h, wh, stride):
        for left in _starts(w, ww, stride):
            total = table[top + wh, left + ww] - table[top, left + ww] - table[top + wh, left] + table[top, left]
            if total > best:
                best, where = total, (top, left)
    return where[0], where[1], wh, ww
