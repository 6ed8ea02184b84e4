"""BatchNormalization on batch statistics in one fused op: the generators' normalisation, made cheaper."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfdeblur")
class BatchNorm(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` whose training path on NHWC maps is TensorFlow's fused op.

    Same weights, outputs and moving-average updates as the Keras layer (up to float rounding), but the
    statistics and the normalisation take one pass forward and one backward (`FusedBatchNormV3` and its
    gradient) instead of the dozen element-wise ops and broadcasts of the generic layer; in SelfDeblur's
    image generator, whose maps are as large as the image, those made about a sixth of a step. Other
    cases (inference, masks, renorm, an axis other than the last) go to the Keras layer.

    Args:
        **kwargs: as `keras.layers.BatchNormalization`.

    Example:
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((1, 8, 8, 3)).astype("float32")
    >>> y = BatchNorm(epsilon=1e-5)(x, training=True).numpy()
    >>> np.round(y.mean(axis=(0, 1, 2)), 4) + 0.0, np.round(y.std(axis=(0, 1, 2)), 2)
    (array([0., 0., 0.], dtype=float32), array([1., 1., 1.], dtype=float32))

    Reference:
        S. Ioffe, C. Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
        Internal Covariate Shift", ICML 2015.
    """

    def _fused(self, inputs, training, mask) -> bool:
        return (bool(training) and self.trainable and mask is None and not self.renorm
                and len(inputs.shape) == 4 and self.axis in (-1, 3))

    def call(self, inputs, training=None, mask=None):
        if not self._fused(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        channels = inputs.shape[-1]
        scale = self.gamma if self.scale else tf.ones([channels], tf.float32)
        offset = self.beta if self.center else tf.zeros([channels], tf.float32)
        # The raw op: the Python wrapper would raise epsilon to 1.001e-5 (a cuDNN limit).
        outputs, mean, variance, *_ = tf.raw_ops.FusedBatchNormV3(
            x=inputs, scale=tf.cast(scale, tf.float32), offset=tf.cast(offset, tf.float32),
            mean=tf.constant([], tf.float32), variance=tf.constant([], tf.float32), epsilon=self.epsilon,
            exponential_avg_factor=1.0, data_format="NHWC", is_training=True)
        # The op reports the unbiased variance; Keras averages the biased one it normalises with.
        count = tf.cast(tf.reduce_prod(tf.shape(inputs)[:3]), tf.float32)
        variance = variance * (count - 1.0) / tf.maximum(count, 1.0)
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean * momentum + tf.stop_gradient(mean) * (1.0 - momentum))
        self.moving_variance.assign(self.moving_variance * momentum
                                    + tf.stop_gradient(variance) * (1.0 - momentum))
        return tf.cast(outputs, self.compute_dtype)
