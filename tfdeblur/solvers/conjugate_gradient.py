"""Conjugate gradients for the symmetric positive definite normal equations of the deblurring solvers."""

from __future__ import annotations

import tensorflow as tf


def conjugate_gradient(normal, rhs, x, steps: int, tol: float = 1e-6) -> tf.Tensor:
    """Solve normal(x) = rhs (a symmetric positive definite operator) by CG from `x`, at most `steps`
    iterations, stopping when ||r||^2 <= tol * ||rhs||^2."""
    r = rhs - normal(x)
    d = r
    rr = tf.reduce_sum(r * r)
    stop = tol * tf.reduce_sum(rhs * rhs)
    for _ in range(steps):
        if rr <= stop:
            break
        q = normal(d)
        alpha = rr / tf.reduce_sum(d * q)
        x = x + alpha * d
        r = r - alpha * q
        rr_new = tf.reduce_sum(r * r)
        d = r + (rr_new / rr) * d
        rr = rr_new
    return x
