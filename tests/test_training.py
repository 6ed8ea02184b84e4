import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdeblur import InputError, train
from tfdeblur import config as config_lib


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
    rate = train.learning_rate_schedule(trainer, 100)
    if schedule == "constant":
        assert rate == 1e-3
    else:
        assert float(rate(0)) == pytest.approx(1e-3)
        assert float(rate(100)) == pytest.approx(1e-5, rel=1e-3)


def test_fit_writes_logs_images_checkpoint_and_reduces_loss(tmp_path):
    config = tiny_config(tmp_path, learning_rate=1e-2, final_learning_rate=1e-3)
    train_data, val_data = tiny_data()
    model = tiny_model()
    model.compile(optimizer=train.make_optimizer(config.trainer), loss="mse")
    history = train.fit(model, train_data, val_data, config, stage="stage1", verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    run = config.run_dir()
    assert (run / "checkpoints" / "stage1.keras").is_file()
    assert list((run / "logs" / "stage1" / "images").glob("events.out.tfevents.*"))
    assert list((run / "logs" / "stage1").rglob("events.out.tfevents.*"))


def test_backup_and_restore_resumes_a_killed_run(tmp_path):
    config = tiny_config(tmp_path, checkpoint=False)
    config.trainer.epochs = 4
    train_data, val_data = tiny_data()

    class Killer(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("killed")

    model = tiny_model()
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(RuntimeError, match="killed"):
        train.fit(model, train_data, val_data, config, verbose=0, extra_callbacks=[Killer()])
    resumed = tiny_model()
    resumed.compile(optimizer="adam", loss="mse")
    history = train.fit(resumed, train_data, val_data, config, verbose=0)
    assert len(history.history["loss"]) == 2  # epochs 3 and 4 only: the first two were restored


def test_unknown_family_cannot_train(tmp_path):
    with pytest.raises(InputError):
        train.train(tiny_config(tmp_path))


def test_saved_run_config_is_yaml(tmp_path):
    config = tiny_config(tmp_path)
    path = train.save_run_config(config)
    assert "trainer" in path.read_text()
    json.dumps(config_lib.to_dict(config))
