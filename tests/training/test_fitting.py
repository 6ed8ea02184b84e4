import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdeblur import InputError
from tfdeblur import config as config_lib
from tfdeblur.training import fitting, run


def tiny_config(tmp_path, **trainer):
    config = config_lib.ExperimentConfig(name="tiny", family="none")
    config.trainer = config_lib.TrainerConfig(output_dir=str(tmp_path / "{name}"), epochs=2, steps_per_epoch=3,
                                              **trainer)
    return config


def tiny_data():
    rng = np.random.default_rng(0)
    sharp = rng.random((8, 16, 16, 1)).astype(np.float32)
    blurry = (0.5 * sharp + 0.25).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices((blurry, sharp)).batch(4)
    return ds.repeat(), ds


def tiny_model():
    inputs = keras.Input((None, None, 1))
    model = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(inputs))
    return model


@pytest.mark.parametrize("schedule", ["exponential", "cosine", "constant"])
def test_schedules_go_from_start_to_end(schedule):
    trainer = config_lib.TrainerConfig(learning_rate=1e-3, final_learning_rate=1e-5, schedule=schedule)
    rate = fitting.learning_rate_schedule(trainer, 100)
    if schedule == "constant":
        assert rate == 1e-3
    else:
        assert float(rate(0)) == pytest.approx(1e-3)
        assert float(rate(100)) == pytest.approx(1e-5, rel=1e-3)


def test_fit_writes_logs_images_checkpoint_and_reduces_loss(tmp_path):
    config = tiny_config(tmp_path, learning_rate=1e-2, final_learning_rate=1e-3)
    train_data, val_data = tiny_data()
    model = tiny_model()
    model.compile(optimizer=fitting.make_optimizer(config.trainer), loss="mse")
    history = fitting.fit(model, train_data, val_data, config, stage="stage1", verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    run = config.run_dir()
    assert (run / "checkpoints" / "stage1.keras").is_file()
    assert list((run / "logs" / "stage1" / "images").glob("events.out.tfevents.*"))
    assert list((run / "logs" / "stage1").rglob("events.out.tfevents.*"))


def test_a_killed_run_resumes_from_its_resume_folder_and_ends_as_an_uninterrupted_one(tmp_path):
    """No `trainer.resume_dir`: the state goes to `<run_dir>/resume` (what BackupAndRestore did before)."""
    train_data, val_data = tiny_data()

    def run(name, callbacks=()):
        config = tiny_config(tmp_path, checkpoint=False, resume_every_seconds=1e-9)  # a save every step
        config.name = name
        keras.utils.set_random_seed(0)
        model = tiny_model()
        model.compile(optimizer=fitting.make_optimizer(config.trainer), loss="mse")
        fitting.fit(model, train_data, val_data, config, verbose=0, extra_callbacks=list(callbacks))
        return config, model

    _, whole = run("whole")

    class Killer(keras.callbacks.Callback):  # a crash during step 4 of 6, before that step's save
        steps = 0

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            if self.steps == 4:
                raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        run("killed", [Killer()])
    config, resumed = run("killed")
    from tfdeblur.training import resume

    assert resume.state_dir(config) == config.run_dir() / "resume"
    state = resume.read_state(resume.state_dir(config))
    assert (state.step, state.sessions, state.finished) == (6, 2, True)
    assert int(resumed.optimizer.iterations.numpy()) == 6
    for wa, wb in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)
    assert not (config.run_dir() / "backup").exists()  # BackupAndRestore is for multi-worker training only


def test_a_completed_training_run_removes_its_default_resume_folder(tmp_path, monkeypatch):
    from tfdeblur import families
    from tfdeblur.training import resume

    def family_train(config, strategy):
        train_data, val_data = tiny_data()
        model = tiny_model()
        model.compile(optimizer=fitting.make_optimizer(config.trainer), loss="mse")
        fitting.fit(model, train_data, val_data, config, verbose=0)
        return model

    monkeypatch.setitem(families.FAMILIES, "tiny", families.Family("tiny", training=lambda: family_train))
    config = tiny_config(tmp_path, checkpoint=False, image_every=0)
    config.family = "tiny"
    run.train(config)
    assert (config.run_dir() / "model.keras").is_file() and not (config.run_dir() / "resume").exists()
    config.trainer.resume_dir = str(tmp_path / "kept")  # a folder the user chose is kept, with its curve
    run.train(config)
    assert resume.read_state(tmp_path / "kept").finished and len(resume.read_curve(tmp_path / "kept")) == 2


def test_unknown_family_cannot_train(tmp_path):
    with pytest.raises(InputError):
        run.train(tiny_config(tmp_path))


def test_saved_run_config_is_yaml(tmp_path):
    config = tiny_config(tmp_path)
    path = fitting.save_run_config(config)
    assert "trainer" in path.read_text()
    json.dumps(config_lib.to_dict(config))


def test_best_model_checkpoint_keeps_the_lowest_loss_and_leaves_no_partial_file(tmp_path):
    from tfdeblur.training.fitting import BestModelCheckpoint

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    target = tmp_path / "train.keras"
    callback = BestModelCheckpoint(target, monitor="val_loss")
    callback.set_model(model)
    callback.on_epoch_end(0, {"val_loss": 2.0})
    first = target.read_bytes()
    model.layers[0].kernel.assign(model.layers[0].kernel + 1.0)
    callback.on_epoch_end(1, {"val_loss": 3.0})  # worse: the file stays the best model's
    assert target.read_bytes() == first
    callback.on_epoch_end(2, {"val_loss": 1.0})  # better: replaced
    assert target.read_bytes() != first and callback.best == 1.0
    restored = keras.saving.load_model(target)
    np.testing.assert_allclose(restored.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.keras"]
