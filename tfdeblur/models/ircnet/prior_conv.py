"""The sparsifying filters g_i of the prior (learnable, initialised to first differences)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfdeblur.physics.blur import convolve


def gradient_initial(size: int = 3) -> np.ndarray:
    """(2, size, size): horizontal and vertical differences x[p - 1] - x[p] (as `gradient_filters`)."""
    c = (size - 1) // 2
    filters = np.zeros((2, size, size), np.float32)
    filters[0, c, c], filters[0, c, c + 1] = -1.0, 1.0
    filters[1, c, c], filters[1, c + 1, c] = -1.0, 1.0
    return filters


@keras.saving.register_keras_serializable(package="tfdeblur")
class PriorConv(keras.layers.Layer):
    """ "Conv" of IRC-Net: z-side filters g_i * x (circular on the solution grid), one output channel each.

    Args:
        filters: number of prior filters (2 = the gradient filters they start from; more start at zero).
        size: odd filter side.
        **kwargs: `keras.layers.Layer` arguments.

    Example:
    >>> import numpy as np
    >>> tuple(PriorConv()(np.random.rand(1, 8, 8, 1).astype("float32")).shape)
    (1, 8, 8, 2)

    Reference:
        Eboli et al. 2018, Sec. 3.2 and 4.2 ("we initialize k_1 and k_2 with ... gradient filters").
    """

    def __init__(self, filters: int = 2, size: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.size = int(size)

    def build(self, input_shape):
        initial = np.zeros((self.filters, self.size, self.size), np.float32)
        base = gradient_initial(self.size)
        initial[: min(2, self.filters)] = base[: min(2, self.filters)]
        self.kernels = self.add_weight(
            shape=initial.shape, initializer=keras.initializers.Constant(initial), name="kernels"
        )

    def call(self, x):
        return tf.concat(
            [convolve(x, self.kernels[i], mode="circular") for i in range(self.filters)], axis=-1
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, size=self.size)
        return config
