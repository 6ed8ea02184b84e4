import numpy as np
import pytest
import tensorflow as tf

from tfdeblur import physics, solvers
from tfdeblur.models.odcnn import (
    ODCNN,
    ChannelFold,
    OutlierRejection,
    SeparableDeconvolution,
    cropped_pseudo_inverse,
)
from tfdeblur.testing import run_layer_test


def separable_inversion(image, kernel, size, nsr, rank, preserve_dc=False):
    """sum_j s_j * u_j * (v_j * y) with tfdeblur.physics (float64), reflect boundaries: the SVD of the Wiener
    pseudo-inverse (`preserve_dc`: rescaled to the uncropped DC gain)."""
    inverse = solvers.wiener_inverse_kernel(kernel, size, nsr)
    if preserve_dc:
        inverse = inverse / inverse.sum() / (1 + nsr)
    u, s, v = solvers.separable_decomposition(inverse, rank=rank)
    x = tf.constant(image, tf.float64)
    return sum(s[j] * physics.convolve(physics.convolve(x, u[j][:, None], mode="same"), v[j][None, :],
                                       mode="same").numpy() for j in range(rank))


@pytest.mark.parametrize("preserve_dc", [False, True])
def test_untrained_deconvolution_equals_the_separable_inversion(rng, preserve_dc):
    # The paper's sizes: 38 terms of 121 taps.
    kernel = physics.disk_kernel(7)
    image = rng.random((2, 90, 100, 1)).astype(np.float32)
    model = ODCNN(kernel, outlier_rejection=False, channels=1, nsr=1e-2, preserve_dc=preserve_dc)
    expected = separable_inversion(image, kernel, 121, 1e-2, 38, preserve_dc)
    np.testing.assert_allclose(model(image).numpy(), expected, atol=1e-4)


@pytest.mark.parametrize("preserve_dc", [False, True])
def test_all_singular_triples_reproduce_the_pseudo_inverse_convolution(rng, preserve_dc):
    kernel = physics.motion_kernel(9, 30)
    image = rng.random((1, 48, 56, 3)).astype(np.float32)
    model = ODCNN(kernel, rank=31, filter_size=31, nsr=1e-3, outlier_rejection=False, channels=3,
                  preserve_dc=preserve_dc)
    inverse = cropped_pseudo_inverse(kernel, 31, 1e-3, preserve_dc)
    if not preserve_dc:
        np.testing.assert_array_equal(inverse, solvers.wiener_inverse_kernel(kernel, 31, 1e-3))
    expected = physics.convolve(tf.constant(image, tf.float64), inverse, mode="same", padding="reflect")
    expected = expected.numpy()
    np.testing.assert_allclose(model(image).numpy(), expected, atol=1e-4)
    # ...and truncating to fewer terms does not.
    truncated = ODCNN(kernel, rank=4, filter_size=31, nsr=1e-3, outlier_rejection=False, channels=3,
                      preserve_dc=preserve_dc)
    assert np.abs(truncated(image).numpy() - expected).max() > 1e-3


@pytest.mark.parametrize("activation, exact", [("linear", True), ("prelu", True), ("tanh", False)])
def test_only_nonlinear_activations_depart_from_the_inversion(rng, activation, exact):
    kernel = physics.disk_kernel(2)
    image = rng.random((1, 24, 24, 1)).astype(np.float32)
    model = ODCNN(kernel, rank=5, filter_size=11, activation=activation, outlier_rejection=False, channels=1)
    error = np.abs(model(image).numpy() - separable_inversion(image, kernel, 11, model.nsr, 5, True)).max()
    assert (error < 1e-5) == exact


def test_separable_deconvolution_layer_contract(rng):
    run_layer_test(SeparableDeconvolution, dict(blur_kernel=physics.disk_kernel(1), rank=3, size=7, nsr=1e-2,
                                                activation="prelu"),
                   rng.random((2, 10, 12, 1)).astype(np.float32), expected_output_shape=(2, 10, 12, 3))


def test_separable_deconvolution_needs_one_channel():
    with pytest.raises(ValueError, match="one channel"):
        SeparableDeconvolution(physics.disk_kernel(1), rank=3, size=7)(np.zeros((1, 10, 10, 3), np.float32))


def test_outlier_rejection_layer_contract(rng):
    run_layer_test(OutlierRejection, dict(width=6, first_size=4, last_size=2, activation="tanh",
                                          output_initializer="glorot_uniform"),
                   rng.random((2, 9, 11, 3)).astype(np.float32), expected_output_shape=(2, 9, 11, 1))


def test_channel_fold_contract_and_inverse(rng):
    x = rng.random((2, 5, 7, 3)).astype(np.float32)
    run_layer_test(ChannelFold, dict(channels=3, unfold=False), x, expected_output_shape=(6, 5, 7, 1))
    planes = ChannelFold(3)(x).numpy()
    np.testing.assert_array_equal(planes[1, ..., 0], x[0, ..., 1])  # image-major: image 0's channels first
    np.testing.assert_array_equal(ChannelFold(3, unfold=True)(planes).numpy(), x)
