"""PyTorch's default initialisation, expressed with built-in Keras initializers.

SelfDeblur fits randomly initialised networks to one image, so the starting point is part of the method:
the official code uses PyTorch's defaults for `nn.Conv2d` / `nn.Linear`, weights and biases uniform in
+-1/sqrt(fan_in). (Keras' glorot-uniform weights and zero biases start elsewhere.) Both initializers
below are stock Keras classes, so layers built with them serialise without custom objects.
"""

from __future__ import annotations

import math

import keras


def _seed(seed: int | None, index: int) -> int | None:
    # A seeded Keras initializer returns the same values on every call, so each layer gets its own seed.
    return None if seed is None else int(seed) * 7919 + index


def torch_kernel_initializer(seed: int | None = None, index: int = 0) -> keras.initializers.Initializer:
    """Uniform in +-1/sqrt(fan_in) (PyTorch's kaiming_uniform with a = sqrt(5))."""
    return keras.initializers.VarianceScaling(1.0 / 3.0, mode="fan_in", distribution="uniform",
                                              seed=_seed(seed, 2 * index))


def torch_bias_initializer(fan_in: int, seed: int | None = None, index: int = 0) -> keras.initializers.Initializer:
    """Uniform in +-1/sqrt(fan_in), fan_in = input channels x kernel taps."""
    bound = 1.0 / math.sqrt(fan_in)
    return keras.initializers.RandomUniform(-bound, bound, seed=_seed(seed, 2 * index + 1))
