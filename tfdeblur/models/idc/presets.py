"""IDC architectures ("full" = the paper's Table 1, "small" = a CPU-sized version) and trained presets.

Architectures are constructor arguments of `IDC`; trained presets are `saved_models/idc/<name>/` folders
loaded through `tfdeblur.presets` (`IDC.from_preset("small")`, cached there).
"""

from __future__ import annotations

from tfdeblur.models.idc.idc import IDC

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


def load(name_or_path: str | None = None) -> IDC:
    """A trained IDC: a preset name (`camera`, `idc/small`) or a `.keras` path; default `DEFAULT_PRESET`."""
    return IDC.from_preset(name_or_path or DEFAULT_PRESET)
