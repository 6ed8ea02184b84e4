"""The trained ODCNN presets (`saved_models/odcnn/<name>/`), one network per blur kernel.

Loaded through `tfdeblur.presets` (`ODCNN.from_preset("disk7")`); `tfdeblur demo` runs `motion15`.
"""

from __future__ import annotations

from tfdeblur.presets import Preset

PRESETS = (
    Preset("odcnn/disk7", "for a disk of radius 7: rank-38 121-tap separable deconvolution + outlier rejection",
           49516, "odcnn/disk7/model.keras", "6eb7175c4372e834ca95ed5c6b7c12dd2b23441155e3b7aefe0d21196f67ad76"),
    Preset("odcnn/motion15", "for a 15 px linear motion at 30 degrees: rank-38 121-tap separable deconvolution "
           "+ outlier rejection", 49516, "odcnn/motion15/model.keras",
           "ba33f08e904fa2056e23dba1a5b4111898871ffdbb26530eff2e48011ec6a3e6"),
)
