"""The one inference path of the model families: a network (or solver) on one image.

Every family's `deblur_method` (idc, odcnn, ircnet's blind pipeline and its non-blind solver) goes through
`run`, which does what each of them needs once:

- channels: HxW or HxWxC images; a gray image through an RGB network goes in as three equal channels and
  comes back as their mean, an RGB image through a gray network channel by channel;
- small images: reflect-extended to the network's smallest input (ODCNN's 121-tap filters) and cropped back;
- tiling: `--tile N`, checked against the family's smallest tile, or automatic from a memory budget
  (`auto_tile`): the whole image when its activations fit `MEMORY_BUDGET`, else the largest of
  `TILE_SIZES` that fits, in overlapping tiles blended by `tfdeblur.models.tiling.tiled_apply`;
- clipping to [0, 1] and the input's shape.

`compiled` gives a network's inference pass as a `tf.function` with an input signature of unknown batch,
height and width, so one trace serves every image and tile size; it is cached per network (weakly: the
entry goes with the network).
"""

from __future__ import annotations

import weakref
from typing import Callable

import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.models.tiling import tiled_apply

# Bytes of activations an image may take before it is processed in tiles (float32 estimates per family).
MEMORY_BUDGET = 1.5e9
# Tile sides tried, largest first, when an image does not fit the budget.
TILE_SIZES = (1024, 512, 256, 128)

_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def auto_tile(height: int, width: int, bytes_per_pixel: float, budget: float = MEMORY_BUDGET) -> int | None:
    """None when an image of this size fits `budget`, else the largest `TILE_SIZES` tile that does (the
    smallest one if none does).

    Example:
    >>> auto_tile(512, 512, 1000.0) is None, auto_tile(4000, 3000, 1000.0)
    (True, 1024)
    """
    if height * width * bytes_per_pixel <= budget:
        return None
    return next((t for t in TILE_SIZES if t * t * bytes_per_pixel <= budget), TILE_SIZES[-1])


def compiled(network, channels: int | None = None, jit_compile: bool = False,
             call: Callable | None = None, name: str = "call"):
    """`call(network, batch)` (default: `network(batch, training=False)`) as a tf.function of NHWC float32
    batches of any size (`channels` fixed, or None for any), traced once and cached per network and `name`.

    The function holds the network weakly, so the cache does not keep a network alive.
    """
    import tensorflow as tf

    per_network = _COMPILED.setdefault(network, {})
    key = (name, channels, jit_compile)
    if key not in per_network:
        ref = weakref.ref(network)
        call = call or (lambda net, batch: net(batch, training=False))

        def forward(batch):
            return call(ref(), batch)

        signature = [tf.TensorSpec([None, None, None, channels], tf.float32)]
        per_network[key] = tf.function(forward, input_signature=signature, jit_compile=jit_compile,
                                       autograph=False)
    return per_network[key]


def _adapt_channels(forward: Callable, network_channels: int | None, channels: int) -> Callable:
    if network_channels is None or network_channels == channels:
        return forward
    if network_channels == 3 and channels == 1:  # gray through an RGB network
        return lambda batch: np.asarray(forward(np.repeat(batch, 3, axis=-1))).mean(axis=-1, keepdims=True)
    if network_channels == 1:  # colour through a gray network, channel by channel
        return lambda batch: np.concatenate(
            [np.asarray(forward(batch[..., c:c + 1])) for c in range(batch.shape[-1])], axis=-1)
    raise InputError(f"a {network_channels}-channel network cannot take {channels}-channel images")


def run(image, forward: Callable, *, bytes_per_pixel: float, tile: int | None = None, min_tile: int = 64,
        tile_reason: str = "", overlap: Callable[[int], int] = lambda tile: min(64, tile // 4),
        network_channels: int | None = None, min_size: int = 0, clip: bool = True) -> tuple[np.ndarray, int | None]:
    """Deblur one image with `forward` (NHWC float32 batch -> same-size batch).

    Args:
        image: HxW or HxWxC float image in [0, 1].
        forward: the network or solver on a batch (numpy or tensor out).
        bytes_per_pixel: activation bytes per image pixel and channel, for `auto_tile`.
        tile: tile side, or None for automatic.
        min_tile: smallest tile accepted; `tile_reason` says why in the error.
        overlap: overlap of neighbouring tiles for a tile side.
        network_channels: channels the network takes (None: any, e.g. channels folded into the batch).
        min_size: smallest height and width the network takes; smaller images are reflect-extended.
        clip: clip the result to [0, 1].

    Returns:
        (float32 image with the input's shape, the tile used or None).
    """
    if tile is not None and tile < min_tile:
        raise InputError(f"--tile must be at least {min_tile}{f' ({tile_reason})' if tile_reason else ''}, "
                         f"got {tile}")
    array = np.asarray(image, np.float32)
    planes = array[..., None] if array.ndim == 2 else array
    height, width, channels = planes.shape
    run_batch = _adapt_channels(forward, network_channels, channels)
    pad_h, pad_w = max(0, min_size - height), max(0, min_size - width)
    if pad_h or pad_w:
        planes = np.pad(planes, ((0, pad_h), (0, pad_w), (0, 0)), mode="reflect")
    if tile is None:
        tile = auto_tile(*planes.shape[:2], bytes_per_pixel * max(channels, network_channels or 0))
    if tile:
        out = tiled_apply(lambda batch: np.asarray(run_batch(batch)), planes, tile=tile, overlap=overlap(tile))
    else:
        out = np.asarray(run_batch(planes[None]))[0]
    out = out[:height, :width]
    if clip:
        out = np.clip(out, 0.0, 1.0)
    return (out[..., 0] if array.ndim == 2 else out), tile
