"""The ADMM dual (scaled multiplier) update with learnable rates."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="tfdeblur")
class DualUpdate(keras.layers.Layer):
    """beta <- beta + eta * (g * x - z), one learnable rate eta per channel (Eq. 15), initialised to 1.

    Inputs are `[beta, prior_of_x, z]`, all with `channels` channels.

    Args:
        channels: number of prior filters.
        rate: initial eta.
        **kwargs: `keras.layers.Layer` arguments.

    Example:
    >>> import numpy as np
    >>> b = np.zeros((1, 4, 4, 2), "float32"); g = np.ones_like(b); z = np.zeros_like(b)
    >>> float(DualUpdate(2)([b, g, z]).numpy().mean())
    1.0

    Reference:
        Eboli et al. 2018, Eq. 15 and Fig. 3 (green branch).
    """

    def __init__(self, channels: int, rate: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)
        self.rate = float(rate)

    def build(self, input_shape):
        self.eta = self.add_weight(
            shape=(self.channels,), initializer=keras.initializers.Constant(self.rate), name="eta"
        )

    def call(self, inputs):
        beta, prior_x, z = inputs
        return beta + self.eta * (prior_x - z)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update(channels=self.channels, rate=self.rate)
        return config
