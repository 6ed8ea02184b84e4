"""IDCLoss: the mixed loss of IDC, L2 + alpha (1 - SSIM) + beta gradient-L1, per scale and summed over scales."""

from __future__ import annotations

import keras
import tensorflow as tf

from tfdeblur.metrics import SSIM_WINDOW, ssim_map


def _per_sample_mean(x: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(x, axis=[1, 2, 3])


@keras.saving.register_keras_serializable(package="tfdeblur")
class IDCLoss(keras.losses.Loss):
    """The paper's mixed loss `L2 + ssim_weight * (1 - SSIM) + gradient_weight * L_grad` of one scale.

    `L2` is the mean squared error per pixel; `1 - SSIM` uses `tfdeblur.metrics.ssim_map` (11x11 gaussian
    window, so every scale must be at least 11x11 pixels); the gradient term is the mean absolute difference
    of horizontal and vertical finite differences (the paper names a gradient loss without its norm; L1 keeps
    edges sharp). Called as a Keras loss it scores one scale; `multi_scale` sums the terms over IDC's
    scales, which is how `IDC` trains.

    Args:
        ssim_weight: alpha (paper: 0.1).
        gradient_weight: beta (paper: 0.1).
        **kwargs: passed to `keras.losses.Loss` (`name`, `reduction`, `dtype`).

    Example:
    >>> import numpy as np
    >>> loss = IDCLoss()
    >>> x = np.full((1, 16, 16, 3), 0.5, "float32")
    >>> round(float(loss(x, x)), 6)
    0.0

    Reference:
        Z. Wang, H. Wang, H. Yang, "Iterative Dual CNNs for Image Deblurring", Mathematics 10(20):3891, 2022,
        Eq. 2-6.
    """

    def __init__(self, ssim_weight: float = 0.1, gradient_weight: float = 0.1, name: str = "idc_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.ssim_weight = ssim_weight
        self.gradient_weight = gradient_weight

    def terms(self, y_true, y_pred) -> dict[str, tf.Tensor]:
        """Per-sample terms of one scale: {"l2", "ssim", "gradient"}, each of shape (batch,)."""
        y_pred = tf.cast(y_pred, tf.float32)
        y_true = tf.cast(y_true, tf.float32)
        for axis in (1, 2):
            size = y_pred.shape[axis]
            if size is not None and size < SSIM_WINDOW:
                raise ValueError(f"IDCLoss needs every scale to be at least {SSIM_WINDOW} px for SSIM; got "
                                 f"{y_pred.shape[1]}x{y_pred.shape[2]} (use larger patches or fewer scales)")
        error = y_pred - y_true
        gradient = (_per_sample_mean(tf.abs(error[:, :, 1:] - error[:, :, :-1]))
                    + _per_sample_mean(tf.abs(error[:, 1:] - error[:, :-1])))
        return {
            "l2": _per_sample_mean(tf.square(error)),
            "ssim": 1.0 - _per_sample_mean(ssim_map(y_pred, y_true)),
            "gradient": gradient,
        }

    def combine(self, terms: dict[str, tf.Tensor]) -> tf.Tensor:
        total = terms["l2"]
        # A term weighted 0 stays out of the sum, so training does not backpropagate through it (0 * x is
        # not folded away: it would still cost the SSIM's backward pass); it is still reported.
        for name, weight in (("ssim", self.ssim_weight), ("gradient", self.gradient_weight)):
            if weight:
                total = total + weight * terms[name]
        return total

    def call(self, y_true, y_pred):
        return self.combine(self.terms(y_true, y_pred))

    def multi_scale(self, targets, estimates) -> dict[str, tf.Tensor]:
        """Per-sample terms summed over scales, plus their weighted sum "total" (Eq. 6)."""
        if len(targets) != len(estimates):
            raise ValueError(f"{len(estimates)} estimates for {len(targets)} targets")
        summed = None
        for target, estimate in zip(targets, estimates):
            terms = self.terms(target, estimate)
            summed = terms if summed is None else {k: summed[k] + terms[k] for k in terms}
        summed["total"] = self.combine(summed)
        return summed

    def get_config(self):
        config = super().get_config()
        config.update(ssim_weight=self.ssim_weight, gradient_weight=self.gradient_weight)
        return config
