import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdeblur import metrics
from tfdeblur.models.ircnet import BlindIRCNet, IRCNet, MotionNet
from tfdeblur.physics.nonuniform import nonuniform_blur, random_motion_field
from tfdeblur.testing import run_model_saving_test


def nonuniform_batch(photo, bank, size=48, count=2, seed=0, noise=0.01):
    """Crops of the photo blurred with smooth random motion fields ('valid': no boundary artefact)."""
    rng = np.random.default_rng(seed)
    margin = (bank.size - 1) // 2
    crops, fields = [], []
    for i in range(count):
        r, c = rng.integers(0, photo.shape[0] - size - bank.size, 2)
        crops.append(photo[r : r + size + bank.size - 1, c : c + size + bank.size - 1])
        length, angle = random_motion_field(
            size, size, [seed, i], max_length=float(bank.max_length), rotation=0.3, min_length=5.0
        )
        fields.append(np.stack([length, angle], -1))
    crops = np.stack(crops)[..., None] if np.ndim(crops[0]) == 2 else np.stack(crops)
    motion = np.stack(fields).astype(np.float32)
    blurry = nonuniform_blur(tf.constant(crops), motion[..., 0], motion[..., 1], bank).numpy()
    blurry = np.clip(blurry + noise * rng.standard_normal(blurry.shape), 0, 1).astype(np.float32)
    sharp = crops[:, margin : margin + size, margin : margin + size]
    return blurry, motion, sharp.astype(np.float32)


def test_untrained_ircnet_deblurs_non_uniform_blur(gray_photo, tiny_bank, tiny_ircnet):
    blurry, motion, sharp = nonuniform_batch(gray_photo, tiny_bank)
    net = tiny_ircnet(stages=5, inner=2, filter_size=15)
    out = net({"blurry": blurry, "motion": motion}).numpy()
    assert out.shape == blurry.shape
    gain = metrics.psnr(np.clip(out, 0, 1), sharp) - metrics.psnr(blurry, sharp)
    assert gain > 2.0
    # The motion matters: deblurring with a wrong (perpendicular) field is worse.
    wrong = motion.copy()
    wrong[..., 1] = (wrong[..., 1] + 90) % 180
    worse = net({"blurry": blurry, "motion": wrong}).numpy()
    assert metrics.psnr(np.clip(worse, 0, 1), sharp) < metrics.psnr(np.clip(out, 0, 1), sharp) - 1.0


def test_colour_channels_share_the_motion(photo, tiny_bank, tiny_ircnet):
    blurry, motion, _ = nonuniform_batch(photo, tiny_bank, size=32, count=1)
    net = tiny_ircnet()
    out = net({"blurry": blurry, "motion": motion}).numpy()
    for c in range(3):
        single = net({"blurry": blurry[..., c : c + 1], "motion": motion}).numpy()
        np.testing.assert_allclose(out[..., c : c + 1], single, atol=1e-5)


def test_ircnet_keras_round_trip(gray_photo, tiny_bank, tiny_ircnet, tmp_path):
    blurry, motion, _ = nonuniform_batch(gray_photo, tiny_bank, size=32, count=1)
    net = tiny_ircnet()
    inputs = {"blurry": blurry, "motion": motion}
    net(inputs)
    net.inverse_filters.filters.assign(net.inverse_filters.filters * 1.01)  # not the initial weights
    restored = run_model_saving_test(net, inputs, tmp_path, check_saved_model=False)
    assert isinstance(restored, IRCNet) and restored.get_config() == net.get_config()


@pytest.mark.slow  # ~20 s: SavedModel export and reload of the blind pipeline
def test_blind_pipeline_saved_model_round_trip(gray_photo, tiny_bank, tiny_ircnet, tmp_path):
    # with the in-graph smoothing (smoothing=0 runs the same graph without it); 18 s, so one case
    blurry, _, _ = nonuniform_batch(gray_photo, tiny_bank, size=32, count=1)
    model = BlindIRCNet(MotionNet(width=8, blocks=1, max_length=9.0), tiny_ircnet(), smoothing=0.3)
    model(blurry)
    restored = run_model_saving_test(model, blurry, tmp_path)
    assert isinstance(restored.motion_net, MotionNet) and isinstance(restored.ircnet, IRCNet)
    assert restored.smoothing == 0.3


def test_blind_pipeline_smooths_its_field_as_the_python_blind_path_does(gray_photo, tiny_ircnet):
    from tfdeblur.models.ircnet.method import blind_field

    blurry = gray_photo[:48, :72]
    model = BlindIRCNet(MotionNet(width=8, blocks=1, max_length=9.0), tiny_ircnet(), smoothing=0.3)
    model(blurry[None, ..., None])
    head = model.motion_net.head  # a varying field, away from the clipping at length 1
    head.kernel.assign(tf.random.stateless_normal(head.kernel.shape, [1, 2], stddev=0.5))
    head.bias.assign([0.3, 0.2])
    field, *_ = blind_field(model, blurry, refine=False)
    expected = model.ircnet({"blurry": blurry[None, ..., None], "motion": field[None]}).numpy()
    np.testing.assert_allclose(model(blurry[None, ..., None]).numpy(), expected, atol=1e-5)
    with pytest.raises(ValueError, match="smoothing"):
        BlindIRCNet(model.motion_net, model.ircnet, smoothing=-1.0)


def test_gradients_flow_through_the_interpolation_to_motion_net(gray_photo, tiny_bank, tiny_ircnet):
    blurry, _, sharp = nonuniform_batch(gray_photo, tiny_bank, size=32, count=1)
    model = BlindIRCNet(MotionNet(width=8, blocks=1, max_length=9.0), tiny_ircnet())
    model(blurry)
    # Start from a constant field inside the bank's range (lengths are clipped to [1, max_length], where
    # the gradient is zero): a zero head kernel and a bias of length 5.2 px.
    head = model.motion_net.head
    head.kernel.assign(tf.zeros_like(head.kernel))
    head.bias.assign([0.5, 0.3])
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(blurry) - sharp))
    grad = tape.gradient(loss, head.kernel).numpy()
    assert np.isfinite(grad).all() and np.abs(grad).sum() > 0


def test_training_steps_reduce_the_loss(gray_photo, tiny_bank, tiny_ircnet):
    keras.utils.set_random_seed(0)
    blurry, motion, sharp = nonuniform_batch(gray_photo, tiny_bank, size=32, count=4, seed=3, noise=0.02)
    net = tiny_ircnet()
    inputs = {"blurry": blurry, "motion": motion}
    net.compile(keras.optimizers.Adam(1e-3), loss="mse")
    before = net.evaluate(inputs, sharp, verbose=0)
    net.fit(inputs, sharp, batch_size=4, epochs=10, verbose=0)
    after = net.evaluate(inputs, sharp, verbose=0)
    assert after < 0.9 * before
