import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdeblur import InputError, metrics, physics
from tfdeblur.models.selfdeblur import SelfDeblur
from tfdeblur.models.selfdeblur.color import rgb_to_ycbcr, ycbcr_to_rgb
from tfdeblur.models.selfdeblur.losses import data_loss
from tfdeblur.models.selfdeblur.paper_schedule import multistep_schedule

SMALL = dict(down_channels=(16, 16, 16), up_channels=(16, 16, 16), skip_channels=(4, 4, 4), non_local_levels=(2,))


@pytest.fixture(scope="module")
def scene(gray_photo):
    """A 72x72 crop of the bundled photo, blurred ('valid') by a known 7x7 motion kernel."""
    sharp = gray_photo[64:136, 96:168]
    kernel = physics.motion_kernel(7, 30)
    return sharp, kernel, physics.blur(sharp, kernel, mode="valid")


def small_solver(kernel_size=7, iterations=10, **kwargs):
    kwargs.setdefault("seed", 0)
    return SelfDeblur(kernel_size, iterations, progress=False, generator_options=SMALL, **kwargs)


@pytest.mark.parametrize("size", [7, 35])  # 35 >= 25: where "auto" takes the FFT path anyway
def test_blur_of_generated_image_reaches_the_kernel(size):
    """SelfDeblur's data term differentiates through `physics.convolve` to the kernel, on both paths."""
    x = tf.Variable(tf.random.uniform((1, 60, 60, 1), seed=1))
    k = tf.Variable(tf.random.uniform((size, size), seed=2))
    grads = {}
    for method in ("direct", "fft"):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(physics.convolve(x, k, mode="valid", method=method) ** 2)
        grads[method] = tape.gradient(loss, [x, k])
    for direct, fft in zip(grads["direct"], grads["fft"]):
        scale = float(tf.reduce_max(tf.abs(direct)))
        assert scale > 0 and float(tf.reduce_max(tf.abs(direct - fft))) < 1e-4 * scale


@pytest.mark.slow  # ~17 s: two optimisation runs compared step by step
def test_fft_data_term_gives_the_direct_paths_loss_curve(scene):
    """The forced FFT blur changes rounding only: three steps follow the direct path's losses."""
    curves = {}
    for method in ("direct", "fft"):
        solver = small_solver(iterations=3, ssim_start=2)
        solver.blur_method = method
        image, kernel = solver.run(scene[2])
        curves[method] = (solver.history.loss, image, kernel)
    np.testing.assert_allclose(curves["fft"][0], curves["direct"][0], rtol=1e-4)
    # Adam's first moves are about lr x sign(gradient): a weight whose gradient is nearly zero may move
    # the other way on either path, so a few pixels differ by up to ~1e-2 while the losses agree.
    assert np.mean(np.abs(curves["fft"][1] - curves["direct"][1])) < 1e-3
    np.testing.assert_allclose(curves["fft"][2], curves["direct"][2], atol=1e-4)


@pytest.mark.slow  # ~20 s: two optimisation runs compared step by step
def test_faster_step_gives_the_keras_layers_loss_curve(scene, monkeypatch):
    """The speed-ups (fused batch norm, conv2d_valid gradients, FFT data term) keep the method: three
    steps give the losses of the plain Keras layers and the direct blur within 1e-4."""
    from tfdeblur.models.selfdeblur import conv_block, image_generator, non_local_block

    fast = small_solver(iterations=3, ssim_start=2)
    fast.run(scene[2])
    for module in (conv_block, image_generator, non_local_block):
        monkeypatch.setattr(module, "BatchNorm", keras.layers.BatchNormalization)
        if hasattr(module, "Conv2D"):
            monkeypatch.setattr(module, "Conv2D", keras.layers.Conv2D)
    plain = small_solver(iterations=3, ssim_start=2)
    plain.blur_method = "direct"
    plain.run(scene[2])
    assert type(plain.image_generator.ups[0].norm) is keras.layers.BatchNormalization
    assert type(plain.image_generator.ups[0].conv) is keras.layers.Conv2D
    np.testing.assert_allclose(fast.history.loss, plain.history.loss, rtol=1e-4)


@pytest.mark.slow  # ~12 s
def test_step_is_traced_once_per_loss(scene, monkeypatch):
    """A retrace per step would cost seconds: the step function is traced once for MSE, once for SSIM."""
    from tfdeblur.models.selfdeblur import self_deblur

    traced = []

    def counting(estimate, blurry, use_ssim):  # Python in a tf.function body runs only when tracing
        traced.append(use_ssim)
        return data_loss(estimate, blurry, use_ssim)

    monkeypatch.setattr(self_deblur, "data_loss", counting)
    small_solver(iterations=6, ssim_start=3).run(scene[2])
    assert sorted(traced) == [False, True]


def test_short_run_lowers_loss_and_kernel_error(scene):
    sharp, true_kernel, blurry = scene
    errors = {}
    solver = small_solver(
        iterations=80, log_every=1,
        callback=lambda step, image, k: errors.__setitem__(step, metrics.kernel_error(k, true_kernel)))
    image, kernel = solver.run(blurry)
    loss = solver.history.loss
    assert image.shape == blurry.shape and image.dtype == np.float32
    assert kernel.shape == (7, 7) and kernel.min() >= 0 and abs(float(kernel.sum()) - 1) < 1e-6
    assert np.mean(loss[-10:]) < 0.1 * loss[0]
    assert errors[80] < errors[1] - 0.02, errors
    assert len(solver.history.step_seconds) == 80


@pytest.fixture(scope="module")
def baseline(scene):
    """Five steps with seed 0: the reference other runs are compared with."""
    return small_solver(iterations=5).run(scene[2])


@pytest.mark.slow  # ~20 s with its baseline run
def test_same_seed_same_result_other_seed_differs(scene, baseline):
    first = small_solver(iterations=5, seed=3).run(scene[2])
    second = small_solver(iterations=5, seed=3).run(scene[2])
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.allclose(first[0], baseline[0])


@pytest.mark.slow  # ~10 s
def test_alternating_optimisation_and_tv_term_run(scene):
    solver = small_solver(iterations=30, optimization="alternating", tv_weight="auto")
    solver.run(scene[2])
    assert solver.history.loss[-1] < 0.5 * solver.history.loss[0]


@pytest.mark.slow  # ~14 s
def test_ssim_switch_schedule_and_tensorboard(scene, tmp_path):
    steps = []
    solver = small_solver(iterations=6, ssim_start=3, milestones=(2, 4), log_dir=tmp_path, log_every=2,
                          callback=lambda s, x, k: steps.append(s))
    solver.run(scene[2])
    mse, one_minus_ssim = solver.history.loss[2], solver.history.loss[3]
    assert mse < 0.1 and one_minus_ssim > mse  # the SSIM loss is on another scale than MSE
    assert steps == [2, 4, 6]
    tags = set()
    for event_file in tmp_path.glob("events.out.tfevents.*"):
        for record in tf.data.TFRecordDataset(str(event_file)):
            tags.update(value.tag for value in tf.compat.v1.Event.FromString(record.numpy()).summary.value)
    assert {"loss", "image", "kernel"} <= tags


def test_learning_rate_schedule_matches_pytorch_multisteplr():
    lr = multistep_schedule(0.01, (2000, 3000, 4000), 0.5)
    # The official code's MultiStepLR halves the rate *at* each milestone.
    assert [round(float(lr(s)), 6) for s in (0, 1999, 2000, 2999, 3000, 4000)] == \
        [0.01, 0.01, 0.005, 0.005, 0.0025, 0.00125]


def test_color_image_goes_through_luma(photo):
    blurry = physics.blur(photo[:40, :40], physics.disk_kernel(1), mode="valid")
    image, kernel = small_solver(kernel_size=3, iterations=3).run(blurry)
    assert image.shape == blurry.shape and kernel.shape == (3, 3)
    # The chroma of the input is kept (up to clipping at the gamut edge).
    np.testing.assert_allclose(rgb_to_ycbcr(image)[..., 1:], rgb_to_ycbcr(blurry)[..., 1:], atol=0.03)
    np.testing.assert_allclose(ycbcr_to_rgb(rgb_to_ycbcr(photo)), photo, atol=1e-5)


@pytest.mark.parametrize("solver", ["wiener", "irc"])
def test_nonblind_finish_uses_the_estimated_kernel_and_keeps_the_channel_axis(scene, baseline, solver):
    image, kernel = small_solver(iterations=5, nonblind=solver).run(scene[2][..., None])
    np.testing.assert_array_equal(kernel, baseline[1])
    assert image.shape == scene[2].shape + (1,) and not np.allclose(image[..., 0], baseline[0])


@pytest.mark.parametrize("kwargs, message", [
    (dict(kernel_size=6), "odd"),
    (dict(kernel_size=1), "odd"),
    (dict(kernel_size=(5, 4)), "odd"),
    (dict(kernel_size=5, iterations=0), "positive"),
    (dict(kernel_size=5, optimization="sideways"), "optimization"),
    (dict(kernel_size=5, precision="float8"), "precision"),
    (dict(kernel_size=5, nonblind="magic"), "nonblind"),
    (dict(kernel_size=5, tv_weight=-1.0), "tv_weight"),
])
def test_bad_settings(kwargs, message):
    with pytest.raises(InputError, match=message):
        SelfDeblur(**kwargs)


@pytest.mark.parametrize("kernel_size, image, message", [
    (13, np.zeros((20, 20, 2), np.float32), "gray or RGB"),
    (13, np.zeros((20, 20, 4), np.float32), "gray or RGB"),
    (13, np.zeros((30, 12), np.float32), "larger than"),
    (5, np.zeros((9, 9), np.float32), "at least"),
    (5, np.full((20, 20), 2.0, np.float32), r"\[0, 1\]"),
    (5, np.zeros((2, 20, 20, 1), np.float32), "HxW"),
])
def test_bad_images(kernel_size, image, message):
    with pytest.raises(InputError, match=message):
        SelfDeblur(kernel_size, iterations=1, progress=False).run(image)
