"""Blind deblurring: Motion-Net estimates the motion field, IRC-Net removes the blur (end to end)."""

from __future__ import annotations

import keras

from tfdeblur.models.ircnet.ircnet import IRCNet
from tfdeblur.models.ircnet.motion_net import MotionNet
from tfdeblur.presets import PresetMixin


@keras.saving.register_keras_serializable(package="tfdeblur")
class BlindIRCNet(PresetMixin, keras.Model):
    """Motion-Net -> IRC-Net: `model(blurry)` returns the deblurred batch (NHWC, [0, 1] in, same size out).

    The estimated (length, angle) of each pixel drives IRC-Net's NU-Conv layers through the softmax
    interpolation of Eq. 17-18, which is differentiable, so fine-tuning with an image loss updates both
    networks without any motion supervision.

    Args:
        motion_net: a `MotionNet`.
        ircnet: an `IRCNet` (its bank must reach the motion net's max_length).
        channels: channel count of the images the model is served with (`input_shape`, used by
            `tfdeblur.export`); the networks themselves take any channel count (gray motion, per-channel
            deconvolution).
        **kwargs: `keras.Model` arguments.

    Example:
    >>> import numpy as np
    >>> model = BlindIRCNet(MotionNet(width=8, blocks=1, max_length=5.0),
    ...                     IRCNet(stages=1, inner=1, max_length=5, angle_step=45, filter_size=7))
    >>> tuple(model(np.random.rand(1, 16, 16, 1).astype("float32")).shape)
    (1, 16, 16, 1)

    Reference:
        Eboli et al. 2018, Sec. 3.3 (Eq. 18, Fig. 4).
    """

    preset_family = "ircnet"

    def __init__(self, motion_net: MotionNet, ircnet: IRCNet, channels: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.motion_net = motion_net
        self.ircnet = ircnet
        self.channels = int(channels)

    @property
    def input_shape(self):
        return (None, None, None, self.channels)

    def call(self, x, training=None):
        motion = self.motion_net.motion_field(x)
        return self.ircnet({"blurry": x, "motion": motion}, training=training)

    def get_config(self):
        config = super().get_config()
        config.update(
            motion_net=keras.saving.serialize_keras_object(self.motion_net),
            ircnet=keras.saving.serialize_keras_object(self.ircnet),
            channels=self.channels,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["motion_net"] = keras.saving.deserialize_keras_object(config["motion_net"])
        config["ircnet"] = keras.saving.deserialize_keras_object(config["ircnet"])
        return cls(**config)
