"""`tfdeblur deblur --method odcnn`: a trained preset for its kernel, or the untrained separable inversion.

- `--model odcnn/disk7` (or a `.keras` path): the trained network. ODCNN is made for one kernel: without
  `--kernel` the preset's own kernel is used (`preset_kernel`), and a given `--kernel` must match it (same
  size after centring, L1 distance <= `KERNEL_TOLERANCE` once both sum to 1); otherwise it is an input
  error rather than a silently wrong deconvolution.
- no `--model`: the untrained network SVD-initialised for the given kernel, i.e. separable Wiener inversion
  with the paper's 38 x 121-tap filters (works for any kernel, no training needed).
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.models import inference
from tfdeblur.physics.kernels import embed_kernel
from tfdeblur.result import DeblurResult

# Kernels read back from 16-bit PNGs differ from the originals by ~1e-4 in L1; different blurs by >> 0.1.
KERNEL_TOLERANCE = 0.05


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
        kernel = np.asarray(kernel, np.float32)
        return _untrained(kernel.tobytes(), kernel.shape, channels), "untrained separable inversion"
    network = ODCNN.from_preset(model)
    distance = kernel_distance(network.kernel_array, kernel)
    if distance > KERNEL_TOLERANCE:
        kh, kw = network.kernel_array.shape
        raise InputError(f"model '{model}' was trained for another blur kernel ({kh}x{kw}; L1 distance "
                         f"{distance:.2f} to the given one); drop --model to use the untrained separable "
                         f"inversion for this kernel")
    if network.channels != channels:
        network = _with_channels(network, channels)
    return network, model


@functools.lru_cache(maxsize=4)
def _untrained(kernel_bytes: bytes, shape: tuple[int, int], channels: int):
    """The SVD-initialised network of a kernel, kept for the next image with that kernel (with its compiled
    pass: building and compiling it again per image cost more than running it)."""
    from tfdeblur.models.odcnn.odcnn import ODCNN

    kernel = np.frombuffer(kernel_bytes, np.float32).reshape(shape)
    return ODCNN(kernel, outlier_rejection=False, channels=channels)


_VARIANTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _with_channels(network, channels: int):
    """`network.with_channels(channels)`, made once per loaded network."""
    variants = _VARIANTS.setdefault(network, {})
    if channels not in variants:
        variants[channels] = network.with_channels(channels)
    return variants[channels]


def preset_kernel(model: str) -> np.ndarray:
    """The blur kernel an ODCNN preset was trained for (used when `--kernel` is not given)."""
    from tfdeblur.models.odcnn.odcnn import ODCNN

    return ODCNN.from_preset(model).kernel_array


def bytes_per_pixel(network) -> float:
    """Activation bytes per pixel and channel (float32 feature maps of both sub-networks)."""
    return 4.0 * (2 * network.rank + (2 * network.width if network.outlier_rejection else 0))


def apply(network, image: np.ndarray, tile: int | None = None) -> np.ndarray:
    """Run an ODCNN on one HxWxC image (C = the network's channels), tiled when large; unclipped.

    Images smaller than the network's reflect padding allows are reflect-extended first. On 2 CPU cores
    XLA runs the network ~1.4x faster than a plain tf.function, compiling in about one extra pass
    (`tools/bench_odcnn.py` reports both), so the compiled pass is XLA's.
    """
    need = network.min_input_size
    out, _ = inference.run(image, inference.compiled(network, jit_compile=True), tile=tile,
                           bytes_per_pixel=bytes_per_pixel(network), min_tile=2 * need,
                           tile_reason=f"ODCNN's {network.filter_size}-tap filters",
                           overlap=lambda tile: tile // 4, min_size=need, clip=False)
    return out


def deblur_method(image, kernel, model: str | None = None, tile: int | None = None) -> DeblurResult:
    """Deblur one image (HxW or HxWx3 in [0, 1]) with ODCNN for `kernel` (see the module docstring)."""
    array = np.asarray(image, np.float32)
    planes = array[..., None] if array.ndim == 2 else array
    network, name = load_model(model, kernel, planes.shape[2])
    result = np.clip(apply(network, planes, tile), 0.0, 1.0)
    out = result[..., 0] if array.ndim == 2 else result
    return DeblurResult(out, kernel, {"model": name})
