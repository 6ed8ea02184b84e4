"""Motion-Net: a fully convolutional regressor of each pixel's linear motion."""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from tfdeblur.presets import PresetMixin


def motion_to_vector(length, angle_deg, max_length: float):
    """(length, angle) -> (l cos 2a, l sin 2a) / max_length, the continuous target Motion-Net regresses.

    A linear motion and its reverse (angle + 180) blur identically, so angles live on a half circle; doubling
    the angle maps that half circle onto a full one without the 0/180 seam (179 and 1 degrees become
    neighbours), and scaling by the length collapses all angles of the zero-length motion to one point.
    """
    theta = tf.convert_to_tensor(angle_deg, tf.float32) * (2.0 * math.pi / 180.0)
    scale = tf.convert_to_tensor(length, tf.float32) / max_length
    return tf.stack([scale * tf.cos(theta), scale * tf.sin(theta)], axis=-1)


def vector_to_motion(vector, max_length: float):
    """Inverse of `motion_to_vector`: (..., 2) -> (..., 2) = (length in [1, max_length], angle in [0, 180)).

    Lengths outside [1, max_length] are clipped (the bank's range), so their gradient is zero there.
    """
    length = tf.sqrt(tf.reduce_sum(tf.square(vector), axis=-1) + 1e-12) * max_length
    angle = tf.math.floormod(tf.atan2(vector[..., 1], vector[..., 0] + 1e-12) * (90.0 / math.pi), 180.0)
    return tf.stack([tf.clip_by_value(length, 1.0, max_length), angle], axis=-1)


def _structure_features(gray):
    """Derivatives and the entries of the structure tensor in the doubled-angle form of the target.

    Motion blur removes gradient energy along the motion, so the local structure tensor's orientation,
    (dx^2 - dy^2, 2 dx dy), is (minus) the motion's (cos 2a, sin 2a) up to scale: with these channels the
    regressor starts from the right statistics instead of having to discover squared derivatives.
    """
    dx = gray - tf.roll(gray, 1, axis=2)
    dy = tf.roll(gray, 1, axis=1) - gray  # y points up, as the angles
    # One scale per image (the mean gradient energy) keeps the ratios and bounds the activations.
    energy = tf.reduce_mean(dx * dx + dy * dy, axis=[1, 2, 3], keepdims=True) + 1e-6
    dx, dy = dx * tf.math.rsqrt(energy), dy * tf.math.rsqrt(energy)
    return [dx, dy, dx * dx - dy * dy, 2.0 * dx * dy, dx * dx + dy * dy]


def _norm_relu(x, norm, relu=True):
    x = norm(x)
    return keras.activations.relu(x) if relu else x


@keras.saving.register_keras_serializable(package="tfdeblur")
class MotionNet(PresetMixin, keras.Model):
    """Per-pixel linear-motion regressor (DeepLab-like: strided encoder, dilated residual blocks, upsampling).

    `model(x)` maps an NHWC batch in [0, 1] (colour is averaged to gray) to the (N, H, W, 2) vector field
    (l cos 2a, l sin 2a) / max_length (see `motion_to_vector`); `model.motion_field(x)` returns
    (length, angle) per pixel. Instance normalisation (`GroupNormalization(groups=-1)`, as the paper uses
    for its batch-of-one training) sits on the residual branches of the dilated blocks only, so the identity
    path keeps each image's gradient statistics.

    Args:
        width: channels of the full-resolution features (x2 and x3 at 1/2 and 1/4 resolution).
        blocks: dilated residual blocks at 1/4 resolution (dilations 1, 2, 4, 8, 1, 2, ...).
        max_length: longest motion the field encodes (pixels).
        **kwargs: `keras.Model` arguments.

    Example:
    >>> import numpy as np
    >>> net = MotionNet(width=8, blocks=1)
    >>> tuple(net.motion_field(np.random.rand(1, 30, 34, 3).astype("float32")).shape)
    (1, 30, 34, 2)

    Reference:
        Eboli et al. 2018, Sec. 3.1; L.-C. Chen et al., "DeepLab", TPAMI 2018 (dilated convolutions).
    """

    preset_family = "ircnet"

    def __init__(self, width: int = 32, blocks: int = 4, max_length: float = 35.0, **kwargs):
        super().__init__(**kwargs)
        self.width = int(width)
        self.blocks = int(blocks)
        self.max_length = float(max_length)
        w = self.width

        def conv(filters, size=3, stride=1, dilation=1, name=None):
            return keras.layers.Conv2D(
                filters, size, strides=stride, dilation_rate=dilation, padding="same", name=name
            )

        def norm(name):
            return keras.layers.GroupNormalization(groups=-1, name=name)

        self.stem = conv(w, name="stem")
        self.down1 = conv(2 * w, stride=2, name="down1")
        self.down2 = conv(3 * w, stride=2, name="down2")
        self.block_layers = []
        for i in range(self.blocks):
            d = 2 ** (i % 4)
            self.block_layers.append(
                (
                    conv(3 * w, dilation=d, name=f"block{i}_a"),
                    norm(f"block{i}_a_norm"),
                    conv(3 * w, dilation=d, name=f"block{i}_b"),
                    norm(f"block{i}_b_norm"),
                )
            )
        self.fuse = conv(w, name="fuse")
        # A zero head starts from the zero field: with a random head the first outputs are large and the
        # first Adam steps collapse the network to the mean (dead ReLUs), as seen on CPU runs.
        self.head = keras.layers.Conv2D(2, 1, kernel_initializer="zeros", name="head")

    def call(self, x, training=None):
        x = tf.convert_to_tensor(x, tf.float32)
        gray = tf.reduce_mean(x, axis=-1, keepdims=True)
        h, w = tf.shape(gray)[1], tf.shape(gray)[2]
        ph, pw = (-h) % 4, (-w) % 4  # the encoder downsamples by 4
        gray = tf.pad(gray, [[0, 0], [0, ph], [0, pw], [0, 0]], mode="SYMMETRIC")
        # Per-image contrast normalisation: one scale for the whole image keeps directional energy ratios.
        mean, variance = tf.nn.moments(gray, axes=[1, 2, 3], keepdims=True)
        gray = (gray - mean) * tf.math.rsqrt(variance + 1e-4)
        gray = tf.concat([gray, *_structure_features(gray)], axis=-1)
        # No normalisation on the encoder path: instance norm removes each channel's per-image mean and
        # variance, and the ratio of directional gradient energies is exactly the blur's signature.
        skip = keras.activations.relu(self.stem(gray))
        f = keras.activations.relu(self.down1(skip))
        f = keras.activations.relu(self.down2(f))
        for conv_a, norm_a, conv_b, norm_b in self.block_layers:
            r = _norm_relu(conv_a(f), norm_a)
            r = _norm_relu(conv_b(r), norm_b, relu=False)
            f = keras.activations.relu(f + r)
        # (tf.image.resize handles unknown sizes in exported graphs, unlike UpSampling2D.)
        f = tf.concat([tf.image.resize(f, tf.shape(skip)[1:3], method="bilinear"), skip], axis=-1)
        f = keras.activations.relu(self.fuse(f))
        return self.head(f)[:, :h, :w, :]

    def motion_field(self, x):
        """(N, H, W, 2): each pixel's (length in pixels, angle in degrees in [0, 180))."""
        return vector_to_motion(self(x), self.max_length)

    def get_config(self):
        config = super().get_config()
        config.update(width=self.width, blocks=self.blocks, max_length=self.max_length)
        return config
