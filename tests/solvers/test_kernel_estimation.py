"""Blind kernel estimation: the periodic helpers, the L0 latent image, the kernel least squares, the pyramid."""

import numpy as np
import pytest

from tfdeblur import metrics
from tfdeblur.errors import InputError
from tfdeblur.physics import blur, motion_kernel, periodic
from tfdeblur.physics.kernel_support import recentre_kernel as recentre
from tfdeblur.solvers.kernel_estimation import (
    KernelEstimationOptions,
    clean_kernel,
    estimate_kernel,
    kernel_least_squares,
    pyramid_sizes,
)
from tfdeblur.solvers.l0_latent import l0_latent


def blocks(size=128, cell=8, seed=0):
    """A piecewise-constant image: the L0 prior's ideal and a well-conditioned kernel problem."""
    rng = np.random.default_rng(seed)
    cells = rng.random((size // cell, size // cell))
    return np.kron(cells, np.ones((cell, cell))).astype(np.float64)


def test_periodic_convolution_matches_the_blur_operator():
    rng = np.random.default_rng(1)
    x = rng.random((40, 36))
    k = rng.random((7, 5))
    k /= k.sum()
    expected = blur(x.astype(np.float32), k.astype(np.float32), mode="circular")
    np.testing.assert_allclose(periodic.convolve(x, k), expected, atol=1e-5)
    np.testing.assert_allclose(periodic.taps(periodic.spectrum(k, x.shape), k.shape), k, atol=1e-12)
    gx, gy = periodic.differences(x)
    sx, sy = periodic.difference_spectra(x.shape)
    np.testing.assert_allclose(np.real(np.fft.ifft2(np.fft.fft2(x) * sx)), gx, atol=1e-12)
    np.testing.assert_allclose(np.real(np.fft.ifft2(np.fft.fft2(x) * sy)), gy, atol=1e-12)


def test_l0_latent_restores_a_piecewise_constant_image():
    sharp = blocks()
    k = motion_kernel(9, 30).astype(np.float64)
    y = periodic.convolve(sharp, k)
    latent = l0_latent(y, k, lam=2e-3)
    assert metrics.psnr(latent, sharp) > metrics.psnr(y, sharp) + 8.0


def test_l0_latent_is_the_half_quadratic_splitting_written_with_whole_images():
    """The loop (real FFTs, the gradients' part as one FFT of their divergence) is the splitting written
    plainly: periodic differences, hard threshold, the closed-form x-update with full complex FFTs."""
    from tfdeblur.solvers.l0_latent import BETA_MAX, KAPPA

    rng = np.random.default_rng(4)
    y = rng.random((23, 30))
    k = rng.random((5, 7))
    k /= k.sum()
    k_spec = periodic.spectrum(k, y.shape)
    sx, sy = periodic.difference_spectra(y.shape)
    x, beta, lam = y.copy(), 2.0 * 3e-3, 3e-3
    while beta < BETA_MAX:
        h, v = periodic.differences(x)
        small = h**2 + v**2 < lam / beta
        h[small], v[small] = 0.0, 0.0
        numerator = np.conj(k_spec) * np.fft.fft2(y) + beta * (np.conj(sx) * np.fft.fft2(h)
                                                                + np.conj(sy) * np.fft.fft2(v))
        x = np.real(np.fft.ifft2(numerator / (np.abs(k_spec) ** 2 + beta * (np.abs(sx) ** 2 + np.abs(sy) ** 2))))
        beta *= KAPPA
    np.testing.assert_allclose(l0_latent(y, k, lam), x, atol=1e-9)


@pytest.mark.parametrize("shape", [(23, 30), (231, 217)])  # one thread, and rows in threads
def test_l0_latent_gives_the_bits_of_the_plain_numpy_loop(shape):
    """Issue 32 made the loop threaded (rows of the threshold, FFT passes, the solve between them); every
    value must stay the plain loop's, bit for bit: the estimator turns rounding into other kernels."""
    from tfdeblur.physics.fourier import centred_pad
    from tfdeblur.solvers.l0_latent import BETA_MAX, KAPPA

    rng = np.random.default_rng(5)
    y, k, lam = rng.random(shape), rng.random((9, 7)), 4e-3
    k /= k.sum()
    k_spec = np.fft.rfft2(centred_pad(k, shape))
    dx, dy = np.zeros(shape), np.zeros(shape)
    dx[0, 0], dx[0, -1] = -1.0, 1.0
    dy[0, 0], dy[-1, 0] = -1.0, 1.0
    grad_den = np.abs(np.fft.rfft2(dx)) ** 2 + np.abs(np.fft.rfft2(dy)) ** 2
    data_num, data_den = np.conj(k_spec) * np.fft.rfft2(y), np.abs(k_spec) ** 2
    x, beta = y.copy(), 2.0 * lam
    while beta < BETA_MAX:
        h, v = periodic.differences(x)
        small = h**2 + v**2 < lam / beta
        h[small], v[small] = 0.0, 0.0
        divergence = np.roll(h, 1, axis=1) - h + np.roll(v, 1, axis=0) - v
        x = np.fft.irfft2((data_num + beta * np.fft.rfft2(divergence)) / (data_den + beta * grad_den), s=shape)
        beta *= KAPPA
    np.testing.assert_array_equal(l0_latent(y, k, lam), x)


def test_kernel_least_squares_recovers_the_kernel_from_exact_gradients():
    sharp = blocks(seed=2)
    k = motion_kernel(11, 60).astype(np.float64)
    y = periodic.convolve(sharp, k)
    start = np.full(k.shape, 1.0 / k.size)
    found = kernel_least_squares(periodic.differences(sharp), periodic.differences(y), k.shape, 1e-6, start, 200)
    assert metrics.kernel_error(np.maximum(found, 0), k) < 0.02


def test_clean_kernel_drops_light_isolated_taps_and_normalises():
    k = np.zeros((9, 9))
    k[4, 2:7] = 1.0
    k[0, 0] = 0.3  # an isolated group holding ~6% of the mass
    k[8, 8] = -0.2
    cleaned = clean_kernel(k, tap_floor=0.05, component_mass=0.1)
    assert cleaned[0, 0] == 0 and cleaned[8, 8] == 0
    assert cleaned.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(cleaned[4, 2:7], 0.2)


def test_recentre_moves_the_centre_of_mass_to_the_middle_tap():
    k = np.zeros((7, 7))
    k[1, 1] = k[1, 2] = 0.5
    out = recentre(k)
    rows, cols = np.indices(out.shape)
    assert abs((rows * out).sum() - 3) <= 0.5 and abs((cols * out).sum() - 3) <= 0.5
    assert out.sum() == pytest.approx(1.0)


def test_pyramid_sizes_are_odd_and_end_at_the_kernel_size():
    sizes = pyramid_sizes((27, 21), np.sqrt(0.5), 5)
    assert sizes[-1] == (27, 21) and max(sizes[0]) <= 7
    assert all(s % 2 == 1 for size in sizes for s in size)
    assert all(a[0] <= b[0] for a, b in zip(sizes, sizes[1:]))


def test_estimate_kernel_finds_a_motion_blur_far_better_than_its_start():
    sharp = blocks(160, 8, seed=3)
    k = motion_kernel(11, 30)
    y = blur(sharp.astype(np.float32), k, mode="valid")
    y = y + np.random.default_rng(0).normal(0, 0.003, y.shape).astype(np.float32)
    found, report = estimate_kernel(y, 11)
    assert found.shape == (11, 11) and found.dtype == np.float32
    assert found.sum() == pytest.approx(1.0, abs=1e-5) and found.min() >= 0
    start = np.zeros((11, 11))
    start[5, 4:6] = 0.5
    assert metrics.kernel_error(found, k) < 0.5 * metrics.kernel_error(start, k)
    assert [lv["kernel_size"][0] for lv in report["levels"]][-1] == 11
    # Levels stop once the kernel settles; with converged=0 every level runs all its alternations.
    options = KernelEstimationOptions()
    steps = [lv["steps"] for lv in report["levels"]]
    assert all(2 <= n <= options.iterations for n in steps[:-1]) and steps[-1] <= options.finest_iterations
    _, full = estimate_kernel(y, 11, KernelEstimationOptions(converged=0.0))
    assert [lv["steps"] for lv in full["levels"]] == [options.iterations] * (len(steps) - 1) + [
        options.finest_iterations]
    _, loose = estimate_kernel(y, 11, KernelEstimationOptions(converged=0.5))
    assert sum(lv["steps"] for lv in loose["levels"]) < sum(lv["steps"] for lv in full["levels"])


def test_min_level_side_skips_the_coarsest_levels():
    """200 px photo, 9 px motion, 25 px support (what `auto` tries): starting the pyramid at a 25 px image
    gives a diffuse kernel; with the coarsest level kept >= 64 px it finds the blur."""
    from tfdeblur.tasks.demo import demo_image

    photo = demo_image() @ np.array([0.299, 0.587, 0.114], np.float32)
    k = motion_kernel(9, 30)
    y = blur(photo[40:248, 40:248], k, mode="valid")
    y = np.clip(y + np.random.default_rng(0).normal(0, 0.01, y.shape), 0, 1).astype(np.float32)
    found, report = estimate_kernel(y, 25, KernelEstimationOptions(min_level_side=64))
    assert min(report["levels"][0]["shape"]) >= 64
    assert metrics.kernel_error(found, k) < 0.6
    tiny_start, report = estimate_kernel(y, 25)  # the default: down to a 5 px kernel
    assert report["levels"][0]["kernel_size"] == [5, 5] and min(report["levels"][0]["shape"]) < 64
    assert metrics.kernel_error(tiny_start, k) > metrics.kernel_error(found, k) + 0.15


@pytest.mark.parametrize("size, shape, message", [
    (10, (64, 64), "odd"),
    (21, (30, 64), "too small"),
    (5, (64, 64, 3), "gray"),
])
def test_estimate_kernel_refuses_bad_input(size, shape, message):
    with pytest.raises(InputError, match=message):
        estimate_kernel(np.zeros(shape), size)


def test_options_are_checked():
    with pytest.raises(InputError):
        KernelEstimationOptions(ratio=1.5)
    with pytest.raises(InputError):
        KernelEstimationOptions(lam=-1)
    with pytest.raises(InputError, match="converged"):
        KernelEstimationOptions(converged=-0.1)
    with pytest.raises(InputError, match="min_level_side"):
        KernelEstimationOptions(min_level_side=-1)


def test_outliers_leave_the_estimate_alone_when_empty_and_drop_a_fake_streak():
    sharp = blocks(128)
    kernel = motion_kernel(9, 30)
    blurry = np.asarray(blur(sharp, kernel, mode="valid"), np.float64)
    plain, _ = estimate_kernel(blurry, 9)
    same, _ = estimate_kernel(blurry, 9, outliers=np.zeros(blurry.shape, bool))
    np.testing.assert_array_equal(plain, same)
    spoiled = blurry.copy()
    spoiled[30:34, 20:100] = 1.0  # a clipped streak across the blur: not the blur of the scene
    mask = np.zeros(blurry.shape, bool)
    mask[30:34, 20:100] = True
    with_mask, _ = estimate_kernel(spoiled, 9, outliers=mask)
    without, _ = estimate_kernel(spoiled, 9)
    # measured: 0.64 clean, 0.83 spoiled, 0.63 spoiled with the streak left out
    assert metrics.kernel_error(with_mask, kernel) < metrics.kernel_error(plain, kernel) + 0.05
    assert metrics.kernel_error(without, kernel) > metrics.kernel_error(with_mask, kernel) + 0.1


def test_outliers_covering_a_level_are_ignored_there_instead_of_emptying_the_equations():
    sharp = blocks(128)
    kernel = motion_kernel(9, 30)
    blurry = np.asarray(blur(sharp, kernel, mode="valid"), np.float64)
    plain, _ = estimate_kernel(blurry, 9)
    everywhere, _ = estimate_kernel(blurry, 9, outliers=np.ones(blurry.shape, bool))  # vanished before
    np.testing.assert_array_equal(everywhere, plain)
