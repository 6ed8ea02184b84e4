import numpy as np
import pytest
import skimage.metrics

from tfdeblur import metrics, physics


@pytest.mark.parametrize("shape", [(48, 40), (37, 52, 3)])
def test_psnr_and_ssim_agree_with_scikit_image(rng, shape):
    for _ in range(3):
        ref = rng.random(shape).astype(np.float32)
        x = np.clip(ref + rng.normal(0, rng.uniform(0.02, 0.3), shape), 0, 1).astype(np.float32)
        assert metrics.psnr(x, ref) == pytest.approx(
            skimage.metrics.peak_signal_noise_ratio(ref, x, data_range=1.0), abs=1e-6)
        expected = skimage.metrics.structural_similarity(
            ref, x, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
            channel_axis=2 if len(shape) == 3 else None)
        assert metrics.ssim(x, ref) == pytest.approx(expected, abs=2e-5)


def test_ssim_on_a_real_photo_matches_scikit_image(gray_photo):
    blurry = physics.blur(gray_photo, physics.disk_kernel(3))
    expected = skimage.metrics.structural_similarity(gray_photo, blurry, data_range=1.0, gaussian_weights=True,
                                                     sigma=1.5, use_sample_covariance=False)
    assert metrics.ssim(blurry, gray_photo) == pytest.approx(expected, abs=2e-5)


def test_identical_images():
    x = np.random.default_rng(0).random((20, 20))
    assert metrics.psnr(x, x) == float("inf")
    assert metrics.ssim(x, x) == pytest.approx(1.0, abs=1e-6)


def test_aligned_psnr_finds_the_shift(gray_photo):
    shifted = np.roll(gray_photo, (3, -5), axis=(0, 1))
    assert metrics.best_shift(shifted, gray_photo) == (3, -5)
    assert metrics.aligned_psnr(shifted, gray_photo) == float("inf")
    assert metrics.aligned_psnr(shifted, gray_photo) > metrics.psnr(shifted, gray_photo)
    assert metrics.aligned_ssim(shifted, gray_photo) == pytest.approx(1.0, abs=1e-6)


def test_aligned_psnr_is_cropped_psnr_when_aligned(gray_photo, rng):
    noisy = np.clip(gray_photo + rng.normal(0, 0.05, gray_photo.shape), 0, 1)
    crop = (slice(15, -15), slice(15, -15))
    assert metrics.aligned_psnr(noisy, gray_photo, step=1) == pytest.approx(
        metrics.psnr(noisy[crop], gray_photo[crop]), abs=1e-9)
    # The published protocol may pick a fractional shift: its bilinear average lowers the noise.
    assert metrics.aligned_psnr(noisy, gray_photo) >= metrics.aligned_psnr(noisy, gray_photo, step=1)


def test_error_ratio_and_kernel_error(gray_photo, rng):
    noisy = np.clip(gray_photo + rng.normal(0, 0.05, gray_photo.shape), 0, 1)
    assert metrics.error_ratio(noisy, noisy, gray_photo) == pytest.approx(1.0)
    worse = np.clip(gray_photo + rng.normal(0, 0.1, gray_photo.shape), 0, 1)
    assert metrics.error_ratio(worse, noisy, gray_photo, step=1) == pytest.approx(4.0, rel=0.15)
    assert metrics.error_ratio(worse, noisy, gray_photo) > 2
    k = physics.motion_kernel(9, 30, size=15)
    assert metrics.kernel_error(np.roll(k, (1, 2), axis=(0, 1)), k) < 1e-6  # a shift is not an error
    assert metrics.kernel_error(physics.motion_kernel(9, 120, size=15), k) > 0.5
    assert metrics.kernel_error(k, physics.motion_kernel(9, 30, size=21)) < 1e-6  # sizes may differ


def test_batch_metrics_match_single_image_metrics(photo):
    import tensorflow as tf

    blurry = physics.blur(photo, physics.disk_kernel(2))
    batch = tf.constant(np.stack([photo, blurry]))
    ref = tf.constant(np.stack([photo, photo]))
    np.testing.assert_allclose(metrics.batch_psnr(batch[1:], ref[1:]).numpy(), [metrics.psnr(blurry, photo)],
                               rtol=1e-5)
    values = metrics.batch_ssim(batch, ref).numpy()
    np.testing.assert_allclose(values, [1.0, metrics.ssim(blurry, photo)], atol=1e-5)


def _best_shift_by_loop(x, ref, max_shift, border):
    h, w = x.shape[:2]
    target = ref[border:h - border, border:w - border]
    errors = {(dy, dx): np.mean((x[border + dy:h - border + dy, border + dx:w - border + dx] - target) ** 2)
              for dy in range(-max_shift, max_shift + 1) for dx in range(-max_shift, max_shift + 1)}
    return min(errors, key=errors.get)


@pytest.mark.parametrize("shape, shift", [((64, 70), (2, -7)), ((60, 58, 3), (-4, 0)), ((61, 61), (5, 5))])
def test_fft_best_shift_equals_exhaustive_search(rng, shape, shift):
    ref = physics.blur(rng.random(shape).astype(np.float32), physics.gaussian_kernel(1.5))
    x = np.clip(np.roll(ref, shift, axis=(0, 1)) + rng.normal(0, 0.02, shape), 0, 1)
    assert metrics.best_shift(x, ref, 8, 12, step=1) == _best_shift_by_loop(x, ref, 8, 12) == shift


def _comp_upto_shift_reference(x, ref, max_shift, border, step):
    """Levin's comp_upto_shift written plainly: every shift on the grid, map_coordinates(order=1)."""
    from scipy.ndimage import map_coordinates

    h, w = ref.shape
    target = ref[border:h - border, border:w - border]
    rows, cols = np.mgrid[border:h - border, border:w - border].astype(np.float64)
    shifts = np.arange(-max_shift, max_shift + step / 2, step)
    best = (np.inf, None)
    for dy in shifts:
        for dx in shifts:
            sampled = map_coordinates(x.astype(np.float64), [rows + dy, cols + dx], order=1, mode="nearest")
            ssd = np.sum((sampled - target) ** 2)
            if ssd < best[0]:
                best = (ssd, (dy, dx), sampled)
    return best


@pytest.mark.parametrize("shift, noise", [((1.25, -2.5), 0.0), ((-0.75, 1.5), 0.02), ((2.0, 0.25), 0.05)])
def test_quarter_pixel_protocol_equals_a_plain_reference(rng, shift, noise):
    from scipy.ndimage import shift as subpixel_shift

    ref = physics.blur(rng.random((56, 60)).astype(np.float32), physics.gaussian_kernel(1.5))
    x = subpixel_shift(ref.astype(np.float64), shift, order=3, mode="nearest")
    x = np.clip(x + rng.normal(0, noise, x.shape), 0, 1)
    ssd, expected_shift, aligned = _comp_upto_shift_reference(x, ref, 3, 12, 0.25)
    assert metrics.best_shift(x, ref, 3, 12) == pytest.approx(expected_shift)
    if noise == 0:
        assert metrics.best_shift(x, ref, 3, 12) == pytest.approx(shift)
    assert metrics.aligned_sse(x, ref, 3, 12) == pytest.approx(ssd, rel=1e-9)
    crop = ref[12:-12, 12:-12]
    assert metrics.aligned_psnr(x, ref, 3, 12) == pytest.approx(metrics.psnr(aligned, crop), abs=1e-9)
    assert metrics.aligned_ssim(x, ref, 3, 12) == pytest.approx(metrics.ssim(aligned, crop), abs=1e-6)


def test_quarter_pixel_protocol_beats_integer_shifts_on_a_half_pixel_offset(gray_photo):
    from scipy.ndimage import shift as subpixel_shift

    x = subpixel_shift(gray_photo.astype(np.float64), (0.5, -2.5), order=1, mode="nearest")
    assert metrics.best_shift(x, gray_photo) == (0.5, -2.5)
    assert metrics.best_shift(x, gray_photo, step=1.0)[1] in (-2.0, -3.0)
    assert metrics.aligned_psnr(x, gray_photo) > metrics.aligned_psnr(x, gray_photo, step=1.0) + 3


def test_levin_protocol_is_fast():
    import time

    rng = np.random.default_rng(1)
    ref = rng.random((255, 255))
    x = np.roll(ref, (2, 3), axis=(0, 1))
    start = time.perf_counter()
    metrics.aligned_psnr(x, ref)
    assert time.perf_counter() - start < 1.0
