"""Shared fixtures. Every test runs on CPU; slow ones are marked `slow` and skipped by default."""

import os

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
