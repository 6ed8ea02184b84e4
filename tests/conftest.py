"""Shared fixtures. Every test runs on CPU; slow ones are marked `slow` and skipped by default."""

import importlib.util
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def photo():
    """The bundled 256x256 RGB photo as float32 in [0, 1] (a real image, shipped with the package)."""
    from tfdeblur.demo import demo_image

    return demo_image()


@pytest.fixture(scope="session")
def gray_photo(photo):
    return photo.mean(axis=2).astype(np.float32)


@pytest.fixture(scope="session")
def load_tool():
    """`load_tool("bench_idc")`: a script of the repository's tools/ folder, imported as a module."""
    tools = Path(__file__).resolve().parents[1] / "tools"

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, tools / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
