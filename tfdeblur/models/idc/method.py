"""`tfdeblur deblur --method idc`: a trained IDC preset on one image, tiled when the image is large."""

from __future__ import annotations

import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.models.idc import presets
from tfdeblur.result import DeblurResult
from tfdeblur.tiling import tiled_apply

# Images with more pixels than this are processed in tiles unless --tile is given (bounds memory: the full
# architecture needs ~2.5 GB per megapixel).
AUTO_TILE_PIXELS = 1536 * 1536
AUTO_TILE = 1024
MIN_TILE = 64


def _overlap(tile: int) -> int:
    return min(96, tile // 4)


def deblur_method(image, kernel=None, model: str | None = None, tile: int | None = None) -> DeblurResult:
    """Deblur a validated HxW or HxWx3 float image with an IDC preset (blind: `kernel` is ignored).

    Gray images go through an RGB model as three equal channels and come back as their mean (and RGB
    images through a gray model channel by channel).
    """
    net = presets.load(model)
    if tile is not None and tile < MIN_TILE:
        raise InputError(f"--tile must be at least {MIN_TILE} pixels, got {tile}")
    x = np.asarray(image, np.float32)
    x = x[..., None] if x.ndim == 2 else x
    height, width, channels = x.shape
    if tile is None and height * width > AUTO_TILE_PIXELS:
        tile = AUTO_TILE

    def run(batch):
        if channels == net.image_channels:
            return net(batch, training=False).numpy()
        if net.image_channels == 3:  # gray through an RGB model
            return net(np.repeat(batch, 3, axis=-1), training=False).numpy().mean(axis=-1, keepdims=True)
        planes = [net(batch[..., c:c + 1], training=False).numpy() for c in range(channels)]
        return np.concatenate(planes, axis=-1)

    out = tiled_apply(run, x, tile=tile, overlap=_overlap(tile)) if tile else run(x[None])[0]
    out = np.clip(out, 0.0, 1.0)
    return DeblurResult(out[..., 0] if np.ndim(image) == 2 else out, None,
                        info={"model": model or f"idc/{presets.DEFAULT_PRESET}", "tile": tile})
