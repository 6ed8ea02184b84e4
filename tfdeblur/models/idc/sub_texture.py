"""SubTexture: the shallow, wide detail-recovery sub-network of IDC (no downsampling)."""

from __future__ import annotations

import keras

from tfdeblur.models.idc.e_block import EBlock


@keras.saving.register_keras_serializable(package="tfdeblur")
class SubTexture(keras.layers.Layer):
    """Stride-1 EBlocks in series: texture features at the input's full resolution.

    The U-Net loses fine detail in its downsampling; this branch never downsamples, so its features keep
    the texture of the input for the fusion module.

    Args:
        filters: channels of every EBlock (paper: 64).
        num_blocks: EBlocks in series (paper: 2).
        kernel_size: side of the convolutions (5).
        num_res_blocks: ResBlocks per EBlock (2).
        kernel_initializer: initialiser of all convolutions (Xavier in the paper).
        **kwargs: passed to `keras.layers.Layer`.

    Example:
    >>> import numpy as np
    >>> net = SubTexture(8)
    >>> tuple(net(np.zeros((1, 7, 9, 6), "float32")).shape)
    (1, 7, 9, 8)

    Reference:
        Z. Wang, H. Wang, H. Yang, "Iterative Dual CNNs for Image Deblurring", Mathematics 10(20):3891, 2022.
    """

    def __init__(self, filters: int = 64, num_blocks: int = 2, kernel_size: int = 5, num_res_blocks: int = 2,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.num_blocks = num_blocks
        self.kernel_size = kernel_size
        self.num_res_blocks = num_res_blocks
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.blocks = [EBlock(filters, kernel_size, strides=1, num_res_blocks=num_res_blocks,
                              kernel_initializer=self.kernel_initializer, dtype=self.dtype_policy,
                              name=f"e_block_{i}") for i in range(num_blocks)]

    def build(self, input_shape):
        shape = input_shape
        for block in self.blocks:
            block.build(shape)
            shape = block.compute_output_shape(shape)

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, num_blocks=self.num_blocks, kernel_size=self.kernel_size,
                      num_res_blocks=self.num_res_blocks,
                      kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config
