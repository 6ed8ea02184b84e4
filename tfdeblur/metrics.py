"""Image-quality metrics: PSNR, SSIM, the Levin protocol (aligned PSNR/SSIM, error ratio), kernel error.

`psnr`/`ssim` take single images (numpy HxW or HxWxC in [0, 1]) and return floats; `batch_psnr` /
`batch_ssim` take NHWC tensors and return one value per image (for losses and Keras metrics). SSIM follows
Wang et al. (2004): 11x11 gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03, statistics over the valid
window positions, averaged over channels; it equals scikit-image's `structural_similarity(...,
gaussian_weights=True, use_sample_covariance=False, data_range=1)`.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5


def _as_batch(image) -> tf.Tensor:
    array = tf.convert_to_tensor(image, tf.float32)
    if array.shape.rank == 2:
        return array[None, :, :, None]
    if array.shape.rank == 3:
        return array[None]
    return array


def _check_same_shape(x, ref):
    if np.shape(x) != np.shape(ref):
        raise ValueError(f"images differ in shape: {np.shape(x)} vs {np.shape(ref)}")


def batch_psnr(x, ref, data_range: float = 1.0) -> tf.Tensor:
    """PSNR per image of NHWC batches, in dB (inf for identical images)."""
    x = tf.convert_to_tensor(x, tf.float32)
    ref = tf.convert_to_tensor(ref, tf.float32)
    mse = tf.reduce_mean(tf.square(x - ref), axis=[1, 2, 3])
    return 10.0 * tf.math.log(data_range**2 / mse) / math.log(10.0)


def _gaussian_window(dtype=tf.float32) -> tf.Tensor:
    r = np.arange(SSIM_WINDOW) - (SSIM_WINDOW - 1) / 2
    g = np.exp(-(r**2) / (2 * SSIM_SIGMA**2))
    g /= g.sum()
    return tf.constant(g, dtype)


def ssim_map(x, ref, data_range: float = 1.0) -> tf.Tensor:
    """Local SSIM of NHWC batches over valid window positions: (N, H - 10, W - 10, C).

    Gradients flow through it, so `1 - mean(ssim_map)` is a training loss.
    """
    x = tf.convert_to_tensor(x)
    ref = tf.cast(ref, x.dtype)
    g = _gaussian_window(x.dtype)
    channels = tf.shape(x)[3]

    def smooth(t):  # separable gaussian, per channel (channels folded into the batch)
        shape = tf.shape(t)
        planes = tf.reshape(tf.transpose(t, [0, 3, 1, 2]), [-1, shape[1], shape[2], 1])
        planes = tf.nn.conv2d(planes, g[:, None, None, None], 1, "VALID")
        planes = tf.nn.conv2d(planes, g[None, :, None, None], 1, "VALID")
        out_shape = tf.shape(planes)
        return tf.transpose(tf.reshape(planes, [shape[0], channels, out_shape[1], out_shape[2]]), [0, 2, 3, 1])

    c1 = (0.01 * data_range) ** 2
    c2 = (0.03 * data_range) ** 2
    mu_x, mu_r = smooth(x), smooth(ref)
    var_x = smooth(x * x) - mu_x**2
    var_r = smooth(ref * ref) - mu_r**2
    cov = smooth(x * ref) - mu_x * mu_r
    return ((2 * mu_x * mu_r + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_r**2 + c1) * (var_x + var_r + c2))


def batch_ssim(x, ref, data_range: float = 1.0) -> tf.Tensor:
    """Mean SSIM per image of NHWC batches (images must be at least 11x11)."""
    return tf.reduce_mean(ssim_map(x, ref, data_range), axis=[1, 2, 3])


def psnr(x, ref, data_range: float = 1.0) -> float:
    """PSNR in dB of one image `x` against `ref` (numpy HxW or HxWxC, values in [0, data_range])."""
    _check_same_shape(x, ref)
    mse = float(np.mean((np.asarray(x, np.float64) - np.asarray(ref, np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(data_range**2 / mse)


def ssim(x, ref, data_range: float = 1.0) -> float:
    """SSIM of one image `x` against `ref` (numpy HxW or HxWxC), averaged over channels."""
    _check_same_shape(x, ref)
    if min(np.shape(x)[:2]) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {SSIM_WINDOW}x{SSIM_WINDOW}")
    return float(batch_ssim(_as_batch(x), _as_batch(ref), data_range)[0])


def best_shift(x, ref, max_shift: int = 10, border: int = 15) -> tuple[int, int]:
    """Integer shift (dy, dx) within +-max_shift minimising the MSE of x against ref's interior.

    ref is cropped by `border` pixels; x is compared at the same region displaced by (dy, dx), i.e. the
    aligned estimate is x[border + dy : H - border + dy, border + dx : W - border + dx].
    """
    _check_same_shape(x, ref)
    if border < max_shift:
        raise ValueError("border must be at least max_shift so shifted windows stay inside the image")
    x = np.asarray(x, np.float64)
    ref = np.asarray(ref, np.float64)
    h, w = x.shape[:2]
    if h <= 2 * border or w <= 2 * border:
        raise ValueError(f"image {h}x{w} too small for a {border}-pixel border")
    x = x.reshape(h, w, -1)
    target = ref.reshape(h, w, -1)[border:h - border, border:w - border]
    m = max_shift
    region = x[border - m:h - border + m, border - m:w - border + m]
    # SSD(dy, dx) = sum(window^2) - 2 <window, target> + sum(target^2), for every shift at once:
    # window energies from an integral image, the cross term from one FFT correlation per channel.
    rh, rw = region.shape[:2]
    th, tw = target.shape[:2]
    integral = np.zeros((rh + 1, rw + 1))
    integral[1:, 1:] = np.cumsum(np.cumsum((region**2).sum(axis=2), axis=0), axis=1)
    energy = integral[th:, tw:] - integral[:-th, tw:] - integral[th:, :-tw] + integral[:-th, :-tw]
    cross = np.zeros((2 * m + 1, 2 * m + 1))
    for c in range(region.shape[2]):
        spectrum = np.fft.rfft2(region[..., c]) * np.conj(np.fft.rfft2(target[..., c], s=(rh, rw)))
        cross += np.fft.irfft2(spectrum, s=(rh, rw))[:2 * m + 1, :2 * m + 1]
    ssd = energy[:2 * m + 1, :2 * m + 1] - 2 * cross
    dy, dx = np.unravel_index(int(np.argmin(ssd)), ssd.shape)
    return int(dy) - m, int(dx) - m


def _aligned_pair(x, ref, max_shift, border):
    dy, dx = best_shift(x, ref, max_shift, border)
    h, w = np.shape(x)[:2]
    window = np.asarray(x)[border + dy:h - border + dy, border + dx:w - border + dx]
    return window, np.asarray(ref)[border:h - border, border:w - border]


def aligned_psnr(x, ref, max_shift: int = 10, border: int = 15) -> float:
    """Levin et al. (CVPR 2009) protocol: crop a `border`, take the best integer shift within +-max_shift,
    then PSNR (on the [0, 1] scale, identical to the 0-255 value)."""
    return psnr(*_aligned_pair(x, ref, max_shift, border))


def aligned_ssim(x, ref, max_shift: int = 10, border: int = 15) -> float:
    """SSIM after the same border crop and best shift (chosen by MSE) as `aligned_psnr`."""
    return ssim(*_aligned_pair(x, ref, max_shift, border))


def error_ratio(x, x_true_kernel, ref, max_shift: int = 10, border: int = 15) -> float:
    """Levin's error ratio: aligned SSD of `x` over aligned SSD of the deconvolution with the true kernel.

    1 means as good as knowing the kernel; Levin et al. count ratios below 2 (or 3) as successes.
    """
    a, r = _aligned_pair(x, ref, max_shift, border)
    b, _ = _aligned_pair(x_true_kernel, ref, max_shift, border)
    return float(np.sum((a - r) ** 2) / max(np.sum((b - r) ** 2), 1e-20))


def kernel_error(k_est, k_true) -> float:
    """Distance between kernels up to translation: min over shifts of ||k_est - k_true||_2 / ||k_true||_2.

    Both are zero-padded to a common size and normalised to sum 1; blind methods recover the kernel only
    up to a shift (the image shifts the other way), so every relative shift is tried.
    """
    a = np.asarray(k_est, np.float64)
    b = np.asarray(k_true, np.float64)
    a, b = a / a.sum(), b / b.sum()
    size = (a.shape[0] + b.shape[0] - 1, a.shape[1] + b.shape[1] - 1)
    fa, fb = np.fft.rfft2(a, size), np.fft.rfft2(b, size)
    # ||a - shift(b)||^2 = ||a||^2 + ||b||^2 - 2 <a, shift(b)>; the cross-correlation gives every shift.
    cross = np.fft.irfft2(fa * np.conj(fb), size).max()
    dist2 = max(np.sum(a**2) + np.sum(b**2) - 2 * cross, 0.0)
    return float(math.sqrt(dist2) / math.sqrt(np.sum(b**2)))
