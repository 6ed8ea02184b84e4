"""Running trained IRC-Net presets on images."""

from __future__ import annotations

import numpy as np

from tfdeblur import presets
from tfdeblur.errors import InputError
from tfdeblur.result import DeblurResult
from tfdeblur.tiling import tiled_apply

DEFAULT_BLIND_PRESET = "ircnet/blind"


def load_blind(model: str | None = None):
    """The blind pipeline (a `BlindIRCNet`) of a preset name or .keras path."""
    from tfdeblur.models.ircnet.blind_ircnet import BlindIRCNet

    family, _, name = DEFAULT_BLIND_PRESET.partition("/")
    if model is None and name not in presets.available(family):
        # The CPU-trained blind pipeline scored below the blurry input, so none ships (see README).
        raise InputError("no blind ircnet preset is installed: give --kernel (non-blind solver) or "
                         "--model PATH.keras (a trained Motion-Net -> IRC-Net pipeline)")
    net = presets.load(model or DEFAULT_BLIND_PRESET, "ircnet")
    if not isinstance(net, BlindIRCNet):
        raise InputError(
            f"model '{model}' is a {type(net).__name__}; blind ircnet needs a Motion-Net -> "
            "IRC-Net pipeline (e.g. ircnet/blind)"
        )
    return net


def blind_deblur(image: np.ndarray, model: str | None = None, tile: int | None = None):
    """Deblur one HxW or HxWx3 image in [0, 1] with Motion-Net -> IRC-Net; returns a `DeblurResult`.

    The result's info holds the median estimated motion (length, angle) over the image.
    """
    if tile is not None and tile < 64:
        raise InputError(f"--tile must be at least 64, got {tile}")
    net = load_blind(model)
    array = np.asarray(image, np.float32)
    planes = array[..., None] if array.ndim == 2 else array
    fields = []

    def run(batch):
        motion = net.motion_net.motion_field(batch)
        fields.append(motion.numpy()[0])
        return net.ircnet({"blurry": batch, "motion": motion}).numpy()

    if tile:
        out = tiled_apply(run, planes, tile=tile, overlap=min(64, tile // 4))
    else:
        out = run(planes[None])[0]
    lengths = np.concatenate([f[..., 0].ravel() for f in fields])
    angles = np.concatenate([f[..., 1].ravel() for f in fields])
    info = {
        "model": model or DEFAULT_BLIND_PRESET,
        "median_motion": [round(float(np.median(lengths)), 2), round(float(np.median(angles)), 1)],
    }
    out = out[..., 0] if array.ndim == 2 else out
    return DeblurResult(np.clip(out, 0.0, 1.0), None, info)
