"""Learnable shrinkage: a piecewise-linear function per channel, initialised to soft thresholding."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfdeblur")
class Shrinkage(keras.layers.Layer):
    """The z-update of ADMM with a learnable shrinkage function (as ADMM-Net's piecewise-linear layer).

    Each channel c maps v to the linear interpolation of learnable values at `knots` evenly spaced control
    points on [-span * threshold, span * threshold], continued with slope 1 outside. The values start at
    soft-thresholding, soft(t) = sign(t) max(|t| - threshold, 0), which the layer then computes exactly
    (the thresholds +-threshold fall on control points when (knots - 1) / (2 span) is an integer).

    Args:
        channels: number of channels (one function each).
        threshold: initial soft threshold (lam / rho of the ADMM problem).
        knots: number of control points (odd).
        span: half-width of the control range in units of `threshold`.
        **kwargs: `keras.layers.Layer` arguments.

    Example:
    >>> import numpy as np
    >>> layer = Shrinkage(channels=2, threshold=0.1)
    >>> [round(float(v), 3) for v in layer(np.array([[[[-0.5, 0.05]]]], "float32")).numpy().ravel()]
    [-0.4, 0.0]

    Reference:
        Y. Yang, J. Sun, H. Li, Z. Xu, "Deep ADMM-Net for Compressive Sensing MRI", NIPS 2016 (the
        piecewise-linear shrinkage); Eboli et al. 2018, Sec. 3.2.
    """

    def __init__(self, channels: int, threshold: float, knots: int = 33, span: float = 8.0, **kwargs):
        super().__init__(**kwargs)
        if knots < 3 or knots % 2 == 0:
            raise ValueError(f"knots must be an odd number >= 3, got {knots}")
        self.channels = int(channels)
        self.threshold = float(threshold)
        self.knots = int(knots)
        self.span = float(span)

    @property
    def positions(self) -> np.ndarray:
        reach = self.span * self.threshold
        return np.linspace(-reach, reach, self.knots).astype(np.float32)

    def build(self, input_shape):
        t = self.positions
        soft = np.sign(t) * np.maximum(np.abs(t) - self.threshold, 0.0)
        initial = np.repeat(soft[:, None], self.channels, axis=1).astype(np.float32)
        self.values = self.add_weight(
            shape=(self.knots, self.channels), initializer=keras.initializers.Constant(initial), name="values"
        )

    def call(self, v):
        t = self.positions
        step = float(t[1] - t[0])
        u = (v - t[0]) / step
        cell = tf.clip_by_value(tf.floor(u), 0.0, self.knots - 2.0)
        frac = u - cell
        flat = tf.reshape(self.values, [-1])  # index = knot * channels + channel
        channel = tf.range(self.channels, dtype=tf.int32)
        index = tf.cast(cell, tf.int32) * self.channels + channel
        inside = tf.gather(flat, index) * (1.0 - frac) + tf.gather(flat, index + self.channels) * frac
        below = self.values[0] + (v - t[0])
        above = self.values[-1] + (v - t[-1])
        return tf.where(u < 0.0, below, tf.where(u > self.knots - 1.0, above, inside))

    def get_config(self):
        config = super().get_config()
        config.update(channels=self.channels, threshold=self.threshold, knots=self.knots, span=self.span)
        return config
