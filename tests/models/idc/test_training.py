from pathlib import Path

import numpy as np
import pytest

from tfdeblur import InputError, families, io
from tfdeblur.models.idc import IDC
from tfdeblur.models.idc.training import check_config
from tfdeblur.training import resume
from tfdeblur.training import run as train_lib
from tfdeblur.training.resume import TrainingInterrupted

CONFIGS = sorted((Path(__file__).resolve().parents[3] / "configs").glob("idc_*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_idc_config_loads(path):
    config = families.load_config(path)
    assert config.family == "idc"
    check_config(config)


def test_configs_exist_for_the_presets_and_ablations():
    names = {p.stem for p in CONFIGS}
    assert {"idc_full", "idc_small", "idc_small_no_texture", "idc_small_single_scale", "idc_gopro"} <= names


def test_patches_too_small_for_three_scales_are_refused():
    config = families.load_config(CONFIGS[0], ["data.patch_size=32"])
    with pytest.raises(InputError, match="coarsest"):
        check_config(config)


@pytest.mark.slow  # ~20 s: `tfdeblur train` of an IDC end to end
def test_train_command_end_to_end(tmp_path, photo):
    """config -> synthetic pipeline -> fit (callbacks) -> saved model, on a tiny model and data, under the
    tf.distribute strategy named in the config (MirroredStrategy over the one local CPU), stopped and resumed."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        io.write_image(photos / f"{i}.png", photo[40 * i:40 * i + 90, 30 * i:30 * i + 90])
    overrides = [f"data.train_dir={photos}", f"data.val_dir={photos}", "data.patch_size=48", "data.batch_size=2",
                 "data.kernel_size=9", "data.kernel_bank=4", "data.val_count=2", "data.motion_length=[3, 7]",
                 "model.channels=[4, 6, 8]", "model.texture_channels=4", "model.fusion_channels=4",
                 "model.kernel_size=3", "model.num_res_blocks=1", "trainer.epochs=2", "trainer.steps_per_epoch=2",
                 "trainer.strategy=mirrored",
                 f"trainer.output_dir={tmp_path / 'runs' / '{name}'}"]
    config = families.load_config(CONFIGS[0].with_name("idc_small.yaml"), overrides)
    config.trainer.session_steps = 3  # stopped after 3 of 4 steps, then resumed under the same strategy
    with pytest.raises(TrainingInterrupted):
        train_lib.train(config)
    assert resume.read_state(config.run_dir() / "resume").step == 3
    config.trainer.session_steps = 0
    model = train_lib.train(config)
    run_dir = config.run_dir()
    assert not (run_dir / "resume").exists()  # the run completed: its default resume folder is gone
    assert isinstance(model, IDC) and (run_dir / "model.keras").is_file()
    assert (run_dir / "checkpoints" / "train.keras").is_file()
    assert any((run_dir / "logs" / "train").rglob("events.out.tfevents*"))
    x = np.random.default_rng(0).random((1, 33, 41, 3)).astype(np.float32)
    assert model(x).shape == x.shape
