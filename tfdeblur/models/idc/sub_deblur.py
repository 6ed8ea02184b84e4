"""SubDeblur: the U-Net deblurring sub-network of IDC (E1-E3, D1-D3, additive skips)."""

from __future__ import annotations

import keras

from tfdeblur.models.idc.d_block import DBlock
from tfdeblur.models.idc.e_block import EBlock


@keras.saving.register_keras_serializable(package="tfdeblur")
class SubDeblur(keras.layers.Layer):
    """Encoder-decoder that learns the structure of the sharp image.

    E1 (stride 1), E2 and E3 (stride 2) encode; D1 and D2 decode with stride-2 deconvolutions and their
    outputs are added to the E2 and E1 features of the same scale; D3 ends with a stride-1 deconvolution.
    Output: `channels[0]` feature maps at the input resolution. The input height and width must be
    multiples of 4 (the `IDC` model pads for it).

    Args:
        channels: (c1, c2, c3) channels of the three levels (paper: 32, 64, 128).
        kernel_size: side of the convolutions (5).
        num_res_blocks: ResBlocks per block (2).
        kernel_initializer: initialiser of all convolutions (Xavier in the paper).
        **kwargs: passed to `keras.layers.Layer`.

    Example:
    >>> import numpy as np
    >>> net = SubDeblur((4, 8, 16))
    >>> tuple(net(np.zeros((1, 16, 12, 6), "float32")).shape)
    (1, 16, 12, 4)

    Reference:
        Z. Wang, H. Wang, H. Yang, "Iterative Dual CNNs for Image Deblurring", Mathematics 10(20):3891, 2022.
    """

    def __init__(self, channels=(32, 64, 128), kernel_size: int = 5, num_res_blocks: int = 2,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.channels = tuple(int(c) for c in channels)
        if len(self.channels) != 3:
            raise ValueError(f"SubDeblur needs 3 channel counts, got {channels}")
        self.kernel_size = kernel_size
        self.num_res_blocks = num_res_blocks
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        c1, c2, c3 = self.channels
        common = dict(kernel_size=kernel_size, num_res_blocks=num_res_blocks,
                      kernel_initializer=self.kernel_initializer, dtype=self.dtype_policy)
        self.e1 = EBlock(c1, strides=1, name="e1", **common)
        self.e2 = EBlock(c2, strides=2, name="e2", **common)
        self.e3 = EBlock(c3, strides=2, name="e3", **common)
        self.d1 = DBlock(c3, c2, strides=2, name="d1", **common)
        self.d2 = DBlock(c2, c1, strides=2, name="d2", **common)
        self.d3 = DBlock(c1, c1, strides=1, name="d3", **common)

    def build(self, input_shape):
        self.e1.build(input_shape)
        s1 = self.e1.compute_output_shape(input_shape)
        self.e2.build(s1)
        s2 = self.e2.compute_output_shape(s1)
        self.e3.build(s2)
        s3 = self.e3.compute_output_shape(s2)
        self.d1.build(s3)
        self.d2.build(s2)
        self.d3.build(s1)

    def call(self, x):
        f1 = self.e1(x)
        f2 = self.e2(f1)
        f3 = self.e3(f2)
        x = self.d1(f3) + f2
        x = self.d2(x) + f1
        return self.d3(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.channels[0],)

    def get_config(self):
        config = super().get_config()
        config.update(channels=list(self.channels), kernel_size=self.kernel_size,
                      num_res_blocks=self.num_res_blocks,
                      kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config
