"""Which photos a batch run still has to do, and where each result goes (no Beam needed here).

An input keeps its path relative to the glob's root (the leading folders without wildcards) under the output
folder, so `photos/**/*.jpg -o out/` turns `photos/a/b.jpg` into `out/a/b.jpg`. An input whose output already
exists is done: writes are atomic, so an existing output is always complete and a rerun can skip it.
"""

from __future__ import annotations

import dataclasses
import glob
from pathlib import Path

from tfdeblur.errors import InputError
from tfdeblur.io import IMAGE_EXTENSIONS


@dataclasses.dataclass(frozen=True)
class Plan:
    """The inputs of a run: `todo` and `done` hold (input, output) path pairs, `ignored` non-image matches."""

    root: Path
    todo: list[tuple[str, str]]
    done: list[tuple[str, str]]
    ignored: list[str]


def glob_root(pattern: str) -> Path:
    """The leading folders of `pattern` that hold no wildcard (`photos/**/*.jpg` -> `photos`)."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    if len(fixed) == len(parts):  # a plain file name: its folder is the root
        fixed = fixed[:-1]
    return Path(*fixed) if fixed else Path(".")


def plan(pattern: str, output_dir) -> Plan:
    """Expand `pattern` (with `**` for any depth) and split the images into to-do and already done.

    Files inside `output_dir` are never inputs, so an output folder under the photo folder is safe to rerun.
    """
    root = glob_root(pattern)
    out = Path(output_dir)
    out_resolved = out.resolve()
    todo, done, ignored = [], [], []
    for name in sorted(glob.glob(pattern, recursive=True)):
        path = Path(name)
        if not path.is_file() or out_resolved in path.resolve().parents:
            continue
        if path.suffix.lower() not in IMAGE_EXTENSIONS:
            ignored.append(name)
            continue
        target = out / path.relative_to(root)
        (done if target.exists() else todo).append((name, str(target)))
    if not (todo or done):
        raise InputError(f"no images (.png/.jpg/.tif/.bmp) match '{pattern}'")
    return Plan(root, todo, done, ignored)
