import numpy as np
import pytest
import tensorflow as tf

import tfdeblur
from tfdeblur import InputError, metrics, physics
from tfdeblur.solvers import irc as irc_lib
from tfdeblur.solvers.least_squares_filters import gradient_filters


def circular_problem(rng, kernel, rho, size=32):
    x = rng.random((1, size, size, 1)).astype(np.float32)
    y = physics.convolve(x, kernel, mode="circular")
    return x, irc_lib._Problem(y, kernel, rho, "circular")


def test_irc_converges_linearly_to_the_least_squares_solution(rng):
    """Consistent data (z_i = k_i * x): the least-squares solution is x. When the iteration matrix
    H = delta - tau sum_i d_i * k_i (a circulant, so normal) has spectral radius r < 1, every IRC step
    shrinks the error by at least r."""
    kernel = physics.motion_kernel(9, 30)
    x, problem = circular_problem(rng, kernel, rho=0.03)
    update = irc_lib._IRCUpdate(problem, kernel, filter_size=15, steps=1)
    assert update.radius < 1
    targets = problem.prior(tf.constant(x))
    estimate = problem.x0
    errors = [float(tf.norm(estimate - x))]
    for _ in range(40):
        estimate = update(estimate, targets)
        errors.append(float(tf.norm(estimate - x)))
    errors = np.array(errors)
    above_float32_noise = errors[:-1] > 1e-4 * errors[0]
    ratios = errors[1:][above_float32_noise] / errors[:-1][above_float32_noise]
    assert len(ratios) >= 15 and np.all(ratios <= update.radius + 1e-3)
    assert errors[-1] < 1e-3 * errors[0]


def test_irc_fixed_point_is_the_least_squares_solution_of_eq5(rng):
    """Inconsistent targets (as in ADMM): IRC converges to the minimiser of Eq. 5, which the periodic
    model gives in closed form (the "fft" x-update); the gap is the cropping error of the filters."""
    kernel = physics.gaussian_kernel(1.2)
    _, problem = circular_problem(rng, kernel, rho=0.1)
    targets = [tf.constant(rng.normal(0, 0.05, (1, 32, 32, 1)).astype(np.float32)) for _ in range(2)]
    exact = irc_lib._FFTUpdate(problem)(problem.x0, targets)
    update = irc_lib._IRCUpdate(problem, kernel, filter_size=31, steps=60)
    estimate = update(problem.x0, targets)
    assert float(tf.norm(estimate - exact)) < 1e-3 * float(tf.norm(exact))


@pytest.fixture(scope="module")
def blurred(gray_photo):
    kernel = physics.motion_kernel(11, 60)
    blurry, sharp = physics.degrade(
        gray_photo[60:180, 60:180], kernel, noise_sigma=0.01, mode="valid", seed=1, return_target=True
    )
    return blurry, sharp, kernel


def test_admm_irc_matches_cg_and_restores_edges(blurred):
    blurry, sharp, kernel = blurred
    batch = blurry[None, ..., None]
    scores = {}
    for name, kwargs in {
        "irc": {},
        "cg": {"x_update": "cg"},
        "fft": {"x_update": "fft"},
        "nopad": {"x_update": "fft", "boundary": "circular"},
    }.items():
        out = irc_lib.admm_deconvolve(batch, kernel, lam=0.003, **kwargs).numpy()[0, ..., 0]
        assert out.shape == blurry.shape
        scores[name] = metrics.psnr(np.clip(out, 0, 1), sharp)
    blurry_psnr = metrics.psnr(blurry, sharp)
    assert scores["irc"] > blurry_psnr + 3
    assert abs(scores["irc"] - scores["cg"]) < 0.5
    assert scores["irc"] > scores["nopad"] + 1  # the valid model removes the periodic-boundary ringing


def test_l0_prior_and_colour(blurred, photo):
    blurry, sharp, kernel = blurred
    out = irc_lib.irc(blurry, kernel, lam=1e-4, rho=1e-2, prior="l0")
    assert metrics.psnr(out, sharp) > metrics.psnr(blurry, sharp) + 2
    colour = physics.blur(photo[:64, :64], kernel, mode="valid")
    restored = irc_lib.irc(colour, kernel)
    assert restored.shape == colour.shape and restored.dtype == np.float32


def test_registered_method_runs_non_blind_with_a_kernel(blurred):
    blurry, sharp, kernel = blurred
    out = tfdeblur.deblur(blurry, method="ircnet", kernel=kernel, iterations=5)
    assert out.shape == blurry.shape
    assert metrics.psnr(out, sharp) > metrics.psnr(blurry, sharp) + 2
    tiled = tfdeblur.deblur(blurry, method="ircnet", kernel=kernel, iterations=5, tile=64)
    assert tiled.shape == blurry.shape
    assert metrics.psnr(tiled, out) > 30  # tiles blend into nearly the same result
    with pytest.raises(InputError, match="tile"):
        tfdeblur.deblur(blurry, method="ircnet", kernel=kernel, tile=20)
    with pytest.raises(InputError, match="iterations"):
        tfdeblur.deblur(blurry, method="ircnet", kernel=kernel, iterations=0)
    with pytest.raises(InputError, match="no weights"):
        tfdeblur.deblur(blurry, method="ircnet", kernel=kernel, model="ircnet/blind")


def test_bad_arguments():
    with pytest.raises(ValueError, match="x_update"):
        irc_lib.admm_deconvolve(np.zeros((1, 8, 8, 1), np.float32), np.ones((3, 3)) / 9, 0.01, x_update="x")
    with pytest.raises(ValueError, match="boundary"):
        irc_lib.admm_deconvolve(
            np.zeros((1, 8, 8, 1), np.float32), np.ones((3, 3)) / 9, 0.01, x_update="fft", boundary="valid"
        )
    assert len(gradient_filters()) == 2


@pytest.mark.parametrize("options", [dict(prior="l1"), dict(prior="hl", derivatives="second", rho_growth=1.2),
                                     dict(prior="l0", inner=3), dict(prior="hl", start="wiener", inner=12)])
def test_compiled_solver_equals_the_step_by_step_loop(rng, options):
    y = rng.random((2, 40, 37, 1)).astype(np.float32)
    kernel = physics.motion_kernel(11, 60)
    compiled = irc_lib.admm_deconvolve(y, kernel, 1e-3, filter_size="grid", iterations=4, **options)
    eager = irc_lib.admm_deconvolve(y, kernel, 1e-3, filter_size="grid", iterations=4, eager=True, **options)
    np.testing.assert_allclose(compiled.numpy(), eager.numpy(), atol=5e-5)


@pytest.mark.parametrize("eager", [False, True])
def test_the_wiener_start_is_where_the_iterations_begin(rng, eager):
    from tfdeblur.solvers.wiener import wiener

    sharp = rng.random((48, 52)).astype(np.float32)
    kernel = physics.motion_kernel(9, 30)
    y = physics.blur(sharp, kernel, mode="valid")
    out = irc_lib.admm_deconvolve(y[None, :, :, None], kernel, 1e-4, iterations=0, start="wiener", eager=eager)
    np.testing.assert_allclose(out.numpy()[0, :, :, 0], np.clip(wiener(y, kernel), 0, 1), atol=1e-6)
    blurry_start = irc_lib.admm_deconvolve(y[None, :, :, None], kernel, 1e-4, iterations=0, eager=eager)
    np.testing.assert_allclose(blurry_start.numpy()[0, :, :, 0], y, atol=1e-6)
    with pytest.raises(ValueError, match="start"):
        irc_lib.admm_deconvolve(y[None, :, :, None], kernel, 1e-4, x_update="fft", start="wiener")
