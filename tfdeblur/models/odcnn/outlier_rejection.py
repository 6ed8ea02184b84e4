"""The outlier-rejection sub-network of ODCNN: 16x16 convolution, 1x1 convolution, 8x8 convolution."""

from __future__ import annotations

import keras
import tensorflow as tf

from tfdeblur.models.odcnn.padding import reflect_pad, same_pads

ACTIVATIONS = ("relu", "tanh")


@keras.saving.register_keras_serializable(package="tfdeblur")
class OutlierRejection(keras.layers.Layer):
    """ODCNN's outlier-rejection (denoise) CNN: `width` first_size^2 filters, `width` 1x1, one last_size^2.

    It takes the deconvolution sub-network's output image (1 channel; training stage 2) or, once merged with
    the 1x1 combination layer, its `rank` hidden maps directly (the paper's 16x16x38 kernels). The input is
    reflect-padded once by the two large filters' reach, so the output has the input's size.

    Args:
        width: feature maps of the two hidden layers (paper: 512).
        first_size: side of the first filters (paper: 16).
        last_size: side of the output filter (paper: 8).
        activation: hidden nonlinearity, "relu" or "tanh" (the denoise CNN the paper builds on uses tanh).
        output_initializer: name of the output filter's initializer; ODCNN passes "zeros" when the sub-network
            predicts a correction added to the deconvolved image, so stage 2 starts from stage 1's result.
        **kwargs: passed to `keras.layers.Layer`.

    Example:
    >>> import numpy as np
    >>> layer = OutlierRejection(width=8, first_size=4, last_size=2)
    >>> tuple(layer(np.zeros((2, 12, 10, 1), "float32")).shape)
    (2, 12, 10, 1)

    Reference:
        L. Xu, J. S. Ren, C. Liu, J. Jia, "Deep Convolutional Neural Network for Image Deconvolution",
        NIPS 2014, Sec. 5.4; D. Eigen, D. Krishnan, R. Fergus, "Restoring an Image Taken through a Window
        Covered with Dirt or Rain", ICCV 2013.
    """

    def __init__(self, width: int = 512, first_size: int = 16, last_size: int = 8, activation: str = "relu",
                 output_initializer: str = "glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")
        self.width = int(width)
        self.first_size = int(first_size)
        self.last_size = int(last_size)
        self.activation = activation
        self.output_initializer = output_initializer
        self.first = keras.layers.Conv2D(self.width, self.first_size, padding="valid", activation=activation,
                                         dtype=self.dtype_policy, name="first")
        self.hidden = keras.layers.Conv2D(self.width, 1, activation=activation, dtype=self.dtype_policy,
                                          name="hidden")
        self.last = keras.layers.Conv2D(1, self.last_size, padding="valid",
                                        kernel_initializer=keras.initializers.get(output_initializer),
                                        dtype=self.dtype_policy, name="last")

    def _pads(self):
        (t1, b1), (t2, b2) = same_pads(self.first_size), same_pads(self.last_size)
        return t1 + t2, b1 + b2

    def build(self, input_shape):
        before, after = self._pads()
        height, width = input_shape[1], input_shape[2]

        def grow(n):
            return None if n is None else n + before + after

        self.first.build((input_shape[0], grow(height), grow(width), input_shape[-1]))
        inner = self.first.compute_output_shape((input_shape[0], grow(height), grow(width), input_shape[-1]))
        self.hidden.build(inner)
        self.last.build(inner)

    def _first_single_channel(self, x):
        """The first convolution for a one-channel input, as a (1 x size) convolution of `size` row-shifted
        copies: the same result, but oneDNN's gradients are ~4x faster with 16 input channels than with 1."""
        size = self.first_size
        rows = tf.shape(x)[1] - size + 1
        stacked = tf.concat([x[:, i:i + rows] for i in range(size)], axis=-1)
        # (size, size, 1, width) -> (1, size, size, width): input channel i is the copy shifted by i rows.
        kernel = tf.transpose(tf.cast(self.first.kernel, x.dtype), [2, 1, 0, 3])
        out = tf.nn.conv2d(stacked, kernel, 1, "VALID") + tf.cast(self.first.bias, x.dtype)
        return self.first.activation(out)

    def _last(self, features):
        """The last convolution (width -> 1 channel) as one matrix product giving each filter tap's map,
        then the sum of the shifted maps: convolution ops with one output channel are slow on CPU."""
        size = self.last_size
        dtype = features.dtype
        taps = tf.reshape(tf.transpose(tf.cast(self.last.kernel, dtype)[..., 0], [2, 0, 1]), [self.width, -1])
        shape = tf.shape(features)
        maps = tf.reshape(tf.matmul(tf.reshape(features, [-1, self.width]), taps),
                          [shape[0], shape[1], shape[2], size * size])
        rows, cols = shape[1] - size + 1, shape[2] - size + 1
        out = tf.add_n([maps[:, i:i + rows, j:j + cols, i * size + j]
                        for i in range(size) for j in range(size)])
        return out[..., None] + tf.cast(self.last.bias, dtype)

    def call(self, inputs):
        before, after = self._pads()
        padded = reflect_pad(inputs, before, after, before, after)
        features = self._first_single_channel(padded) if inputs.shape[-1] == 1 else self.first(padded)
        return self._last(self.hidden(features))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:3]) + (1,)

    def get_config(self):
        config = super().get_config()
        config.update(width=self.width, first_size=self.first_size, last_size=self.last_size,
                      activation=self.activation, output_initializer=self.output_initializer)
        return config
