import numpy as np
import pytest
import tensorflow as tf

from tfdeblur.physics import Blur, motion_kernel
from tfdeblur.physics.nonuniform import (
    MotionBank,
    interpolated_kernel,
    interpolation,
    nonuniform_blur,
    nonuniform_convolve,
    random_motion_field,
)

SMALL = MotionBank(max_length=9, length_step=2, angle_step=30)


def test_default_bank_is_the_papers_511_motions():
    bank = MotionBank()
    kernels = bank.kernels()
    assert len(bank) == 511 == kernels.shape[0]
    assert kernels.shape[1] == kernels.shape[2] and kernels.shape[1] % 2 == 1
    np.testing.assert_allclose(kernels.sum(axis=(1, 2)), 1.0, atol=1e-5)
    params = bank.params()
    assert params[0].tolist() == [1.0, 0.0]
    assert sorted(set(params[:, 0].tolist())) == list(range(1, 36, 2))
    assert sorted(set(params[:, 1].tolist())) == list(range(0, 180, 6))
    # Bank entry (l = 35, a = 66) is that motion kernel, centre-padded.
    j = int(bank.index(17, 11))
    assert params[j].tolist() == [35.0, 66.0]
    k = motion_kernel(35, 66)
    pad = (kernels.shape[1] - k.shape[0]) // 2
    np.testing.assert_allclose(kernels[j, pad : pad + k.shape[0], pad : pad + k.shape[1]], k, atol=1e-7)
    assert int(bank.index(0, 7)) == 0


def test_constant_field_weights_sum_to_one_and_pick_neighbours():
    length = tf.fill([5, 6], 6.3)
    angle = tf.fill([5, 6], 47.0)
    indices, weights = interpolation(length, angle, SMALL)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, atol=1e-6)
    assert np.all(weights.numpy() > 0)
    picked = {tuple(SMALL.params()[j]) for j in indices.numpy()[0, 0]}
    assert picked == {(5.0, 30.0), (5.0, 60.0), (7.0, 30.0), (7.0, 60.0)}
    # (6.3, 47) is closest to (7, 60) in grid units: that neighbour weighs most.
    best = indices.numpy()[0, 0][np.argmax(weights.numpy()[0, 0])]
    assert tuple(SMALL.params()[best]) == (7.0, 60.0)


def test_angles_wrap_at_180_and_gradients_reach_the_field():
    length = tf.Variable([[7.0]])
    angle = tf.Variable([[178.0]])
    with tf.GradientTape() as tape:
        indices, weights = interpolation(length, angle, SMALL)
        score = tf.reduce_sum(weights * tf.cast(indices, tf.float32))
    grads = tape.gradient(score, [length, angle])
    assert all(g is not None and np.isfinite(g.numpy()).all() and np.abs(g.numpy()).sum() > 0 for g in grads)
    picked = {tuple(SMALL.params()[j]) for j in indices.numpy()[0, 0]}
    assert picked == {(7.0, 150.0), (7.0, 0.0), (9.0, 150.0), (9.0, 0.0)}


@pytest.mark.parametrize("length, angle", [(7.0, 30.0), (4.2, 101.0), (1.0, 0.0)])
def test_constant_field_equals_the_uniform_blur(rng, length, angle):
    x = rng.random((2, 30, 28, 3)).astype(np.float32)
    size = SMALL.size
    shape = (2, 30 - size + 1, 28 - size + 1)
    y = nonuniform_blur(tf.constant(x), tf.fill(shape, length), tf.fill(shape, angle), SMALL)
    kernel = interpolated_kernel(length, angle, SMALL)
    np.testing.assert_allclose(y.numpy(), Blur(kernel, mode="valid")(x).numpy(), atol=2e-6)


def test_bank_node_at_low_temperature_is_that_bank_kernel(rng):
    x = rng.random((24, 24)).astype(np.float32)
    size = SMALL.size
    field = np.full((24 - size + 1,) * 2, 7.0, np.float32)
    y = nonuniform_blur(x, field, np.full_like(field, 60.0), SMALL, temperature=1e-3)
    j = int(SMALL.index(3, 2))  # (7, 60)
    expected = Blur(SMALL.kernels()[j], mode="valid")(x[None, ..., None]).numpy()[0, ..., 0]
    np.testing.assert_allclose(y, expected, atol=2e-6)


def test_varying_field_blurs_each_pixel_with_its_own_kernel(rng):
    x = rng.random((1, 26, 26, 1)).astype(np.float32)
    size = SMALL.size
    out = 26 - size + 1
    length = np.where(np.arange(out)[None, :] < out // 2, 3.0, 9.0) * np.ones((out, 1))
    angle = np.full((out, out), 90.0)
    y = nonuniform_blur(
        tf.constant(x), length[None].astype(np.float32), angle[None].astype(np.float32), SMALL
    )
    for value, col in ((3.0, 0), (9.0, out - 1)):
        k = interpolated_kernel(value, 90.0, SMALL)
        uniform = Blur(k, mode="valid")(x).numpy()
        np.testing.assert_allclose(y.numpy()[0, :, col], uniform[0, :, col], atol=2e-6)


def test_summed_channels_mode_adds_per_channel_filters(rng):
    x = rng.random((1, 12, 12, 2)).astype(np.float32)
    filters = rng.standard_normal((3, 5, 5, 2)).astype(np.float32)
    indices = rng.integers(0, 3, (1, 12, 12, 4)).astype(np.int32)
    weights = rng.random((1, 12, 12, 4)).astype(np.float32)
    both = nonuniform_convolve(x, filters, indices, weights, mode="same", padding="zeros")
    parts = [
        nonuniform_convolve(
            x[..., c : c + 1], filters[..., c], indices, weights, mode="same", padding="zeros"
        )
        for c in range(2)
    ]
    np.testing.assert_allclose(both.numpy(), (parts[0] + parts[1]).numpy(), atol=1e-5)


def test_random_fields_are_smooth_and_in_range():
    length, angle = random_motion_field(40, 50, [3, 4], max_length=21.0, rotation=0.5)
    assert length.shape == (40, 50)
    assert float(tf.reduce_min(length)) >= 1.0 and float(tf.reduce_max(length)) <= 21.0
    assert float(tf.reduce_min(angle)) >= 0.0 and float(tf.reduce_max(angle)) < 180.0
    assert float(tf.reduce_max(tf.abs(length[:, 1:] - length[:, :-1]))) < 2.0  # locally linear
    flat, _ = random_motion_field(10, 10, [3, 4], max_length=21.0, rotation=0.0)
    assert float(tf.math.reduce_std(flat)) < 1e-5
