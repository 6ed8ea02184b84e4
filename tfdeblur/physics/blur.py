"""The blur forward model y = k * x and its adjoint, in TensorFlow ops.

This is the one place in tfdeblur where blur is computed; solvers and models take a `Blur` (or call
`convolve` / `convolve_adjoint`) instead of calling convolution ops themselves. Its regularised inverses
(Tikhonov, the proximal step) are solvers: `tfdeblur.solvers.tikhonov`.

Conventions:
- images are NHWC batches; a kernel is (kh, kw), shared by the whole batch, or (N, kh, kw), one per image;
- the operation is a true convolution (the kernel is flipped relative to correlation), centred at
  ((kh - 1) // 2, (kw - 1) // 2), which matches `scipy.signal.convolve2d(x, k, mode)`;
- modes: "valid" (output H - kh + 1, no boundary assumption: the model of a real photo cropped from a
  larger scene), "same" (output H, the image extended by `padding`: "reflect", "symmetric" or "zeros"),
  "circular" (output H, periodic image; diagonal in the Fourier domain).
Every mode has a direct path (depthwise convolution) and an FFT path; "auto" picks FFT for large kernels.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfdeblur.physics.fourier import image_from_spectrum, image_spectrum, kernel_spectrum, otf

MODES = ("valid", "same", "circular")
PADDINGS = ("reflect", "symmetric", "zeros")
METHODS = ("auto", "direct", "fft")
# From this many kernel taps on, the FFT path wins for forward blurs on CPU (tools/bench_physics.py,
# 4x512x512x3, one kernel per image: direct 40-54 ms vs FFT 46-86 ms at 21-27 px, 76 vs 46 ms at 33 px).
# Under XLA, or when the gradient with respect to the kernel is needed (blind methods), FFT wins at every
# size from 15 px (kernel gradient at 15 px: 418 ms direct, 11 ms FFT): pass method="fft" there.
FFT_MIN_TAPS = 25 * 25


def _check_args(mode: str, padding: str, method: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown blur mode {mode!r}; expected one of {MODES}")
    if padding not in PADDINGS:
        raise ValueError(f"unknown padding {padding!r}; expected one of {PADDINGS}")
    if method not in METHODS:
        raise ValueError(f"unknown blur method {method!r}; expected one of {METHODS}")


def _as_kernel(kernel, dtype) -> tf.Tensor:
    kernel = tf.convert_to_tensor(kernel, dtype=dtype)
    if kernel.shape.rank not in (2, 3):
        raise ValueError(f"kernel must be (kh, kw) or (N, kh, kw), got shape {kernel.shape}")
    return kernel


def _use_fft(kernel: tf.Tensor, method: str) -> bool:
    if method == "auto":
        return int(kernel.shape[-1]) * int(kernel.shape[-2]) >= FFT_MIN_TAPS
    return method == "fft"


# Circular convolution with a kernel this small (finite differences, 3x3 filters) is cheaper as a direct
# convolution of the periodically extended image than through two FFTs.
SMALL_CIRCULAR_TAPS = 9


def _small(kernel: tf.Tensor) -> bool:
    return int(kernel.shape[-1]) * int(kernel.shape[-2]) <= SMALL_CIRCULAR_TAPS


def _wrap_pad(x, pads):
    """Periodic extension of NHWC `x` by ((top, bottom), (left, right))."""
    (top, bottom), (left, right) = pads
    if top or bottom:
        x = tf.concat([x[:, tf.shape(x)[1] - top:], x, x[:, :bottom]], axis=1)
    if left or right:
        x = tf.concat([x[:, :, tf.shape(x)[2] - left:], x, x[:, :, :right]], axis=2)
    return x


def _shifted_sum(x, kernel: tf.Tensor, taps=None):
    """'valid' correlation with a small constant kernel as a sum of shifted slices (a one-channel
    conv2d with a 1x2 filter costs ~20x more on CPU)."""
    # Only for kernels known when the graph is built (numpy, or graph constants): an eager tensor may be a
    # variable's value a gradient tape watches, and the slices would cut the gradient to it.
    if taps is None and not tf.executing_eagerly():
        taps = tf.get_static_value(kernel)
    if taps is None:
        return _correlate_valid(x, kernel)
    kh, kw = taps.shape
    h, w = tf.shape(x)[1] - kh + 1, tf.shape(x)[2] - kw + 1
    terms = [float(taps[i, j]) * x[:, i:i + h, j:j + w, :] for i in range(kh) for j in range(kw) if taps[i, j]]
    return tf.add_n(terms) if terms else tf.zeros_like(x[:, :h, :w, :])


def same_pads(kh: int, kw: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) padding after which a 'valid' blur by a kh x kw kernel is the 'same'
    blur: the kernel centre is ((kh - 1) // 2, (kw - 1) // 2), so the extra pixel of an even size goes on
    top / left. Also the solution grid of the 'valid' boundary model (the photo extended by these pads)."""
    ch, cw = (kh - 1) // 2, (kw - 1) // 2
    return (kh - 1 - ch, ch), (kw - 1 - cw, cw)


def _same_pads(kernel: tf.Tensor) -> tuple[tuple[int, int], tuple[int, int]]:
    return same_pads(int(kernel.shape[-2]), int(kernel.shape[-1]))


def _pad(x, pads, padding):
    paddings = [[0, 0], list(pads[0]), list(pads[1]), [0, 0]]
    mode = {"zeros": "CONSTANT", "reflect": "REFLECT", "symmetric": "SYMMETRIC"}[padding]
    return tf.pad(x, paddings, mode=mode)


def _pad_adjoint(y, pads, padding):
    """Adjoint of `_pad`: crop, and for mirror padding fold the margins back onto the image."""
    if padding == "zeros":
        (top, bottom), (left, right) = pads
        h, w = tf.shape(y)[1], tf.shape(y)[2]
        return y[:, top:h - bottom, left:w - right, :]
    paddings = tf.constant([[0, 0], list(pads[0]), list(pads[1]), [0, 0]], tf.int32)
    mode = "REFLECT" if padding == "reflect" else "SYMMETRIC"
    return tf.raw_ops.MirrorPadGrad(input=y, paddings=paddings, mode=mode)


def _correlate_valid(x: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    """'valid' cross-correlation of NHWC `x` with a (kh, kw) or (N, kh, kw) kernel (direct path)."""
    channels = tf.shape(x)[3]
    if kernel.shape.rank == 2:
        # Fold channels into the batch: a single-channel conv2d is faster than depthwise on CPU.
        shape = tf.shape(x)
        planes = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [-1, shape[1], shape[2], 1])
        out = tf.nn.conv2d(planes, kernel[:, :, None, None], strides=1, padding="VALID")
        out_shape = tf.shape(out)
        out = tf.reshape(out, [shape[0], channels, out_shape[1], out_shape[2]])
        return tf.transpose(out, [0, 2, 3, 1])
    # One kernel per image: put the batch into channels and use a depthwise convolution.
    shape = tf.shape(x)
    n, h, w = shape[0], shape[1], shape[2]
    stacked = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * channels])
    filters = tf.transpose(kernel, [1, 2, 0])[:, :, :, None]  # kh, kw, N, 1
    filters = tf.repeat(filters, channels, axis=2)  # kh, kw, N*C, 1 (image-major like `stacked`)
    out = tf.nn.depthwise_conv2d(stacked, filters, strides=[1, 1, 1, 1], padding="VALID")
    oh, ow = tf.shape(out)[1], tf.shape(out)[2]
    return tf.transpose(tf.reshape(out, [oh, ow, n, channels]), [2, 0, 1, 3])


def _flip(kernel: tf.Tensor) -> tf.Tensor:
    return tf.reverse(kernel, axis=[-2, -1])


def _spectrum_for_batch(spectrum: tf.Tensor) -> tf.Tensor:
    # (H, W') -> broadcast over N and C; (N, H, W') -> broadcast over C.
    return spectrum[None, None] if spectrum.shape.rank == 2 else spectrum[:, None]


def _fft_filter(x: tf.Tensor, spectrum: tf.Tensor) -> tf.Tensor:
    return image_from_spectrum(image_spectrum(x) * _spectrum_for_batch(spectrum), tf.shape(x)[1:3])


def _valid_fft(x, kernel):
    kh, kw = int(kernel.shape[-2]), int(kernel.shape[-1])
    h, w = tf.shape(x)[1], tf.shape(x)[2]
    # An uncentred circular convolution equals the linear one wherever it does not wrap: rows >= kh - 1.
    full = _fft_filter(x, kernel_spectrum(kernel, (h, w), centred=False, dtype=x.dtype))
    return full[:, kh - 1:, kw - 1:, :]


def _valid_fft_adjoint(y, kernel):
    kh, kw = int(kernel.shape[-2]), int(kernel.shape[-1])
    placed = tf.pad(y, [[0, 0], [kh - 1, 0], [kw - 1, 0], [0, 0]])
    h, w = tf.shape(placed)[1], tf.shape(placed)[2]
    spectrum = kernel_spectrum(kernel, (h, w), centred=False, dtype=y.dtype)
    return _fft_filter(placed, tf.math.conj(spectrum))


def convolve(x, kernel, mode: str = "valid", padding: str = "reflect", method: str = "auto") -> tf.Tensor:
    """Blur an NHWC batch: y = k * x.

    Args:
        x: NHWC float tensor.
        kernel: (kh, kw) shared kernel or (N, kh, kw) per-image kernels.
        mode: "valid", "same" or "circular".
        padding: boundary extension for "same": "reflect", "symmetric" or "zeros".
        method: "direct", "fft" or "auto" (FFT for kernels of at least 25x25 taps).

    Returns:
        NHWC tensor: (H - kh + 1, W - kw + 1) for "valid", (H, W) otherwise.
    """
    _check_args(mode, padding, method)
    x = tf.convert_to_tensor(x)
    static = np.asarray(kernel) if isinstance(kernel, np.ndarray) and np.ndim(kernel) == 2 else None
    kernel = _as_kernel(kernel, x.dtype)
    if mode == "circular":
        if kernel.shape.rank == 2 and _small(kernel):
            taps = None if static is None else np.asarray(static)[::-1, ::-1]
            return _shifted_sum(_wrap_pad(x, _same_pads(kernel)), _flip(kernel), taps)
        return _fft_filter(x, otf(kernel, tf.shape(x)[1:3], dtype=x.dtype))
    if mode == "same":
        x = _pad(x, _same_pads(kernel), padding)
    if _use_fft(kernel, method):
        return _valid_fft(x, kernel)
    return _correlate_valid(x, _flip(kernel))


def convolve_adjoint(y, kernel, mode: str = "valid", padding: str = "reflect",
                     method: str = "auto") -> tf.Tensor:
    """The adjoint A^T of `convolve` (same arguments): <A x, y> = <x, A^T y> for all x, y.

    For "valid" this is the 'full' correlation (output H + kh - 1); for "same" it folds the boundary
    extension back; for "circular" it is the circular correlation.
    """
    _check_args(mode, padding, method)
    y = tf.convert_to_tensor(y)
    static = np.asarray(kernel) if isinstance(kernel, np.ndarray) and np.ndim(kernel) == 2 else None
    kernel = _as_kernel(kernel, y.dtype)
    if mode == "circular":
        if kernel.shape.rank == 2 and _small(kernel):
            (top, bottom), (left, right) = _same_pads(kernel)
            return _shifted_sum(_wrap_pad(y, ((bottom, top), (right, left))), kernel, static)
        return _fft_filter(y, tf.math.conj(otf(kernel, tf.shape(y)[1:3], dtype=y.dtype)))
    if _use_fft(kernel, method):
        x = _valid_fft_adjoint(y, kernel)
    else:
        kh, kw = int(kernel.shape[-2]), int(kernel.shape[-1])
        padded = tf.pad(y, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]])
        x = _correlate_valid(padded, kernel)
    if mode == "same":
        x = _pad_adjoint(x, _same_pads(kernel), padding)
    return x


class Blur:
    """Linear blur operator A x = k * x with its adjoint.

    Args:
        kernel: (kh, kw) array/tensor shared by the batch, or (N, kh, kw), one kernel per image.
        mode: "valid", "same" or "circular" (see module docstring).
        padding: boundary extension used by "same": "reflect", "symmetric" or "zeros".
        method: "direct", "fft" or "auto".

    Example:
    >>> import numpy as np
    >>> from tfdeblur.physics import Blur, motion_kernel
    >>> op = Blur(motion_kernel(9, 45), mode="valid")
    >>> x = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32")
    >>> tuple(op(x).shape), tuple(op.adjoint(op(x)).shape)
    ((2, 24, 24, 3), (2, 32, 32, 3))

    Reference:
        The operator/adjoint split follows deepinv's `physics.Blur` (Tachella et al., 2023).
    """

    def __init__(self, kernel, mode: str = "valid", padding: str = "reflect", method: str = "auto"):
        _check_args(mode, padding, method)
        self.kernel = kernel
        self.mode = mode
        self.padding = padding
        self.method = method

    @property
    def kernel_size(self) -> tuple[int, int]:
        shape = np.shape(self.kernel) if not isinstance(self.kernel, tf.Tensor) else self.kernel.shape
        return int(shape[-2]), int(shape[-1])

    def __call__(self, x) -> tf.Tensor:
        return convolve(x, self.kernel, self.mode, self.padding, self.method)

    forward = __call__

    def adjoint(self, y) -> tf.Tensor:
        return convolve_adjoint(y, self.kernel, self.mode, self.padding, self.method)

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        if self.mode == "valid":
            kh, kw = self.kernel_size
            return height - kh + 1, width - kw + 1
        return height, width


def blur(image, kernel, mode: str = "same", padding: str = "reflect", method: str = "auto"):
    """Blur one image (numpy HxW / HxWxC) or an NHWC batch (tensor) with `kernel`.

    Numpy in, numpy (float32) out with the same layout; tensors go through `convolve` unchanged.

    Example:
    >>> import numpy as np
    >>> from tfdeblur.physics import blur, disk_kernel
    >>> blur(np.ones((20, 30), np.float32), disk_kernel(3), mode="valid").shape
    (14, 24)
    """
    if isinstance(image, (tf.Tensor, tf.Variable)):
        return convolve(image, kernel, mode, padding, method)
    array = np.asarray(image, dtype=np.float32)
    if array.ndim not in (2, 3):
        raise ValueError(f"image must be HxW or HxWxC, got shape {array.shape}")
    batch = array[None, ..., None] if array.ndim == 2 else array[None]
    kernel = np.asarray(kernel, dtype=np.float32)
    out = convolve(tf.constant(batch), kernel, mode, padding, method).numpy()[0]
    return out[..., 0] if array.ndim == 2 else out
