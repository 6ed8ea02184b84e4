import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdeblur.models.ircnet import MotionNet, motion_to_vector, vector_to_motion
from tfdeblur.physics.nonuniform import nonuniform_blur


def test_vector_encoding_round_trip_and_half_turn_symmetry():
    length = tf.constant([3.0, 20.0, 35.0, 7.0])
    angle = tf.constant([0.0, 45.0, 179.0, 90.0])
    back = vector_to_motion(motion_to_vector(length, angle, 35.0), 35.0).numpy()
    np.testing.assert_allclose(back[:, 0], length.numpy(), atol=1e-4)
    np.testing.assert_allclose(back[:, 1], angle.numpy(), atol=1e-3)
    # The same motion drawn backwards has the same code, and 179 degrees is next to 1 degree.
    np.testing.assert_allclose(
        motion_to_vector(length, angle + 180.0, 35.0), motion_to_vector(length, angle, 35.0), atol=1e-6
    )
    gap = motion_to_vector(10.0, 179.0, 35.0) - motion_to_vector(10.0, 1.0, 35.0)
    assert float(tf.norm(gap)) < 0.02


@pytest.mark.slow  # ~15 s: a short training end to end
def test_motion_net_recovers_constant_motions_after_short_training(gray_photo, tiny_bank):
    """The photo blurred with two constant motions (9 px vertical, 9 px horizontal): after ~500 steps on
    32x32 crops of the left part, Motion-Net reads each motion off crops of the unseen right part."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    motions = [(9.0, 90.0), (9.0, 0.0)]
    side = gray_photo.shape[0] - tiny_bank.size + 1
    blurred = [
        nonuniform_blur(
            gray_photo, np.full((side, side), ml, np.float32), np.full((side, side), a, np.float32), tiny_bank
        )
        for ml, a in motions
    ]
    patch, split = 32, 180
    picks = rng.integers(0, 2, 1600)
    rows = rng.integers(0, side - patch, 1600)
    cols = rng.integers(0, split - patch, 1600)
    x = np.stack([blurred[m][r : r + patch, c : c + patch, None] for m, r, c in zip(picks, rows, cols)])
    codes = motion_to_vector(*np.asarray(motions, np.float32).T, 9.0).numpy()
    y = np.broadcast_to(codes[picks][:, None, None, :], (len(picks), patch, patch, 2))
    net = MotionNet(width=8, blocks=1, max_length=9.0)
    net.compile(keras.optimizers.Adam(1e-2), loss="mse")
    net.fit(x, y, batch_size=16, epochs=5, verbose=0)
    for (length, angle), image in zip(motions, blurred):
        field = net.motion_field(image[None, :, split:, None]).numpy()[0, 6:-6, 6:-6]  # the unseen strip
        # The direction comes first; after ~500 steps the length is still under-estimated on unseen content.
        assert abs(np.median(field[..., 0]) - length) < 0.5 * length, np.median(field[..., 0])
        assert abs((np.median(field[..., 1]) - angle + 90) % 180 - 90) < 10.0, np.median(field[..., 1])
