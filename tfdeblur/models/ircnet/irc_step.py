"""One step of iterative residual compensation (the "Sum" after the inverse NU-Conv)."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="tfdeblur")
class IRCStep(keras.layers.Layer):
    """x <- x + tau * sum_i d_i * r_i (Alg. 2.1, step 2), with a learnable step size tau (initially `step`).

    Inputs are `[x, correction]`, the correction being the inverse NU-Conv of the stacked residuals
    r_0 = y - k * x, r_i = z_i - beta_i - g_i * x.

    Args:
        step: initial tau (1 = the plain algorithm; the bank's filters already include their damping).
        **kwargs: `keras.layers.Layer` arguments.

    Example:
    >>> import numpy as np
    >>> x = np.ones((1, 4, 4, 1), "float32")
    >>> float(IRCStep()([x, x]).numpy().mean())
    2.0

    Reference:
        Eboli et al. 2018, Alg. 2.1 and Fig. 3 (blue branch).
    """

    def __init__(self, step: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.step = float(step)

    def build(self, input_shape):
        self.tau = self.add_weight(shape=(), initializer=keras.initializers.Constant(self.step), name="tau")

    def call(self, inputs):
        x, correction = inputs
        return x + self.tau * correction

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update(step=self.step)
        return config
