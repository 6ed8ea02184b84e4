import numpy as np

import tfdeblur
from tfdeblur import io, physics
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
    _run_selfdeblur(tmp_path, gray_photo, capsys, "--iterations", "3", "--seed", "1",
                    "--save-kernel", str(tmp_path / "k.png"))
    kernel = np.load(tmp_path / "k.npy")
    assert kernel.shape == (5, 5) and abs(float(kernel.sum()) - 1) < 1e-5
    assert io.read_image(tmp_path / "k.png").shape == (5, 5)


def test_deblur_command_nonblind_finish_and_tensorboard(tmp_path, gray_photo, capsys):
    _run_selfdeblur(tmp_path, gray_photo, capsys, "--iterations", "2", "--nonblind", "irc",
                    "--log-dir", str(tmp_path / "tb"))
    assert list((tmp_path / "tb").rglob("events.out.tfevents*"))


def test_deblur_command_bad_kernel_size_is_a_usage_error(tmp_path, gray_photo, capsys):
    io.write_image(tmp_path / "blurry.png", gray_photo[:40, :40])
    for size in ("6", "41"):
        code = main(["deblur", str(tmp_path / "blurry.png"), "--method", "selfdeblur", "--kernel-size", size,
                     "--iterations", "2", "-o", str(tmp_path / "out.png")])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("tfdeblur: error:") and "Traceback" not in err
        assert not (tmp_path / "out.png").exists()


def test_registered_method_and_demo_options():
    from tfdeblur import methods

    spec = methods.get("selfdeblur")
    assert not spec.needs_kernel and spec.demo_options["iterations"] <= 500
    out = tfdeblur.deblur(np.full((24, 24), 0.5, np.float32), method="selfdeblur", kernel_size=3, iterations=2)
    assert out.shape == (24, 24)
