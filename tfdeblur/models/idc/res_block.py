"""ResBlock: two 5x5 convolutions with a ReLU between them and an identity skip (IDC Table 1)."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="tfdeblur")
class ResBlock(keras.layers.Layer):
    """`x + conv(relu(conv(x)))`, the residual unit of every IDC encoder and decoder block.

    There is no activation after the addition (as in the scale-recurrent deblurring networks IDC builds
    on), so a block initialised near zero is near the identity, which keeps deep stacks trainable.

    Args:
        filters: channels of the input and the output (the skip is an identity, so they must match).
        kernel_size: square kernel side (5 in the paper).
        kernel_initializer: initialiser of both convolutions (the paper uses Xavier = glorot_uniform).
        **kwargs: passed to `keras.layers.Layer`.

    Example:
    >>> import numpy as np
    >>> block = ResBlock(8)
    >>> tuple(block(np.zeros((1, 12, 10, 8), "float32")).shape)
    (1, 12, 10, 8)

    Reference:
        Z. Wang, H. Wang, H. Yang, "Iterative Dual CNNs for Image Deblurring", Mathematics 10(20):3891, 2022.
    """

    def __init__(self, filters: int, kernel_size: int = 5, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        conv = dict(kernel_size=kernel_size, padding="same", kernel_initializer=self.kernel_initializer,
                    dtype=self.dtype_policy)
        self.conv1 = keras.layers.Conv2D(filters, activation="relu", name="conv1", **conv)
        self.conv2 = keras.layers.Conv2D(filters, name="conv2", **conv)

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            raise ValueError(f"ResBlock({self.filters}) got {input_shape[-1]} input channels")
        self.conv1.build(input_shape)
        self.conv2.build(self.conv1.compute_output_shape(input_shape))

    def call(self, x):
        return x + self.conv2(self.conv1(x))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size,
                      kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config
