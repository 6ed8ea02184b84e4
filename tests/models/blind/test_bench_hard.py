"""`tools/bench_blind_hard.py`: its cases and its side-by-side pictures."""

import numpy as np
import pytest

from tfdeblur import io, physics


@pytest.fixture(scope="module")
def bench(load_tool):
    return load_tool("bench_blind_hard")


def test_a_capture_is_a_gray_crop_blurred_by_a_rotated_levin_kernel(bench, tmp_path, photo):
    path = tmp_path / "photo.png"
    io.write_image(path, np.pad(photo, ((0, 60), (0, 100), (0, 0)), mode="reflect"))
    rng = np.random.default_rng(0)
    sharp = bench.capture_crop(path, rng)
    blurry, reference, kernel = bench.make_case("captures", sharp, rng, bench.DEFAULT_LEVIN)
    assert sharp.shape == blurry.shape == (bench.CAPTURE_SIDE, bench.CAPTURE_SIDE) and reference is sharp
    assert abs(float(kernel.sum()) - 1) < 1e-5 and kernel.min() >= 0
    residual = blurry - np.asarray(physics.blur(sharp, kernel, mode="same"))
    inner = residual[20:-20, 20:-20]
    assert 0.004 < float(inner.std()) < 0.011  # noise 0.005-0.01, a little clipped


@pytest.mark.parametrize("height", [255, 256])
def test_the_side_by_side_has_the_photo_height_odd_or_even(bench, tmp_path, height):
    path = tmp_path / "sbs.png"
    flat = np.zeros((height, 300), np.float32)
    bench.side_by_side(path, flat, flat, np.ones((31, 31)), np.ones((9, 9)))
    picture = io.read_image(path)
    assert picture.shape[0] == height and picture.shape[1] == 600 + height - height // 2


def test_the_true_kernel_bound_is_the_blind_finish_by_the_true_kernel(bench, photo):
    from tfdeblur import metrics
    from tfdeblur.models.blind import BlindOptions
    from tfdeblur.models.blind.pipeline import finish_lam

    kernel = physics.motion_kernel(11, 30)
    rng = np.random.default_rng(1)
    blurry = bench.noisy(np.asarray(physics.blur(photo, kernel, mode="same")), 0.005, rng).astype(np.float32)
    bound = bench.true_kernel_finish(blurry, kernel, {"progress": False})
    assert bound.shape == photo.shape
    gain = metrics.psnr(bound[16:-16, 16:-16], photo[16:-16, 16:-16]) - metrics.psnr(blurry[16:-16, 16:-16],
                                                                                     photo[16:-16, 16:-16])
    assert gain > 3.0
    # The options reach the finish: a Wiener finish gives another image.
    wiener = bench.true_kernel_finish(blurry, kernel, {"options": {"finish": "wiener"}})
    assert float(np.abs(wiener - bound).max()) > 0.01
    # The weight the method used, when given, is the one the bound uses.
    heavier_lam = 100 * finish_lam(blurry, BlindOptions())
    heavier = bench.true_kernel_finish(blurry, kernel, {"progress": False}, lam=heavier_lam)
    assert float(np.abs(heavier - bound).max()) > 0.01


def test_a_noise_level_replaces_the_categorys_and_keeps_the_case(bench, photo):
    def case(noise):
        return bench.make_case("large", photo, np.random.default_rng(3), bench.DEFAULT_LEVIN, noise)

    blurry, sharp, kernel = case(None)
    quiet, _, same_kernel = case(0.002)
    np.testing.assert_array_equal(kernel, same_kernel)
    clean = np.asarray(physics.blur(sharp, kernel, mode="same"))
    assert 0.009 < float((blurry - clean)[8:-8, 8:-8].std()) < 0.011
    assert 0.0015 < float((quiet - clean)[8:-8, 8:-8].std()) < 0.0025


def test_an_encoded_case_is_the_blurry_photo_saved_and_decoded(bench, photo):
    blurry, _, _ = bench.make_case("large", photo, np.random.default_rng(3), bench.DEFAULT_LEVIN)
    rounded = bench.saved_as(blurry, "png")
    np.testing.assert_allclose(rounded, np.round(blurry * 255) / 255, atol=1e-6)  # only rounded to 8 bits
    decoded = bench.saved_as(blurry, "jpg:80")
    assert decoded.shape == blurry.shape and decoded.dtype == np.float32
    error = float(np.abs(decoded - blurry).mean())
    assert 0.002 < error < 0.03  # 8 bits and the quantised DCT: close, not equal
    np.testing.assert_allclose(decoded * 255, np.round(decoded * 255), atol=1e-3)  # 8-bit samples
    assert float(np.abs(bench.saved_as(blurry, "jpg:98") - blurry).mean()) < error


@pytest.mark.parametrize("value", ["jpg:0", "jpg:101", "jpg", "png:9", "tif", "jpg:x"])
def test_a_bad_encoding_exits_2(bench, value):
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--category", "large", "--encode", value])
    assert exit_info.value.code == 2
