"""DBlock: ResBlocks followed by a transposed convolution + ReLU, the IDC decoder unit."""

from __future__ import annotations

import keras

from tfdeblur.models.idc.res_block import ResBlock


@keras.saving.register_keras_serializable(package="tfdeblur")
class DBlock(keras.layers.Layer):
    """Decoding: `ResBlock x num_res_blocks -> deconv(4x4, stride) -> ReLU`.

    D1 (128 channels) and D2 (64) end with a stride-2 deconvolution that doubles the resolution and maps to
    the channels of the encoder level it is added to (64, 32); D3 (32) ends with a stride-1 4x4
    deconvolution (Table 1) whose features go to the fusion module.

    Args:
        filters: channels of the input and of the ResBlocks.
        out_filters: channels after the deconvolution.
        kernel_size: side of the ResBlock convolutions (5).
        deconv_size: side of the transposed convolution (4).
        strides: 2 (upsample x2) or 1.
        num_res_blocks: ResBlocks before the deconvolution (2).
        kernel_initializer: initialiser of all convolutions (Xavier in the paper).
        **kwargs: passed to `keras.layers.Layer`.

    Example:
    >>> import numpy as np
    >>> block = DBlock(16, 8, strides=2)
    >>> tuple(block(np.zeros((1, 6, 5, 16), "float32")).shape)
    (1, 12, 10, 8)

    Reference:
        Z. Wang, H. Wang, H. Yang, "Iterative Dual CNNs for Image Deblurring", Mathematics 10(20):3891, 2022.
    """

    def __init__(self, filters: int, out_filters: int, kernel_size: int = 5, deconv_size: int = 4,
                 strides: int = 2, num_res_blocks: int = 2, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.out_filters = out_filters
        self.kernel_size = kernel_size
        self.deconv_size = deconv_size
        self.strides = strides
        self.num_res_blocks = num_res_blocks
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.res_blocks = [ResBlock(filters, kernel_size, kernel_initializer=self.kernel_initializer,
                                    dtype=self.dtype_policy, name=f"res_block_{i}") for i in range(num_res_blocks)]
        self.deconv = keras.layers.Conv2DTranspose(out_filters, deconv_size, strides=strides, padding="same",
                                                   activation="relu", kernel_initializer=self.kernel_initializer,
                                                   dtype=self.dtype_policy, name="deconv")

    def build(self, input_shape):
        for block in self.res_blocks:
            block.build(input_shape)
        self.deconv.build(input_shape)

    def call(self, x):
        for block in self.res_blocks:
            x = block(x)
        return self.deconv(x)

    def compute_output_shape(self, input_shape):
        return self.deconv.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, out_filters=self.out_filters, kernel_size=self.kernel_size,
                      deconv_size=self.deconv_size, strides=self.strides, num_res_blocks=self.num_res_blocks,
                      kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config
