"""Resumable paper-schedule runs (`--checkpoint-dir`, a `tfdeblur.training.resume` folder): a run stopped and resumed
follows the uninterrupted one exactly; a folder it cannot resume is refused before any step."""

import json
import shutil

import numpy as np
import pytest

from tfdeblur import InputError, physics
from tfdeblur.models.selfdeblur import SelfDeblur
from tfdeblur.training import resume

SMALL = dict(down_channels=(8, 8), up_channels=(8, 8), skip_channels=(2, 2), non_local_levels=())
# Milestones and the SSIM switch inside the run, so the resumed half must restore the optimizers' steps.
SCHEDULE = dict(milestones=(3,), ssim_start=4)


@pytest.fixture(scope="module")
def blurry():
    sharp = np.random.default_rng(0).random((40, 40)).astype(np.float32)
    return physics.blur(sharp, physics.motion_kernel(5, 30), mode="valid")


@pytest.fixture(scope="module")
def finished_run(blurry, tmp_path_factory):
    """A finished 2-step run's folder, made once: each test gets its own copy (`copy_of`)."""
    folder = tmp_path_factory.mktemp("finished") / "run"
    solver(2, folder).run(blurry)
    return folder


def copy_of(folder, tmp_path):
    return shutil.copytree(folder, tmp_path / "run")


def solver(iterations, folder=None, **kwargs):
    return SelfDeblur(5, iterations, seed=3, progress=False, generator_options=SMALL, checkpoint_dir=folder,
                      checkpoint_every=2, **SCHEDULE, **kwargs)


@pytest.mark.slow  # ~17 s: an interrupted and an uninterrupted run
def test_a_resumed_run_continues_exactly_where_it_stopped(blurry, tmp_path):
    whole = solver(8)
    image, kernel = whole.run(blurry)

    # The same 8-step run, killed after step 5 (as a session ending would): its last save holds 4 steps.
    first = solver(8, tmp_path / "run")
    calls = []

    def stop_after_five(step, *_):
        calls.append(step)
        if step == 5:
            raise KeyboardInterrupt

    first.callback, first.log_every = stop_after_five, 1
    with pytest.raises(KeyboardInterrupt):
        first.run(blurry)
    assert calls[-1] == 5  # the fault happened: killed after step 5, one step past the last save
    state = resume.read_state(tmp_path / "run")
    assert (state.step, state.sessions, state.finished) == (4, 1, False)
    assert [row["step"] for row in resume.read_curve(tmp_path / "run")] == [1, 2, 3, 4]

    resumed = solver(8, tmp_path / "run")
    image2, kernel2 = resumed.run(blurry)
    np.testing.assert_allclose(resumed.history.loss, whole.history.loss, rtol=1e-5)
    np.testing.assert_allclose(kernel2, kernel, atol=1e-6)
    np.testing.assert_allclose(image2, image, atol=1e-5)
    state = resume.read_state(tmp_path / "run")
    assert (state.step, state.sessions, state.finished, state.total_steps) == (8, 2, True, 8)
    curve = resume.read_curve(tmp_path / "run")
    assert [row["step"] for row in curve] == list(range(1, 9))
    assert [row["session"] for row in curve] == [1] * 4 + [2] * 4
    np.testing.assert_allclose([row["loss"] for row in curve], whole.history.loss, rtol=1e-5)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(
        [resume.STATE_FILE, resume.WEIGHTS_FILE, resume.CURVE_FILE, resume.HISTORY_FILE])
    history = json.loads((tmp_path / "run" / resume.HISTORY_FILE).read_text())  # the readable copy, as before
    assert history["steps"] == 8 and history["loss"] == resumed.history.loss and history["seed"] == 3


def test_a_folder_of_another_run_is_refused(blurry, finished_run, tmp_path):
    folder = copy_of(finished_run, tmp_path)
    other = SelfDeblur(5, 2, seed=4, progress=False, generator_options=SMALL, checkpoint_dir=folder, **SCHEDULE)
    with pytest.raises(InputError, match="seed"):
        other.run(blurry)


def test_checkpoints_are_for_the_paper_schedule():
    with pytest.raises(InputError, match="paper"):
        SelfDeblur(5, schedule="fast", checkpoint_dir="x")


def test_a_run_killed_between_its_curve_and_its_weights_resumes_from_the_weights(blurry, tmp_path):
    """The curve is appended first: rows past the saved weights' step are dropped on resume, not doubled."""
    solver(4, tmp_path).run(blurry)
    resume.append_curve(tmp_path, [{"stage": "selfdeblur", "step": 5, "session": 1, "loss": "0.5"}])
    resumed = solver(4, tmp_path)
    resumed.run(blurry)  # finished: nothing to run, and the stray row is gone
    assert [row["step"] for row in resume.read_curve(tmp_path)] == [1, 2, 3, 4]
    assert len(resumed.history.loss) == 4


@pytest.mark.parametrize("damage, message", [
    ("state", "state.json is damaged (JSONDecodeError)"),
    ("weights", "weights.weights.h5 is truncated or damaged"),
    ("old", "holds a SelfDeblur checkpoint of an older tfdeblur (run.json, state.npz)"),
])
def test_a_damaged_or_old_format_folder_is_refused_before_any_step(blurry, finished_run, tmp_path, damage,
                                                                   message):
    folder = copy_of(finished_run, tmp_path)
    if damage == "state":
        (folder / resume.STATE_FILE).write_text('{"step": 2,')
    elif damage == "weights":
        data = (folder / resume.WEIGHTS_FILE).read_bytes()
        (folder / resume.WEIGHTS_FILE).write_bytes(data[:len(data) // 2])
    else:
        (folder / "run.json").write_text("{}")
        (folder / "state.npz").write_bytes(b"")
    again = solver(4, folder)
    again.callback, again.log_every = lambda *_: pytest.fail("a step ran"), 1
    with pytest.raises(InputError, match="to start the run over") as refused:
        again.run(blurry)
    assert message in str(refused.value) and "\n" not in str(refused.value)
