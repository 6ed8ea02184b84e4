import numpy as np
import pytest
import tensorflow as tf

from tfdeblur.solvers.priors import derivative_filters, shrink


def _brute_force_prox(v, threshold, prior, exponent):
    z = np.linspace(-2, 2, 400_001)
    phi = {"l1": np.abs(z), "l0": (z != 0).astype(float), "hl": np.abs(z) ** exponent}[prior]
    return z[np.argmin(threshold * phi + 0.5 * (z - v) ** 2)]


@pytest.mark.parametrize("prior, exponent", [("l1", 0.8), ("l0", 0.8), ("hl", 0.8), ("hl", 0.5), ("hl", 2 / 3)])
@pytest.mark.parametrize("threshold", [0.002, 0.05])
def test_shrink_is_the_proximal_step(prior, exponent, threshold):
    values = np.array([-0.9, -0.3, -0.08, -0.02, 0.0, 0.004, 0.03, 0.07, 0.15, 0.6])
    got = shrink(tf.constant(values, tf.float32), threshold, prior, exponent).numpy()
    expected = [_brute_force_prox(v, threshold, prior, exponent) for v in values]
    np.testing.assert_allclose(got, expected, atol=2e-5)


def test_hyper_laplacian_rejects_an_exponent_outside_0_1():
    with pytest.raises(ValueError, match="exponent"):
        shrink(tf.constant([0.1]), 0.01, "hl", 1.2)


def test_derivative_sets_annihilate_constants_and_second_order_ramps():
    filters, weights = derivative_filters("second")
    assert len(filters) == len(weights) == 5 and weights[2:] == [0.25] * 3
    assert all(abs(f.sum()) < 1e-12 for f in filters)
    assert len(derivative_filters("first")[0]) == 2
    with pytest.raises(ValueError):
        derivative_filters("third")
