"""NU-Conv: per-pixel convolution with a bank of filters selected and weighted by a motion field."""

from __future__ import annotations

import keras

from tfdeblur.physics.nonuniform import nonuniform_convolve

MODES = ("valid", "same", "circular")


@keras.saving.register_keras_serializable(package="tfdeblur")
class NUConv(keras.layers.Layer):
    """Non-uniform convolution: y(p) = sum_k w_k(p) (f_{j_k(p)} * x)(p) with a trainable filter bank f.

    Inputs are `[x, indices, weights]`: x NHWC; indices (int) and weights (N, H', W', K) on the output grid,
    e.g. from `tfdeblur.physics.nonuniform.interpolation` (Eq. 17 of the paper). Only the bank entries some
    pixel uses are convolved, so a smooth motion field is cheap.

    Args:
        bank_size: number of filters in the bank.
        filter_size: odd filter side.
        in_channels: 0 to apply each bank filter to every channel (output has x's channels), or the number
            of input channels: then a bank entry holds one filter per channel and the results are summed
            (output has 1 channel), like a multi-input-channel convolution.
        mode: "valid" (output shrinks by filter_size - 1), "same", or "circular" (x periodic: the
            filters wrap around the grid, as the solution grid's prior filters do).
        padding: boundary extension for "same": "zeros", "reflect" or "symmetric".
        filters_initializer: initializer of the bank (e.g. a `BankInitializer`; default zeros).
        **kwargs: `keras.layers.Layer` arguments (name, trainable, dtype).

    Example:
    >>> import numpy as np
    >>> layer = NUConv(bank_size=4, filter_size=3)
    >>> x = np.random.rand(1, 8, 8, 1).astype("float32")
    >>> idx = np.zeros((1, 8, 8, 4), "int32"); w = np.full((1, 8, 8, 4), 0.25, "float32")
    >>> tuple(layer([x, idx, w]).shape)
    (1, 8, 8, 1)

    Reference:
        T. Eboli, J. Sun, J. Ponce, "Neural Embedding of an Iterative Deconvolution Algorithm for Motion
        Blur Estimation and Removal", 2018, Sec. 2.2 and 3.2.
    """

    def __init__(
        self,
        bank_size: int,
        filter_size: int,
        in_channels: int = 0,
        mode: str = "same",
        padding: str = "zeros",
        filters_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(f"NUConv mode must be one of {MODES}, got {mode!r}")
        self.bank_size = int(bank_size)
        self.filter_size = int(filter_size)
        self.in_channels = int(in_channels)
        self.mode = mode
        self.padding = padding
        self.filters_initializer = keras.initializers.get(filters_initializer)

    def build(self, input_shape):
        shape = (self.bank_size, self.filter_size, self.filter_size)
        if self.in_channels:
            shape += (self.in_channels,)
        self.filters = self.add_weight(shape=shape, initializer=self.filters_initializer, name="filters")

    def call(self, inputs):
        x, indices, weights = inputs
        return nonuniform_convolve(x, self.filters, indices, weights, mode=self.mode, padding=self.padding)

    def compute_output_shape(self, input_shape):
        x_shape, index_shape, _ = input_shape
        channels = 1 if self.in_channels else x_shape[-1]
        return tuple(index_shape[:3]) + (channels,)

    def get_config(self):
        config = super().get_config()
        config.update(
            bank_size=self.bank_size,
            filter_size=self.filter_size,
            in_channels=self.in_channels,
            mode=self.mode,
            padding=self.padding,
            filters_initializer=keras.initializers.serialize(self.filters_initializer),
        )
        return config
