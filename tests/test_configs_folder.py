"""Every experiment in configs/ loads, validates, and names what it overrides correctly."""

from pathlib import Path

import pytest
import yaml

from tfdeblur import config as config_lib

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
CONFIG_FILES = sorted(CONFIG_DIR.glob("*.yaml"))


def test_the_configs_folder_is_not_empty():
    assert CONFIG_FILES, f"no experiments in {CONFIG_DIR}"


@pytest.mark.parametrize("path", CONFIG_FILES, ids=[p.name for p in CONFIG_FILES])
def test_config_loads_and_validates(path):
    config = config_lib.load(path)
    assert config.family and config.name
    assert config.model is not None
    raw = yaml.safe_load(path.read_text())
    assert "family" in raw or "base" in raw  # a config names its family or the base it overrides


def test_config_names_are_unique():
    names = [config_lib.load(p).name for p in CONFIG_FILES]
    assert len(names) == len(set(names)), names
