"""Every experiment in configs/ loads, validates, and names what it overrides correctly."""

from pathlib import Path

import pytest
import yaml

from tfdeblur import families

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
CONFIG_FILES = sorted(CONFIG_DIR.glob("*.yaml"))


def test_the_configs_folder_is_not_empty():
    assert CONFIG_FILES, f"no experiments in {CONFIG_DIR}"


def assert_applied(section, values: dict, where: str):
    """Every field a YAML section names arrives, with its value, in the typed config (nested sections too)."""
    for key, value in values.items():
        assert hasattr(section, key), f"{where}.{key} is not a field of {type(section).__name__}"
        actual = getattr(section, key)
        if isinstance(value, dict):
            assert_applied(actual, value, f"{where}.{key}")
        elif isinstance(value, (list, tuple)):
            assert list(actual) == list(value), f"{where}.{key}: {actual!r} != {value!r}"
        else:
            assert actual == pytest.approx(value) if isinstance(value, float) else actual == value, (
                f"{where}.{key}: {actual!r} != {value!r}")


@pytest.mark.parametrize("path", CONFIG_FILES, ids=[p.name for p in CONFIG_FILES])
def test_config_loads_and_validates(path):
    config = families.load_config(path)
    assert config.family and config.name
    raw = yaml.safe_load(path.read_text())
    assert "family" in raw or "base" in raw  # a config names its family or the base it overrides
    for key, value in raw.items():
        if key == "base":
            continue
        if isinstance(value, dict):
            assert_applied(getattr(config, key), value, key)
        else:
            assert getattr(config, key) == value, f"{key}: {getattr(config, key)!r} != {value!r}"


def test_a_misapplied_field_is_caught():
    """The check above can fail: a value that did not arrive is reported."""
    config = families.load_config(CONFIG_FILES[0])
    with pytest.raises(AssertionError, match="patch_size"):
        assert_applied(config.data, {"patch_size": config.data.patch_size + 1}, "data")


def test_config_names_are_unique():
    names = [families.load_config(p).name for p in CONFIG_FILES]
    assert len(names) == len(set(names)), names
