"""EBlock: a (strided) convolution + ReLU followed by ResBlocks, the IDC encoder unit."""

from __future__ import annotations

import keras

from tfdeblur.models.idc.res_block import ResBlock


@keras.saving.register_keras_serializable(package="tfdeblur")
class EBlock(keras.layers.Layer):
    """Feature extraction: `conv(stride) -> ReLU -> ResBlock x num_res_blocks`.

    E1/E2/E3 of the deblurring sub-network use strides 1/2/2 (32/64/128 channels); the texture sub-network
    chains two stride-1 EBlocks of 64 channels, so its features keep the input's resolution.

    Args:
        filters: output channels.
        kernel_size: side of the convolutions (5 in the paper).
        strides: 1, or 2 to halve the resolution ("same" padding: output ceil(H / 2)).
        num_res_blocks: ResBlocks after the convolution (2 in the paper).
        kernel_initializer: initialiser of all convolutions (Xavier in the paper).
        **kwargs: passed to `keras.layers.Layer`.

    Example:
    >>> import numpy as np
    >>> block = EBlock(16, strides=2)
    >>> tuple(block(np.zeros((1, 12, 10, 6), "float32")).shape)
    (1, 6, 5, 16)

    Reference:
        Z. Wang, H. Wang, H. Yang, "Iterative Dual CNNs for Image Deblurring", Mathematics 10(20):3891, 2022.
    """

    def __init__(self, filters: int, kernel_size: int = 5, strides: int = 1, num_res_blocks: int = 2,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.num_res_blocks = num_res_blocks
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.conv = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding="same", activation="relu",
                                        kernel_initializer=self.kernel_initializer, dtype=self.dtype_policy,
                                        name="conv")
        self.res_blocks = [ResBlock(filters, kernel_size, kernel_initializer=self.kernel_initializer,
                                    dtype=self.dtype_policy, name=f"res_block_{i}") for i in range(num_res_blocks)]

    def build(self, input_shape):
        self.conv.build(input_shape)
        shape = self.conv.compute_output_shape(input_shape)
        for block in self.res_blocks:
            block.build(shape)

    def call(self, x):
        x = self.conv(x)
        for block in self.res_blocks:
            x = block(x)
        return x

    def compute_output_shape(self, input_shape):
        return self.conv.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
                      num_res_blocks=self.num_res_blocks,
                      kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config
