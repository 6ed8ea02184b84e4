import json

import numpy as np
import pytest

from tfdeblur import InputError, io, physics
from tfdeblur.cli import main
from tfdeblur.tasks import evaluate


@pytest.fixture
def pair_dir(tmp_path, gray_photo):
    for kind in ("blur", "sharp", "kernels"):
        (tmp_path / kind).mkdir()
    for i, angle in enumerate((0, 60)):
        kernel = physics.motion_kernel(11, angle)
        blurry = physics.degrade(gray_photo, kernel, noise_sigma=0.005, seed=i)
        io.write_image(tmp_path / "blur" / f"im{i}.png", blurry)
        io.write_image(tmp_path / "sharp" / f"im{i}.png", gray_photo)
        np.save(tmp_path / "kernels" / f"im{i}.npy", kernel)
    return tmp_path


def test_folder_evaluation_report(pair_dir):
    samples = evaluate.load_samples("folder", data_dir=str(pair_dir))
    assert [s.name for s in samples] == ["im0", "im1"] and samples[0].kernel.shape == (11, 11)
    report = evaluate.evaluate("wiener", samples, progress=False)
    assert report["count"] == 2
    assert report["mean"]["psnr"] > report["mean"]["blurry_psnr"] + 2
    assert report["mean"]["psnr"] == pytest.approx(np.mean([r["psnr"] for r in report["images"]]), abs=1e-3)


def test_levin_protocol_with_error_ratio(pair_dir):
    samples = evaluate.load_samples("folder", data_dir=str(pair_dir))
    report = evaluate.evaluate("wiener", samples, protocol="levin", progress=False)
    # Wiener against itself as the true-kernel reference: the ratio is exactly 1.
    assert all(r["error_ratio"] == pytest.approx(1.0) for r in report["images"])


def test_synthetic_set_is_reproducible(tmp_path, photo):
    io.write_image(tmp_path / "a.png", photo)
    a = evaluate.load_samples("synthetic", data_dir=str(tmp_path), kernel="trajectory", seed=4)
    b = evaluate.load_samples("synthetic", data_dir=str(tmp_path), kernel="trajectory", seed=4)
    np.testing.assert_array_equal(a[0].blurry, b[0].blurry)
    assert a[0].blurry.shape == a[0].sharp.shape


@pytest.mark.parametrize("kind", ["trajectory", "motion"])
def test_synthetic_kernels_in_an_extent_range(tmp_path, photo, kind):
    for i in range(6):
        io.write_image(tmp_path / f"{i}.png", photo[:64, :64])
    samples = evaluate.load_samples("synthetic", data_dir=str(tmp_path), kernel=f"{kind}:7-13", seed=5)
    extents = []
    for sample in samples:
        k = sample.kernel
        assert k.sum() == pytest.approx(1.0, abs=1e-5) and max(k.shape) <= 17
        ys, xs = np.nonzero(k > 1e-3 * k.max())
        extents.append(max(np.ptp(ys), np.ptp(xs)) + 1)  # support of the drawn path, in pixels
    assert min(extents) >= 5 and max(extents) <= 15  # 7-13 px paths, +-1 px of anti-aliasing each side
    assert len({k.kernel.tobytes() for k in samples}) == 6  # a different kernel per image
    again = evaluate.load_samples("synthetic", data_dir=str(tmp_path), kernel=f"{kind}:7-13", seed=5)
    np.testing.assert_array_equal(samples[0].blurry, again[0].blurry)


def test_gray_synthetic_set_is_the_luma_of_the_colour_one(tmp_path, photo):
    io.write_image(tmp_path / "a.png", photo[:64, :64])
    gray = evaluate.load_samples("synthetic", data_dir=str(tmp_path), kernel="motion:5,0", noise_sigma=0.0,
                                   gray=True)[0]
    colour = evaluate.load_samples("synthetic", data_dir=str(tmp_path), kernel="motion:5,0", noise_sigma=0.0)[0]
    assert gray.blurry.ndim == 2 and gray.sharp.shape == colour.sharp.shape[:2]
    luma = colour.sharp @ np.array([0.299, 0.587, 0.114], np.float32)
    np.testing.assert_allclose(gray.sharp, luma, atol=1e-5)


@pytest.mark.parametrize("spec", ["trajectory:13-7", "motion:0-5", "trajectory:a-b", "motion:3-200"])
def test_bad_extent_ranges_are_refused(tmp_path, photo, spec):
    io.write_image(tmp_path / "a.png", photo[:64, :64])
    with pytest.raises(InputError, match="blur"):
        evaluate.load_samples("synthetic", data_dir=str(tmp_path), kernel=spec)


def test_evaluate_cli_json_and_errors(pair_dir, capsys):
    code = main(["evaluate", "--method", "wiener", "--dataset", "folder", "--data-dir", str(pair_dir),
                 "-o", str(pair_dir / "report.json"), "--save-images", str(pair_dir / "out")])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out.strip())
    assert json.loads((pair_dir / "report.json").read_text())["mean"] == report["mean"]
    assert sorted(p.name for p in (pair_dir / "out").iterdir()) == ["im0.png", "im1.png"]
    assert main(["evaluate", "--method", "wiener", "--dataset", "nope", "--data-dir", str(pair_dir)]) == 2
    assert main(["evaluate", "--method", "wiener", "--dataset", "folder"]) == 2
    assert "error" in capsys.readouterr().err


def test_non_blind_method_needs_kernels(tmp_path, gray_photo):
    (tmp_path / "blur").mkdir()
    (tmp_path / "sharp").mkdir()
    io.write_image(tmp_path / "blur" / "x.png", gray_photo)
    io.write_image(tmp_path / "sharp" / "x.png", gray_photo)
    with pytest.raises(InputError, match="true kernel"):
        evaluate.evaluate("wiener", evaluate.load_samples("folder", data_dir=str(tmp_path)), progress=False)


def test_methods_that_run_non_blind_get_the_folders_kernels(pair_dir):
    samples = evaluate.load_samples("folder", data_dir=str(pair_dir))
    report = evaluate.evaluate("ircnet", samples, protocol="levin", progress=False)
    # the same non-blind method with the true kernel is the reference: it divides its own error
    assert all(r["reference"] == "ircnet" and r["error_ratio"] == pytest.approx(1.0) for r in report["images"])
    assert report["mean"]["psnr"] > report["mean"]["blurry_psnr"] + 2
    integer = evaluate.evaluate("ircnet", samples, protocol="levin-integer", progress=False)
    assert integer["mean"]["psnr"] <= report["mean"]["psnr"] + 1e-9


def test_blind_rows_say_what_the_command_line_says(pair_dir):
    samples = evaluate.load_samples("folder", data_dir=str(pair_dir), limit=1)
    report = evaluate.evaluate("blind", samples, protocol="levin", progress=False, blind=True)
    row = report["images"][0]
    assert row["model"] == "uniform" and row["summary"].startswith("uniform blur, kernel")
    assert set(row["stages"]) == {"estimate", "refine", "check", "finish"} and row["kernel_size"][0] <= 11
    assert 0 < row["noise_sigma"] < 0.02 and row["clipped_share"] >= 0
    assert row["retried"] == []  # a small kernel, estimated at full size: nothing to estimate again
    assert "warning" not in row  # the bundled photo is 256 px a side: large enough to trust


def test_auto_reference_follows_a_blind_methods_finisher():
    from tfdeblur.methods import DeblurResult

    result = DeblurResult(np.zeros((4, 4)), info={"nonblind": "wiener"})
    assert evaluate.reference_method("selfdeblur", "auto", result) == "wiener"
    assert evaluate.reference_method("idc", "auto", DeblurResult(np.zeros((4, 4)))) == "ircnet"
    assert evaluate.reference_method("wiener", "auto", result) == "wiener"
    assert evaluate.reference_method("idc", None, result) is None


def test_evaluate_on_a_photo_smaller_than_the_blur_kernel_is_a_one_line_error(tmp_path, gray_photo, capsys):
    (tmp_path / "photos").mkdir()
    io.write_image(tmp_path / "photos" / "small.png", gray_photo[:10, :10])
    code = main(["evaluate", "--method", "wiener", "--dataset", "synthetic", "--data-dir",
                 str(tmp_path / "photos"), "--blur", "motion:15,30"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "internal" not in err, err
    assert "small.png is 10x10, too small for its 15x15 blur kernel (at least 29x29" in err.splitlines()[-1]


def test_evaluate_of_a_pair_smaller_than_its_kernel_is_refused_before_running(tmp_path, gray_photo, capsys,
                                                                              monkeypatch):
    from tfdeblur import methods

    for kind in ("blur", "sharp", "kernels"):
        (tmp_path / kind).mkdir()
        if kind != "kernels":
            io.write_image(tmp_path / kind / "s.png", gray_photo[:10, :10])
    np.save(tmp_path / "kernels" / "s.npy", physics.motion_kernel(15, 30))
    monkeypatch.setattr(methods, "run", lambda *a, **k: pytest.fail("ran a method on a pair it cannot take"))
    code = main(["evaluate", "--method", "wiener", "--dataset", "folder", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "'s' is 10x10, smaller than its 15x15 blur kernel" in err, err


def test_evaluate_writing_into_a_read_only_folder_is_refused_before_running(pair_dir, capsys, monkeypatch,
                                                                          read_only):
    from tfdeblur import methods

    locked = pair_dir / "locked"
    locked.mkdir()
    read_only(locked)
    monkeypatch.setattr(methods, "run", lambda *a, **k: pytest.fail("ran before checking the outputs"))
    for extra in (["-o", str(locked / "r.json")], ["--save-images", str(locked)]):
        code = main(["evaluate", "--method", "wiener", "--dataset", "folder", "--data-dir", str(pair_dir), *extra])
        err = capsys.readouterr().err
        assert code == 2 and f"cannot write to the folder {locked}: permission denied" in err.splitlines()[-1]


def test_evaluate_blur_range_with_three_numbers_says_what_a_range_looks_like(tmp_path, photo, capsys):
    io.write_image(tmp_path / "a.png", photo[:64, :64])
    for blur in ("trajectory:7-13-20", "motion:7-"):
        code = main(["evaluate", "--method", "wiener", "--dataset", "synthetic", "--data-dir", str(tmp_path),
                     "--blur", blur])
        err = capsys.readouterr().err
        kind = blur.partition(":")[0]
        assert code == 2 and err.count("\n") == 1, err
        assert f"blur '{blur}': a range is {kind}:LO-HI, two numbers, e.g. {kind}:7-13" in err
        assert "comma-separated" not in err
