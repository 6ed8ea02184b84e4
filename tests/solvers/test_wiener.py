import numpy as np
import pytest

from tfdeblur import metrics, physics
from tfdeblur.solvers import wiener, wiener_deconvolve


def well_conditioned_kernel():
    # Half identity, half disk: its transfer function stays >= ~0.4, so inversion is stable.
    k = 0.5 * physics.disk_kernel(3)
    k[3, 3] += 0.5
    return k


@pytest.mark.parametrize("prior", ["identity", "gradient"])
def test_noiseless_circular_blur_is_recovered(photo, prior):
    kernel = well_conditioned_kernel()
    blurry = physics.blur(photo, kernel, mode="circular")
    restored = wiener(blurry, kernel, reg=1e-7, prior=prior, boundary="circular")
    assert metrics.psnr(restored, photo) > 40


def test_noisy_motion_blur_improves_psnr(gray_photo):
    kernel = physics.motion_kernel(15, 30)
    blurry, target = physics.degrade(gray_photo, kernel, noise_sigma=0.01, mode="valid", seed=0,
                                     return_target=True)
    restored = wiener(blurry, kernel)  # regularisation from the estimated noise level
    assert metrics.psnr(restored, target) > metrics.psnr(blurry, target) + 2.0


def test_edge_taper_beats_circular_assumption_on_real_boundaries(gray_photo):
    kernel = physics.motion_kernel(15, 30)
    blurry, target = physics.degrade(gray_photo, kernel, noise_sigma=0.005, mode="valid", seed=0,
                                     return_target=True)
    tapered = wiener(blurry, kernel, boundary="taper")
    periodic = wiener(blurry, kernel, boundary="circular")
    assert metrics.psnr(tapered, target) > metrics.psnr(periodic, target) + 1.0


def test_batch_with_per_image_kernels_matches_single_images(photo):
    kernels = np.stack([physics.motion_kernel(9, a, size=11) for a in (10, 100)])
    batch = np.stack([physics.blur(photo, k) for k in kernels])
    together = wiener_deconvolve(batch, kernels, reg=1e-3).numpy()
    for i in range(2):
        alone = wiener_deconvolve(batch[i:i + 1], kernels[i], reg=1e-3).numpy()[0]
        np.testing.assert_allclose(together[i], alone, atol=1e-5)


def test_output_keeps_shape_and_range(photo):
    out = wiener(photo[:40, :50], physics.gaussian_kernel(1.0))
    assert out.shape == (40, 50, 3) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1


def test_gcv_weight_follows_noise_and_improves_on_a_noise_only_rule_for_strong_blur(gray_photo):
    from tfdeblur import metrics, physics
    from tfdeblur.solvers.regularization import gcv_weight
    from tfdeblur.solvers.wiener import wiener

    k = physics.motion_kernel(21, 35)
    weights = []
    for sigma in (0.002, 0.01, 0.03):
        blurry, target = physics.degrade(gray_photo, k, noise_sigma=sigma, mode="valid", seed=1,
                                         return_target=True)
        weights.append(gcv_weight(blurry, k))
    assert weights[0] < weights[1] < weights[2]
    # GCV's weight is within 1 dB of the best of a wide sweep
    sweep = {reg: metrics.psnr(wiener(blurry, k, reg=reg), target) for reg in np.logspace(-5, 0, 11)}
    assert metrics.psnr(wiener(blurry, k, reg=weights[2]), target) > max(sweep.values()) - 1.0
