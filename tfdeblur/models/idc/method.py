"""`tfdeblur deblur --method idc`: a trained IDC preset on one image (through `tfdeblur.models.inference`)."""

from __future__ import annotations

from tfdeblur.models import inference
from tfdeblur.models.idc.idc import IDC
from tfdeblur.models.idc.presets import DEFAULT_PRESET
from tfdeblur.result import DeblurResult

# Activation bytes per pixel and channel for the automatic tiling: whole images up to 1536 x 1536 pixels
# within `inference.MEMORY_BUDGET` and tiles of 1024 above (the full architecture needs ~2.5 GB per
# megapixel, the shipped small one far less).
BYTES_PER_PIXEL = inference.MEMORY_BUDGET / (3 * 1536 * 1536)
MIN_TILE = 64


def _overlap(tile: int) -> int:
    return min(96, tile // 4)


def deblur_method(image, kernel=None, model: str | None = None, tile: int | None = None) -> DeblurResult:
    """Deblur a validated HxW or HxWx3 float image with an IDC preset (blind: `kernel` is ignored).

    Gray images go through an RGB model as three equal channels and come back as their mean (and RGB
    images through a gray model channel by channel).
    """
    net = IDC.from_preset(model or DEFAULT_PRESET)
    forward = inference.compiled(net, net.image_channels)
    out, tile = inference.run(image, forward, bytes_per_pixel=BYTES_PER_PIXEL, tile=tile, min_tile=MIN_TILE,
                              overlap=_overlap, network_channels=net.image_channels)
    return DeblurResult(out, None, info={"model": model or f"idc/{DEFAULT_PRESET}", "tile": tile})
