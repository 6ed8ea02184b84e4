"""Blind deblurring: Motion-Net estimates the motion field, IRC-Net removes the blur (end to end)."""

from __future__ import annotations

import keras

from tfdeblur.models.ircnet.field_smoothing import smooth_vectors
from tfdeblur.models.ircnet.ircnet import IRCNet
from tfdeblur.models.ircnet.motion_net import MotionNet, vector_to_motion
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
            `tfdeblur.tasks.export`); the networks themselves take any channel count (gray motion, per-channel
            deconvolution).
        smoothing: gaussian smoothing of the estimated field, as a fraction of the image's shorter side
            (`field_smoothing.smooth_vectors`; 0: the raw field, as trained end to end). The shipped
            `ircnet/blind` smooths with 0.3. `tfdeblur deblur` smooths with the same value, then corrects
            the field by the photo's measured motion (that correction is numpy and not part of this model).
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

    def __init__(self, motion_net: MotionNet, ircnet: IRCNet, channels: int = 1, smoothing: float = 0.0,
                 **kwargs):
        super().__init__(**kwargs)
        if not smoothing >= 0:
            raise ValueError(f"smoothing must be >= 0, got {smoothing}")
        self.motion_net = motion_net
        self.ircnet = ircnet
        self.channels = int(channels)
        self.smoothing = float(smoothing)

    @property
    def min_input_size(self) -> int:
        """The smallest side `call` takes: the IRC-Net mirrors `margin` px at each border (as `tfdeblur
        deblur` states it); the exported signatures reflect-extend smaller images to it."""
        return self.ircnet.margin + 1

    @property
    def input_shape(self):
        return (None, None, None, self.channels)

    def call(self, x, training=None):
        vectors = smooth_vectors(self.motion_net(x), self.smoothing)
        motion = vector_to_motion(vectors, self.motion_net.max_length)
        return self.ircnet({"blurry": x, "motion": motion}, training=training)

    def get_config(self):
        config = super().get_config()
        config.update(
            motion_net=keras.saving.serialize_keras_object(self.motion_net),
            ircnet=keras.saving.serialize_keras_object(self.ircnet),
            channels=self.channels,
            smoothing=self.smoothing,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["motion_net"] = keras.saving.deserialize_keras_object(config["motion_net"])
        config["ircnet"] = keras.saving.deserialize_keras_object(config["ircnet"])
        return cls(**config)
