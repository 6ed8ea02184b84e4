"""Shared fixtures. Every test runs on CPU; slow ones are marked `slow` and skipped by default."""

import importlib.util
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs one worker per core: each worker's TensorFlow and BLAS get one thread, or two workers'
    # thread pools fight over the two cores (IRC-Net's training test took 56 s in the suite, 10 s alone).
    # Child processes the tests start (the CLI, the wheel's venv) inherit the limit.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                 "TF_NUM_INTEROP_THREADS"):
        os.environ.setdefault(name, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

_EXIT_STATUS = pytest.StashKey[int]()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def read_only(monkeypatch):
    """`read_only(folder)`: `os.access` answers as for a user without write permission on `folder` (root,
    who runs CI, may write anywhere, so a chmod would prove nothing)."""
    real_access = os.access

    def lock(folder):
        locked = os.path.abspath(folder)
        monkeypatch.setattr(os, "access", lambda path, mode, *a, **k: (
            False if os.path.abspath(path) == locked and mode & os.W_OK else real_access(path, mode, *a, **k)))
        return folder

    return lock


@pytest.fixture(scope="session")
def photo():
    """The bundled 256x256 RGB photo as float32 in [0, 1] (a real image, shipped with the package)."""
    from tfdeblur.tasks.demo import demo_image

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


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config):
    """Leave right after the report, before pytest's last garbage collection.

    That collection can destroy a tf.data iterator whose worker thread waits for the GIL the collecting
    thread holds (pipelines with numpy functions): the process then hangs forever after printing its
    result (seen 2026-12-06 on the full suite). The exit status is pytest's own (5 when no test ran).
    """
    status = config.stash.get(_EXIT_STATUS, None)
    # Not in a pytest-xdist worker (`make test`): it must first hand its last results to the controller,
    # which ends a worker that hangs on exit.
    if status is not None and not hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
