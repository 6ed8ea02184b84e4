import dataclasses

import pytest

from tfdeblur import InputError
from tfdeblur import config as config_lib


@dataclasses.dataclass
class TinyModelConfig:
    channels: int = 8
    scales: list[int] = dataclasses.field(default_factory=lambda: [1, 2])
    texture: bool = True


@dataclasses.dataclass
class TinyLossConfig:
    ssim_weight: float = 0.1


@pytest.fixture(autouse=True)
def tiny_family():
    config_lib.register_family("tiny", TinyModelConfig, TinyLossConfig)
    yield
    config_lib._FAMILIES.pop("tiny", None)


def write(path, text):
    path.write_text(text)
    return path


def test_yaml_overrides_only_what_it_names(tmp_path):
    path = write(tmp_path / "a.yaml", "family: tiny\nname: a\nmodel: {channels: 16}\ntrainer: {epochs: 3}\n")
    config = config_lib.load(path)
    assert config.model == TinyModelConfig(channels=16)
    assert config.loss == TinyLossConfig()
    assert config.trainer.epochs == 3 and config.trainer.steps_per_epoch == 100
    assert config.data == config_lib.DataConfig()


def test_base_files_chain_and_set_overrides(tmp_path):
    write(tmp_path / "base.yaml", "family: tiny\nname: base\ndata: {patch_size: 64, noise_sigma: [0, 0.01]}\n")
    child = write(tmp_path / "child.yaml", "base: base.yaml\nname: child\ndata: {batch_size: 4}\n")
    config = config_lib.load(child, ["trainer.learning_rate=3e-4", "model.scales=[1, 2, 4]", "loss.ssim_weight=0"])
    assert config.name == "child"
    assert config.data.patch_size == 64 and config.data.batch_size == 4 and config.data.noise_sigma == [0, 0.01]
    assert config.trainer.learning_rate == 3e-4
    assert config.model.scales == [1, 2, 4] and config.loss.ssim_weight == 0.0
    assert config.run_dir().as_posix() == "runs/child"


@pytest.mark.parametrize("text, message", [
    ("family: tiny\ntrainer: {epoch: 3}\n", "trainer.epoch"),
    ("family: tiny\ntrainer: {epochs: three}\n", "integer"),
    ("family: tiny\nmodel: {texture: 1}\n", "true/false"),
    ("family: tiny\ndata: {kernel_size: 30}\n", "odd"),
    ("family: tiny\ntrainer: {schedule: linear}\n", "schedule"),
    ("family: nosuchfamily\n", "unknown model family"),
    ("name: x\n", "family"),
    ("family: tiny\ndata: [1, 2]\n", "mapping"),
    ("family: tiny\n  bad: [\n", "YAML"),
])
def test_bad_configs_are_one_line_errors(tmp_path, text, message):
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(InputError, match=message) as err:
        config_lib.load(path)
    assert "\n" not in str(err.value)


def test_base_cycles_and_bad_overrides(tmp_path):
    write(tmp_path / "a.yaml", "base: b.yaml\nfamily: tiny\n")
    write(tmp_path / "b.yaml", "base: a.yaml\n")
    with pytest.raises(InputError, match="cycle"):
        config_lib.load(tmp_path / "a.yaml")
    ok = write(tmp_path / "ok.yaml", "family: tiny\n")
    with pytest.raises(InputError, match="section.field=value"):
        config_lib.load(ok, ["trainer.epochs"])
    with pytest.raises(InputError, match="no such config"):
        config_lib.load(tmp_path / "missing.yaml")
