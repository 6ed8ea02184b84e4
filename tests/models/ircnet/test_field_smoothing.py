import cv2
import numpy as np
import pytest
import tensorflow as tf

from tfdeblur.models.ircnet.field_smoothing import COARSE_SIDE, smooth_vectors


def _field(height, width, seed=0):
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    return (0.1 * rng.standard_normal((height, width, 2)) + ramp).astype(np.float32)


def _reference(field, smoothing):
    """A full-resolution gaussian with edge-including mirrored borders (OpenCV's BORDER_REFLECT)."""
    sigma = smoothing * min(field.shape[:2])
    return np.stack([cv2.GaussianBlur(field[..., i], (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
                     for i in range(field.shape[-1])], axis=-1)


@pytest.mark.parametrize("height, width", [(40, 60), (COARSE_SIDE, 90), (160, 250), (321, 481)])
def test_matches_a_full_resolution_mirrored_gaussian(height, width):
    field = _field(height, width)
    out = smooth_vectors(field[None], 0.3).numpy()[0]
    reference = _reference(field, 0.3)
    # exact up to float error on a grid the smoothing runs on; within 0.1% of the field's range when the
    # field is first averaged to a coarse grid (the gaussian is >= 19 coarse pixels wide)
    tolerance = 1e-4 if min(height, width) <= COARSE_SIDE else 1e-3
    assert np.abs(out - reference).max() < tolerance * (reference.max() - reference.min())
    assert out.std() < field.std()  # it smooths


def test_a_uniform_field_is_unchanged_and_zero_smoothing_is_the_identity():
    uniform = np.full((1, 70, 130, 2), [0.2, -0.1], np.float32)
    np.testing.assert_allclose(smooth_vectors(uniform, 0.3).numpy(), uniform, atol=1e-6)
    field = _field(30, 20)[None]
    np.testing.assert_array_equal(smooth_vectors(field, 0.0).numpy(), field)


def test_runs_in_a_graph_with_unknown_sizes():
    graph = tf.function(lambda x: smooth_vectors(x, 0.3),
                        input_signature=[tf.TensorSpec((None, None, None, 2), tf.float32)])
    for height, width in [(33, 47), (200, 90)]:
        field = _field(height, width)[None]
        np.testing.assert_allclose(graph(field).numpy(), smooth_vectors(field, 0.3).numpy(), atol=1e-6)
