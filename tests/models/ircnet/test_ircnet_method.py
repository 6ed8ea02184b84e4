import numpy as np
import pytest

from tfdeblur import InputError, io, methods, metrics, physics, presets
from tfdeblur.cli import main


def test_cli_runs_the_classical_solver_with_a_kernel(tmp_path, gray_photo, capsys):
    kernel = physics.motion_kernel(9, 30)
    sharp = gray_photo[40:160, 40:160]
    blurry, target = physics.degrade(
        sharp, kernel, noise_sigma=0.01, mode="valid", seed=0, return_target=True
    )
    io.write_image(tmp_path / "blurry.png", blurry, bit_depth=16)
    np.save(tmp_path / "k.npy", kernel)
    code = main(
        [
            "deblur",
            str(tmp_path / "blurry.png"),
            "-o",
            str(tmp_path / "out.png"),
            "--method",
            "ircnet",
            "--kernel",
            str(tmp_path / "k.npy"),
            "--iterations",
            "5",
        ]
    )
    assert code == 0, capsys.readouterr().err
    restored = io.read_image(tmp_path / "out.png")
    assert metrics.psnr(restored, target) > metrics.psnr(blurry, target) + 2


def test_cli_blind_errors_are_one_line(tmp_path, gray_photo, capsys):
    io.write_image(tmp_path / "blurry.png", gray_photo[:64, :64])
    code = main(
        [
            "deblur",
            str(tmp_path / "blurry.png"),
            "-o",
            str(tmp_path / "out.png"),
            "--method",
            "ircnet",
            "--model",
            str(tmp_path / "missing.keras"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not found" in err
    assert not (tmp_path / "out.png").exists()


@pytest.mark.slow
def test_blind_preset_runs_from_the_api(gray_photo):
    """The shipped blind preset (Motion-Net -> IRC-Net) deblurs a motion-blurred photo without a kernel."""
    try:
        presets.resolve("ircnet/blind", "ircnet")
    except InputError:
        pytest.skip("no ircnet/blind preset installed")
    kernel = physics.motion_kernel(15, 30)
    blurry, target = physics.degrade(
        gray_photo[:160, :160], kernel, noise_sigma=0.01, mode="valid", seed=0, return_target=True
    )
    result = methods.run(blurry, method="ircnet")
    assert result.image.shape == blurry.shape and result.kernel is None
    assert metrics.psnr(result.image, target) > metrics.psnr(blurry, target)
    length, angle = result.info["median_motion"]
    assert abs(length - 15) < 6 and abs((angle - 30 + 90) % 180 - 90) < 20


def test_blind_without_a_preset_says_what_to_do(tmp_path, gray_photo, capsys, monkeypatch):
    monkeypatch.setattr(presets, "available", lambda family: [])
    io.write_image(tmp_path / "blurry.png", gray_photo[:64, :64])
    code = main(["deblur", str(tmp_path / "blurry.png"), "-o", str(tmp_path / "out.png"), "--method", "ircnet"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--kernel" in err
    assert not (tmp_path / "out.png").exists()


def test_blind_pipeline_runs_whole_or_tiled(tmp_path, gray_photo, monkeypatch):
    """The blind pipeline goes through the shared inference wrapper: automatic tiles on large images."""
    from tfdeblur.models import inference
    from tfdeblur.models.ircnet import BlindIRCNet, IRCNet, MotionNet
    from tfdeblur.models.ircnet import method as ircnet_method

    net = BlindIRCNet(MotionNet(width=4, blocks=1, max_length=5.0),
                      IRCNet(stages=1, inner=1, max_length=5, angle_step=45, filter_size=7))
    net(np.zeros((1, 16, 16, 1), np.float32))
    net.save(tmp_path / "blind.keras")
    image = gray_photo[:90, :100]
    whole = methods.run(image, method="ircnet", model=str(tmp_path / "blind.keras"))
    assert whole.info["tile"] is None and whole.image.shape == image.shape
    monkeypatch.setattr(inference, "TILE_SIZES", (64,))
    monkeypatch.setattr(ircnet_method, "IRCNET_BYTES_PER_BANK_ENTRY", 1e6)
    tiled = methods.run(image, method="ircnet", model=str(tmp_path / "blind.keras"))
    assert tiled.info["tile"] == 64 and tiled.image.shape == image.shape
    assert np.abs(tiled.image - whole.image)[16:-16, 16:-16].mean() < 0.02
