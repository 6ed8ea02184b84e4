"""Reflection-padded convolution -> BatchNorm -> LeakyReLU, the unit of the DIP skip network."""

from __future__ import annotations

import keras
import tensorflow as tf

from tfdeblur.models.selfdeblur.batch_norm import BatchNorm
from tfdeblur.models.selfdeblur.conv2d import Conv2D
from tfdeblur.models.selfdeblur.torch_init import torch_bias_initializer, torch_kernel_initializer


@keras.saving.register_keras_serializable(package="tfdeblur")
class ConvBlock(keras.layers.Layer):
    """Reflection padding, a convolution, and optionally BatchNorm and LeakyReLU.

    BatchNorm always normalises with the statistics of the current batch (as the official PyTorch code,
    which never switches its networks to eval mode): a zero-shot generator sees one input, so there is no
    population to keep moving averages of.

    Args:
        filters: output channels.
        kernel_size: odd square kernel size (the padding keeps the size at stride 1).
        strides: 1, or 2 to downsample (output ceil(H / 2)).
        normalize: add BatchNormalization (epsilon 1e-5 as PyTorch).
        negative_slope: LeakyReLU slope; None for no activation.
        seed: initialisation seed (None: random).
        seed_index: distinguishes the layers sharing one `seed`.
        **kwargs: passed to `keras.layers.Layer` (e.g. `dtype="mixed_bfloat16"`).

    Example:
    >>> import numpy as np
    >>> block = ConvBlock(16, 3, strides=2, seed=0)
    >>> tuple(block(np.zeros((1, 9, 9, 4), "float32")).shape)
    (1, 5, 5, 16)

    Reference:
        D. Ulyanov, A. Vedaldi, V. Lempitsky, "Deep Image Prior", CVPR 2018 (the `skip` network).
    """

    def __init__(self, filters: int, kernel_size: int = 3, strides: int = 1, normalize: bool = True,
                 negative_slope: float | None = 0.2, seed: int | None = None, seed_index: int = 0, **kwargs):
        super().__init__(**kwargs)
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.normalize = normalize
        self.negative_slope = negative_slope
        self.seed = seed
        self.seed_index = seed_index
        self.norm = (BatchNorm(epsilon=1e-5, dtype=self.dtype_policy, name="norm")
                     if normalize else None)

    def build(self, input_shape):
        fan_in = int(input_shape[-1]) * self.kernel_size**2
        # Created here because PyTorch's bias initialisation depends on the input channels.
        self.conv = Conv2D(
            self.filters, self.kernel_size, strides=self.strides, padding="valid",
            kernel_initializer=torch_kernel_initializer(self.seed, self.seed_index),
            bias_initializer=torch_bias_initializer(fan_in, self.seed, self.seed_index),
            dtype=self.dtype_policy, name="conv")
        pad = self.kernel_size // 2
        padded = (input_shape[0], None if input_shape[1] is None else input_shape[1] + 2 * pad,
                  None if input_shape[2] is None else input_shape[2] + 2 * pad, input_shape[3])
        self.conv.build(padded)
        if self.norm is not None:
            self.norm.build(self.conv.compute_output_shape(padded))

    def call(self, x):
        pad = self.kernel_size // 2
        if pad:
            # Reflection needs more than `pad` pixels; a deep level of a tiny image may have a single one.
            tiny = any(n is not None and n <= pad for n in x.shape[1:3])
            x = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="SYMMETRIC" if tiny else "REFLECT")
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x, training=True)
        if self.negative_slope is not None:
            x = tf.nn.leaky_relu(x, alpha=self.negative_slope)
        return x

    def compute_output_shape(self, input_shape):
        def size(n):
            return None if n is None else -(-n // self.strides)

        return (input_shape[0], size(input_shape[1]), size(input_shape[2]), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
                      normalize=self.normalize, negative_slope=self.negative_slope, seed=self.seed,
                      seed_index=self.seed_index)
        return config
