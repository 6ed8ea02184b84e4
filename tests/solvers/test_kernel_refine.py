"""Least-squares kernel refinement against a sharp estimate."""

import numpy as np

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
