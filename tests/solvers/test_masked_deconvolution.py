"""Weighted non-blind deconvolution: clipped lights left out of the data term."""

import numpy as np

from tfdeblur import metrics, physics
from tfdeblur.solvers.masked_deconvolution import clipped_weights, masked_deconvolution


def lights_scene(seed=0, size=96):
    """A dim texture with small lights at 10x white, blurred by a 9 px motion and clipped (the sensor)."""
    rng = np.random.default_rng(seed)
    sharp = 0.3 * np.kron(rng.random((size // 8, size // 8)), np.ones((8, 8))).astype(np.float32)
    for y, x in rng.integers(12, size - 12, (6, 2)):
        sharp[y - 1:y + 2, x - 1:x + 2] = 10.0
    kernel = physics.motion_kernel(9, 30)
    blurry = np.clip(physics.blur(sharp, kernel, mode="same"), 0.0, 1.0)
    return blurry.astype(np.float32), np.clip(sharp, 0.0, 1.0), kernel


def test_clipped_weights_zero_the_lights_and_their_rim():
    image = np.zeros((20, 20, 3), np.float32)
    image[10, 10, 1] = 1.0
    weights = clipped_weights(image, grow=2)
    assert weights[10, 10] == 0 and weights[8, 12] == 0 and weights[7, 10] == 1
    assert weights.sum() == 400 - 25


def test_all_ones_weights_sharpen_a_blurred_texture():
    rng = np.random.default_rng(1)
    sharp = np.kron(rng.random((12, 12)), np.ones((8, 8))).astype(np.float32)
    kernel = physics.motion_kernel(7, 0)
    blurry = physics.blur(sharp, kernel, mode="same")
    out = masked_deconvolution(blurry, kernel, np.ones(sharp.shape, np.float32), 1e-4)
    inner = (slice(8, -8), slice(8, -8))
    assert out.shape == sharp.shape and out.dtype == np.float32
    assert metrics.psnr(out[inner], sharp[inner]) > metrics.psnr(blurry[inner], sharp[inner]) + 5


def test_leaving_clipped_lights_out_beats_fitting_them():
    blurry, sharp, kernel = lights_scene()
    weights = clipped_weights(blurry)
    assert 0 < (weights == 0).mean() < 0.2
    masked = masked_deconvolution(blurry, kernel, weights, 1e-3)
    fitted = masked_deconvolution(blurry, kernel, np.ones_like(weights), 1e-3)
    inner = (slice(10, -10), slice(10, -10))
    assert metrics.psnr(masked[inner], sharp[inner]) > metrics.psnr(fitted[inner], sharp[inner]) + 0.5
