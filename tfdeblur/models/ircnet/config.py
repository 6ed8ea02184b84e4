"""Typed configs of the ircnet family (registered with `tfdeblur.config`)."""

from __future__ import annotations

import dataclasses

from tfdeblur.config import EmptyConfig, register_family

KINDS = ("ircnet", "motionnet", "blind")


@dataclasses.dataclass
class IRCNetModelConfig:
    """What `tfdeblur train` builds for family "ircnet".

    Attributes:
        kind: "ircnet" (non-blind IRC-Net on known motion fields), "motionnet" (the motion regressor) or
            "blind" (Motion-Net -> IRC-Net fine-tuned end to end with an image loss).
        stages, inner: ADMM stages N and IRC steps T of IRC-Net.
        max_length, length_step, angle_step: the motion bank (lengths 1..max_length, angles 0..180).
        filter_size: side of the inverse filters; rho, lam: the ADMM problem they are built for.
        knots: control points of the learnable shrinkage; temperature: interpolation softmax temperature.
        motion_width, motion_blocks: Motion-Net size.
        field: training motion fields for kind "ircnet": "bank" (one bank motion per patch, as the paper)
            or "smooth" (locally linear fields); Motion-Net and the blind pipeline always use "smooth".
        rotation: share of a smooth field's length budget taken by rotation/zoom.
        field_error: (length, angle) for kind "ircnet": the motion given to IRC-Net in training and
            validation is the true field with its lengths multiplied by exp(N(0, length)) and its angles
            turned by N(0, angle) degrees, once per patch (the errors of a blind pipeline's estimated
            field; the blur itself uses the true field). (0, 0): the true field, as the paper.
        ircnet_init, motion_init: presets or .keras paths to start from (kind "blind": both are needed;
            kind "ircnet"/"motionnet": optional warm start).
    """

    kind: str = "ircnet"
    stages: int = 5
    inner: int = 2
    max_length: int = 35
    length_step: int = 2
    angle_step: int = 6
    filter_size: int = 31
    rho: float = 0.03
    lam: float = 3e-4
    knots: int = 33
    temperature: float = 0.25
    motion_width: int = 32
    motion_blocks: int = 4
    field: str = "bank"
    rotation: float = 0.5
    field_error: list[float] = dataclasses.field(default_factory=lambda: [0.0, 0.0])
    ircnet_init: str = ""
    motion_init: str = ""


def validate(config) -> str | None:
    """IRC-Net computes in float32 (its Fourier-domain NU-Conv layers and inverse filters, its softmax
    interpolation of the bank): a mixed-precision policy is refused rather than failing inside TensorFlow.
    A field_error is two spreads >= 0."""
    error = config.model.field_error
    if not (len(error) == 2 and all(v >= 0 for v in error)):
        return f"model.field_error must be [length, angle] with both >= 0, got {list(error)}"
    if config.trainer.mixed_precision:
        return (f"trainer.mixed_precision '{config.trainer.mixed_precision}' is not supported by ircnet, "
                "which computes in float32: leave it empty")
    return None


register_family("ircnet", IRCNetModelConfig, EmptyConfig, validate=validate)
