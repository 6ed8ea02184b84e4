"""The TFDS builders of `datasets/<name>/`, loaded from the copy shipped inside the package.

`tfdeblur/datasets` is a link to the top-level `datasets/` folder in a source checkout and package data in
an installed wheel, so both load the same files. Builders are imported as packages from their files (TFDS
finds a builder's checksums and metadata next to its module) without registering their names, so a test
that imports one under its own name does not clash.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from pathlib import Path

from tfdeblur.errors import InputError

DATASETS_DIR = Path(__file__).resolve().parents[1] / "datasets"


def builder_file(name: str) -> Path:
    return DATASETS_DIR / name / f"{name}_dataset_builder.py"


@functools.lru_cache(maxsize=None)
def builder_class(name: str):
    """The `Builder` class of `datasets/<name>/`."""
    import tensorflow_datasets as tfds

    path = builder_file(name)
    if not path.is_file():
        raise InputError(f"the {name} dataset builder is not installed ({path} is missing; reinstall tfdeblur)")
    package = f"tfdeblur_{name}_dataset"
    if package not in sys.modules:
        spec = importlib.util.spec_from_file_location(package, path.parent / "__init__.py",
                                                      submodule_search_locations=[str(path.parent)])
        sys.modules[package] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[package])
    with tfds.core.registered.skip_registration():
        module = importlib.import_module(f"{package}.{path.stem}")
    return module.Builder
