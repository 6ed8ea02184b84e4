import json
from pathlib import Path

import keras
import numpy as np
import pytest

from tfdeblur import InputError, families, io
from tfdeblur.data import kernel_bank, synthetic_pairs
from tfdeblur.models.odcnn import ODCNN
from tfdeblur.models.odcnn import training as odcnn_training
from tfdeblur.training import fitting
from tfdeblur.training import run as train_lib

CONFIGS = Path(__file__).resolve().parents[3] / "configs"


@pytest.fixture
def photo_dir(tmp_path, photo):
    """Four 96x96 crops of the bundled photo: a training set that needs no external data."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, (top, left) in enumerate([(0, 0), (0, 150), (150, 0), (150, 150)]):
        io.write_image(folder / f"{i}.png", photo[top:top + 96, left:left + 96])
    return folder


def tiny_config(tmp_path, photo_dir, **loss):
    values = {
        "name": "odcnn_tiny", "family": "odcnn",
        "data": {"train_dir": str(photo_dir), "val_dir": str(photo_dir), "patch_size": 24, "batch_size": 2,
                 "kernels": ["disk:2"], "noise_sigma": [0.005, 0.01], "gain": [1.0, 1.3],
                 "jpeg_quality": [80, 95], "val_count": 2},
        "model": {"kernel": "disk:2", "rank": 4, "filter_size": 15, "width": 8, "first_size": 4,
                  "last_size": 2},
        "loss": {"stage1": {"epochs": 1, "learning_rate": 1e-3, "final_learning_rate": 1e-4},
                 "stage2": {"epochs": 1, "learning_rate": 1e-3, "final_learning_rate": 1e-4},
                 "stage3": {"epochs": 1, "learning_rate": 1e-4, "final_learning_rate": 1e-5,
                            "patch_size": 28},
                 **loss},
        "trainer": {"steps_per_epoch": 2, "output_dir": str(tmp_path / "{name}"), "image_every": 1},
    }
    return families.config_from_dict(values)


def test_training_steps_reduce_the_loss(photo_dir, rng):
    bank = kernel_bank(["disk:2"], 5, 1, seed=0)
    data = synthetic_pairs(sorted(map(str, photo_dir.iterdir())), bank, 32, 4, noise_sigma=(0.01, 0.01),
                           gain=(1.0, 1.3), jpeg_quality=(85, 90), training=False, count=4, seed=0)
    blurry, sharp = next(iter(data))
    model = ODCNN(bank[0], rank=4, filter_size=15, width=8, first_size=4, last_size=2)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    first = model.evaluate(blurry, sharp, verbose=0)
    model.fit(blurry, sharp, epochs=15, batch_size=4, verbose=0)
    assert model.evaluate(blurry, sharp, verbose=0) < 0.9 * first


@pytest.mark.slow  # ~15 s: the three training stages end to end
def test_three_stages_end_to_end(tmp_path, photo_dir, rng):
    config = tiny_config(tmp_path, photo_dir)
    model = train_lib.train(config)
    run = config.run_dir()
    assert isinstance(model, ODCNN) and model.outlier_rejection and model.merged
    for stage in ("stage1", "stage2", "stage3"):
        assert list((run / "logs" / stage).rglob("events.out.tfevents.*")), stage
        assert (run / "checkpoints" / f"{stage}.keras").is_file()
    stage1 = keras.saving.load_model(run / "stage1.keras")
    assert not stage1.outlier_rejection
    final = keras.saving.load_model(run / "model.keras")
    assert all(layer.trainable for layer in final.layers)
    records = json.loads((run / "stages.json").read_text())
    assert list(records) == ["stage1", "stage2", "stage3"] and records["stage3"]["patch_size"] == 28
    assert (run / "stage2.csv").read_text().startswith("epoch")
    x = rng.random((1, 32, 36, 3)).astype(np.float32)
    np.testing.assert_allclose(final(x).numpy(), model(x).numpy(), atol=1e-6)


def test_stage_one_only(tmp_path, photo_dir):
    config = tiny_config(tmp_path, photo_dir, stage2={"epochs": 0}, stage3={"epochs": 0})
    model = odcnn_training.train(config, fitting.make_strategy("default"))
    assert not model.outlier_rejection


def test_kernel_must_be_fixed_and_match_the_data(tmp_path, photo_dir):
    config = tiny_config(tmp_path, photo_dir)
    config.data.kernels = ["disk:3"]
    with pytest.raises(InputError, match="must be"):
        odcnn_training.build_model(config)
    config.data.kernels, config.model.kernel = ["motion"], ""
    with pytest.raises(InputError, match="one fixed kernel"):
        odcnn_training.build_model(config)


def test_bad_model_options_are_input_errors(tmp_path, photo_dir):
    config = tiny_config(tmp_path, photo_dir)
    config.model.filter_size = 14
    with pytest.raises(InputError, match="odd"):
        odcnn_training.validate(config)


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("odcnn_*.yaml")), ids=lambda p: p.name)
def test_every_odcnn_config_loads(path):
    config = families.load_config(path)
    odcnn_training.validate(config)
    assert odcnn_training.kernel_spec(config) == config.data.kernels[0]
