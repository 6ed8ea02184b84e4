"""The non-local (dot-product self-attention) block SelfDeblur inserts into the DIP skip network."""

from __future__ import annotations

import keras
import tensorflow as tf

from tfdeblur.models.selfdeblur.batch_norm import BatchNorm
from tfdeblur.models.selfdeblur.conv2d import Conv2D
from tfdeblur.models.selfdeblur.torch_init import torch_bias_initializer, torch_kernel_initializer


@keras.saving.register_keras_serializable(package="tfdeblur")
class NonLocalBlock(keras.layers.Layer):
    """Dot-product non-local block: z = x + BN(W (f(x) g(x))), f = theta(x) phi(x)^T / N.

    theta, phi and g are 1x1 convolutions to `channels // 2`; phi and g are max-pooled 2x2 (floor), so
    the attention matrix is (H W) x (H/2 W/2). The output BatchNorm starts with zero scale and offset,
    so a new block is the identity and the network starts as a plain skip network.

    Args:
        channels: input (and output) channels.
        inter_channels: width of theta/phi/g; default `channels // 2`.
        sub_sample: max-pool phi and g by 2 (a quarter of the keys; what the official code does).
        seed: initialisation seed (None: random).
        seed_index: distinguishes the layers sharing one `seed`.
        **kwargs: passed to `keras.layers.Layer`.

    Example:
    >>> import numpy as np
    >>> block = NonLocalBlock(8, seed=0)
    >>> x = np.random.default_rng(0).random((1, 9, 9, 8)).astype("float32")
    >>> bool(np.allclose(block(x), x))  # identity at initialisation
    True

    Reference:
        X. Wang, R. Girshick, A. Gupta, K. He, "Non-local Neural Networks", CVPR 2018; used in the
        image generator of D. Ren et al., "Neural Blind Deconvolution Using Deep Priors", CVPR 2020.
    """

    def __init__(self, channels: int, inter_channels: int | None = None, sub_sample: bool = True,
                 seed: int | None = None, seed_index: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.inter_channels = inter_channels
        self.sub_sample = sub_sample
        self.seed = seed
        self.seed_index = seed_index
        inner = inter_channels or max(channels // 2, 1)

        def conv1x1(filters, fan_in, index, name):
            return Conv2D(
                filters, 1, kernel_initializer=torch_kernel_initializer(seed, seed_index + index),
                bias_initializer=torch_bias_initializer(fan_in, seed, seed_index + index),
                dtype=self.dtype_policy, name=name)

        self.theta = conv1x1(inner, channels, 0, "theta")
        self.phi = conv1x1(inner, channels, 1, "phi")
        self.g = conv1x1(inner, channels, 2, "g")
        self.project = conv1x1(channels, inner, 3, "project")
        self.norm = BatchNorm(epsilon=1e-5, gamma_initializer="zeros", dtype=self.dtype_policy, name="norm")

    def build(self, input_shape):
        inner_shape = tuple(input_shape[:3]) + (self.inter_channels or max(self.channels // 2, 1),)
        for layer in (self.theta, self.phi, self.g):
            layer.build(input_shape)
        self.project.build(inner_shape)
        self.norm.build(tuple(input_shape[:3]) + (self.channels,))

    def call(self, x):
        shape = tf.shape(x)
        theta, phi, g = self.theta(x), self.phi(x), self.g(x)
        # Pooling floors odd sizes (as PyTorch); a map smaller than 2x2 has nothing to pool.
        if self.sub_sample and not any(n is not None and n < 2 for n in x.shape[1:3]):
            phi = tf.nn.max_pool2d(phi, 2, 2, "VALID")
            g = tf.nn.max_pool2d(g, 2, 2, "VALID")
        inner = theta.shape[-1]
        queries = tf.reshape(theta, [shape[0], -1, inner])
        keys = tf.reshape(phi, [shape[0], -1, inner])
        values = tf.reshape(g, [shape[0], -1, inner])
        count = tf.cast(tf.shape(keys)[1], queries.dtype)
        attention = tf.matmul(queries, keys, transpose_b=True) / count
        y = tf.reshape(tf.matmul(attention, values), [shape[0], shape[1], shape[2], inner])
        return x + self.norm(self.project(y), training=True)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(channels=self.channels, inter_channels=self.inter_channels, sub_sample=self.sub_sample,
                      seed=self.seed, seed_index=self.seed_index)
        return config
