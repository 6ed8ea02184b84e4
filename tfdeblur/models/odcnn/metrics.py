"""The metric ODCNN training reports next to its L2 loss (registered, so compiled models reload)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfdeblur", name="odcnn_psnr")
def psnr(y_true, y_pred):
    """Mean PSNR (dB) of the clipped estimate over the batch."""
    mse = tf.reduce_mean(tf.square(tf.clip_by_value(y_pred, 0.0, 1.0) - y_true), axis=[1, 2, 3])
    return tf.reduce_mean(-10.0 * tf.math.log(tf.maximum(mse, 1e-12)) / np.log(10.0))
