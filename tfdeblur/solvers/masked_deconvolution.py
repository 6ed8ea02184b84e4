"""Non-blind deconvolution with a per-pixel data weight: clipped lights and other outliers left out.

    min_x  sum_p w_p ((k * x)_p - y_p)^2 + lam sum_d sum_q |(f_d * x)_q|^exponent

with 'valid' boundaries (x extends past the photo by the kernel's reach, so nothing is assumed about the
unseen scene), solved by iteratively reweighted least squares: each round fixes the prior's weights
(|f_d * x|^2 + eps)^(exponent/2 - 1) from the current x and solves the quadratic problem by conjugate
gradients through the `physics.Blur` operator and its adjoint.

A pixel at the sensor's ceiling says only that the blurred scene was at least that bright: its value is not
the blur of the scene, and a quadratic data term that fits it anyway rings around every light (Whyte,
Sivic & Zisserman, IJCV 2014; Cho, Wang & Lee, ICCV 2011). Pixels of weight 0 count one-sided: only while
the estimate's blur falls below them, so a light may be as bright as its unclipped surroundings need.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfdeblur.physics.blur import Blur, convolve, convolve_adjoint
from tfdeblur.solvers.conjugate_gradient import conjugate_gradient
from tfdeblur.solvers.tikhonov import GRADIENT

EPS = 1e-4  # keeps the reweighting finite where the gradient vanishes (on the [0, 1] intensity scale)


def clipped_weights(blurry: np.ndarray, level: float = 0.97, grow: int = 2) -> np.ndarray:
    """HxW data weights: 0 on pixels at or above `level` in any channel and `grow` px around them, else 1."""
    from tfdeblur.physics.kernel_support import within_reach

    array = np.asarray(blurry, np.float32)
    clipped = (array.max(axis=2) if array.ndim == 3 else array) >= level
    if grow > 0 and clipped.any():
        clipped = within_reach(clipped, (2 * grow + 1, 2 * grow + 1))
    return (~clipped).astype(np.float32)


def masked_deconvolution(blurry: np.ndarray, kernel: np.ndarray, weights: np.ndarray, lam: float,
                         start: np.ndarray | None = None, rounds: int = 3, cg_steps: int = 30,
                         exponent: float = 0.8) -> np.ndarray:
    """Deblur `blurry` (HxW or HxWxC in [0, 1]) by `kernel` with data weights `weights` (HxW).

    Args:
        start: an estimate with `blurry`'s shape to start from (e.g. the unweighted IRC result); default
            the blurry image.
        rounds: reweighting rounds; cg_steps: conjugate-gradient steps per round.
        exponent: of the hyper-Laplacian prior (1 = total variation, 2 = Gaussian).
    Returns:
        float32 with `blurry`'s shape, clipped to [0, 1].

    Example:
    >>> import numpy as np
    >>> from tfdeblur.physics import blur, motion_kernel
    >>> y = blur(np.random.default_rng(0).random((40, 40)).astype("float32"), motion_kernel(5, 0), mode="same")
    >>> masked_deconvolution(y, motion_kernel(5, 0), np.ones((40, 40), np.float32), 1e-3).shape
    (40, 40)
    """
    array = np.asarray(blurry, np.float32)
    planes = array[..., None] if array.ndim == 2 else array
    h, w, c = planes.shape
    kernel = np.asarray(kernel, np.float32)
    kh, kw = kernel.shape
    top, left = kh // 2, kw // 2
    pads = ((top, kh - 1 - top), (left, kw - 1 - left))
    y = tf.constant(np.moveaxis(planes, 2, 0)[..., None])  # channels as a batch of gray images
    weight = tf.constant(np.asarray(weights, np.float32)[None, :, :, None])
    initial = planes if start is None else np.asarray(start, np.float32).reshape(planes.shape)
    x = tf.constant(np.pad(np.moveaxis(initial, 2, 0), ((0, 0),) + pads, mode="edge")[..., None])
    op = Blur(kernel, mode="valid")
    for _ in range(rounds):
        prior_weights = [exponent / 2 * tf.pow(tf.square(convolve(x, f)) + EPS, exponent / 2 - 1) for f in GRADIENT]
        # A clipped pixel says the blurred scene was at least that bright: it counts only while the
        # estimate's blur falls below it (Whyte et al.'s saturation model, as an active set per round).
        active = weight + (1.0 - weight) * tf.cast(op(x) < y, tf.float32)
        rhs = op.adjoint(active * y)

        def normal(v, prior_weights=prior_weights, active=active):
            out = op.adjoint(active * op(v))
            for f, r in zip(GRADIENT, prior_weights):
                out = out + lam * convolve_adjoint(r * convolve(v, f), f)
            return out

        x = conjugate_gradient(normal, rhs, x, cg_steps)
    out = x.numpy()[:, top:top + h, left:left + w, 0]
    return np.clip(np.moveaxis(out, 0, 2).reshape(array.shape), 0.0, 1.0).astype(np.float32)
