import json
import subprocess
import sys

import numpy as np
import pytest

from tfdeblur import io, metrics, physics
from tfdeblur.cli import main


@pytest.fixture
def scene(tmp_path, gray_photo):
    """A sharp photo, its kernel and its blurry version on disk."""
    io.write_image(tmp_path / "sharp.png", gray_photo)
    kernel = physics.motion_kernel(15, 30)
    np.save(tmp_path / "kernel.npy", kernel)
    return tmp_path


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [[], ["blur"], ["deblur"], ["demo"]])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(command + ["--help"])
    assert exit_info.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_blur_then_wiener_raises_psnr(scene, capsys, gray_photo):
    code, out, err = run(["blur", scene / "sharp.png", "-o", scene / "blurry.png", "--kernel", "motion:15,30",
                          "--noise", "0.01", "--save-kernel", scene / "k.png"], capsys)
    assert code == 0, err
    assert (scene / "k.png").exists()
    code, out, err = run(["deblur", scene / "blurry.png", "-o", scene / "restored.png", "--method", "wiener",
                          "--kernel", scene / "kernel.npy"], capsys)
    assert code == 0, err
    blurry = io.read_image(scene / "blurry.png")
    restored = io.read_image(scene / "restored.png")
    crop = (slice(20, -20), slice(20, -20))  # away from the mirrored boundary
    gain = metrics.psnr(restored[crop], gray_photo[crop]) - metrics.psnr(blurry[crop], gray_photo[crop])
    assert gain > 2.0


def test_deblur_several_inputs_into_a_folder(scene, capsys):
    for name in ("a.png", "b.png"):
        run(["blur", scene / "sharp.png", "-o", scene / name, "--kernel", "disk:2"], capsys)
    code, _, err = run(["deblur", scene / "a.png", scene / "b.png", "-o", scene / "out", "--method", "wiener",
                        "--kernel", "kernel.npy" if False else scene / "kernel.npy"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in (scene / "out").iterdir()) == ["a.png", "b.png"]


def test_sixteen_bit_input_gives_sixteen_bit_output(scene, capsys, gray_photo):
    io.write_image(scene / "deep.png", gray_photo, bit_depth=16)
    code, _, err = run(["blur", scene / "deep.png", "-o", scene / "deep_blurry.png", "--kernel", "gaussian:1"],
                       capsys)
    assert code == 0, err
    assert io.read_image(scene / "deep_blurry.png", return_bit_depth=True)[1] == 16


def _bad_inputs(scene):
    (scene / "empty.png").write_bytes(b"")
    (scene / "text.png").write_text("not an image at all")
    (scene / "corrupt.png").write_bytes((scene / "sharp.png").read_bytes()[:300])
    io.write_image(scene / "tiny.png", np.full((8, 8), 0.5))
    bad_kernels = {"negative": np.array([[0.6, -0.2], [0.3, 0.3]]), "nan": np.full((3, 3), np.nan),
                   "zero": np.zeros((3, 3))}
    for name, k in bad_kernels.items():
        np.save(scene / f"{name}.npy", k)
    wiener = ["--method", "wiener", "--kernel", scene / "kernel.npy"]
    return {
        "missing file": ["deblur", scene / "missing.png", "-o", scene / "o.png", *wiener],
        "empty file": ["deblur", scene / "empty.png", "-o", scene / "o.png", *wiener],
        "text named png": ["deblur", scene / "text.png", "-o", scene / "o.png", *wiener],
        "corrupt png": ["deblur", scene / "corrupt.png", "-o", scene / "o.png", *wiener],
        "smaller than kernel": ["deblur", scene / "tiny.png", "-o", scene / "o.png", *wiener],
        "negative kernel": ["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "wiener",
                            "--kernel", scene / "negative.npy"],
        "nan kernel": ["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "wiener",
                       "--kernel", scene / "nan.npy"],
        "zero-sum kernel": ["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "wiener",
                            "--kernel", scene / "zero.npy"],
        "unknown method": ["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "magic"],
        "missing kernel": ["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "wiener"],
        "bad output extension": ["deblur", scene / "sharp.png", "-o", scene / "o.xyz", *wiener],
        "second input bad": ["deblur", scene / "sharp.png", scene / "text.png", "-o", scene / "outdir", *wiener],
        "blur bad kernel spec": ["blur", scene / "sharp.png", "-o", scene / "o.png", "--kernel", "motion:abc"],
        "blur tiny image": ["blur", scene / "tiny.png", "-o", scene / "o.png", "--kernel", "motion:15,0"],
        "unknown option": ["deblur", scene / "sharp.png", "-o", scene / "o.png", "--bogus", "1"],
    }


def test_bad_inputs_give_one_line_exit_2_and_no_output(scene, capsys):
    for name, argv in _bad_inputs(scene).items():
        before = set(p.name for p in scene.rglob("*"))
        try:
            code, out, err = run(argv, capsys)
        except SystemExit as exit_info:  # argparse errors
            code = exit_info.code
            err = capsys.readouterr().err
        assert code == 2, name
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "error" in lines[0], (name, err)
        assert "Traceback" not in err
        created = set(p.name for p in scene.rglob("*")) - before
        assert not any(n.endswith((".png", ".tmp")) or n.startswith(".") for n in created), (name, created)


def test_real_process_exit_code_and_stderr(scene):
    proc = subprocess.run([sys.executable, "-m", "tfdeblur", "deblur", str(scene / "missing.png"), "-o",
                           str(scene / "o.png"), "--method", "wiener", "--kernel", str(scene / "kernel.npy")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"tfdeblur: error: no such file: {scene / 'missing.png'}"]


def test_demo_writes_comparison_and_reports(tmp_path, capsys):
    code, out, err = run(["demo", "-o", tmp_path / "demo", "--methods", "wiener"], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["methods"]["wiener"]["psnr"] > report["blurry"]["psnr"] + 2
    panel = io.read_image(tmp_path / "demo" / "comparison.png")
    assert panel.shape[1] > 2 * 240 and panel.ndim == 3
    assert json.loads((tmp_path / "demo" / "metrics.json").read_text())["methods"]


@pytest.mark.parametrize("argv", [
    ["export", "--model", "x.keras", "--family", "idc"],                       # nothing to export
    ["export", "--model", "missing.keras", "--family", "idc", "--tflite", "m.tflite"],
    ["export", "--model", "small", "--saved-model", "out"],                     # family unknown
    ["train", "no_such_config.yaml"],
])
def test_train_and_export_usage_errors(tmp_path, capsys, argv, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(argv, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_default_demo_runs_every_method_and_the_blind_default_with_auto_size(monkeypatch, tmp_path):
    from tfdeblur.tasks import demo

    ran = {}
    monkeypatch.setattr(demo.methods, "run", lambda blurry, method, kernel=None, **o: ran.update({method: o}) or
                        demo.methods.DeblurResult(blurry))
    demo.run_demo(tmp_path)
    assert set(ran) == {"wiener", "idc", "ircnet", "odcnn", "blind"}
    assert ran["blind"] == {"kernel_size": "auto"}  # what the default command runs


@pytest.mark.slow
def test_full_default_demo_beats_the_blurry_input(tmp_path, capsys):
    code, out, err = run(["demo", "-o", tmp_path / "demo"], capsys)
    assert code == 0, err
    report = json.loads(out)
    for name, entry in report["methods"].items():
        assert entry["psnr"] > report["blurry"]["psnr"], name
