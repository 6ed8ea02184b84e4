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
    assert metrics.aligned_psnr(noisy, gray_photo) == pytest.approx(
        metrics.psnr(noisy[crop], gray_photo[crop]), abs=1e-9)


def test_error_ratio_and_kernel_error(gray_photo, rng):
    noisy = np.clip(gray_photo + rng.normal(0, 0.05, gray_photo.shape), 0, 1)
    assert metrics.error_ratio(noisy, noisy, gray_photo) == pytest.approx(1.0)
    worse = np.clip(gray_photo + rng.normal(0, 0.1, gray_photo.shape), 0, 1)
    assert metrics.error_ratio(worse, noisy, gray_photo) == pytest.approx(4.0, rel=0.15)
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
    assert metrics.best_shift(x, ref, 8, 12) == _best_shift_by_loop(x, ref, 8, 12) == shift
