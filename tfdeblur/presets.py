"""Trained presets, one mechanism for every family (in the manner of keras-hub's `preset_utils`).

A preset is a folder `<family>/<name>/` holding `model.keras`, `metadata.json` (description, parameter
count, what it was trained on, its scores) and a human-readable `MODEL_CARD.md`. Names are `family/name`
(or `name` when the family is known); a path to a `.keras` file or a preset folder works the same way.
Folders are looked up in `$TFDEBLUR_MODELS` (if set), then in the presets shipped with the package,
`tfdeblur/saved_models/` (a link to the top-level `saved_models/` in a source checkout, package data in an
installed wheel).

The one loader, in two kinds:

- `cached_preset(name, family, expected=Class)`: the model for inference, loaded once per process and
  cached (the one cache; a rewritten file is reloaded); models share it: do not train a cached model;
- `load_preset(name, family)`: a fresh copy (training, export).

Every other way in goes through them: `Model.from_preset(name)` (`PresetMixin`, cached) on the family
models, and `tfdeblur.families.load_preset` (fresh, for callers that have not imported the family).
Besides: `list_presets(family)`, the installed presets with their metadata (reads JSON files only), and
`save_to_preset(model, folder, **metadata)`, which writes `model.keras` and `metadata.json`.

The shipped presets are also declared statically in their family's `presets.py` (`Preset`: name,
description, parameters, file, sha256, as keras-hub's `<family>_presets.py`); a test checks every shipped
folder against its declaration.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import os
import zipfile
from pathlib import Path

from tfdeblur.errors import InputError

MODEL_FILE = "model.keras"
METADATA_FILE = "metadata.json"
SHIPPED_ROOT = Path(__file__).resolve().parent / "saved_models"


@dataclasses.dataclass(frozen=True)
class Preset:
    """A shipped preset as its family declares it.

    Attributes:
        name: "family/name".
        description: one line.
        parameters: the model's parameter count.
        file: the `.keras` file, relative to the shipped presets folder (`SHIPPED_ROOT`).
        sha256: of that file.
    """

    name: str
    description: str
    parameters: int
    file: str
    sha256: str

    @property
    def path(self) -> Path:
        return SHIPPED_ROOT / self.file


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


def list_presets(family: str | None = None) -> dict[str, dict]:
    """`{"family/name": metadata}` of the installed presets (of one family, or all), first root first.

    Example:
    >>> "idc/small" in list_presets("idc")
    True
    """
    found: dict[str, dict] = {}
    for root in search_roots():
        for model_file in sorted(root.glob(f"{family or '*'}/*/{MODEL_FILE}")):
            folder = model_file.parent
            name = f"{folder.parent.name}/{folder.name}"
            if name not in found:
                found[name] = {**read_metadata(folder), "path": str(folder)}
    return found


def read_metadata(folder) -> dict:
    """A preset folder's metadata.json ({} if it has none)."""
    path = Path(folder) / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read {path}: {err}") from None


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
        metadata = read_metadata(resolved.parent if path.suffix == ".keras" else resolved)
        if metadata.get("family"):
            return metadata["family"]
        parents = [resolved.parent, resolved] if path.suffix == ".keras" else [resolved]
        for folder in parents:
            if folder.parent.parent.name == "saved_models":
                return folder.parent.name
        raise InputError(f"cannot tell the family of {name_or_path}; pass --family")
    parts = name_or_path.strip("/").split("/")
    if len(parts) != 2:
        raise InputError(f"give the preset as family/name, or pass --family (got '{name_or_path}')")
    return parts[0]


def _check_type(model, name_or_path: str, expected, hint: str):
    if expected is not None and not isinstance(model, expected):
        article = "an" if expected.__name__[0] in "AEIOU" else "a"
        raise InputError(f"model '{name_or_path}' is a {type(model).__name__}, not {article} "
                         f"{expected.__name__} model{f'; {hint}' if hint else ''}")
    return model


def load_preset(name_or_path: str, family: str, compile: bool = False, expected=None, hint: str = ""):
    """A fresh copy of a preset or `.keras` file of `family`, whose Keras classes must be imported (they are
    when called from the family; `tfdeblur.families.load_preset` imports them for any family);
    `expected`: the class it must be (InputError otherwise, with `hint`)."""
    import keras

    path = resolve(name_or_path, family)
    if not zipfile.is_zipfile(path):  # else Keras says "File not found" about a file that exists
        raise InputError(f"{path} is not a valid Keras model file (a .keras file is the zip archive "
                         "model.save() writes)")
    try:
        model = keras.saving.load_model(path, compile=compile)
    except Exception as err:
        raise InputError(f"cannot load model {path}: {str(err).strip().splitlines()[0]}") from None
    return _check_type(model, name_or_path, expected, hint)


@functools.lru_cache(maxsize=8)
def _cached(path: str, family: str, stamp: tuple[int, int]):
    return load_preset(path, family)


def cached_preset(name_or_path: str, family: str, expected=None, hint: str = ""):
    """The model of a preset name or path for inference, loaded once and cached (keyed by the resolved
    file, its size and modification time). The cached model is shared: do not train or modify it."""
    path = resolve(name_or_path, family).resolve()
    stat = path.stat()
    model = _cached(str(path), family, (stat.st_size, stat.st_mtime_ns))
    return _check_type(model, name_or_path, expected, hint)


def save_to_preset(model, folder, family: str | None = None, **metadata) -> Path:
    """Write `model` as a preset folder: `model.keras` and `metadata.json` (with the parameter count, the
    class, the date and the versions, plus `metadata`: description, trained_on, scores, ...). Each file
    is written beside its target and renamed into place."""
    import keras

    import tfdeblur
    from tfdeblur.io import save_model_atomic, write_text

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    family = family or getattr(model, "preset_family", None)
    save_model_atomic(model, folder / MODEL_FILE)
    record = {"family": family, "class_name": type(model).__name__, "parameter_count": int(model.count_params()),
              **metadata, "keras_version": keras.__version__, "tfdeblur_version": tfdeblur.__version__,
              "date_saved": datetime.date.today().isoformat()}
    write_text(folder / METADATA_FILE, json.dumps(record, indent=1) + "\n")
    return folder


class PresetMixin:
    """`from_preset` / `save_to_preset` on a family's model classes (keras-hub's `Backbone` API).

    Subclasses set `preset_family`.
    """

    preset_family = ""

    @classmethod
    def from_preset(cls, preset: str):
        """The cached inference model of a preset name (`small`, `idc/small`) or a path; InputError if the
        preset holds another class."""
        return cached_preset(preset, cls.preset_family, expected=cls)

    def save_to_preset(self, folder, **metadata) -> Path:
        return save_to_preset(self, folder, family=self.preset_family, **metadata)
