import numpy as np
import pytest

from tfdeblur import physics
from tfdeblur.errors import InputError
from tfdeblur.solvers.motion_estimation import directional_autocorrelation, estimate_linear_motion, first_dip


def _angle_gap(a, b):
    return abs((a - b + 90.0) % 180.0 - 90.0)


@pytest.mark.parametrize("length, angle", [(12.0, 30.0), (17.5, 100.0), (9.0, 165.0)])
def test_measures_the_motion_of_a_blurred_photo_from_a_rough_direction(gray_photo, length, angle):
    blurry = physics.degrade(gray_photo, physics.motion_kernel(length, angle), noise_sigma=0.01, mode="valid",
                             seed=1)
    estimate = estimate_linear_motion(blurry, angle_guess=angle + 8.0)
    assert abs(estimate.length - length) < 1.5
    assert _angle_gap(estimate.angle, angle) < 4.0
    assert -1.0 <= estimate.depth < 0.0


def test_dip_sits_at_the_motion_length_along_the_motion_only(gray_photo):
    blurry = physics.degrade(gray_photo, physics.motion_kernel(15, 0), mode="valid")
    along = first_dip(directional_autocorrelation(blurry, 0.0, 30), 5)
    across = first_dip(directional_autocorrelation(blurry, 90.0, 30), 5)
    assert abs(along[0] - 15.0) < 1.0
    assert across is None or across[1] > along[1] / 2  # much shallower, if any


def test_no_dip_no_estimate():
    assert estimate_linear_motion(np.full((96, 96), 0.5, np.float32), angle_guess=0.0) is None


@pytest.mark.parametrize("image, kwargs, match", [
    (np.zeros((64, 64, 3), np.float32), {}, "one HxW channel"),
    (np.zeros((40, 400), np.float32), {}, "too small"),
    (np.zeros((96, 96), np.float32), {"min_length": 20, "max_length": 10}, "min_length"),
    (np.zeros((96, 96), np.float32), {"angle_step": 0}, "angle_step"),
])
def test_bad_input_is_refused(image, kwargs, match):
    with pytest.raises(InputError, match=match):
        estimate_linear_motion(image, **kwargs)


def test_a_best_angle_at_the_end_of_the_search_is_flagged(gray_photo):
    blurry = physics.degrade(gray_photo, physics.motion_kernel(14.0, 30.0), noise_sigma=0.01, mode="valid", seed=1)
    outside = estimate_linear_motion(blurry, angle_guess=60.0, angle_range=12.0)  # 30 deg is not searched
    inside = estimate_linear_motion(blurry, angle_guess=36.0, angle_range=12.0)
    assert outside.at_search_edge and abs(outside.angle - 48.0) < 1e-6  # the end nearest the motion
    assert not inside.at_search_edge and _angle_gap(inside.angle, 30.0) < 4.0
    assert not estimate_linear_motion(blurry).at_search_edge  # a full search has no ends
