import numpy as np
import tensorflow as tf

from tfdeblur import physics, solvers


def test_svd_with_all_triples_reproduces_the_pseudo_inverse():
    inverse = solvers.wiener_inverse_kernel(physics.disk_kernel(7), size=61, nsr=1e-3)
    u, s, v = solvers.separable_decomposition(inverse)
    assert u.shape == (61, 61) and s.shape == (61,) and v.shape == (61, 61)
    assert np.all(np.diff(s) <= 0)
    np.testing.assert_allclose(np.einsum("j,ja,jb->ab", s, u, v), inverse, atol=1e-12)


def test_separable_convolution_equals_the_2d_convolution(rng):
    inverse = solvers.wiener_inverse_kernel(physics.motion_kernel(9, 30), size=41, nsr=1e-2)
    u, s, v = solvers.separable_decomposition(inverse)
    image = tf.constant(rng.random((1, 64, 64, 1)))
    full = physics.convolve(image, inverse, mode="valid").numpy()
    separable = sum(
        s[j] * physics.convolve(physics.convolve(image, u[j][:, None], mode="valid"), v[j][None, :],
                                mode="valid").numpy()
        for j in range(len(s))
    )
    np.testing.assert_allclose(separable, full, atol=1e-9)


def test_truncated_decomposition_error_is_the_dropped_singular_values():
    inverse = solvers.wiener_inverse_kernel(physics.disk_kernel(5), size=41, nsr=1e-3)
    u, s, v = solvers.separable_decomposition(inverse, rank=10)
    _, s_all, _ = solvers.separable_decomposition(inverse)
    error = np.linalg.norm(np.einsum("j,ja,jb->ab", s, u, v) - inverse)
    np.testing.assert_allclose(error, np.sqrt(np.sum(s_all[10:] ** 2)), rtol=1e-6)


def test_pseudo_inverse_undoes_the_blur():
    # Half identity, half disk: its transfer function stays >= ~0.4, so the inverse decays quickly
    # and the 41x41 crop holds nearly all of it.
    kernel = 0.5 * physics.disk_kernel(3)
    kernel[3, 3] += 0.5
    inverse = solvers.wiener_inverse_kernel(kernel, size=41, nsr=1e-6)
    combined = physics.blur(inverse, kernel, mode="same", padding="zeros")
    delta = np.zeros_like(combined)
    delta[20, 20] = 1.0
    assert np.abs(combined - delta).max() < 1e-3
    assert abs(float(inverse.sum()) - 1.0) < 1e-3  # the DC gain is 1 / (1 + nsr)
