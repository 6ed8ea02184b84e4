import json
from pathlib import Path

import numpy as np
import pytest

from tfdeblur import InputError
from tfdeblur.cli import main
from tfdeblur.data.levin import levin_samples

DUMMY = Path(__file__).resolve().parents[3] / "datasets" / "levin" / "dummy_data" / "manual"


def test_levin_samples_from_a_manual_folder():
    samples = levin_samples(str(DUMMY))
    assert [s.name for s in samples] == ["im1_kernel1", "im1_kernel2", "im2_kernel1"]
    first = samples[0]
    assert first.blurry.shape == first.sharp.shape == (48, 48, 1) and first.blurry.dtype == np.float32
    assert first.kernel.shape == (7, 7) and abs(float(first.kernel.sum()) - 1) < 1e-5
    assert len(levin_samples(str(DUMMY), limit=2)) == 2


def test_levin_samples_bad_folder_is_an_input_error(tmp_path):
    (tmp_path / "blurry").mkdir()
    (tmp_path / "blurry" / "im1_kernel1_img.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match="levin"):
        levin_samples(str(tmp_path))


# []: the deprecated spelling, runs blind; the paper schedule builds the paper-size generators (~11 s): slow
@pytest.mark.parametrize("schedule", [
    pytest.param(["--schedule", "paper", "--iterations", "2"], marks=pytest.mark.slow), []])
def test_evaluate_selfdeblur_on_levin(capsys, schedule):
    code = main(["evaluate", "--method", "selfdeblur", "--dataset", "levin", "--data-dir", str(DUMMY),
                 "--limit", "1", "--protocol", "levin", *schedule])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out[out.index("{"):])
    row = report["images"][0]
    assert report["count"] == 1 and row["name"] == "im1_kernel1"
    assert {"psnr", "ssim", "kernel_error", "error_ratio"} <= set(row)
