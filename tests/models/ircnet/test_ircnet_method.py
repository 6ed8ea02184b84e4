from pathlib import Path

import numpy as np
import pytest

from tfdeblur import io, methods, metrics, physics, presets
from tfdeblur.cli import main

NONBLIND_CONFIG = str(Path(__file__).resolve().parents[3] / "configs" / "ircnet_nonblind.yaml")


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
def test_shipped_halves_run_as_a_blind_pipeline_from_the_api(tmp_path, gray_photo):
    """A pipeline put together from the two shipped halves runs through the API on a motion-blurred photo,
    and the non-blind half given the true motion field deblurs it."""
    from tfdeblur.models.ircnet import BlindIRCNet, IRCNet, MotionNet

    motion_net, ircnet = MotionNet.from_preset("motionnet"), IRCNet.from_preset("nonblind")
    pipeline = BlindIRCNet(motion_net, ircnet)
    pipeline(np.zeros((1, 48, 48, 1), np.float32))
    pipeline.save(tmp_path / "blind.keras")
    kernel = physics.motion_kernel(15, 30)
    blurry, target = physics.degrade(
        gray_photo[:160, :160], kernel, noise_sigma=0.01, mode="valid", seed=0, return_target=True
    )
    result = methods.run(blurry, method="ircnet", model=str(tmp_path / "blind.keras"))
    assert result.image.shape == blurry.shape and result.kernel is None
    length, angle = result.info["median_motion"]
    assert 1 <= length <= 35 and 0 <= angle < 180
    field = np.broadcast_to(np.array([15.0, 30.0], np.float32), (1,) + blurry.shape + (2,))
    restored = ircnet({"blurry": blurry[None, ..., None], "motion": field}).numpy()[0, ..., 0]
    assert metrics.psnr(np.clip(restored, 0, 1), target) > metrics.psnr(blurry, target) + 1


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


def test_mixed_precision_is_refused_for_ircnet(capsys):
    """IRC-Net computes in float32: `tfdeblur train` refuses a mixed-precision policy in one line, exit 2."""
    code = main(["train", NONBLIND_CONFIG, "--set", "trainer.mixed_precision=mixed_bfloat16", "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "float32" in err
    assert main(["train", NONBLIND_CONFIG, "--dry-run"]) == 0


@pytest.mark.parametrize("value", ["[-0.1,0]", "[0.2]", "[0.2,4,1]"])
def test_a_bad_field_error_is_refused_in_one_line(capsys, value):
    code = main(["train", NONBLIND_CONFIG, "--set", f"model.field_error={value}", "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "field_error" in err
    assert main(["train", NONBLIND_CONFIG, "--set", "model.field_error=[0.2,4]", "--dry-run"]) == 0


def test_a_grid_smaller_than_the_irc_filters_is_an_input_error(gray_photo):
    from tfdeblur import InputError
    from tfdeblur.solvers.irc import irc

    kernel = physics.motion_kernel(5, 0)
    with pytest.raises(InputError, match="smaller than the 31x31 IRC inverse filters"):
        irc(gray_photo[:12, :12], kernel, filter_size=31)
    with pytest.raises(InputError, match="IRC inverse filters"):
        irc(gray_photo[:12, :12], kernel, filter_size="auto")
    assert irc(gray_photo[:12, :12], kernel).shape == (12, 12)  # the default grid filters fit any image


def test_blind_pipeline_gives_each_tile_its_part_of_the_field(tmp_path, gray_photo, tiny_ircnet):
    """The refined field rides through the tiling with the image: tiles of 96 px give what the whole image
    gives, up to the tiles' own boundaries (blended away in the overlaps)."""
    from tfdeblur.models.ircnet import BlindIRCNet, MotionNet

    pipeline = BlindIRCNet(MotionNet(width=8, blocks=1, max_length=9.0), tiny_ircnet())
    pipeline(np.zeros((1, 32, 32, 1), np.float32))
    pipeline.save(tmp_path / "blind.keras")
    blurry = physics.degrade(gray_photo[:150, :170], physics.motion_kernel(7, 20), noise_sigma=0.01,
                             mode="valid", seed=0)
    whole = methods.run(blurry, method="ircnet", model=str(tmp_path / "blind.keras"))
    tiled = methods.run(blurry, method="ircnet", model=str(tmp_path / "blind.keras"), tile=96)
    assert whole.image.shape == tiled.image.shape == blurry.shape
    assert whole.info["tile"] is None and tiled.info["tile"] == 96
    assert np.mean(np.abs(whole.image - tiled.image)) < 0.01
    assert set(whole.info) >= {"median_motion", "measured_motion", "field_scale"}


def test_cli_blind_pipeline_says_what_motion_it_removed(tmp_path, gray_photo, tiny_ircnet, capsys):
    from tfdeblur.models.ircnet import BlindIRCNet, MotionNet

    pipeline = BlindIRCNet(MotionNet(width=8, blocks=1, max_length=9.0), tiny_ircnet())
    pipeline(np.zeros((1, 32, 32, 1), np.float32))
    pipeline.save(tmp_path / "blind.keras")
    io.write_image(tmp_path / "blurry.png", gray_photo[:96, :96])
    code = main(["deblur", str(tmp_path / "blurry.png"), "-o", str(tmp_path / "out.png"), "--method", "ircnet",
                 "--model", str(tmp_path / "blind.keras")])
    err = capsys.readouterr().err
    assert code == 0 and (tmp_path / "out.png").exists()
    assert "motion field median" in err and " px at " in err


def test_an_untrusted_field_is_scaled_and_the_cli_says_by_how_much(tmp_path, gray_photo, tiny_ircnet, capsys,
                                                                   monkeypatch):
    from tfdeblur.models.ircnet import BlindIRCNet, MotionNet, method

    pipeline = BlindIRCNet(MotionNet(width=8, blocks=1, max_length=9.0), tiny_ircnet(temperature=0.4))
    pipeline(np.zeros((1, 32, 32, 1), np.float32))
    pipeline.save(tmp_path / "blind.keras")
    uniform = np.broadcast_to(np.float32([0.5, 0.0]), (96, 96, 2)).copy()  # 4.5 px at 0 deg, not measured
    monkeypatch.setattr(method, "refine_field", lambda *args, **kwargs: (uniform, None))
    seen = []

    def select(deconvolve, blurry, motion, bank, temperature):
        assert temperature == pytest.approx(0.4)  # the model's, not the default: the reblur must match it
        seen.append((blurry.shape, float(np.median(motion[..., 0])), deconvolve(blurry, motion).shape))
        return 1.4, {"noise_sigma": 0.01, "threshold": 1e-4, "residuals": {1.4: 1e-4}}

    monkeypatch.setattr(method, "select_scale", select)
    io.write_image(tmp_path / "blurry.png", gray_photo[:96, :96])
    code = main(["deblur", str(tmp_path / "blurry.png"), "-o", str(tmp_path / "out.png"), "--method", "ircnet",
                 "--model", str(tmp_path / "blind.keras")])
    err = capsys.readouterr().err
    assert code == 0 and seen == [((96, 96), pytest.approx(4.5), (96, 96))]
    assert "motion field median 6.3 px at 0 deg (Motion-Net, lengths x1.4 by the reblur residual)" in err


@pytest.mark.slow  # ~20 s: the 511-motion bank's inverse filters, the 11 MB preset, tracing
def test_shipped_blind_preset_removes_an_unknown_linear_motion(gray_photo):
    """`tfdeblur.deblur(image, method="ircnet")` with no kernel: the ircnet/blind preset, field corrected by
    the photo's measured motion, gains over the blurry photo like on its held-out set (+2.2 dB mean)."""
    blurry, target = physics.degrade(gray_photo[:200, :200], physics.motion_kernel(13, 65), noise_sigma=0.01,
                                     mode="valid", seed=4, return_target=True)
    result = methods.run(blurry, method="ircnet")  # what tfdeblur.deblur runs, with what it found
    assert result.info["measured_motion"] is not None
    length, angle = result.info["median_motion"]
    assert abs(length - 13) < 2 and abs((angle - 65 + 90) % 180 - 90) < 6
    assert metrics.psnr(result.image, target) > metrics.psnr(blurry, target) + 1.0
