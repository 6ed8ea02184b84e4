import keras
import numpy as np
import pytest

from tfdeblur import physics, solvers
from tfdeblur.models.odcnn import (
    SeparableInverseInitializer,
    cropped_pseudo_inverse,
    separable_inverse_factors,
)

KERNEL = physics.disk_kernel(3)


@pytest.mark.parametrize("preserve_dc", [False, True])
@pytest.mark.parametrize("part, shape", [("column", (31, 1, 1, 5)), ("row", (1, 31, 5, 1)),
                                         ("weights", (1, 1, 5, 1))])
def test_parts_hold_the_flipped_svd_factors(part, shape, preserve_dc):
    init = SeparableInverseInitializer(KERNEL, part=part, size=31, nsr=1e-3, rank=5, preserve_dc=preserve_dc)
    value = keras.ops.convert_to_numpy(init(shape))
    inverse = solvers.wiener_inverse_kernel(KERNEL, 31, 1e-3)
    if preserve_dc:
        inverse = inverse / inverse.sum() / (1 + 1e-3)
    u, s, v = solvers.separable_decomposition(inverse, rank=5)
    expected = {"column": u[:, ::-1].T[:, None, None, :], "row": v[:, ::-1].T[None, :, :, None],
                "weights": s[None, None, :, None]}[part]
    np.testing.assert_allclose(value, expected, atol=1e-7)
    assert value.dtype == np.float32


def test_get_config_round_trip_gives_the_same_values():
    init = SeparableInverseInitializer(physics.motion_kernel(7, 20), part="row", size=21, nsr=2e-3, rank=7)
    config = init.get_config()
    assert config["part"] == "row" and config["rank"] == 7
    assert np.allclose(config["blur_kernel"], init.blur_kernel)
    clone = SeparableInverseInitializer.from_config(config)
    revived = keras.initializers.deserialize(keras.initializers.serialize(init))
    assert type(revived) is SeparableInverseInitializer
    for other in (clone, revived):
        assert other.get_config() == config
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(other((1, 21, 7, 1))),
                                      keras.ops.convert_to_numpy(init((1, 21, 7, 1))))


def test_wrong_shapes_and_parts_are_errors():
    init = SeparableInverseInitializer(KERNEL, part="column", size=31, rank=5)
    with pytest.raises(ValueError, match="makes shape"):
        init((31, 1, 1, 6))
    with pytest.raises(ValueError, match="unknown part"):
        SeparableInverseInitializer(KERNEL, part="diagonal")
    with pytest.raises(ValueError, match="odd"):
        SeparableInverseInitializer(KERNEL, size=30)
    with pytest.raises(ValueError, match="exceeds"):
        SeparableInverseInitializer(KERNEL, part="weights", size=5, rank=6)((1, 1, 6, 1))


@pytest.mark.parametrize("kernel", [physics.disk_kernel(7), physics.motion_kernel(15, 30)])
def test_cropped_pseudo_inverse_keeps_the_dc_gain(kernel):
    raw = cropped_pseudo_inverse(kernel, 121, 1e-2, preserve_dc=False)
    np.testing.assert_array_equal(raw, solvers.wiener_inverse_kernel(kernel, 121, 1e-2))
    fixed = cropped_pseudo_inverse(kernel, 121, 1e-2)
    assert fixed.sum() == pytest.approx(1 / (1 + 1e-2))
    assert abs(raw.sum() - fixed.sum()) > 1e-3  # the crop alone loses part of the DC gain
    np.testing.assert_allclose(fixed, raw * fixed.sum() / raw.sum())


def test_factors_are_cached_and_descending():
    first = separable_inverse_factors(KERNEL, 31, 1e-3, 5)
    assert separable_inverse_factors(KERNEL.tolist(), 31, 1e-3, 5) is first
    assert np.all(np.diff(first[1]) <= 0)
