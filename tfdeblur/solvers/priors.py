"""Sparse priors on image derivatives for the ADMM solver: filter sets and their proximal (shrinkage) steps.

The prior is lam * sum_i w_i * sum_p phi((g_i * x)(p)) with derivative filters g_i and weights w_i, and
phi one of:

- "l1": |v| (total variation; soft thresholding),
- "l0": [v != 0] (hard thresholding),
- "hl": |v|^p, 0 < p < 1 (hyper-Laplacian, the natural-image gradient statistics; Levin et al. 2007 and
  Krishnan & Fergus 2009 use p = 0.8 and 2/3): its proximal step has no closed form for a general p and is
  tabulated once per p by Newton iterations on the stationarity condition, each root compared with z = 0
  (the problem is not convex, and below a threshold 0 is the minimiser), then looked up (see below).

Filter sets: "first" = horizontal and vertical first differences; "second" adds the second differences
d_xx, d_yy, d_xy with weight 0.25 (as Levin's sparse deconvolution, `deconvSps`): they penalise the
staircase of a first-order prior on smooth ramps.
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from tfdeblur.solvers.least_squares_filters import gradient_filters

PRIORS = ("l1", "l0", "hl")
DERIVATIVES = ("first", "second")
SECOND_ORDER_WEIGHT = 0.25


def derivative_filters(derivatives: str = "first") -> tuple[list[np.ndarray], list[float]]:
    """(filters, weights) of a derivative set ("first" or "second", see the module docstring)."""
    if derivatives not in DERIVATIVES:
        raise ValueError(f"unknown derivative set {derivatives!r}; expected one of {DERIVATIVES}")
    filters = gradient_filters()
    weights = [1.0, 1.0]
    if derivatives == "second":
        filters += [np.array([[-1.0, 2.0, -1.0]]), np.array([[-1.0], [2.0], [-1.0]]),
                    np.array([[-1.0, 1.0], [1.0, -1.0]])]
        weights += [SECOND_ORDER_WEIGHT] * 3
    return filters, weights


def shrink(v, threshold, prior: str = "l1", exponent: float = 0.8):
    """argmin_z threshold * phi(z) + 1/2 (z - v)^2, elementwise (phi as in the module docstring).

    Args:
        v: tensor.
        threshold: lam * w / rho (a float or a tensor broadcastable to v).
        prior: "l1", "l0" or "hl".
        exponent: p of the hyper-Laplacian prior ("hl").
    """
    if prior == "l1":
        return tf.sign(v) * tf.nn.relu(tf.abs(v) - threshold)
    if prior == "l0":
        return tf.where(v * v > 2.0 * threshold, v, tf.zeros_like(v))
    if prior != "hl":
        raise ValueError(f"unknown prior {prior!r}; expected one of {PRIORS}")
    check_exponent(exponent)
    return _hyper_laplacian(tf.convert_to_tensor(v, tf.float32), tf.cast(threshold, tf.float32), float(exponent))


def check_exponent(exponent: float) -> None:
    if not 0.0 < float(exponent) < 1.0:
        raise ValueError(f"the hyper-Laplacian exponent must be in (0, 1), got {exponent}")


# The hyper-Laplacian proximal step scales: with s = t^(1 / (2 - p)), prox_t(v) = s * prox_1(v / s). So one
# table of prox_1 on [0, TABLE_END] (Newton in float64, once per exponent) serves every threshold, and a
# step is a lookup with linear interpolation: no per-element powers (with it, 10 ADMM iterations on a 255x255
# capture with five filters took 298 ms instead of 578 ms with a compiled 6-step Newton solve).
# Past the table prox_1(b) = b - p b^(p-1) + O(b^(2p-3)) (< 2e-3 at b = 32 for p >= 0.5).
TABLE_STEP = 1.0 / 128
TABLE_END = 32.0


@functools.lru_cache(maxsize=8)
def _prox_table(p: float) -> np.ndarray:
    b = np.arange(0.0, TABLE_END + 2 * TABLE_STEP, TABLE_STEP)
    z = b.copy()
    for _ in range(30):
        zs = np.maximum(z, 1e-12)
        g = p * zs ** (p - 1) + zs - b
        dg = p * (p - 1) * zs ** (p - 2) + 1
        z = np.where(dg > 0, np.clip(zs - g / np.where(dg > 0, dg, 1), 0, b), 0)
    keep = (z > 1e-9) & (np.maximum(z, 1e-12) ** p + 0.5 * (z - b) ** 2 < 0.5 * b * b)
    return np.where(keep, z, 0.0).astype(np.float32)


def _hyper_laplacian(v, threshold, p: float):
    table = tf.constant(_prox_table(p))
    scale = threshold ** (1.0 / (2.0 - p))
    b = tf.abs(v) / scale
    position = tf.minimum(b, TABLE_END) / TABLE_STEP
    index = tf.cast(tf.floor(position), tf.int32)
    frac = position - tf.cast(index, tf.float32)
    near = tf.gather(table, index) * (1.0 - frac) + tf.gather(table, index + 1) * frac
    far_b = tf.maximum(b, TABLE_END)
    far = far_b - p * far_b ** (p - 1.0)
    return tf.sign(v) * scale * tf.where(b < TABLE_END, near, far)
