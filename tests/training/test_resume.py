"""Resumable runs (`trainer.resume_dir`): an interrupted and resumed run computes the same steps as an
uninterrupted one, on a tiny IDC and a tiny Keras model so the tests take seconds."""

import json
import os
import shutil
import signal

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdeblur import InputError, cli, families, io
from tfdeblur import config as config_lib
from tfdeblur.training import fitting, resume
from tfdeblur.training import run as train_lib
from tfdeblur.training.resume import TrainingInterrupted


@pytest.fixture
def photos(tmp_path, photo):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        io.write_image(folder / f"{i}.png", photo[40 * i:40 * i + 90, 30 * i:30 * i + 90])
    return folder


IDC_CONFIG = os.path.join(os.path.dirname(__file__), "..", "..", "configs", "idc_small.yaml")


def idc_overrides(tmp_path, photos, run: str, *extra):
    return [f"data.train_dir={photos}", f"data.val_dir={photos}", "data.patch_size=48", "data.batch_size=2",
            "data.kernel_size=9", "data.kernel_bank=4", "data.val_count=2", "data.motion_length=[3, 7]",
            "data.jpeg_quality=[80, 95]", "model.channels=[4, 6, 8]", "model.texture_channels=4",
            "model.fusion_channels=4", "model.kernel_size=3", "model.num_res_blocks=1", "model.multi_scale=false",
            "trainer.epochs=3",
            "trainer.steps_per_epoch=4", "trainer.learning_rate=0.003", "trainer.final_learning_rate=0.0003",
            "trainer.image_every=0", "trainer.checkpoint=false", "trainer.jit_compile='false'",
            f"trainer.output_dir={tmp_path / run / 'run'}", f"trainer.resume_dir={tmp_path / run / 'resume'}",
            *extra]


def assert_same_curves(a, b):
    assert len(a) == len(b) > 0
    for row_a, row_b in zip(a, b):
        for key in ("epoch", "step", "learning_rate", "val_blurry_psnr"):
            assert row_a[key] == row_b[key], key
        for key in ("loss", "val_loss"):
            assert row_a[key] == pytest.approx(row_b[key], rel=1e-5, abs=1e-7), key
        if row_a["val_psnr"] != "":  # a model that reports PSNR (IDC)
            assert row_a["val_psnr"] == pytest.approx(row_b["val_psnr"], abs=1e-4)


@pytest.mark.slow  # ~29 s: two IDC trainings end to end
def test_idc_run_stopped_halfway_and_resumed_gives_the_uninterrupted_curve(tmp_path, photos, capsys, load_tool):
    """`tfdeblur train`: 12 steps in one go vs 6 steps (a session budget, mid-epoch) + the same command again."""
    whole = families.load_config(IDC_CONFIG, idc_overrides(tmp_path, photos, "whole"))
    train_lib.train(whole)
    overrides = idc_overrides(tmp_path, photos, "halves", "trainer.session_steps=6")
    halves = families.load_config(IDC_CONFIG, overrides)
    command = ["train", IDC_CONFIG] + [arg for item in overrides for arg in ("--set", item)]
    capsys.readouterr()
    assert cli.main(command) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (report["finished"], report["step"], report["total_steps"]) == (False, 6, 12)
    state = resume.read_state(halves.resume_dir())
    assert (state.step, state.data_position, state.finished) == (6, 12, False)
    assert (halves.run_dir() / "model.keras").is_file()  # the half-trained weights stay usable
    # A preset cut from the state mid-run holds those weights, no optimizer, and says which step.
    save_preset = load_tool("save_idc_preset").main
    assert save_preset([str(halves.resume_dir()), "-o", str(tmp_path / "idc" / "cut"), "--description", "x"]) == 0
    assert json.loads((tmp_path / "idc" / "cut" / "metadata.json").read_text())["step"] == 6
    cut = keras.saving.load_model(tmp_path / "idc" / "cut" / "model.keras")
    assert getattr(cut, "optimizer", None) is None
    half = keras.saving.load_model(halves.run_dir() / "model.keras")
    for wa, wb in zip(cut.get_weights(), half.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert save_preset([str(tmp_path), "-o", str(tmp_path / "x"), "--description", "x"]) == 2  # inside it
    assert save_preset([str(tmp_path / "idc"), "-o", str(tmp_path / "y"), "--description", "x"]) == 2  # no state
    (tmp_path / "file").write_text("mine")
    assert save_preset([str(halves.resume_dir()), "-o", str(tmp_path / "file"), "--description", "x"]) == 2
    assert (tmp_path / "file").read_text() == "mine"
    assert cli.main(command) == 0  # the same command: 6 more steps, then the run is complete
    assert "finished" not in json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    curve_whole, curve_halves = resume.read_curve(whole.resume_dir()), resume.read_curve(halves.resume_dir())
    assert [r["step"] for r in curve_halves] == [4, 8, 12]
    assert [r["session"] for r in curve_halves] == [1, 2, 2]
    assert curve_halves[-1]["cpu_seconds"] > curve_halves[0]["cpu_seconds"] > 0
    assert_same_curves(curve_whole, curve_halves)
    final = resume.read_state(halves.resume_dir())
    assert (final.step, final.finished, final.sessions) == (12, True, 2)
    assert sorted(p.name for p in halves.resume_dir().iterdir()) == sorted(
        [resume.WEIGHTS_FILE, resume.STATE_FILE, resume.CURVE_FILE])
    a = keras.saving.load_model(whole.run_dir() / "model.keras")
    b = keras.saving.load_model(halves.run_dir() / "model.keras")
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # ~19 s: IDC trainings end to end
def test_a_resumed_run_does_not_reload_its_warm_start(tmp_path, photos):
    """model.init_from seeds step 0 only: a restart continues its own weights, even when the source is gone."""
    from tfdeblur.models.idc.training import build_model

    first = families.load_config(IDC_CONFIG, idc_overrides(tmp_path, photos, "run", "trainer.epochs=1"))
    seed_model = build_model(first)
    seed_model.build((None, None, None, 3))
    seed_model.save(tmp_path / "seed.keras")
    overrides = idc_overrides(tmp_path, photos, "run", "trainer.epochs=1", "trainer.session_steps=2",
                              f"model.init_from={tmp_path / 'seed.keras'}")
    config = families.load_config(IDC_CONFIG, overrides)
    assert not resume.continues(config)
    with pytest.raises(TrainingInterrupted):
        train_lib.train(config)
    assert resume.continues(config) and resume.read_state(config.resume_dir()).step == 2
    (tmp_path / "seed.keras").unlink()
    train_lib.train(config)  # would fail on the missing init_from if it were loaded again
    assert resume.read_state(config.resume_dir()).finished


@pytest.mark.slow  # ~40 s: an IDC training in-process, one in a process killed with SIGKILL, its rerun
def test_a_training_process_killed_with_sigkill_resumes_to_the_uninterrupted_weights(tmp_path, photos):
    """A real kill (no signal handler, no cleanup, possibly mid-save) of `tfdeblur train`, with the resume
    folder written after every step; the same command then ends as the uninterrupted run."""
    import subprocess
    import sys
    import time

    whole = families.load_config(IDC_CONFIG, idc_overrides(tmp_path, photos, "whole"))
    train_lib.train(whole)
    overrides = idc_overrides(tmp_path, photos, "killed", "trainer.resume_every_seconds=1e-9")
    killed = families.load_config(IDC_CONFIG, overrides)
    command = ["train", IDC_CONFIG] + [arg for item in overrides for arg in ("--set", item)]
    process = subprocess.Popen([sys.executable, "-m", "tfdeblur", *command], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    state_file = killed.resume_dir() / resume.STATE_FILE
    deadline = time.monotonic() + 240
    try:
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if json.loads(state_file.read_text())["step"] >= 5:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.02)
    finally:
        process.kill()
    # The fault happened: the process died by SIGKILL, mid-run.
    assert process.wait() == -signal.SIGKILL
    assert 5 <= resume.read_state(killed.resume_dir()).step < 12
    assert not (killed.run_dir() / "model.keras").exists()
    assert cli.main(command) == 0  # the same command continues from the last complete save
    assert_same_curves(resume.read_curve(whole.resume_dir()), resume.read_curve(killed.resume_dir()))
    a = keras.saving.load_model(whole.run_dir() / "model.keras")
    b = keras.saving.load_model(killed.run_dir() / "model.keras")
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


MOTIONNET_CONFIG = os.path.join(os.path.dirname(__file__), "..", "..", "configs", "ircnet_motionnet.yaml")


@pytest.mark.slow  # ~17 s: two Motion-Net trainings end to end
def test_motionnet_run_stopped_halfway_and_resumed_gives_the_uninterrupted_curve(tmp_path, photos):
    """Motion-Net's non-uniform blur stream restarts at the resumed step (not by replaying the batches)."""
    def overrides(run, *extra):
        return [f"data.train_dir={photos}", f"data.val_dir={photos}", "data.patch_size=24", "data.batch_size=2",
                "data.val_count=2", "model.max_length=7", "model.length_step=2", "model.angle_step=30",
                "model.motion_width=4", "model.motion_blocks=1", "trainer.epochs=2", "trainer.steps_per_epoch=3",
                "trainer.image_every=0", "trainer.checkpoint=false", f"trainer.output_dir={tmp_path / run / 'run'}",
                f"trainer.resume_dir={tmp_path / run / 'resume'}", *extra]

    whole = families.load_config(MOTIONNET_CONFIG, overrides("whole"))
    train_lib.train(whole)
    halves = families.load_config(MOTIONNET_CONFIG, overrides("halves", "trainer.session_steps=4"))
    with pytest.raises(TrainingInterrupted):
        train_lib.train(halves)
    assert resume.read_state(halves.resume_dir()).step == 4
    train_lib.train(halves)
    assert_same_curves(resume.read_curve(whole.resume_dir()), resume.read_curve(halves.resume_dir()))
    a = keras.saving.load_model(whole.run_dir() / "model.keras")
    b = keras.saving.load_model(halves.run_dir() / "model.keras")
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def tiny_stream(start):
    """A position-addressable stream: example i depends only on i (like the synthetic pipeline)."""
    def example(i):
        seed = tf.stack([tf.constant(7, tf.int64), i])
        sharp = tf.random.stateless_uniform([8, 8, 1], tf.cast(seed, tf.int32))
        return 0.5 * sharp + 0.25, sharp
    return tf.data.Dataset.range(start, 10**9).map(example).batch(2)


def tiny_run(tmp_path, name, extra_callbacks=(), **trainer):
    config = config_lib.ExperimentConfig(name=name, family="none")
    settings = dict(output_dir=str(tmp_path / "{name}"), epochs=3, steps_per_epoch=4, learning_rate=1e-2,
                    final_learning_rate=1e-3, image_every=0, checkpoint=False,
                    resume_dir=str(tmp_path / "{name}" / "resume"))
    config.trainer = config_lib.TrainerConfig(**{**settings, **trainer})
    config.data.batch_size = 2
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 1))
    model = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(inputs))
    model.compile(optimizer=fitting.make_optimizer(config.trainer), loss="mse")
    val = tiny_stream(10**6).take(1)
    fitting.fit(model, tiny_stream, val, config, verbose=0, extra_callbacks=extra_callbacks)
    return config, model


def test_sigterm_saves_the_state_and_the_run_continues_from_it(tmp_path):
    _, whole = tiny_run(tmp_path, "split_whole")
    handler = signal.getsignal(signal.SIGTERM)

    class Terminate(keras.callbacks.Callback):  # SIGTERM during step 6 of 12 (mid-epoch)
        steps = 0

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            if self.steps == 6:
                os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(TrainingInterrupted) as stopped:
        tiny_run(tmp_path, "split", [Terminate()])
    assert stopped.value.signum == signal.SIGTERM and stopped.value.step == 6
    state = json.loads((tmp_path / "split" / "resume" / resume.STATE_FILE).read_text())
    assert state["step"] == 6 and state["data_position"] == 12
    assert signal.getsignal(signal.SIGTERM) is handler  # the run's handler is removed again
    config, resumed = tiny_run(tmp_path, "split")
    assert int(resumed.optimizer.iterations.numpy()) == 12
    for wa, wb in zip(whole.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)
    assert_same_curves(resume.read_curve(tmp_path / "split_whole" / "resume"),
                       resume.read_curve(config.resume_dir()))


def test_a_finished_run_is_not_trained_again(tmp_path):
    _, trained = tiny_run(tmp_path, "once")
    _, again = tiny_run(tmp_path, "once")  # a fresh model: it gets the run's weights, no more steps
    state = resume.read_state(tmp_path / "once" / "resume")
    assert (state.step, state.sessions, state.finished) == (12, 1, True)
    assert len(resume.read_curve(tmp_path / "once" / "resume")) == 3
    for wa, wb in zip(trained.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_resuming_with_another_recipe_is_refused(tmp_path):
    with pytest.raises(TrainingInterrupted):
        tiny_run(tmp_path, "r", session_steps=1)
    with pytest.raises(InputError, match="learning_rate"):
        tiny_run(tmp_path, "r", learning_rate=0.02)
    # Lengthening the run or changing the session budget is allowed.
    with pytest.raises(TrainingInterrupted):
        tiny_run(tmp_path, "r", session_steps=1, epochs=4)
    assert resume.read_state(tmp_path / "r" / "resume").step == 2
    with pytest.raises(TrainingInterrupted):  # a CPU-time budget too
        tiny_run(tmp_path, "r", session_cpu_seconds=1e-9, epochs=4)
    assert resume.read_state(tmp_path / "r" / "resume").step == 3
    with pytest.raises(TrainingInterrupted):  # and switching XLA on
        tiny_run(tmp_path, "r", session_steps=1, epochs=4, jit_compile="true")
    assert resume.read_state(tmp_path / "r" / "resume").step == 4


def test_a_copied_state_folder_continues_under_another_name(tmp_path):
    with pytest.raises(TrainingInterrupted):
        tiny_run(tmp_path, "short", session_steps=2)
    shutil.copytree(tmp_path / "short" / "resume", tmp_path / "long_state")
    with pytest.raises(TrainingInterrupted):
        tiny_run(tmp_path, "long", session_steps=3, resume_dir=str(tmp_path / "long_state"))
    state = resume.read_state(tmp_path / "long_state")
    assert (state.step, state.sessions, state.config["name"]) == (5, 2, "long")


# issue 31, item 9: a refused run creates and changes nothing ----------------------------------------------

@pytest.fixture
def tiny_family(monkeypatch):
    """A model family `tiny` for `train.train`: a one-layer model fitted on `tiny_stream`; records its calls.
    `tiny_family.refuse` makes it refuse as a family does for a bad data folder (before any fit)."""
    import types

    module = types.SimpleNamespace(calls=[], refuse=False)

    def family_train(config, strategy):
        module.calls.append(config.name)
        if module.refuse:
            raise InputError("no such image folder: nope")
        inputs = keras.Input((None, None, 1))
        model = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(inputs))
        model.compile(optimizer=fitting.make_optimizer(config.trainer), loss="mse")
        fitting.fit(model, tiny_stream, tiny_stream(10**6).take(1), config, verbose=0)
        return model

    module.train = family_train
    monkeypatch.setitem(families.FAMILIES, "tiny", families.Family("tiny", training=lambda: family_train))
    return module


def tiny_config(tmp_path, name, **trainer):
    config = config_lib.ExperimentConfig(name=name, family="tiny")
    settings = dict(output_dir=str(tmp_path / "runs" / "{name}"), epochs=3, steps_per_epoch=4, learning_rate=1e-2,
                    final_learning_rate=1e-3, image_every=0, checkpoint=False)
    config.trainer = config_lib.TrainerConfig(**{**settings, **trainer})
    config.data.batch_size = 2
    return config


def tree(folder):
    return {p.relative_to(folder): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


def test_a_refused_resume_with_another_config_leaves_the_runs_config_yaml_alone(tmp_path, tiny_family):
    resumable = dict(resume_dir=str(tmp_path / "runs" / "{name}" / "resume"))
    with pytest.raises(TrainingInterrupted):
        train_lib.train(tiny_config(tmp_path, "a", session_steps=1, **resumable))
    before = tree(tmp_path / "runs" / "a")
    with pytest.raises(InputError, match=r"started with another config: trainer.learning_rate \(0.01 -> 0.02\)"):
        train_lib.train(tiny_config(tmp_path, "a", learning_rate=0.02, **resumable))
    assert tree(tmp_path / "runs" / "a") == before  # config.yaml still says 0.01
    assert tiny_family.calls == ["a"]  # refused before the family built anything


def test_a_run_refused_by_its_family_leaves_no_run_folder(tmp_path, tiny_family):
    tiny_family.refuse = True
    with pytest.raises(InputError, match="no such image folder"):
        train_lib.train(tiny_config(tmp_path, "b", resume_dir=str(tmp_path / "runs" / "{name}" / "resume")))
    assert not (tmp_path / "runs").exists()


def test_resume_dir_pointing_at_another_runs_output_folder_is_refused(tmp_path, tiny_family):
    train_lib.train(tiny_config(tmp_path, "a"))  # a finished run: config.yaml, model.keras, logs/
    before = tree(tmp_path / "runs" / "a")
    with pytest.raises(InputError, match=r"resume_dir .*runs/a holds other files \(config.yaml, logs, "
                                         r"model.keras\) and no resume state"):
        train_lib.train(tiny_config(tmp_path, "c", session_steps=1, resume_dir=str(tmp_path / "runs" / "a")))
    assert tree(tmp_path / "runs" / "a") == before and not (tmp_path / "runs" / "c").exists()
    # Its own output folder as the resume folder is fine, in the first session and the next.
    own = dict(resume_dir=str(tmp_path / "runs" / "{name}"))
    with pytest.raises(TrainingInterrupted):
        train_lib.train(tiny_config(tmp_path, "d", session_steps=1, **own))
    train_lib.train(tiny_config(tmp_path, "d", **own))
    assert resume.read_state(tmp_path / "runs" / "d").finished


@pytest.mark.parametrize("damage", ["state", "weights", "pickle"])
def test_a_damaged_resume_folder_is_refused_before_any_step(tmp_path, damage):
    import pickle

    with pytest.raises(TrainingInterrupted):
        tiny_run(tmp_path, "d", session_steps=2)
    folder = tmp_path / "d" / "resume"
    if damage == "state":
        (folder / resume.STATE_FILE).write_text('{"step": 2,')
    else:
        data = (folder / resume.WEIGHTS_FILE).read_bytes()
        damaged = data[:len(data) // 2] if damage == "weights" else pickle.dumps({"step": 2})
        (folder / resume.WEIGHTS_FILE).write_bytes(damaged)
    before = tree(folder)

    class NoStep(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            pytest.fail("a step ran")

    name = resume.STATE_FILE if damage == "state" else resume.WEIGHTS_FILE
    with pytest.raises(InputError, match=rf"{name} is (truncated or )?damaged \(\w+\); remove .* to start a new "
                                         "run") as refused:
        tiny_run(tmp_path, "d", extra_callbacks=[NoStep()])
    assert "\n" not in str(refused.value) and tree(folder) == before
