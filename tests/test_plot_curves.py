"""tools/plot_curves.py: a resumable run's curve.csv -> a PNG of validation gain against CPU hours."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tfdeblur import io
from tfdeblur.training.resume import CURVE_FIELDS, CURVE_FILE


@pytest.fixture(scope="module")
def tool(load_tool):
    return load_tool("plot_curves")


def write_curve(folder: Path, gains, sessions):
    folder.mkdir(parents=True)
    with (folder / CURVE_FILE).open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CURVE_FIELDS)
        writer.writeheader()
        for i, (gain, session) in enumerate(zip(gains, sessions)):
            writer.writerow({"stage": "train", "epoch": i + 1, "step": 25 * (i + 1), "cpu_seconds": 240.0 * (i + 1),
                             "wall_seconds": 300.0 * (i + 1), "session": session, "learning_rate": 3e-4,
                             "loss": 0.1, "val_loss": 0.1, "val_psnr": 23.0 + gain, "val_blurry_psnr": 23.0,
                             "val_gain_db": gain})


def test_plots_two_runs_and_reports_their_last_points(tool, tmp_path, capsys):
    write_curve(tmp_path / "a" / "resume", [0.1, 0.3, 0.2, 0.6], [1, 1, 2, 2])
    write_curve(tmp_path / "b" / "resume", [0.05, 0.1], [1, 1])
    out = tmp_path / "curves.png"
    assert tool.main([str(tmp_path / "a" / "resume"), str(tmp_path / "b" / "resume" / CURVE_FILE),
                      "-o", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["run"] for r in report["runs"]] == ["a", "b"]
    assert report["runs"][0]["step"] == 100 and report["runs"][0]["val_gain_db"] == pytest.approx(0.6)
    assert report["runs"][0]["cpu_hours"] == pytest.approx(960 / 3600, abs=1e-3)
    assert report["runs"][1]["x_end"] == pytest.approx(480 / 3600, abs=1e-3)
    # --chain: b continues a (started from its weights), so its axis starts where a ended
    assert tool.main([str(tmp_path / "a" / "resume"), str(tmp_path / "b" / "resume"), "--chain", "--x", "step",
                      "-o", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["x_end"] for r in report["runs"]] == [100, 150]
    assert report["runs"][0]["best"] == pytest.approx(0.6) and report["runs"][0]["sessions"] == 2
    image = io.read_image(out)
    assert image.shape[0] > 200 and image.shape[1] > 400
    assert np.std(image) > 0.05  # axes, lines and text, not a blank canvas


def test_missing_or_empty_curves_are_one_line_errors(tool, tmp_path, capsys):
    out = tmp_path / "x.png"
    assert tool.main([str(tmp_path / "nowhere"), "-o", str(out)]) == 2
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / CURVE_FILE).write_text(",".join(CURVE_FIELDS) + "\n")
    assert tool.main([str(tmp_path / "empty"), "-o", str(out)]) == 2
    write_curve(tmp_path / "ok", [0.1], [1])
    assert tool.main([str(tmp_path / "ok"), "-o", str(tmp_path / "x.txt")]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 3 and "Traceback" not in err
    assert not out.exists()


def test_the_log_fit_recovers_a_log_linear_curve_and_extrapolates_it(tool, tmp_path, capsys):
    hours = 240.0 * np.arange(1, 9) / 3600
    gains = 0.3 + 0.15 * np.log(hours)
    gains[0] = 5.0  # before --fit-from-step: left out of the fit
    write_curve(tmp_path / "run" / "resume", list(gains), [1] * 8)
    assert tool.main([str(tmp_path / "run" / "resume"), "--fit-from-step", "50", "--target", "1.0",
                      "-o", str(tmp_path / "fit.png")]) == 0
    fit = json.loads(capsys.readouterr().out)["runs"][0]["log_fit"]
    assert fit["points"] == 7 and fit["rms_residual"] < 1e-3
    assert fit["a"] == pytest.approx(0.3, abs=1e-3) and fit["b_per_e_fold"] == pytest.approx(0.15, abs=1e-3)
    assert fit["x_at_target"] == pytest.approx(np.exp(0.7 / 0.15), rel=1e-2)
    # a falling trend never reaches a higher target
    assert tool.log_fit([1, 2, 4], [0.5, 0.4, 0.3], target=1.0)["x_at_target"] is None
    assert tool.log_fit([1, 2, 4], [0.5, 0.4, 0.3], target=0.0)["x_at_target"] == pytest.approx(
        np.exp(0.5 / (0.1 / np.log(2))), rel=1e-3)


def test_fit_options_are_checked(tool, tmp_path, capsys):
    write_curve(tmp_path / "short", [0.1, 0.2], [1, 1])
    out = str(tmp_path / "x.png")
    assert tool.main([str(tmp_path / "short"), "--fit-from-step", "0", "-o", out]) == 2  # 2 points
    assert "at least 3 points" in capsys.readouterr().err
    for argv in (["--target", "1"], ["--fit-from-step", "-5"]):
        with pytest.raises(SystemExit) as exit_info:
            tool.main([str(tmp_path / "short"), *argv, "-o", out])
        assert exit_info.value.code == 2


def test_branches_start_where_the_first_run_ended_and_are_measured_against_its_trend(tool, tmp_path, capsys):
    hours = 240.0 * np.arange(1, 9) / 3600
    write_curve(tmp_path / "trunk" / "resume", list(0.3 + 0.15 * np.log(hours)), [1] * 8)
    end = hours[-1]
    # two continuations from the trunk's last weights, 2 points each (too few for a fit of their own)
    on_trend = 0.3 + 0.15 * np.log(end + hours[:2])
    write_curve(tmp_path / "same" / "resume", list(on_trend), [1, 1])
    write_curve(tmp_path / "better" / "resume", list(on_trend + 0.2), [1, 2])
    assert tool.main([str(tmp_path / r / "resume") for r in ("trunk", "same", "better")]
                     + ["--branch", "--fit-from-step", "0", "-o", str(tmp_path / "b.png")]) == 0
    trunk, same, better = json.loads(capsys.readouterr().out)["runs"]
    assert trunk["log_fit"]["points"] == 8 and "log_fit" not in same and "vs_trend_db" not in trunk
    assert same["x_end"] == pytest.approx(end + hours[1], abs=1e-3)  # both branches start at the trunk's end
    assert better["x_end"] == pytest.approx(same["x_end"])
    assert same["vs_trend_db"]["mean"] == pytest.approx(0.0, abs=2e-3)
    assert better["vs_trend_db"]["mean"] == pytest.approx(0.2, abs=2e-3)
    assert better["vs_trend_db"]["last"] == pytest.approx(0.2, abs=2e-3)
    with pytest.raises(SystemExit) as exit_info:  # a run cannot both chain and branch
        tool.main([str(tmp_path / "trunk"), "--branch", "--chain", "-o", str(tmp_path / "c.png")])
    assert exit_info.value.code == 2
