import numpy as np
import pytest

import tfdeblur
from tfdeblur import io, metrics, physics
from tfdeblur.cli import main
from tfdeblur.training import resume


def _run_selfdeblur(tmp_path, gray_photo, capsys, *options):
    """Blur a 48x48 crop by a 5 px motion, deblur it from the command line; asserts success, 44x44 output."""
    sharp = gray_photo[100:148, 100:148]
    io.write_image(tmp_path / "blurry.png", physics.blur(sharp, physics.motion_kernel(5, 0), mode="valid"))
    code = main(["deblur", str(tmp_path / "blurry.png"), "--method", "selfdeblur", "--kernel-size", "5",
                 "-o", str(tmp_path / "out.png"), *options])
    assert code == 0, capsys.readouterr().err
    assert io.read_image(tmp_path / "out.png").shape == (44, 44)


@pytest.mark.slow  # ~12 s: the networks fitted through the CLI
def test_deblur_command_end_to_end(tmp_path, gray_photo, capsys):
    _run_selfdeblur(tmp_path, gray_photo, capsys, "--schedule", "paper", "--iterations", "3", "--seed", "1",
                    "--save-kernel", str(tmp_path / "k.png"))
    kernel = np.load(tmp_path / "k.npy")
    assert kernel.shape == (5, 5) and abs(float(kernel.sum()) - 1) < 1e-5
    assert io.read_image(tmp_path / "k.png").shape == (5, 5)


@pytest.mark.slow  # ~11 s: the networks fitted through the CLI
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
    assert not spec.needs_kernel and not spec.in_default_demo  # thousands of network steps
    assert spec.demo_options["schedule"] == "paper"
    assert methods.DEFAULT_METHOD == "blind"


@pytest.mark.slow  # ~19 s: builds the paper-size generators
def test_the_paper_schedule_runs_through_deblur():
    out = tfdeblur.deblur(np.full((24, 24), 0.5, np.float32), method="selfdeblur", kernel_size=3, iterations=2,
                          schedule="paper")
    assert out.shape == (24, 24)


@pytest.mark.slow  # two paper-size generator builds, ~27 s
def test_the_networks_can_start_from_the_blind_estimate(gray_photo):
    from tfdeblur.models.selfdeblur.method import deblur_method

    sharp = gray_photo[60:156, 60:156]
    kernel = physics.motion_kernel(7, 30)
    blurry = physics.blur(sharp, kernel, mode="valid")
    result = deblur_method(blurry, kernel_size=7, iterations=1, schedule="paper", init="blind", progress=False)
    assert result.info["init"] == "blind" and result.kernel.shape == (7, 7)
    # one step from the L0 estimate keeps a kernel close to the truth; a random start is far from it
    assert metrics.kernel_error(result.kernel, kernel) < 0.6
    fresh = deblur_method(blurry, kernel_size=7, iterations=1, schedule="paper", progress=False)
    assert metrics.kernel_error(fresh.kernel, kernel) > metrics.kernel_error(result.kernel, kernel)


@pytest.mark.slow  # ~10 s: two CLI runs of the networks
def test_paper_schedule_resumes_from_its_checkpoint_folder(tmp_path, gray_photo, capsys):
    folder = tmp_path / "run"
    _run_selfdeblur(tmp_path, gray_photo, capsys, "--schedule", "paper", "--iterations", "2",
                    "--checkpoint-dir", str(folder))
    assert resume.read_state(folder).step == 2 and len(resume.read_curve(folder)) == 2
    assert '"steps": 2' in (folder / "history.json").read_text()
