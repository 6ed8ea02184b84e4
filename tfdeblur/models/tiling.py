"""Overlap-tile inference: run a model on an image too large to process at once.

Tiles overlap by `overlap` pixels. A tile's outermost overlap/4 pixels saw no context beyond the tile, so
they get weight 0; the weight then ramps linearly to 1 across the middle half of the overlap, so
neighbouring tiles blend without seams. The last tile in each direction is aligned with the image edge
(no padding).
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def _starts(length: int, tile: int, step: int) -> list[int]:
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return sorted(set(starts))


def _ramp(length: int, overlap: int, at_start: bool, at_end: bool) -> np.ndarray:
    weights = np.ones(length, np.float32)
    ramp = np.clip((np.arange(overlap, dtype=np.float32) + 0.5 - overlap / 4) / (overlap / 2), 0.0, 1.0)
    if overlap and not at_start:
        weights[:overlap] = np.minimum(weights[:overlap], ramp)
    if overlap and not at_end:
        weights[length - overlap:] = np.minimum(weights[length - overlap:], ramp[::-1])
    return weights


def tiled_apply(fn: Callable[[np.ndarray], np.ndarray], image: np.ndarray, tile: int = 512,
                overlap: int = 64) -> np.ndarray:
    """Apply `fn` (NHWC float32 batch -> same-size batch) to an HxWxC image in overlapping tiles.

    Args:
        fn: the model; it sees [1, h, w, C] tiles with h, w <= tile.
        image: HxWxC float32.
        tile: tile side.
        overlap: pixels shared by neighbouring tiles (blended); must be < tile / 2.

    Returns:
        HxWxC float32.

    Example:
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((300, 200, 3)).astype("float32")
    >>> bool(np.allclose(tiled_apply(lambda b: b * 2, x, tile=128, overlap=16), x * 2, atol=1e-6))
    True
    """
    if tile <= 2 * overlap:
        raise ValueError(f"tile ({tile}) must be larger than twice the overlap ({overlap})")
    height, width = image.shape[:2]
    if height <= tile and width <= tile:
        return np.asarray(fn(image[None]))[0]
    step = tile - overlap
    out = np.zeros(image.shape, np.float32)
    total = np.zeros(image.shape[:2] + (1,), np.float32)
    rows, cols = _starts(height, tile, step), _starts(width, tile, step)
    for top in rows:
        for left in cols:
            patch = image[top:top + tile, left:left + tile]
            result = np.asarray(fn(patch[None]))[0]
            h, w = patch.shape[:2]
            wy = _ramp(h, overlap, top == 0, top + h >= height)
            wx = _ramp(w, overlap, left == 0, left + w >= width)
            weight = (wy[:, None] * wx[None, :])[..., None]
            out[top:top + h, left:left + w] += weight * result
            total[top:top + h, left:left + w] += weight
    return out / total
