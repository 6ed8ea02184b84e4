"""Image degradations after the blur: noise, saturation (clipping), JPEG, and a noise-level estimate.

The full camera model (Xu et al. 2014, Eq. 1) is y = JPEG(clip(alpha * x * k + n)): `degrade` composes it;
the single steps work on NHWC tensors so data pipelines can use them inside `tf.data`.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from tfdeblur.physics.blur import convolve


def _seed_pair(seed) -> tf.Tensor:
    if tf.is_tensor(seed):  # already a stateless seed pair (tf.data pipelines derive one per example)
        return seed
    return tf.constant([0 if seed is None else int(seed), 17], tf.int32)


def _per_example(value, y) -> tf.Tensor:
    """A scalar, or one value per image of the batch (shape (N,)) broadcast over H, W, C."""
    value = tf.cast(value, y.dtype)
    return value[:, None, None, None] if value.shape.rank == 1 else value


def add_gaussian_noise(y, sigma, seed=None) -> tf.Tensor:
    """y + N(0, sigma^2); `seed` (int, or a stateless seed pair tensor) makes it reproducible; `sigma` is a
    scalar or one std per image."""
    y = tf.convert_to_tensor(y)
    if seed is None:
        noise = tf.random.normal(tf.shape(y), dtype=y.dtype)
    else:
        noise = tf.random.stateless_normal(tf.shape(y), seed=_seed_pair(seed), dtype=y.dtype)
    return y + _per_example(sigma, y) * noise


def add_poisson_noise(y, peak, seed=None) -> tf.Tensor:
    """Shot noise: Poisson(peak * y) / peak, `peak` photons at intensity 1 (smaller = noisier)."""
    y = tf.convert_to_tensor(y)
    rate = tf.maximum(y, 0.0) * peak
    if seed is None:
        counts = tf.random.poisson([], rate, dtype=y.dtype)
    else:
        counts = tf.random.stateless_poisson(tf.shape(rate), seed=_seed_pair(seed), lam=rate, dtype=y.dtype)
    return counts / peak


def saturate(y, gain: float = 1.0) -> tf.Tensor:
    """Sensor clipping: clip(gain * y, 0, 1). A gain > 1 makes bright regions saturate."""
    return tf.clip_by_value(tf.cast(gain, y.dtype) * y, 0.0, 1.0)


def jpeg(y, quality) -> tf.Tensor:
    """JPEG round trip of an NHWC batch (1 or 3 channels, values in [0, 1]) at `quality` (1-100): an int,
    or an int tensor with one quality per image."""
    y = tf.clip_by_value(tf.convert_to_tensor(y, tf.float32), 0.0, 1.0)
    if tf.is_tensor(quality) and quality.shape.rank == 1:
        return tf.map_fn(lambda args: tf.image.adjust_jpeg_quality(args[0], args[1]), (y, quality),
                         fn_output_signature=tf.float32)
    return tf.map_fn(lambda im: tf.image.adjust_jpeg_quality(im, int(quality)), y)


def camera(blurred, gain=1.0, noise_sigma=0.0, seed=None, poisson_peak: float | None = None,
           jpeg_quality=None) -> tf.Tensor:
    """What a camera records of an already blurred NHWC batch: JPEG(clip(gain * blurred + n)).

    `gain`, `noise_sigma` and `jpeg_quality` are scalars or one value per image (tf.data pipelines draw
    them per example); `seed` is an int or a stateless seed pair tensor. A tensor `noise_sigma` always adds
    the (possibly zero-weighted) noise, a Python number only when non-zero. `degrade` and the synthetic
    training pipeline (`tfdeblur.data.synthetic`) both use it.
    """
    y = _per_example(gain, blurred) * blurred
    if poisson_peak:
        y = add_poisson_noise(y, poisson_peak, seed=None if seed is None else seed + 1)
    if tf.is_tensor(noise_sigma) or noise_sigma:
        y = add_gaussian_noise(y, noise_sigma, seed=seed)
    y = tf.clip_by_value(y, 0.0, 1.0)
    if jpeg_quality is not None and (tf.is_tensor(jpeg_quality) or jpeg_quality):
        y = jpeg(y, jpeg_quality)
    return y


def degrade(image, kernel, noise_sigma: float = 0.0, poisson_peak: float | None = None, gain: float = 1.0,
            jpeg_quality: int | None = None, mode: str = "same", padding: str = "reflect", seed=None,
            return_target: bool = False):
    """Simulate a blurry photo: y = JPEG(clip(gain * x * k + n)).

    Args:
        image: sharp image, numpy HxW / HxWxC in [0, 1], or an NHWC tensor.
        kernel: blur kernel (see `tfdeblur.physics.blur`).
        noise_sigma: std of additive gaussian noise (intensity scale [0, 1]).
        poisson_peak: if set, shot noise with this many photons at intensity 1 (applied before gaussian).
        gain: exposure gain alpha >= 1 before clipping; > 1 saturates highlights (Xu et al. 2014).
        jpeg_quality: if set, JPEG-compress the result at this quality.
        mode, padding: blur boundary model ("same" keeps the size, "valid" crops kh - 1 pixels).
        seed: int for reproducible noise.
        return_target: also return the matching sharp target clip(gain * x) (cropped like the blur for
            "valid"), the image a deblurrer can hope to recover once highlights are clipped.

    Returns:
        The degraded image (numpy in, numpy out), or `(degraded, target)`.

    Example:
    >>> import numpy as np
    >>> from tfdeblur.physics import degrade, motion_kernel
    >>> y = degrade(np.full((32, 32), 0.5, np.float32), motion_kernel(7, 0), noise_sigma=0.01, seed=1)
    >>> y.shape
    (32, 32)
    """
    is_numpy = not isinstance(image, (tf.Tensor, tf.Variable))
    x = tf.convert_to_tensor(image, tf.float32)
    if is_numpy:
        squeeze_channel = x.shape.rank == 2
        x = x[None, ..., None] if squeeze_channel else x[None]
    y = convolve(x, np.asarray(kernel, np.float32) if not tf.is_tensor(kernel) else kernel, mode, padding)
    y = camera(y, gain, noise_sigma, seed, poisson_peak, jpeg_quality)
    target = tf.clip_by_value(tf.cast(gain, x.dtype) * x, 0.0, 1.0)
    if mode == "valid":
        kh, kw = int(np.shape(kernel)[-2]), int(np.shape(kernel)[-1])
        ch, cw = (kh - 1) // 2, (kw - 1) // 2
        target = target[:, kh - 1 - ch:target.shape[1] - ch, kw - 1 - cw:target.shape[2] - cw, :]
    if is_numpy:
        y, target = y.numpy()[0], target.numpy()[0]
        if squeeze_channel:
            y, target = y[..., 0], target[..., 0]
    return (y, target) if return_target else y


DISPLAY_GAMMA = 2.2  # sRGB's encoding is close to this power law
# Gray (luma) from RGB as ITU-R BT.601 and OpenCV weigh the channels (SelfDeblur's colour path too).
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], np.float32)


def to_linear_light(image, gamma: float = DISPLAY_GAMMA) -> np.ndarray:
    """A display-encoded image (values in [0, 1]) in linear light, `image ** gamma` (float32).

    Light adds up in linear intensity, so that is where a blur is a convolution; a photo's pixel values
    are encoded for display (sRGB is close to gamma 2.2), which turns a blurred light's faint tail into a
    bright, wide streak that no kernel explains.
    """
    return np.power(np.clip(np.asarray(image, np.float32), 0.0, 1.0), np.float32(gamma))


def to_display(linear, gamma: float = DISPLAY_GAMMA) -> np.ndarray:
    """The inverse of `to_linear_light`: `linear ** (1 / gamma)` on values clipped to [0, 1] (float32)."""
    return np.power(np.clip(np.asarray(linear, np.float32), 0.0, 1.0), np.float32(1.0 / gamma))


def estimate_noise_sigma(image) -> float:
    """Gaussian noise std of an image (HxW or HxWxC in [0, 1]) by Immerkaer's method (CVIU 1996).

    The image is filtered with the difference of two Laplacians, which cancels smooth structure (and
    blurry images are smooth), and the mean absolute response is converted to a standard deviation.
    """
    array = np.asarray(image, np.float64)
    if array.ndim == 3:  # per channel: averaging channels first would hide independent noise
        return float(np.mean([estimate_noise_sigma(array[..., c]) for c in range(array.shape[2])]))
    h, w = array.shape
    if h < 3 or w < 3:
        return 0.0
    mask = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float64)
    response = sum(
        mask[i, j] * array[i:h - 2 + i, j:w - 2 + j] for i in range(3) for j in range(3)
    )
    return float(math.sqrt(math.pi / 2) * np.abs(response).sum() / (6.0 * (w - 2) * (h - 2)))
