"""A cheap full-resolution kernel update: least squares in the gradient domain against a sharp estimate.

Given the blurry image y and an estimate x of the sharp image (the non-blind finish), the kernel that
best maps the gradients of x to those of y,

    min_k  sum_d ||(d * x) (*) k - d * y||^2 + beta ||k||^2,   k >= 0, sum k = 1,

is a small quadratic problem: its normal matrix holds the autocorrelation of the gradients of x at the
kernel's offsets, so it costs a few FFTs and a projected-gradient loop over kh*kw unknowns, not a
network fit. Gradients rather than intensities: they are sparse, which conditions the problem.
"""

from __future__ import annotations

import numpy as np

from tfdeblur.physics.kernel_support import normalize_kernel as normalize


def _gradients(image: np.ndarray) -> list[np.ndarray]:
    return [np.diff(image, axis=0)[:, :-1], np.diff(image, axis=1)[:-1, :]]


def _valid_patches_normal(gx: np.ndarray, gy: np.ndarray, kh: int, kw: int):
    """A^T A and A^T b for the 'valid' model gy[p] = sum_t gx[p + t] k_flipped[t] on the interior."""
    h, w = gy.shape
    oh, ow = h - kh + 1, w - kw + 1
    target = gy[kh // 2:kh // 2 + oh, kw // 2:kw // 2 + ow].ravel()
    # Columns: gx shifted by each tap offset (kh*kw x oh*ow, float32: bounded by the region's size).
    cols = np.stack([gx[i:i + oh, j:j + ow].ravel() for i in range(kh) for j in range(kw)])
    return cols @ cols.T, cols @ target


def refine_kernel(blurry: np.ndarray, sharp: np.ndarray, kernel: np.ndarray, beta: float = 1e-3,
                  iterations: int = 300, support: float = 0.0) -> np.ndarray:
    """Least-squares kernel (same size as `kernel`, a convolution kernel) from gray `blurry` and `sharp`
    (same HxW; `sharp` aligned with `blurry` as the non-blind solver returns it). Starts from `kernel`;
    `support` > 0 zeroes taps below that fraction of the peak at the end."""
    kh, kw = kernel.shape
    ata = np.zeros((kh * kw, kh * kw))
    atb = np.zeros(kh * kw)
    for gx, gy in zip(_gradients(np.asarray(sharp, np.float64)), _gradients(np.asarray(blurry, np.float64))):
        a, b = _valid_patches_normal(gx, gy, kh, kw)
        ata += a
        atb += b
    scale = np.trace(ata) / ata.shape[0]
    ata += beta * scale * np.eye(ata.shape[0])
    step = 1.0 / np.linalg.eigvalsh(ata)[-1]
    k = np.asarray(kernel, np.float64)[::-1, ::-1].ravel()  # correlation taps
    for _ in range(iterations):  # projected gradient on k >= 0; the sum is fixed at the end
        k = np.maximum(k - step * (ata @ k - atb), 0.0)
    k = k.reshape(kh, kw)[::-1, ::-1]
    if support > 0:
        k = np.where(k < support * k.max(), 0.0, k)
    return normalize(k)
