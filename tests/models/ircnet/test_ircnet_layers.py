import numpy as np
import pytest

from tfdeblur.models.ircnet import DualUpdate, IRCStep, NUConv, PriorConv, Shrinkage
from tfdeblur.physics import convolve
from tfdeblur.testing import run_layer_test


def test_nu_conv(rng):
    x = rng.random((2, 12, 12, 3)).astype(np.float32)
    idx = rng.integers(0, 5, (2, 12, 12, 4)).astype(np.int32)
    w = rng.random((2, 12, 12, 4)).astype(np.float32)
    run_layer_test(
        NUConv,
        dict(bank_size=5, filter_size=3, in_channels=3, mode="same"),
        [x, idx, w],
        expected_output_shape=(2, 12, 12, 1),
    )
    valid = [x, idx[:, :8, :8], w[:, :8, :8]]
    run_layer_test(
        NUConv, dict(bank_size=5, filter_size=5, mode="valid"), valid, expected_output_shape=(2, 8, 8, 3)
    )
    with pytest.raises(ValueError, match="mode"):
        NUConv(5, 3, mode="wrap")


def test_nu_conv_circular_is_the_circular_blur_of_the_chosen_filter(rng):
    """IRC-Net's inverse filters act circularly on the solution grid, as the solver's do: a field that
    picks one bank entry everywhere gives `physics.convolve(mode="circular")` with that entry."""
    x = rng.random((1, 20, 24, 1)).astype(np.float32)
    layer = NUConv(bank_size=4, filter_size=7, mode="circular")
    layer.build(x.shape)
    bank = rng.random((4, 7, 7)).astype(np.float32)
    layer.filters.assign(bank)
    idx = np.zeros((1, 20, 24, 4), np.int32)
    idx[..., 0] = 2
    w = np.zeros((1, 20, 24, 4), np.float32)
    w[..., 0] = 1.0
    expected = convolve(x, bank[2], mode="circular").numpy()
    np.testing.assert_allclose(layer([x, idx, w]).numpy(), expected, atol=1e-5)
    # ...and differs from zero padding at the border, where the filter wraps around.
    zeros = convolve(x, bank[2], mode="same", padding="zeros").numpy()
    assert np.abs(expected - zeros)[:, :3].max() > 0.1


def test_shrinkage_starts_as_soft_thresholding(rng):
    v = rng.normal(0, 0.3, (2, 6, 6, 2)).astype(np.float32)
    layer = run_layer_test(
        Shrinkage,
        dict(channels=2, threshold=0.05, knots=33, span=8.0),
        v,
        expected_output_shape=v.shape,
        run_training_check=False,
    )
    soft = np.sign(v) * np.maximum(np.abs(v) - 0.05, 0)
    np.testing.assert_allclose(layer(v).numpy(), soft, atol=1e-6)
    run_layer_test(Shrinkage, dict(channels=2, threshold=0.05), v, expected_output_shape=v.shape)
    with pytest.raises(ValueError, match="odd"):
        Shrinkage(2, 0.1, knots=8)


def test_prior_dual_and_step_layers(rng):
    x = rng.random((2, 10, 10, 1)).astype(np.float32)
    run_layer_test(PriorConv, dict(filters=3, size=3), x, expected_output_shape=(2, 10, 10, 3))
    out = PriorConv(filters=3, size=3)(x).numpy()  # (run_layer_test trains its layer one step)
    np.testing.assert_allclose(out[:, :, 1:, 0], x[:, :, :-1, 0] - x[:, :, 1:, 0], atol=1e-6)  # x[p-1] - x[p]
    np.testing.assert_allclose(out[:, 1:, :, 1], x[:, :-1, :, 0] - x[:, 1:, :, 0], atol=1e-6)
    np.testing.assert_allclose(out[..., 2], 0.0)  # extra filters start at zero
    b, g, z = (rng.random((2, 6, 6, 2)).astype(np.float32) for _ in range(3))
    run_layer_test(DualUpdate, dict(channels=2, rate=0.5), [b, g, z], expected_output_shape=b.shape)
    np.testing.assert_allclose(DualUpdate(2, rate=0.5)([b, g, z]).numpy(), b + 0.5 * (g - z), atol=1e-6)
    run_layer_test(IRCStep, dict(step=0.7), [x, x], expected_output_shape=x.shape)
