"""Least-squares kernel refinement against a sharp estimate."""

import cv2
import numpy as np
import pytest

from tfdeblur import metrics, physics
from tfdeblur.solvers.kernel_refine import refine_kernel


def test_refine_kernel_recovers_the_blur_from_the_sharp_image(gray_photo):
    sharp = gray_photo[40:120, 80:160]
    kernel = physics.motion_kernel(7, 30)
    blurry = physics.blur(sharp, kernel, mode="valid")
    aligned = sharp[3:-3, 3:-3]  # the latent pixels under the blurry ones, as the non-blind solver returns
    start = np.full((7, 7), 1 / 49, np.float32)
    refined = refine_kernel(blurry, aligned, start)
    assert refined.shape == (7, 7) and refined.min() >= 0 and abs(refined.sum() - 1) < 1e-6
    assert metrics.kernel_error(refined, kernel) < 0.1 < metrics.kernel_error(start, kernel)


def test_a_large_kernel_is_refined_from_a_blurred_start(gray_photo):
    # 31x31 = 961 taps: the FFT normal operator needs no taps-by-pixels matrix.
    kernel = physics.trajectory_kernel(31, seed=3, extent=27)
    blurry = physics.blur(gray_photo, kernel, mode="valid")
    aligned = gray_photo[15:-15, 15:-15]
    start = cv2.GaussianBlur(np.asarray(kernel, np.float64), (7, 7), 2.0)
    refined = refine_kernel(blurry, aligned, start)
    assert refined.shape == (31, 31)
    assert metrics.kernel_error(refined, kernel) < 0.5 * metrics.kernel_error(start, kernel)


def test_excluded_pixels_leave_the_equations(gray_photo):
    # Outliers (clipped lights, hot pixels): values in the blurry image that are not the blur of the sharp one.
    sharp = gray_photo[40:200, 40:200]
    kernel = physics.motion_kernel(9, 60)
    blurry = np.array(physics.blur(sharp, kernel, mode="valid"))
    aligned = sharp[4:-4, 4:-4]
    blurry[30:70, 30:70] = np.random.default_rng(0).random((40, 40))
    excluded = np.zeros(blurry.shape, bool)
    excluded[30:70, 30:70] = True
    start = np.full((9, 9), 1 / 81, np.float32)
    with_mask = refine_kernel(blurry, aligned, start, excluded=excluded)
    without = refine_kernel(blurry, aligned, start)
    assert metrics.kernel_error(with_mask, kernel) < 0.1 < metrics.kernel_error(without, kernel)


def test_too_few_equations_is_a_floating_point_error(gray_photo):
    sharp = gray_photo[:40, :40]
    with pytest.raises(FloatingPointError):
        refine_kernel(sharp, sharp, np.ones((9, 9)) / 81, excluded=np.ones((40, 40), bool))
