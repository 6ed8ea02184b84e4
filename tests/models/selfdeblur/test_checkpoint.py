"""Resumable paper-schedule runs: a run stopped and resumed follows the uninterrupted one exactly."""

import json

import numpy as np
import pytest

from tfdeblur import InputError, physics
from tfdeblur.models.selfdeblur import SelfDeblur

SMALL = dict(down_channels=(8, 8), up_channels=(8, 8), skip_channels=(2, 2), non_local_levels=())
# Milestones and the SSIM switch inside the run, so the resumed half must restore the optimizers' steps.
SCHEDULE = dict(milestones=(3,), ssim_start=4)


@pytest.fixture(scope="module")
def blurry():
    sharp = np.random.default_rng(0).random((40, 40)).astype(np.float32)
    return physics.blur(sharp, physics.motion_kernel(5, 30), mode="valid")


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
    saved = json.loads((tmp_path / "run" / "history.json").read_text())
    assert saved["steps"] == 4

    resumed = solver(8, tmp_path / "run")
    image2, kernel2 = resumed.run(blurry)
    np.testing.assert_allclose(resumed.history.loss, whole.history.loss, rtol=1e-5)
    np.testing.assert_allclose(kernel2, kernel, atol=1e-6)
    np.testing.assert_allclose(image2, image, atol=1e-5)
    assert json.loads((tmp_path / "run" / "history.json").read_text())["steps"] == 8


def test_a_folder_of_another_run_is_refused(blurry, tmp_path):
    solver(2, tmp_path).run(blurry)
    other = SelfDeblur(5, 2, seed=4, progress=False, generator_options=SMALL, checkpoint_dir=tmp_path, **SCHEDULE)
    with pytest.raises(InputError, match="seed"):
        other.run(blurry)


def test_checkpoints_are_for_the_paper_schedule():
    with pytest.raises(InputError, match="paper"):
        SelfDeblur(5, schedule="fast", checkpoint_dir="x")
