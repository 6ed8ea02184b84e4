"""Gaussian smoothing of a motion field as a TensorFlow function, so an exported blind pipeline smooths too.

A camera's motion field varies slowly across the photo, and the smoothing that removes Motion-Net's pixel
noise is wide (a fraction of the photo's shorter side), so it is computed on a coarse copy of the field: the
field is area-averaged to a grid whose shorter side is at most `COARSE_SIDE`, smoothed there by two small
matrix products (a gaussian with mirrored edges, each row summing to 1), and resized back bilinearly.
That costs the same for a 12-megapixel photo as for a thumbnail, and the same function runs in
`tfdeblur.models.ircnet.field_refinement` (the Python blind path) and inside `BlindIRCNet` (exported).
"""

from __future__ import annotations

import tensorflow as tf

# Shorter side of the grid the smoothing is computed on (the gaussian is >= 0.1 x this wide in practice).
COARSE_SIDE = 64


def _mirrored_gaussian(size, sigma):
    """(size, size) row-stochastic matrix: a gaussian of width `sigma` with edge-including mirror images."""
    n = tf.cast(size, tf.float32)
    i = tf.range(n)[:, None]
    j = tf.range(n)[None, :]
    # Pixel j seen in the mirror at the start (-1 - j) and at the end (2n - 1 - j); the next mirror images
    # are >= 2n away, under exp(-22) for a sigma of 0.3 n.
    weights = sum(tf.exp(-0.5 * tf.square((i - position) / sigma)) for position in (j, -1.0 - j, 2.0 * n - 1.0 - j))
    return weights / tf.reduce_sum(weights, axis=1, keepdims=True)


def smooth_vectors(vectors, smoothing: float):
    """Gaussian-smoothed (N, H, W, C) field; the gaussian is `smoothing` x min(H, W) wide (0: unchanged).

    Example:
    >>> import numpy as np
    >>> field = np.zeros((1, 40, 60, 2), "float32"); field[0, :, 30:, 0] = 1.0
    >>> out = smooth_vectors(field, 0.3).numpy()
    >>> bool(0 < out[0, 20, 29, 0] < out[0, 20, 31, 0] < 1), float(abs(out[..., 0].mean() - 0.5)) < 0.02
    (True, True)
    """
    vectors = tf.convert_to_tensor(vectors, tf.float32)
    if smoothing <= 0:
        return vectors
    height, width = tf.shape(vectors)[1], tf.shape(vectors)[2]
    scale = tf.minimum(1.0, COARSE_SIDE / tf.cast(tf.minimum(height, width), tf.float32))
    coarse_size = [tf.maximum(1, tf.cast(tf.round(tf.cast(side, tf.float32) * scale), tf.int32))
                   for side in (height, width)]
    coarse = tf.image.resize(vectors, coarse_size, method="area")
    sigma = smoothing * tf.cast(tf.minimum(*coarse_size), tf.float32)
    rows, columns = (_mirrored_gaussian(side, sigma) for side in coarse_size)
    smoothed = tf.einsum("ij,njkc,lk->nilc", rows, coarse, columns)
    return tf.image.resize(smoothed, [height, width], method="bilinear")
