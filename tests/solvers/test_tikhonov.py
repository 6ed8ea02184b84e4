"""The blur's regularised inverses (`tikhonov`, `prox_l2`): exactness and optimality."""

import numpy as np
import pytest
import tensorflow as tf

from tfdeblur.physics import Blur, convolve, convolve_adjoint, motion_kernel
from tfdeblur.solvers.conjugate_gradient import conjugate_gradient
from tfdeblur.solvers.tikhonov import FourierTikhonov, penalty_filters, prox_l2, tikhonov


def invertible_kernel():
    """A blur whose spectrum stays >= 0.4 in modulus: its inverse is well conditioned."""
    k = np.full((3, 3), 0.3 / 9, np.float32)
    k[1, 1] += 0.7
    return k


def gradient_of_objective(op, x, y, reg, filters, targets):
    """d/dx of 1/2 ||A x - y||^2 + reg/2 sum_i ||f_i * x - t_i||^2 (zero at the minimiser)."""
    penalty = tf.add_n([convolve_adjoint(convolve(x, f, mode="circular") - t, f, mode="circular")
                        for f, t in zip(filters, targets)])
    return (op.adjoint(op(x) - y) + reg * penalty).numpy()


def test_tikhonov_inverts_a_noiseless_circular_blur(rng):
    x = rng.random((2, 24, 20, 3)).astype(np.float32)
    op = Blur(invertible_kernel(), mode="circular")
    np.testing.assert_allclose(tikhonov(op, op(x), reg=1e-9).numpy(), x, atol=1e-4)


@pytest.mark.parametrize("mode", ["circular", "valid", "same"])
@pytest.mark.parametrize("prior", ["identity", "gradient"])
def test_tikhonov_minimises_the_regularised_least_squares(rng, mode, prior):
    op = Blur(motion_kernel(7, 30), mode=mode)
    x_true = rng.random((1, 30, 26, 1)).astype(np.float32)
    y = op(x_true)
    x = tikhonov(op, y, reg=1e-2, prior=prior, steps=300)
    filters = penalty_filters(prior)
    grad = gradient_of_objective(op, x, y, 1e-2, filters, [tf.zeros_like(x)] * len(filters))
    assert x.shape == op.adjoint(y).shape
    assert np.abs(grad).max() < 1e-4 * np.abs(op.adjoint(y).numpy()).max()


@pytest.mark.parametrize("mode", ["circular", "valid"])
def test_prox_l2_is_the_proximal_point(rng, mode):
    op = Blur(motion_kernel(9, 60), mode=mode)
    x_true = rng.random((1, 32, 32, 2)).astype(np.float32)
    y = op(x_true)
    z = tf.constant(rng.random(x_true.shape).astype(np.float32))
    x = prox_l2(op, z, y, gamma=0.5, steps=300)
    # 1/2 ||A x - y||^2 + 1/(2 gamma) ||x - z||^2: gradient A^T (A x - y) + (x - z) / gamma = 0.
    grad = gradient_of_objective(op, x, y, 2.0, penalty_filters("identity"), [z])
    assert np.abs(grad).max() < 1e-4
    # A tiny step barely moves; a huge one goes to the data's least-squares solution.
    np.testing.assert_allclose(prox_l2(op, z, y, gamma=1e-6).numpy(), z.numpy(), atol=1e-4)
    with pytest.raises(ValueError, match="gamma"):
        prox_l2(op, z, y, gamma=0.0)


def test_fourier_closed_form_agrees_with_conjugate_gradients(rng):
    """The circular normal equations solved both ways, with prior targets (ADMM's x-update)."""
    k = motion_kernel(7, 45)
    filters = penalty_filters("gradient")
    y = tf.constant(rng.random((1, 28, 28, 1)).astype(np.float32))
    targets = [tf.constant(rng.normal(0, 0.1, (1, 28, 28, 1)).astype(np.float32)) for _ in filters]
    closed = FourierTikhonov(k, (28, 28), 0.05, filters)(y, targets).numpy()

    def normal(x):
        return convolve_adjoint(convolve(x, k, mode="circular"), k, mode="circular") + 0.05 * tf.add_n(
            [convolve_adjoint(convolve(x, f, mode="circular"), f, mode="circular") for f in filters])

    rhs = convolve_adjoint(y, k, mode="circular") + 0.05 * tf.add_n(
        [convolve_adjoint(t, f, mode="circular") for f, t in zip(filters, targets)])
    iterative = conjugate_gradient(normal, rhs, tf.zeros_like(y), steps=500, tol=1e-14).numpy()
    np.testing.assert_allclose(closed, iterative, atol=2e-3)


def test_per_image_kernels_and_bad_penalty(rng):
    kernels = np.stack([invertible_kernel(), invertible_kernel().T[::-1]])
    x = rng.random((2, 16, 16, 1)).astype(np.float32)
    op = Blur(kernels, mode="circular")
    np.testing.assert_allclose(tikhonov(op, op(x), reg=1e-9).numpy(), x, atol=1e-4)
    with pytest.raises(ValueError, match="penalty"):
        tikhonov(op, op(x), prior="laplace")
