import numpy as np

from tfdeblur import physics
from tfdeblur.models.ircnet import field_refinement
from tfdeblur.models.ircnet.field_refinement import refine_field, to_motion
from tfdeblur.models.ircnet.motion_net import motion_to_vector
from tfdeblur.solvers.motion_estimation import LinearMotion

MAX_LENGTH = 35.0


def _uniform(shape, length, angle):
    return np.broadcast_to(motion_to_vector(length, angle, MAX_LENGTH).numpy(), shape + (2,)).copy()


def _blurred(gray_photo, length, angle):
    return physics.degrade(gray_photo, physics.motion_kernel(length, angle), noise_sigma=0.01, mode="valid",
                           seed=2)


def test_a_wrong_length_is_corrected_to_the_measured_motion(gray_photo):
    blurry = _blurred(gray_photo, 14.0, 40.0)
    rng = np.random.default_rng(0)
    guess = _uniform(blurry.shape, 9.0, 34.0) + 0.05 * rng.standard_normal(blurry.shape + (2,))
    field, estimate = refine_field(guess.astype(np.float32), blurry, MAX_LENGTH)
    assert estimate is not None
    length, angle = to_motion(np.median(field.reshape(-1, 2), axis=0), MAX_LENGTH)
    assert abs(length - 14.0) < 1.5 and abs(angle - 40.0) < 4.0
    # smoothing removed the per-pixel noise: the field is nearly uniform
    assert np.std(field[..., 0]) < 0.01


def test_the_shape_of_a_varying_field_is_kept_at_the_measured_scale(monkeypatch):
    rows = np.linspace(0.2, 0.4, 120, dtype=np.float32)
    vectors = np.stack([np.repeat(rows[:, None], 100, axis=1), np.zeros((120, 100), np.float32)], axis=-1)
    # the photo measures twice Motion-Net's median length, in the same direction
    measured = LinearMotion(length=2 * 0.3 * MAX_LENGTH, angle=0.0, depth=-0.2)
    monkeypatch.setattr(field_refinement, "estimate_linear_motion", lambda *args, **kwargs: measured)
    field, estimate = refine_field(vectors, np.zeros((120, 100), np.float32), MAX_LENGTH, smoothing=0.0)
    assert estimate is measured
    np.testing.assert_allclose(field, 2 * vectors, rtol=1e-4, atol=1e-6)


def test_a_nearly_sharp_photo_gets_no_motion(gray_photo):
    field, estimate = refine_field(_uniform(gray_photo.shape, 2.0, 60.0), gray_photo, MAX_LENGTH)
    assert estimate is None and not field.any()
    assert to_motion(field[0, 0], MAX_LENGTH)[0] == 0.0  # vector_to_motion clips it to length 1: identity


def test_a_measurement_far_longer_than_motion_nets_is_not_trusted(gray_photo):
    blurry = _blurred(gray_photo, 22.0, 10.0)
    field, estimate = refine_field(_uniform(blurry.shape, 6.0, 10.0), blurry, MAX_LENGTH)
    assert estimate is None
    length, _ = to_motion(np.median(field.reshape(-1, 2), axis=0), MAX_LENGTH)
    assert abs(length - 6.0) < 1e-3


def test_refine_false_only_smooths(gray_photo):
    blurry = _blurred(gray_photo, 14.0, 40.0)
    guess = _uniform(blurry.shape, 9.0, 40.0)
    field, estimate = refine_field(guess, blurry, MAX_LENGTH, refine=False)
    assert estimate is None
    np.testing.assert_allclose(field, guess, atol=1e-6)


def test_a_measurement_at_the_end_of_the_searched_directions_is_not_trusted(gray_photo):
    # Motion-Net 30 deg off: the deepest dip within 12 deg of its direction is at the search's end, which
    # is not a measurement of the motion; the smoothed field stays as it is.
    blurry = _blurred(gray_photo, 14.0, 40.0)
    field, estimate = refine_field(_uniform(blurry.shape, 12.0, 70.0), blurry, MAX_LENGTH)
    assert estimate is None
    length, angle = to_motion(np.median(field.reshape(-1, 2), axis=0), MAX_LENGTH)
    assert abs(length - 12.0) < 1e-3 and abs(angle - 70.0) < 1e-3
