"""The kernel generator G_k of SelfDeblur: a fully connected network ending in a softmax."""

from __future__ import annotations

import keras
import tensorflow as tf

from tfdeblur.models.selfdeblur.torch_init import torch_bias_initializer, torch_kernel_initializer


@keras.saving.register_keras_serializable(package="tfdeblur")
class KernelGenerator(keras.Model):
    """Noise vector (N, input_dim) -> blur kernels (N, kh, kw), non-negative, each summing to 1.

    Dense(hidden) -> ReLU6 -> Dense(kh * kw) -> softmax -> reshape. The softmax makes the kernel
    constraints (k >= 0, sum k = 1) hold by construction, so the optimisation is unconstrained.
    Always computed in float32 (it is tiny, and a softmax over hundreds of taps wants the precision).

    Args:
        kernel_size: (kh, kw) or an int for a square kernel.
        hidden_units: width of the hidden layer.
        input_dim: length of the input noise vector.
        seed: initialisation seed (None: random).
        **kwargs: passed to `keras.Model`.

    Example:
    >>> import numpy as np
    >>> net = KernelGenerator(5, seed=0)
    >>> k = net(np.random.default_rng(0).uniform(0, 0.1, (1, 200)).astype("float32"))
    >>> tuple(k.shape), round(float(k.numpy().sum()), 5)
    ((1, 5, 5), 1.0)

    Reference:
        D. Ren, K. Zhang, Q. Wang, Q. Hu, W. Zuo, "Neural Blind Deconvolution Using Deep Priors",
        CVPR 2020 (200-d input, 1000 hidden units, as in the official code).
    """

    def __init__(self, kernel_size, hidden_units: int = 1000, input_dim: int = 200, seed: int | None = None,
                 **kwargs):
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        self.kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.hidden_units = hidden_units
        self.input_dim = input_dim
        self.seed = seed
        taps = self.kernel_size[0] * self.kernel_size[1]
        self.hidden = keras.layers.Dense(hidden_units, kernel_initializer=torch_kernel_initializer(seed, 0),
                                         bias_initializer=torch_bias_initializer(input_dim, seed, 0),
                                         name="hidden")
        self.taps = keras.layers.Dense(taps, kernel_initializer=torch_kernel_initializer(seed, 1),
                                       bias_initializer=torch_bias_initializer(hidden_units, seed, 1),
                                       name="taps")

    def build(self, input_shape):
        self.hidden.build(input_shape)
        self.taps.build((input_shape[0], self.hidden_units))

    def call(self, noise):
        logits = self.taps(tf.nn.relu6(self.hidden(tf.cast(noise, tf.float32))))
        return tf.reshape(tf.nn.softmax(logits, axis=-1), [-1, *self.kernel_size])

    def get_config(self):
        config = super().get_config()
        config.update(kernel_size=list(self.kernel_size), hidden_units=self.hidden_units,
                      input_dim=self.input_dim, seed=self.seed)
        config.pop("dtype", None)
        return config
