"""Faults injected for real (issue 31): processes killed, files past a size limit, runs interrupted.

Every test runs the real `tfdeblur` command in a child process and first asserts that its fault happened
(the child died of SIGKILL, a write hit the file-size limit, SIGINT arrived while it worked), so a refactor
cannot quietly turn it into a test of the happy path; only then does it check the outcome: a one-line error
and exit code, every output whole and written once, no partial or temporary file anywhere.

A full disk is a file-size limit (RLIMIT_FSIZE) in the child: writes past it fail with EFBIG ("File too
large") as they would with ENOSPC on a full disk (SIGXFSZ, which would kill the child, is ignored).
"""

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tfdeblur import io, physics

REPO = Path(__file__).resolve().parents[1]
EFBIG = os.strerror(27)  # "File too large": only the file-size limit makes the kernel say it here


def _env():
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, PYTHONPATH=path, TF_CPP_MIN_LOG_LEVEL="3")


def _child_setup(fsize):
    def in_child():
        # A job started in the background by a non-interactive shell (CI, nohup ... &) inherits SIGINT
        # ignored, and Python then installs no KeyboardInterrupt handler; a CI runner may also start us with
        # SIGINT blocked, a mask every child inherits. Give the child a terminal's default: caught, unblocked.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
        if fsize:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    return in_child


def start(args, cwd, stderr=subprocess.PIPE, fsize=None):
    """The real command in a new session (so a kill reaches every process it started)."""
    return subprocess.Popen([sys.executable, "-m", "tfdeblur", *map(str, args)], cwd=cwd, env=_env(),
                            stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True,
                            preexec_fn=_child_setup(fsize))


def run(args, cwd, fsize=None, timeout=240):
    child = start(args, cwd, fsize=fsize)
    out, err = child.communicate(timeout=timeout)
    return child.returncode, out, err


def files(folder):
    """Every file under `folder` (relative paths), dot-files and temporaries included."""
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file())


def temporaries(folder):
    return [name for name in files(folder) if name.endswith(".tmp") or Path(name).name.startswith(".")]


def assert_one_line_error(code, err, *fragments):
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("tfdeblur: error: "), (code, err)
    assert "Traceback" not in err and "internal error" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def sigint_is_caught(pid):
    """SIGINT reaches the process's handler: caught (Python's KeyboardInterrupt), neither ignored nor blocked."""
    status = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    bit = 1 << (signal.SIGINT - 1)
    caught, blocked = (int(status[key], 16) & bit for key in ("SigCgt", "SigBlk"))
    return bool(caught) and not blocked


def kill_group(child):
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL  # the fault happened: the run was killed, it did not finish


def wait_for(condition, child, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert child.poll() is None, f"the command ended ({child.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} after {timeout} s"
        time.sleep(0.02)


@pytest.fixture
def blurry(tmp_path, photo):
    """A 96x96 blurred photo (an 18 KB PNG) and its kernel."""
    kernel = physics.motion_kernel(7, 30)
    io.write_image(tmp_path / "blurry.png", physics.blur(photo[:96, :96], kernel, mode="same"))
    np.save(tmp_path / "k.npy", kernel)
    return tmp_path


# A full disk ---------------------------------------------------------------------------------------------

LIMIT = 4096  # bytes: far below any output below (a 96x96 PNG is ~18 KB, a SavedModel's weights more)


def test_deblur_onto_a_full_disk_is_a_one_line_error_and_leaves_no_file(blurry):
    before = files(blurry)
    assert (blurry / "blurry.png").stat().st_size > 2 * LIMIT  # its result cannot fit under the limit
    code, _, err = run(["deblur", "blurry.png", "-o", "out.png", "--method", "wiener", "--kernel", "k.npy",
                        "--save-kernel", "estimate.png"], blurry, fsize=LIMIT)
    assert EFBIG in err  # the fault happened: a write went past the limit
    assert_one_line_error(code, err, f"out.png: {EFBIG}")
    assert files(blurry) == before  # no output, no temporary file, no kernel


@pytest.fixture
def photos(tmp_path, photo):
    """Six blurred 80x80 photos in photos/ (each PNG ~12 KB)."""
    kernel = physics.motion_kernel(7, 30)
    (tmp_path / "photos").mkdir()
    for i in range(6):
        crop = photo[30 * i:30 * i + 80, 20 * i:20 * i + 80]
        io.write_image(tmp_path / "photos" / f"p{i}.png", physics.blur(crop, kernel, mode="same"))
    np.save(tmp_path / "k.npy", kernel)
    return tmp_path


@pytest.mark.slow  # ~13 s: two batch runs (Beam and TensorFlow start in each)
def test_batch_onto_a_full_disk_stops_with_one_line_and_a_rerun_finishes(photos):
    pytest.importorskip("apache_beam")
    args = ["batch", "photos/*.png", "-o", "out", "--method", "wiener", "--kernel", "k.npy"]
    assert min(p.stat().st_size for p in (photos / "photos").iterdir()) > 2 * LIMIT
    code, out, err = run(args, photos, fsize=LIMIT)
    assert EFBIG in err  # the fault happened
    assert_one_line_error(code, err, f"cannot write to out: {EFBIG}", "6 of 6 photo(s) not written",
                          "rerun when there is room")
    assert files(photos / "out") == ["_failed.jsonl"]  # the dead-letter list (small enough), nothing partial
    code, out, err = run(args, photos)  # room again: the same command finishes the job
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["deblurred"] == 6
    assert files(photos / "out") == ["_failed.jsonl", *(f"p{i}.png" for i in range(6))]
    assert (photos / "out" / "_failed.jsonl").read_text() == ""


@pytest.mark.slow  # ~11 s: loads and exports a preset
def test_export_onto_a_full_disk_is_a_one_line_error_and_leaves_no_file(tmp_path):
    code, _, err = run(["export", "--model", "odcnn/disk7", "--saved-model", "sm"], tmp_path, fsize=LIMIT)
    assert EFBIG in err  # the fault happened: TensorFlow's write of the weights went past the limit
    assert_one_line_error(code, err, f"sm/1: {EFBIG}")
    assert files(tmp_path) == []  # no partial SavedModel, no staging folder's files


@pytest.mark.slow  # ~15 s: a tiny IDC training through the CLI
def test_training_checkpoint_onto_a_full_disk_is_a_one_line_error_and_leaves_no_partial_file(tmp_path, photo):
    (tmp_path / "photos").mkdir()
    for i in range(3):
        io.write_image(tmp_path / "photos" / f"{i}.png", photo[40 * i:40 * i + 90, 30 * i:30 * i + 90])
    overrides = ["data.train_dir=photos", "data.val_dir=photos", "data.patch_size=48", "data.batch_size=2",
                 "data.kernel_size=9", "data.kernel_bank=4", "data.val_count=2", "data.motion_length=[3, 7]",
                 "data.jpeg_quality=[80, 95]", "model.channels=[4, 6, 8]", "model.texture_channels=4",
                 "model.fusion_channels=4", "model.kernel_size=3", "model.num_res_blocks=1",
                 "model.multi_scale=false", "trainer.epochs=2", "trainer.steps_per_epoch=2",
                 "trainer.image_every=0", "trainer.jit_compile='false'", "trainer.output_dir=run",
                 "trainer.resume_dir=resume"]
    args = ["train", REPO / "configs" / "idc_small.yaml", *(a for item in overrides for a in ("--set", item))]
    before = files(tmp_path)
    code, out, err = run(args, tmp_path, fsize=LIMIT)
    assert EFBIG in err, (code, out, err, files(tmp_path))  # the fault happened: a write went past the limit
    # TensorFlow's and Keras' own warnings aside (AutoGraph cannot write its temporary source either;
    # Keras warns about `shuffle` in every run), one line from tfdeblur: the error.
    assert [line for line in err.splitlines() if line.startswith("tfdeblur")] == [f"tfdeblur: error: {EFBIG}"]
    assert code == 2 and "Traceback" not in err and "internal error" not in err
    assert temporaries(tmp_path) == []
    left = sorted(set(files(tmp_path)) - set(before))
    cut = [name for name in left if (tmp_path / name).stat().st_size >= LIMIT]
    assert cut == [], cut  # nothing cut at the limit


# Ctrl-C or SIGTERM during a blind deblur ------------------------------------------------------------------------

@pytest.mark.parametrize("signum, line, code", [(signal.SIGINT, "tfdeblur: interrupted", 130),
                                                (signal.SIGTERM, "tfdeblur: terminated", 143)])
def test_a_signal_during_a_blind_deblur_leaves_nothing_behind(tmp_path, photo, signum, line, code):
    """Ctrl-C, or SIGTERM (a job system's time-out): one line, no output, no temporary file."""
    io.write_image(tmp_path / "photo.png", physics.blur(photo, physics.motion_kernel(15, 30), mode="same"))
    before = files(tmp_path)
    with open(tmp_path.parent / f"{tmp_path.name}.stderr", "w+") as log:
        child = start(["deblur", "photo.png", "-o", "out.png", "--save-kernel", "k.png"], tmp_path, stderr=log)
        wait_for(lambda: "kernel estimation" in Path(log.name).read_text(), child, 120, "kernel estimation")
        assert sigint_is_caught(child.pid)  # else the signal below could not interrupt anything
        child.send_signal(signum)
        out, _ = child.communicate(timeout=60)
        err = Path(log.name).read_text()
    assert "kernel estimation" in err  # the fault happened while it worked, not before or after
    lines = [line for line in err.replace("\r", "\n").splitlines() if line.startswith("tfdeblur")]
    assert child.returncode == code and lines == [line], err
    assert "Traceback" not in err and "->" not in out
    assert files(tmp_path) == before  # no out.png, no k.png / k.npy, no temporary file


# A batch killed halfway ----------------------------------------------------------------------------------

@pytest.mark.slow  # ~26 s: the blind method on six photos, twice
def test_batch_killed_halfway_and_rerun_writes_every_photo_once(photos):
    pytest.importorskip("apache_beam")
    args = ["batch", "photos/*.png", "-o", "out", "--method", "blind"]
    out = photos / "out"

    def done():
        return [n for n in files(out) if n.endswith(".png") and not n.startswith(".")] if out.is_dir() else []

    child = start(args, photos)
    wait_for(lambda: len(done()) >= 1, child, 180, "first output")
    kill_group(child)
    written = done()
    assert 1 <= len(written) < 6, written  # the fault happened halfway: some photos written, not all
    code, stdout, err = run(args, photos)
    assert code == 0, err
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["skipped_done"] == len(written) and summary["deblurred"] == 6 - len(written)
    assert files(out) == ["_failed.jsonl", *(f"p{i}.png" for i in range(6))]  # once each, no temporaries
    for i in range(6):
        assert io.read_image(out / f"p{i}.png").shape == (80, 80, 3)


# A SelfDeblur paper run killed mid-run ---------------------------------------------------------------------

@pytest.mark.slow  # ~85 s: three runs of SelfDeblur's networks (250 steps on a 32x32 photo)
def test_selfdeblur_paper_run_killed_and_resumed_gives_the_uninterrupted_curve(tmp_path, gray_photo):
    """The CLI saves the state every 100 steps: killed after the first save, the same command resumes."""
    kernel = physics.motion_kernel(5, 30)
    io.write_image(tmp_path / "b.png", physics.blur(gray_photo[100:132, 100:132], kernel, mode="same"))

    def command(output, folder):
        return ["deblur", "b.png", "-o", output, "--method", "selfdeblur", "--schedule", "paper",
                "--iterations", "250", "--kernel-size", "5", "--seed", "3", "--checkpoint-dir", folder]

    code, _, err = run(command("whole.png", "whole"), tmp_path)
    assert code == 0, err
    child = start(command("resumed.png", "resumed"), tmp_path, stderr=subprocess.DEVNULL)
    history = tmp_path / "resumed" / "history.json"
    wait_for(history.exists, child, 240, "first checkpoint")
    time.sleep(0.3)  # into the next hundred steps
    kill_group(child)
    saved = json.loads(history.read_text())
    assert 100 <= len(saved["loss"]) < 250  # the fault happened mid-run: a checkpoint, not the end
    assert not (tmp_path / "resumed.png").exists()
    code, _, err = run(command("resumed.png", "resumed"), tmp_path)
    assert code == 0, err
    whole = json.loads((tmp_path / "whole" / "history.json").read_text())
    resumed = json.loads(history.read_text())
    # The same arithmetic in the same order from the same saved state: equal, not merely close.
    assert len(resumed["loss"]) == 250 and resumed["loss"] == whole["loss"]
    assert (tmp_path / "resumed.png").read_bytes() == (tmp_path / "whole.png").read_bytes()
    assert temporaries(tmp_path) == []
