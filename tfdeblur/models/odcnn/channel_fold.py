"""Fold colour channels into the batch (and back), so one single-channel network serves gray and RGB."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfdeblur")
class ChannelFold(keras.layers.Layer):
    """(N, H, W, C) -> (N * C, H, W, 1), image-major; with `unfold=True` the inverse, (N * C, H, W, 1) ->
    (N, H, W, C).

    Args:
        channels: C.
        unfold: False folds channels into the batch, True restores them.
        **kwargs: passed to `keras.layers.Layer`.

    Example:
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((2, 5, 4, 3)).astype("float32")
    >>> planes = ChannelFold(3)(x)
    >>> tuple(planes.shape), bool(np.allclose(ChannelFold(3, unfold=True)(planes), x))
    ((6, 5, 4, 1), True)
    """

    def __init__(self, channels: int = 3, unfold: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)
        self.unfold = bool(unfold)

    def call(self, inputs):
        shape = tf.shape(inputs)
        if self.unfold:
            planes = tf.reshape(inputs, [-1, self.channels, shape[1], shape[2]])
            return tf.transpose(planes, [0, 2, 3, 1])
        planes = tf.transpose(inputs, [0, 3, 1, 2])
        return tf.reshape(planes, [-1, shape[1], shape[2], 1])

    def compute_output_shape(self, input_shape):
        batch, height, width = input_shape[:3]
        if self.unfold:
            return (None if batch is None else batch // self.channels, height, width, self.channels)
        return (None if batch is None else batch * self.channels, height, width, 1)

    def get_config(self):
        config = super().get_config()
        config.update(channels=self.channels, unfold=self.unfold)
        return config
