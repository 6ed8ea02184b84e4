"""The metric ODCNN training reports next to its L2 loss (registered, so compiled models reload)."""

from __future__ import annotations

import keras
import tensorflow as tf

from tfdeblur.metrics import batch_psnr


@keras.saving.register_keras_serializable(package="tfdeblur", name="odcnn_psnr")
def psnr(y_true, y_pred):
    """Mean PSNR (dB) of the clipped estimate over the batch (`tfdeblur.metrics.batch_psnr`, at most 120 dB)."""
    return tf.reduce_mean(batch_psnr(tf.clip_by_value(y_pred, 0.0, 1.0), y_true, min_mse=1e-12))
