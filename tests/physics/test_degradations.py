import numpy as np
import pytest
import tensorflow as tf

from tfdeblur import physics


def test_gaussian_noise_level_and_seed(rng):
    x = np.full((1, 128, 128, 1), 0.5, np.float32)
    y = physics.add_gaussian_noise(x, 0.05, seed=3).numpy()
    assert abs(float(np.std(y - x)) - 0.05) < 0.002
    np.testing.assert_array_equal(y, physics.add_gaussian_noise(x, 0.05, seed=3).numpy())
    assert not np.array_equal(y, physics.add_gaussian_noise(x, 0.05, seed=4).numpy())


def test_poisson_noise_variance_matches_intensity():
    x = np.full((1, 128, 128, 1), 0.25, np.float32)
    peak = 100.0
    y = physics.add_poisson_noise(x, peak, seed=1).numpy()
    assert abs(float(y.mean()) - 0.25) < 0.005
    assert abs(float(y.var()) - 0.25 / peak) < 0.2 * 0.25 / peak


def test_saturation_clips_highlights():
    x = np.linspace(0, 1, 11, dtype=np.float32).reshape(1, 1, 11, 1)
    y = physics.saturate(x, gain=2.0).numpy().ravel()
    np.testing.assert_allclose(y[:6], np.linspace(0, 1, 6), atol=1e-6)
    assert np.all(y[6:] == 1.0)


def test_jpeg_round_trip_is_close_but_lossy(photo):
    batch = photo[None]
    out = physics.jpeg(batch, 30).numpy()
    assert out.shape == batch.shape
    error = np.abs(out - batch).mean()
    assert 0.002 < error < 0.05
    assert np.abs(physics.jpeg(batch, 95).numpy() - batch).mean() < error


def test_degrade_composes_the_camera_model(gray_photo):
    delta = np.ones((1, 1), np.float32)
    y, target = physics.degrade(gray_photo, delta, return_target=True)
    np.testing.assert_allclose(y, gray_photo, atol=1e-6)
    np.testing.assert_allclose(target, gray_photo, atol=1e-6)
    kernel = physics.motion_kernel(9, 0)
    y, target = physics.degrade(gray_photo, kernel, gain=1.5, mode="valid", return_target=True)
    assert y.shape == target.shape == (248, 248)
    assert target.max() == 1.0 and (target == 1.0).mean() > 0.01  # highlights clipped
    # Noise-free 'valid' blur of the clipped-free target region equals the plain blur.
    np.testing.assert_allclose(y, np.clip(1.5 * physics.blur(gray_photo, kernel, mode="valid"), 0, 1),
                               atol=1e-6)


def test_degrade_is_reproducible_with_seed(photo):
    kernel = physics.disk_kernel(3)
    a = physics.degrade(photo, kernel, noise_sigma=0.02, jpeg_quality=80, seed=5)
    b = physics.degrade(photo, kernel, noise_sigma=0.02, jpeg_quality=80, seed=5)
    np.testing.assert_array_equal(a, b)
    assert a.shape == photo.shape and a.min() >= 0 and a.max() <= 1


@pytest.mark.parametrize("sigma", [0.005, 0.01, 0.03])
def test_noise_estimate_on_blurry_photo(gray_photo, sigma):
    blurry = physics.blur(gray_photo, physics.motion_kernel(11, 20), mode="valid")
    noisy = blurry + np.random.default_rng(0).normal(0, sigma, blurry.shape)
    estimate = physics.estimate_noise_sigma(noisy)
    assert abs(estimate - sigma) < 0.2 * sigma + 0.001


def test_camera_takes_one_value_per_image():
    """The tf.data pipeline's per-example gain, noise and JPEG quality give each image its own degradation."""
    from tfdeblur.physics.degradations import camera

    blurred = tf.random.stateless_uniform([2, 24, 24, 3], seed=[1, 2]) * 0.6
    y = camera(blurred, gain=tf.constant([1.0, 2.0]), noise_sigma=tf.constant([0.0, 0.05]),
               seed=tf.constant([3, 4]), jpeg_quality=tf.constant([100, 20])).numpy()
    np.testing.assert_allclose(y[0], physics.jpeg(blurred[:1], 100).numpy()[0], atol=1e-6)
    assert np.abs(y[1] - np.clip(2 * blurred[1].numpy(), 0, 1)).mean() > 0.01
    scalar = camera(blurred, gain=1.5, noise_sigma=0.0, jpeg_quality=None).numpy()
    np.testing.assert_allclose(scalar, np.clip(1.5 * blurred.numpy(), 0, 1), atol=1e-6)


def test_linear_light_round_trip_and_a_blurred_light_is_a_kernel_copy_only_in_linear_light():
    values = np.linspace(0.0, 1.0, 101, dtype=np.float32)
    np.testing.assert_allclose(physics.to_display(physics.to_linear_light(values)), values, atol=1e-6)
    assert np.all(np.diff(physics.to_linear_light(values)) >= 0)
    # One light on a dark scene, blurred in linear light and encoded: decoding recovers the kernel's shape,
    # the display values do not (a faint tail shows as a wide, bright streak).
    scene = np.full((31, 31), 0.01, np.float32)
    scene[15, 15] = 0.8
    kernel = np.array([[0.05, 0.1, 0.15, 0.3, 0.4]], np.float32)  # a shake that slows down
    encoded = physics.to_display(physics.blur(scene, kernel, mode="circular"))
    row_lin = physics.to_linear_light(encoded)[15] - 0.01
    row_display = encoded[15] - encoded[0, 0]
    expected = physics.blur(scene - 0.01, kernel, mode="circular")[15]
    assert np.abs(row_lin - expected).max() < 1e-4
    assert np.abs(row_display / row_display.sum() - expected / expected.sum()).max() > 0.01
