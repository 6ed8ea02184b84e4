"""Kernel refinement after the L0 estimate: rounds of (finish, least-squares kernel)."""

import cv2
import numpy as np
import pytest

from tfdeblur import metrics, physics
from tfdeblur.models.blind import BlindOptions, deblur_method
from tfdeblur.models.blind.refinement import refine_with_finish


def _shaken(photo):
    """`photo` blurred ('valid') by a 13 px shake, noise 0.002, the kernel, and a thick version of it (what an
    estimate made at a coarser scale and resampled looks like)."""
    kernel = physics.trajectory_kernel(15, seed=7, extent=13)
    rng = np.random.default_rng(0)
    blurry = np.asarray(physics.blur(photo, kernel, mode="valid"))
    blurry = np.clip(blurry + rng.normal(0, 0.002, blurry.shape), 0, 1).astype(np.float32)
    thick = cv2.GaussianBlur(np.asarray(kernel, np.float64), (5, 5), 1.2)
    return blurry, kernel, (thick / thick.sum()).astype(np.float32)


@pytest.fixture(scope="module")
def shaken(gray_photo):
    return _shaken(gray_photo[:192, :192])  # small: fast tests


def test_refinement_sharpens_a_thick_estimate(shaken):
    blurry, kernel, thick = shaken
    refined, rounds = refine_with_finish(blurry, thick, BlindOptions(), auto=True)
    assert rounds == 2 and refined.dtype == np.float32 and abs(float(refined.sum()) - 1) < 1e-5 and refined.min() >= 0
    assert all(side % 2 for side in refined.shape)
    assert metrics.kernel_error(refined, kernel) < 0.7 * metrics.kernel_error(thick, kernel)


def test_a_given_size_is_kept_and_zero_rounds_change_nothing(shaken):
    blurry, _, thick = shaken
    kept, rounds = refine_with_finish(blurry, thick, BlindOptions(refine_rounds=1), auto=False)
    assert kept.shape == thick.shape and rounds == 1
    unchanged, rounds = refine_with_finish(blurry, thick, BlindOptions(refine_rounds=0), True)
    np.testing.assert_array_equal(unchanged, thick)
    assert rounds == 0


def test_a_noisy_window_is_not_refined(shaken):
    blurry, _, thick = shaken
    noisy = np.clip(blurry + np.random.default_rng(1).normal(0, 0.01, blurry.shape), 0, 1).astype(np.float32)
    kernel, rounds = refine_with_finish(noisy, thick, BlindOptions(), auto=True)
    np.testing.assert_array_equal(kernel, thick)
    assert rounds == 0


@pytest.mark.slow
def test_the_blind_method_reports_the_refinement_and_it_can_be_switched_off(gray_photo):
    # The whole photo: on a 178 px crop the refined kernel was worse (error 0.70 against 0.61), as estimates
    # on small photos are (the small-photo warning).
    blurry, kernel, _ = _shaken(gray_photo)
    on = deblur_method(blurry, kernel_size=15, progress=False)
    off = deblur_method(blurry, kernel_size=15, options=dict(refine_rounds=0), progress=False)
    assert on.info["stages"]["refine"] > 0 and off.info["stages"]["refine"] == 0
    assert metrics.kernel_error(on.kernel, kernel) < metrics.kernel_error(off.kernel, kernel)
    assert on.info["refined"] and not off.info["refined"]


def test_a_refined_kernel_is_finished_with_its_own_weight(shaken):
    """A refined kernel's errors are smaller: its finish weighs the prior `refined_lam_factor` x the
    non-blind default, an unrefined one `lam_factor` x (the same noise, so the ratio of the factors)."""
    blurry, _, _ = shaken
    options = BlindOptions()
    on = deblur_method(blurry, kernel_size=15, progress=False)
    off = deblur_method(blurry, kernel_size=15, options=dict(refine_rounds=0), progress=False)
    assert on.info["refined"] and not off.info["refined"]
    ratio = on.info["finish_reg"] / off.info["finish_reg"]
    assert ratio == pytest.approx(options.refined_lam_factor / options.lam_factor)
    assert BlindOptions(refined_lam_factor=1.0).refined_lam_factor == 1.0
    with pytest.raises(Exception, match="refined_lam_factor"):
        BlindOptions(refined_lam_factor=0.0)


@pytest.mark.parametrize("field, value", [("refine_rounds", -1), ("refine_beta", 0.0), ("refine_margin", -2),
                                          ("refine_max_noise", -0.1)])
def test_bad_refinement_options_are_input_errors(field, value):
    from tfdeblur import InputError

    with pytest.raises(InputError, match="refine"):
        BlindOptions(**{field: value})
