import numpy as np

import tfdeblur
from tfdeblur import io, metrics, physics
from tfdeblur.cli import main


def _run_selfdeblur(tmp_path, gray_photo, capsys, *options):
    """Blur a 48x48 crop by a 5 px motion, deblur it from the command line; asserts success, 44x44 output."""
    sharp = gray_photo[100:148, 100:148]
    io.write_image(tmp_path / "blurry.png", physics.blur(sharp, physics.motion_kernel(5, 0), mode="valid"))
    code = main(["deblur", str(tmp_path / "blurry.png"), "--method", "selfdeblur", "--kernel-size", "5",
                 "-o", str(tmp_path / "out.png"), *options])
    assert code == 0, capsys.readouterr().err
    assert io.read_image(tmp_path / "out.png").shape == (44, 44)


def test_deblur_command_end_to_end(tmp_path, gray_photo, capsys):
    _run_selfdeblur(tmp_path, gray_photo, capsys, "--schedule", "paper", "--iterations", "3", "--seed", "1",
                    "--save-kernel", str(tmp_path / "k.png"))
    kernel = np.load(tmp_path / "k.npy")
    assert kernel.shape == (5, 5) and abs(float(kernel.sum()) - 1) < 1e-5
    assert io.read_image(tmp_path / "k.png").shape == (5, 5)


def test_deblur_command_nonblind_finish_and_tensorboard(tmp_path, gray_photo, capsys):
    _run_selfdeblur(tmp_path, gray_photo, capsys, "--schedule", "paper", "--iterations", "2", "--nonblind", "irc",
                    "--log-dir", str(tmp_path / "tb"))
    assert list((tmp_path / "tb").rglob("events.out.tfevents*"))


def test_deblur_command_bad_kernel_size_is_a_usage_error(tmp_path, gray_photo, capsys):
    io.write_image(tmp_path / "blurry.png", gray_photo[:40, :40])
    for size in ("6", "41"):
        code = main(["deblur", str(tmp_path / "blurry.png"), "--method", "selfdeblur", "--kernel-size", size,
                     "--schedule", "paper", "--iterations", "2", "-o", str(tmp_path / "out.png")])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("tfdeblur: error:") and "Traceback" not in err
        assert not (tmp_path / "out.png").exists()


def test_registered_method_and_demo_options():
    from tfdeblur import methods

    spec = methods.get("selfdeblur")
    assert not spec.needs_kernel and spec.in_default_demo
    assert spec.demo_options == {"schedule": "fast", "kernel_size": "auto"}
    assert methods.DEFAULT_METHOD == "selfdeblur"
    out = tfdeblur.deblur(np.full((24, 24), 0.5, np.float32), method="selfdeblur", kernel_size=3, iterations=2,
                          schedule="paper")
    assert out.shape == (24, 24)


def test_default_command_is_blind_fast_deblurring(tmp_path, gray_photo, capsys):
    """`tfdeblur deblur in.png -o out.png`: no method, no kernel; the fast schedule estimates one (its size
    given here to keep the test short; "auto" is covered in test_fast_schedule)."""
    sharp = gray_photo[:256, :256]
    kernel = physics.motion_kernel(9, 20)
    noise = np.random.default_rng(0).normal(0, 0.005, (248, 248))
    blurry = np.clip(physics.blur(sharp, kernel, mode="valid") + noise, 0, 1).astype(np.float32)
    io.write_image(tmp_path / "blurry.png", blurry)
    code = main(["deblur", str(tmp_path / "blurry.png"), "-o", str(tmp_path / "out.png"), "--kernel-size", "9",
                 "--save-kernel", str(tmp_path / "k.npy")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = io.read_image(tmp_path / "out.png")
    assert out.shape == blurry.shape
    crop = sharp[4:-4, 4:-4]  # the 'valid' blur's latent pixels; blind results are up to a shift: aligned
    gain = metrics.aligned_psnr(out, crop, border=10) - metrics.aligned_psnr(io.read_image(tmp_path / "blurry.png"),
                                                                            crop, border=10)
    assert gain > 3.0, gain
    assert metrics.kernel_error(np.load(tmp_path / "k.npy"), kernel) < 0.5


def test_paper_schedule_resumes_from_its_checkpoint_folder(tmp_path, gray_photo, capsys):
    folder = tmp_path / "run"
    _run_selfdeblur(tmp_path, gray_photo, capsys, "--schedule", "paper", "--iterations", "2",
                    "--checkpoint-dir", str(folder))
    assert (folder / "state.npz").exists() and '"steps": 2' in (folder / "history.json").read_text()
