"""Wiener (Tikhonov) deconvolution: the non-blind baseline every method is compared with.

x = argmin ||k * x - y||^2 + reg * ||D x||^2, solved in closed form in the Fourier domain
(`tikhonov(Blur(k, mode="circular"), ...)`), where D is the identity ("identity" prior, the classical
flat-spectrum Wiener filter) or the image gradient ("gradient" prior, a Gaussian prior on natural-image
gradients, which rings less).

Real photos are not periodic, so by default the blurry image is extended by mirroring and its border is
blended with a circularly blurred copy (edge tapering) before the FFT; without that the wrap-around
discontinuity rings through the whole result.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfdeblur.errors import InputError
from tfdeblur.physics.blur import Blur
from tfdeblur.physics.boundaries import edge_taper
from tfdeblur.physics.degradations import estimate_noise_sigma
from tfdeblur.result import DeblurResult
from tfdeblur.solvers.regularization import gcv_weight
from tfdeblur.solvers.tikhonov import tikhonov

PRIORS = ("gradient", "identity")
BOUNDARIES = ("taper", "circular")
# reg = REG_PER_VARIANCE * sigma^2, floored at MIN_REG: tuned on BSDS500 train images (motion and
# camera-shake kernels, sigma 0.005-0.02) with tools/tune_wiener.py; see the README.
REG_PER_VARIANCE = {"gradient": 200.0, "identity": 200.0}
MIN_REG = {"gradient": 1e-4, "identity": 1e-4}


def default_regularization(noise_sigma: float, prior: str = "gradient") -> float:
    """The regularisation weight used when none is given, from the noise standard deviation."""
    return max(REG_PER_VARIANCE[prior] * float(noise_sigma) ** 2, MIN_REG[prior])


def wiener_deconvolve(blurry, kernel, reg: float, prior: str = "gradient", boundary: str = "taper",
                      pad: int | None = None) -> tf.Tensor:
    """Wiener deconvolution of an NHWC batch (TF ops; differentiable; one kernel or one per image).

    Args:
        blurry: NHWC float32 tensor.
        kernel: (kh, kw) or (N, kh, kw).
        reg: regularisation weight (see `default_regularization`).
        prior: "gradient" or "identity".
        boundary: "taper" (mirror-extend and edge-taper; for real photos) or "circular" (the image is
            assumed periodic, exact for circularly blurred images).
        pad: extension per side for "taper"; default the kernel size.

    Returns:
        NHWC tensor with the input's size (not clipped).
    """
    if prior not in PRIORS:
        raise ValueError(f"unknown Wiener prior {prior!r}; expected one of {PRIORS}")
    if boundary not in BOUNDARIES:
        raise ValueError(f"unknown Wiener boundary {boundary!r}; expected one of {BOUNDARIES}")
    y = tf.convert_to_tensor(blurry, tf.float32)
    kernel = tf.convert_to_tensor(kernel, tf.float32)
    kh, kw = int(kernel.shape[-2]), int(kernel.shape[-1])
    height, width = int(y.shape[1]), int(y.shape[2])
    if boundary == "taper":
        y, (pad_h, pad_w) = edge_taper(y, kernel, pad if pad is not None else max(kh, kw))
    x = tikhonov(Blur(kernel, mode="circular"), y, reg, prior)
    if boundary == "taper":
        x = x[:, pad_h:pad_h + height, pad_w:pad_w + width, :]
    return x


def wiener(blurry, kernel, reg: float | None = None, noise_sigma: float | None = None,
           prior: str = "gradient", boundary: str = "taper") -> np.ndarray:
    """Deblur one image (numpy HxW / HxWxC in [0, 1]) with a known kernel by Wiener deconvolution.

    Args:
        blurry: the blurry image.
        kernel: its blur kernel (2-D, sums to 1).
        reg: regularisation weight; default: from the noise level (`default_regularization`), raised to
            the generalised cross-validation weight (`regularization.gcv_weight`) where that is larger
            (gradient prior, noise level estimated).
        noise_sigma: noise std for the default `reg` (then GCV is not used); default estimated.
        prior: "gradient" (default) or "identity".
        boundary: "taper" (default) or "circular".

    Returns:
        float32 image with the input's shape, clipped to [0, 1].

    Example:
    >>> import numpy as np
    >>> from tfdeblur.physics import blur, gaussian_kernel
    >>> x = np.random.default_rng(0).random((32, 32)).astype("float32")
    >>> k = gaussian_kernel(1.0)
    >>> restored = wiener(blur(x, k, mode="circular"), k, reg=1e-9, boundary="circular")
    >>> float(np.abs(restored - x).max()) < 0.05
    True

    Reference:
        N. Wiener, "Extrapolation, Interpolation, and Smoothing of Stationary Time Series", 1949.
    """
    array = np.asarray(blurry, np.float32)
    if reg is None:
        sigma = estimate_noise_sigma(array) if noise_sigma is None else noise_sigma
        reg = default_regularization(sigma, prior)
        if noise_sigma is None and prior == "gradient":
            # The noise sets a floor; GCV raises the weight where the data leave more error than the noise
            # (kernel error, strong blur): see `tfdeblur.solvers.regularization`.
            reg = max(reg, gcv_weight(array, kernel))
    batch = array[None, ..., None] if array.ndim == 2 else array[None]
    out = wiener_deconvolve(batch, np.asarray(kernel, np.float32), reg, prior, boundary).numpy()[0]
    out = out[..., 0] if array.ndim == 2 else out
    return np.clip(out, 0.0, 1.0)


def deblur_method(image, kernel, reg: float | None = None, noise_sigma: float | None = None,
                  prior: str = "gradient"):
    """`tfdeblur.deblur(..., method="wiener")`: validated inputs in, `DeblurResult` out."""
    if prior not in PRIORS:
        raise InputError(f"unknown Wiener prior '{prior}'; choose from {', '.join(PRIORS)}")
    return DeblurResult(wiener(image, kernel, reg=reg, noise_sigma=noise_sigma, prior=prior), kernel)
