"""Image-quality metrics: PSNR, SSIM, Levin's published protocol (aligned PSNR/SSIM, error ratio), kernel error.

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


def batch_psnr(x, ref, data_range: float = 1.0, min_mse: float = 0.0) -> tf.Tensor:
    """PSNR per image of NHWC batches, in dB (inf for identical images unless `min_mse` > 0 bounds it, as
    the training metrics do)."""
    x = tf.convert_to_tensor(x, tf.float32)
    ref = tf.convert_to_tensor(ref, tf.float32)
    mse = tf.reduce_mean(tf.square(x - ref), axis=[1, 2, 3])
    if min_mse:
        mse = tf.maximum(mse, min_mse)
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


def _shift_grid(max_shift: int, step: float) -> tuple[int, np.ndarray]:
    per_pixel = round(1.0 / step)
    if per_pixel < 1 or abs(per_pixel * step - 1.0) > 1e-9:
        raise ValueError(f"the shift step must be 1/n for a whole n, got {step}")
    return per_pixel, np.arange(per_pixel) / per_pixel


def _prepare(x, ref, max_shift: int, border: int):
    _check_same_shape(x, ref)
    if border < max_shift:
        raise ValueError("border must be at least max_shift so shifted windows stay inside the image")
    h, w = np.shape(x)[:2]
    if h <= 2 * border or w <= 2 * border:
        raise ValueError(f"image {h}x{w} too small for a {border}-pixel border")
    x = np.asarray(x, np.float64).reshape(h, w, -1)
    target = np.asarray(ref, np.float64).reshape(h, w, -1)[border:h - border, border:w - border]
    m = max_shift
    # One extra row and column (weight 0 unless a fraction reaches past the last pixel, see below).
    region = np.pad(x[border - m:h - border + m, border - m:w - border + m], ((0, 1), (0, 1), (0, 0)), "edge")
    return region, target


def _bilinear(region, fy: float, fx: float):
    """The region sampled at (p + fy, q + fx): bilinear like MATLAB's interp2 / map_coordinates(order=1)."""
    top = (1 - fx) * region[:-1, :-1] + fx * region[:-1, 1:]
    bottom = (1 - fx) * region[1:, :-1] + fx * region[1:, 1:]
    return (1 - fy) * top + fy * bottom


def _ssd_all_integer_shifts(sampled, target, m: int) -> np.ndarray:
    """SSD of `target` against every window of `sampled` at offsets 0..2m (rows, cols), all at once:
    window energies from an integral image, the cross term from one FFT correlation per channel."""
    rh, rw = sampled.shape[:2]
    th, tw = target.shape[:2]
    integral = np.zeros((rh + 1, rw + 1))
    integral[1:, 1:] = np.cumsum(np.cumsum((sampled**2).sum(axis=2), axis=0), axis=1)
    energy = integral[th:, tw:] - integral[:-th, tw:] - integral[th:, :-tw] + integral[:-th, :-tw]
    cross = np.zeros((2 * m + 1, 2 * m + 1))
    for c in range(sampled.shape[2]):
        spectrum = np.fft.rfft2(sampled[..., c]) * np.conj(np.fft.rfft2(target[..., c], s=(rh, rw)))
        cross += np.fft.irfft2(spectrum, s=(rh, rw))[:2 * m + 1, :2 * m + 1]
    return energy[:2 * m + 1, :2 * m + 1] - 2 * cross + np.sum(target**2)


def best_shift(x, ref, max_shift: int = 10, border: int = 15, step: float = 0.25) -> tuple[float, float]:
    """Shift (dy, dx) on a `step` grid within +-max_shift minimising the SSD of x against ref's interior.

    Levin et al.'s `comp_upto_shift`: ref is cropped by `border` pixels and x, bilinearly interpolated, is
    compared at the same region displaced by (dy, dx): the aligned estimate is x sampled at
    (border + dy + i, border + dx + j). Shifts that would sample past x's last pixel are not considered
    (MATLAB's interp2 gives NaN there, which its `min` skips). step=1 searches integer shifts only.
    """
    m = int(max_shift)
    per_pixel, fractions = _shift_grid(m, step)
    region, target = _prepare(x, ref, m, border)
    best = (math.inf, 0.0, 0.0)
    for fy in fractions:
        for fx in fractions:
            ssd = _ssd_all_integer_shifts(_bilinear(region, fy, fx), target, m)
            # a fractional part on top of the largest whole shift would reach outside the search range
            if fy > 0:
                ssd[-1, :] = math.inf
            if fx > 0:
                ssd[:, -1] = math.inf
            iy, ix = np.unravel_index(int(np.argmin(ssd)), ssd.shape)
            if ssd[iy, ix] < best[0]:
                best = (float(ssd[iy, ix]), iy - m + fy, ix - m + fx)
    return best[1], best[2]


def align(x, ref, max_shift: int = 10, border: int = 15, step: float = 0.25):
    """(aligned x, cropped ref) under Levin's protocol (`best_shift`), with x's channel layout."""
    dy, dx = best_shift(x, ref, max_shift, border, step)
    region, target = _prepare(x, ref, max_shift, border)
    iy, fy = divmod(dy + max_shift, 1.0)
    ix, fx = divmod(dx + max_shift, 1.0)
    th, tw = target.shape[:2]
    window = region[int(iy):int(iy) + th + 1, int(ix):int(ix) + tw + 1]
    aligned = _bilinear(window, fy, fx)
    shape = np.shape(x)
    return aligned.reshape((th, tw) + tuple(shape[2:])), target.reshape((th, tw) + tuple(shape[2:]))


def aligned_psnr(x, ref, max_shift: int = 10, border: int = 15, step: float = 0.25) -> float:
    """PSNR under Levin et al.'s published protocol (`comp_upto_shift`): crop a `border` from the reference,
    align x by the best shift on a `step` grid (0.25 px, bilinear) within +-max_shift, then PSNR on the
    [0, 1] scale (identical to the 0-255 value). step=1 is the integer-shift variant."""
    return psnr(*align(x, ref, max_shift, border, step))


def aligned_ssim(x, ref, max_shift: int = 10, border: int = 15, step: float = 0.25) -> float:
    """SSIM after the same border crop and alignment (chosen by SSD) as `aligned_psnr`."""
    return ssim(*align(x, ref, max_shift, border, step))


def aligned_sse(x, ref, max_shift: int = 10, border: int = 15, step: float = 0.25) -> float:
    """Sum of squared errors after alignment (Levin's `ssde`)."""
    a, r = align(x, ref, max_shift, border, step)
    return float(np.sum((a - r) ** 2))


def error_ratio(x, x_true_kernel, ref, max_shift: int = 10, border: int = 15, step: float = 0.25) -> float:
    """Levin's error ratio: aligned SSE of `x` over aligned SSE of the same non-blind method's result with
    the true kernel (`x_true_kernel`), both aligned the same way.

    1 means as good as knowing the kernel; Levin et al. count ratios below 2 (or 3) as successes.
    """
    return aligned_sse(x, ref, max_shift, border, step) / max(
        aligned_sse(x_true_kernel, ref, max_shift, border, step), 1e-20)


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
