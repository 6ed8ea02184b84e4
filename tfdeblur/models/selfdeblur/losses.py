"""SelfDeblur's loss terms: the data fidelity (MSE, later 1 - SSIM) and an optional TV prior."""

from __future__ import annotations

import tensorflow as tf

from tfdeblur.metrics import ssim_map

# lambda = TV_PER_SIGMA * sigma when the TV weight is tied to the noise level ("auto"). The paper sets
# lambda proportional to the estimated noise level (its Eq. 6); the constant did not survive the text
# extraction we work from, so this value is ours, and the TV term is off by default (the authors' Levin
# code runs without it).
TV_PER_SIGMA = 0.1


def data_loss(estimate: tf.Tensor, blurry: tf.Tensor, use_ssim: bool) -> tf.Tensor:
    """Mean squared error, or 1 - mean SSIM (11x11 gaussian window, valid positions) when `use_ssim`."""
    if use_ssim:
        return 1.0 - tf.reduce_mean(ssim_map(estimate, blurry))
    return tf.reduce_mean(tf.square(estimate - blurry))


def total_variation(image: tf.Tensor) -> tf.Tensor:
    """Anisotropic TV per pixel: mean |dx| + mean |dy| of an NHWC batch."""
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    return tf.reduce_mean(tf.abs(dy)) + tf.reduce_mean(tf.abs(dx))
