"""The fast schedule: kernel carried between levels, early stop, region, auto size, bad input."""

import numpy as np
import pytest

from tfdeblur import InputError, metrics, physics
from tfdeblur.cli import main
from tfdeblur.io import write_image
from tfdeblur.models.selfdeblur import KernelGenerator, SelfDeblur
from tfdeblur.models.selfdeblur import fast_schedule as fs
from tfdeblur.models.selfdeblur import kernel_transfer as kt
from tfdeblur.models.selfdeblur.fast_deblur import auto_kernel_size
from tfdeblur.models.selfdeblur.region import select_region

SMALL = dict(down_channels=(8, 8, 8), up_channels=(8, 8, 8), skip_channels=(2, 2, 2), non_local_levels=())
QUICK = dict(max_steps=12, min_steps=4, mse_steps=4, window=2, region=64, refine=1)


@pytest.fixture(scope="module")
def scene(gray_photo):
    """A 64x64 crop of the bundled photo blurred ('valid') by a 7 px motion kernel, and its kernel."""
    sharp = gray_photo[40:110, 80:150]
    kernel = physics.motion_kernel(7, 30)
    return physics.blur(sharp, kernel, mode="valid")[:64, :64], kernel


def test_carried_kernel_is_reproduced_exactly_at_the_start_of_a_level():
    coarse = physics.motion_kernel(5, 60)
    upsampled = kt.resize_kernel(coarse, (9, 9))
    net = KernelGenerator(9, seed=0)
    net.build((1, 200))
    before = net(np.full((1, 200), 0.05, np.float32))[0].numpy()
    claimed = kt.carry_kernel(net, upsampled)
    np.testing.assert_allclose(claimed, upsampled, atol=1e-4)  # only the log floor (1e-6 per tap) differs
    for noise in (np.full((1, 200), 0.05, np.float32), np.random.default_rng(1).random((1, 200)).astype("float32")):
        np.testing.assert_allclose(net(noise)[0].numpy(), claimed, atol=1e-7)
    assert np.abs(before - upsampled).max() > 1e-3  # the check above can fail: the fresh net differs


def test_resize_and_recentre_keep_a_valid_kernel():
    k = np.zeros((9, 9), np.float32)
    k[1, 1:4] = 1.0  # mass near a corner
    centred = kt.recentre(k)
    rows, cols = np.indices(k.shape)
    assert abs((rows * centred).sum() - 4) < 0.5 and abs((cols * centred).sum() - 4) < 0.5
    big = kt.resize_kernel(centred, (17, 17))
    assert big.shape == (17, 17) and big.min() >= 0 and abs(big.sum() - 1) < 1e-6


def test_trim_drops_empty_border_and_keeps_the_blur():
    k = np.zeros((21, 21), np.float32)
    k[7:14, 10] = 1.0 / 7
    trimmed = kt.trim_kernel(k)
    assert trimmed.shape[0] % 2 == 1 and trimmed.shape[0] >= 7 and trimmed.shape[1] == 3
    assert abs(trimmed.sum() - 1) < 1e-6


@pytest.mark.slow  # the "network" estimator (not the default): two short SelfDeblur fits, ~30 s
def test_kernel_change_and_early_stop(scene):
    assert fs.kernel_change([np.ones((3, 3))] * 3, 2) == 0.0
    assert fs.kernel_change([np.ones((3, 3))] * 2, 2) == np.inf
    blurry, true_kernel = scene
    level = fs.Level(1.0, blurry.shape, (7, 7))
    # The true kernel carried in and a tolerance no real run misses: the level stops at min_steps.
    loose = fs.FastOptions(max_steps=40, min_steps=5, window=2, tolerance=10.0, kernel_lr=1e-6)
    _, info = fs.fit_level(blurry, level, true_kernel, 0, loose, SMALL)
    assert info["stop"] == "converged" and info["steps"] == 5
    strict = fs.FastOptions(max_steps=8, min_steps=2, window=2, tolerance=0.0)
    _, info = fs.fit_level(blurry, level, None, 0, strict, SMALL)
    assert info["stop"] == "max_steps" and info["steps"] == 8


def test_plan_levels_goes_coarse_to_fine_with_odd_kernels():
    levels = fs.plan_levels((255, 255), (19, 19), fs.FastOptions())
    sizes = [lv.kernel_size[0] for lv in levels]
    assert sizes == sorted(sizes) and sizes[-1] == 19 and sizes[0] <= 7 and all(s % 2 for s in sizes)
    assert levels[-1].shape == (255, 255)


@pytest.mark.parametrize("estimator", ["l0", pytest.param("network", marks=pytest.mark.slow)])
def test_fast_schedule_small_case(scene, estimator):
    blurry, true_kernel = scene
    solver = SelfDeblur(7, seed=0, progress=False, generator_options=SMALL, schedule="fast",
                        fast_options=dict(QUICK, estimator=estimator))
    image, kernel = solver.run(blurry)
    assert image.shape == blurry.shape and image.dtype == np.float32
    assert abs(float(kernel.sum()) - 1) < 1e-5 and kernel.min() >= 0
    assert solver.info["kernel_size"] == list(kernel.shape) == [7, 7]
    assert solver.info["estimator"] == estimator and len(solver.info["levels"]) >= 2
    if estimator == "l0":  # seconds, and a kernel close to the truth on this textured crop
        assert metrics.kernel_error(kernel, true_kernel) < 0.6


def test_auto_kernel_size_is_trimmed_and_reported(scene):
    blurry, _ = scene
    rgb = np.repeat(blurry[..., None], 3, axis=-1)
    solver = SelfDeblur("auto", seed=0, progress=False, generator_options=SMALL, schedule="fast",
                        fast_options=dict(QUICK, coarsest_kernel=3))
    image, kernel = solver.run(rgb)
    assert image.shape == rgb.shape
    tried = solver.info["kernel_size_tried"]
    assert tried == [auto_kernel_size((64, 64))] * 2
    assert solver.info["kernel_size"] == list(kernel.shape) and kernel.shape[0] <= tried[0]
    assert auto_kernel_size((256, 256)) == 31 and auto_kernel_size((20, 20)) == 7
    assert "unreliable on a 64x64 image" in solver.info["warning"]  # small: the size is a guess


def test_region_picks_the_textured_window():
    rng = np.random.default_rng(0)
    luma = np.full((300, 400), 0.5, np.float32)
    luma[180:280, 250:380] = rng.random((100, 130))
    top, left, h, w = select_region(luma, 128)
    assert (h, w) == (128, 128)
    assert top <= 180 and top + h >= 280 - 30 and left <= 250 + 10 and left + w >= 370


@pytest.mark.parametrize("make", [
    lambda: SelfDeblur(7, schedule="slow"),
    lambda: SelfDeblur(7, schedule="fast", fast_options=dict(estimator="magic")),
    lambda: SelfDeblur("auto"),  # auto needs the fast schedule
    lambda: SelfDeblur(41, schedule="fast", progress=False).run(np.full((32, 32), 0.5, np.float32)),
    lambda: SelfDeblur(31, schedule="fast", progress=False).run(np.full((60, 60), 0.5, np.float32)),
])
def test_bad_input_raises_input_error(make):
    with pytest.raises(InputError):
        make()


@pytest.mark.parametrize("args, message", [
    (["--schedule", "slow"], "invalid choice"),
    (["--schedule", "fast", "--kernel-size", "41"], "larger than"),
    (["--schedule", "fast", "--kernel-size", "31"], "too small"),
    (["--kernel-size", "big"], "--kernel-size"),
    (["--schedule", "fast", "--iterations", "3"], "--iterations"),
])
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, args, message):
    write_image(tmp_path / "in.png", np.full((40, 40), 0.5, np.float32))
    out = tmp_path / "out.png"
    try:
        code = main(["deblur", str(tmp_path / "in.png"), "-o", str(out), "--method", "selfdeblur", *args])
    except SystemExit as exit_:  # argparse's own errors (invalid choice) exit from the parser
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_refine_kernel_recovers_the_blur_from_the_sharp_image(gray_photo):
    from tfdeblur.models.selfdeblur.kernel_refine import refine_kernel

    sharp = gray_photo[40:120, 80:160]
    kernel = physics.motion_kernel(7, 30)
    blurry = physics.blur(sharp, kernel, mode="valid")
    aligned = sharp[3:-3, 3:-3]  # the latent pixels under the blurry ones, as the non-blind solver returns
    start = np.full((7, 7), 1 / 49, np.float32)
    refined = refine_kernel(blurry, aligned, start)
    assert refined.shape == (7, 7) and refined.min() >= 0 and abs(refined.sum() - 1) < 1e-6
    assert metrics.kernel_error(refined, kernel) < 0.1 < metrics.kernel_error(start, kernel)
