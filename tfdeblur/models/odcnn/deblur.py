"""`tfdeblur deblur --method odcnn`: a trained preset for its kernel, or the untrained separable inversion.

- `--model odcnn/disk7` (or a `.keras` path): the trained network. ODCNN is made for one kernel: without
  `--kernel` the preset's own kernel is used (`preset_kernel`), and a given `--kernel` must match it (same
  size after centring, L1 distance <= `KERNEL_TOLERANCE` once both sum to 1); otherwise it is an input
  error rather than a silently wrong deconvolution.
- no `--model`: the untrained network SVD-initialised for the given kernel, i.e. separable Wiener inversion
  with the paper's 38 x 121-tap filters (works for any kernel, no training needed).
"""

from __future__ import annotations

import weakref

import numpy as np

from tfdeblur import presets
from tfdeblur.errors import InputError
from tfdeblur.physics.kernels import embed_kernel
from tfdeblur.result import DeblurResult
from tfdeblur.tiling import tiled_apply

FAMILY = "odcnn"
# Kernels read back from 16-bit PNGs differ from the originals by ~1e-4 in L1; different blurs by >> 0.1.
KERNEL_TOLERANCE = 0.05
# Largest tile whose activations fit in about this many bytes (float32) when no --tile is given.
TILE_MEMORY = 1.5e9


def kernel_distance(a, b) -> float:
    """L1 distance of two kernels normalised to sum 1, centred on a common grid."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    size = max(a.shape + b.shape) | 1
    a, b = (embed_kernel(k / k.sum(), size, np.float64) for k in (a, b))
    return float(np.abs(a - b).sum())


def load_model(model: str | None, kernel: np.ndarray, channels: int):
    """The network for this kernel: the preset (after checking its kernel) or the untrained inversion."""
    from tfdeblur.models.odcnn.odcnn import ODCNN

    if model is None:
        return ODCNN(kernel, outlier_rejection=False, channels=channels), "untrained separable inversion"
    network = presets.load(model, FAMILY)
    if not isinstance(network, ODCNN):
        raise InputError(f"model '{model}' is not an ODCNN")
    distance = kernel_distance(network.kernel_array, kernel)
    if distance > KERNEL_TOLERANCE:
        kh, kw = network.kernel_array.shape
        raise InputError(f"model '{model}' was trained for another blur kernel ({kh}x{kw}; L1 distance "
                         f"{distance:.2f} to the given one); drop --model to use the untrained separable "
                         f"inversion for this kernel")
    if network.channels != channels:
        network = network.with_channels(channels)
    return network, model


def preset_kernel(model: str) -> np.ndarray:
    """The blur kernel an ODCNN preset was trained for (used when `--kernel` is not given)."""
    from tfdeblur.models.odcnn.odcnn import ODCNN

    network = presets.load(model, FAMILY)
    if not isinstance(network, ODCNN):
        raise InputError(f"model '{model}' is not an ODCNN")
    return network.kernel_array


def auto_tile(network, channels: int) -> int:
    """Largest of 1024/512/256/128 whose activations stay under `TILE_MEMORY`."""
    features = 2 * network.rank + (2 * network.width if network.outlier_rejection else 0)
    for tile in (1024, 512, 256):
        if tile * tile * channels * features * 4 <= TILE_MEMORY:
            return tile
    return 128


_COMPILED = weakref.WeakKeyDictionary()


def compiled_forward(network):
    """The network's inference pass compiled with XLA, cached per network (one compilation per tile shape).
    On 2 CPU cores XLA runs it ~1.4x faster than a plain tf.function, compiling in about one extra pass
    (`tools/bench_odcnn.py` reports both)."""
    if network not in _COMPILED:
        import tensorflow as tf

        _COMPILED[network] = tf.function(lambda batch: network(batch, training=False), jit_compile=True,
                                         autograph=False)
    return _COMPILED[network]


def apply(network, image: np.ndarray, tile: int | None = None) -> np.ndarray:
    """Run an ODCNN on one HxWxC image (C = the network's channels) in overlapping tiles; unclipped."""
    # Reflect padding needs the image to be longer than half the 1-D filters; extend small images first.
    need = network.min_input_size
    pad_h, pad_w = max(0, need - image.shape[0]), max(0, need - image.shape[1])
    padded = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="reflect") if pad_h or pad_w else image
    tile = tile or auto_tile(network, image.shape[2])
    if tile < 2 * need:
        raise InputError(f"--tile must be at least {2 * need} for ODCNN's {network.filter_size}-tap filters")
    forward = compiled_forward(network)
    result = tiled_apply(lambda batch: forward(batch).numpy(), padded, tile=tile, overlap=tile // 4)
    return result[:image.shape[0], :image.shape[1]]


def deblur_method(image, kernel, model: str | None = None, tile: int | None = None) -> DeblurResult:
    """Deblur one image (HxW or HxWx3 in [0, 1]) with ODCNN for `kernel` (see the module docstring)."""
    array = np.asarray(image, np.float32)
    planes = array[..., None] if array.ndim == 2 else array
    network, name = load_model(model, kernel, planes.shape[2])
    result = np.clip(apply(network, planes, tile), 0.0, 1.0)
    out = result[..., 0] if array.ndim == 2 else result
    return DeblurResult(out, kernel, {"model": name})
