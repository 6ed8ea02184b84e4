"""IDC architectures ("full" = the paper's Table 1, "small" = a CPU-sized version) and trained presets.

Architectures are constructor arguments of `IDC`; trained presets are `saved_models/idc/<name>/` folders,
declared in `PRESETS` and loaded through `tfdeblur.presets` (`IDC.from_preset("small")`, cached there).
"""

from __future__ import annotations

from tfdeblur.models.idc.idc import IDC
from tfdeblur.presets import Preset

PRESETS = (
    Preset("idc/camera", "small architecture (12/24/48): blind RGB, camera shake and small linear motion with "
           "sensor noise and JPEG", 741327, "idc/camera/model.keras",
           "d0ed2cf936e11d03eb5f760167547a308f4ccf0f8c8a680a99b2116e36336a41"),
    Preset("idc/small", "small architecture (12/24/48): blind RGB, synthetic blur of BSDS500", 741327,
           "idc/small/model.keras", "79f01364924d4214d758d63f8db9aeae998293c3217723c6dff7e7db5f57fcef"),
)

ARCHITECTURES: dict[str, dict] = {
    "full": dict(channels=(32, 64, 128), texture_channels=64, fusion_channels=32),
    "small": dict(channels=(12, 24, 48), texture_channels=16, fusion_channels=16),
}
# The trained preset `tfdeblur deblur --method idc` uses when --model is not given: idc/camera gains more
# than idc/small on both held-out benchmarks of their model cards (+0.38 vs +0.23 dB, +0.21 vs +0.07 dB).
DEFAULT_PRESET = "camera"


def build(architecture: str = "full", **overrides) -> IDC:
    """An untrained IDC of a named architecture; `overrides` change constructor arguments."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown IDC architecture '{architecture}'; choose from {', '.join(ARCHITECTURES)}")
    return IDC(**{**ARCHITECTURES[architecture], **overrides})
