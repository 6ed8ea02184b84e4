"""Trained presets: `saved_models/<family>/<preset>/` folders holding `model.keras` and a model card.

`--model` accepts a preset name (`idc/small`, or just `small` when the family is known) or a path to a
`.keras` file or a preset folder. Presets are looked up in `$TFDEBLUR_MODELS` (if set), then in the
presets shipped with the package, `tfdeblur/saved_models/` (in a source checkout a link to the top-level
`saved_models/` folder; in an installed wheel, package data), so both resolve names the same way.
"""

from __future__ import annotations

import importlib
import os
import zipfile
from pathlib import Path

from tfdeblur.errors import InputError

MODEL_FILE = "model.keras"
SHIPPED_ROOT = Path(__file__).resolve().parent / "saved_models"


def search_roots() -> list[Path]:
    roots = []
    if os.environ.get("TFDEBLUR_MODELS"):
        roots.append(Path(os.environ["TFDEBLUR_MODELS"]))
    roots.append(SHIPPED_ROOT)
    return roots


def available(family: str) -> list[str]:
    """Preset names of a family (folders with a model.keras)."""
    names = set()
    for root in search_roots():
        folder = root / family
        if folder.is_dir():
            names.update(p.parent.name for p in folder.glob(f"*/{MODEL_FILE}"))
    return sorted(names)


def resolve(name_or_path: str, family: str) -> Path:
    """Path of the `.keras` file for a preset name or path; InputError if there is none."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".keras":
        if candidate.is_file():
            return candidate
        raise InputError(f"model file not found: {candidate}")
    if candidate.is_dir() and (candidate / MODEL_FILE).is_file():
        return candidate / MODEL_FILE
    parts = name_or_path.strip("/").split("/")
    if len(parts) == 2 and parts[0] != family:
        raise InputError(f"preset '{name_or_path}' belongs to family '{parts[0]}', not '{family}'")
    preset = parts[-1]
    for root in search_roots():
        path = root / family / preset / MODEL_FILE
        if path.is_file():
            return path
    known = ", ".join(f"{family}/{p}" for p in available(family)) or "none installed"
    raise InputError(f"unknown {family} model '{name_or_path}' (presets: {known}; or give a .keras path)")


def family_of(name_or_path: str) -> str:
    """The family of `family/preset`, or of a `.keras` file / preset folder under `saved_models/<family>/`."""
    path = Path(name_or_path)
    if path.suffix == ".keras" or path.is_dir():
        resolved = path.resolve()
        parents = [resolved.parent, resolved] if path.suffix == ".keras" else [resolved]
        for folder in parents:
            if folder.parent.parent.name == "saved_models":
                return folder.parent.name
        raise InputError(f"cannot tell the family of {name_or_path}; pass --family")
    parts = name_or_path.strip("/").split("/")
    if len(parts) != 2:
        raise InputError(f"give the preset as family/name, or pass --family (got '{name_or_path}')")
    return parts[0]


def load(name_or_path: str, family: str, compile: bool = False):
    """Load a preset or `.keras` file of `family` (its layers are registered by importing the family)."""
    import keras

    path = resolve(name_or_path, family)
    if not zipfile.is_zipfile(path):  # else Keras says "File not found" about a file that exists
        raise InputError(f"{path} is not a valid Keras model file (a .keras file is the zip archive "
                         "model.save() writes)")
    importlib.import_module(f"tfdeblur.models.{family}")
    try:
        return keras.saving.load_model(path, compile=compile)
    except Exception as err:
        raise InputError(f"cannot load model {path}: {str(err).strip().splitlines()[0]}") from None
