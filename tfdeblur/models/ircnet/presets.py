"""The trained IRC-Net presets (`saved_models/ircnet/<name>/`): the blind pipeline and its two networks.

Loaded through `tfdeblur.presets` (`BlindIRCNet.from_preset("blind")`); `DEFAULT_BLIND_PRESET` is what
`tfdeblur deblur --method ircnet` runs without `--kernel` or `--model`.
"""

from __future__ import annotations

from tfdeblur.presets import Preset

DEFAULT_BLIND_PRESET = "ircnet/blind"

PRESETS = (
    Preset("ircnet/blind", "blind: Motion-Net -> motion correction -> IRC-Net (5 stages) trained on wrong motion",
           2878092, "ircnet/blind/model.keras", "b5c4505eda38a15985da8190d24fc65474eecc6e9e4134132c6beb106eaa4a42"),
    Preset("ircnet/motionnet", "Motion-Net (width 32, 4 blocks): per-pixel linear motion of a gray image",
           778466, "ircnet/motionnet/model.keras",
           "aa2c583efab81241174e42b1107615bba0a29cdfadcae123afdf0ad4e6a0893f"),
    Preset("ircnet/nonblind", "IRC-Net, 5 stages x 2 IRC steps on the 511-motion bank: non-blind", 2099626,
           "ircnet/nonblind/model.keras", "660599d4ce1817e082a8ad4866604488e1160706ba91edb28d88d2e6c68835f8"),
)
