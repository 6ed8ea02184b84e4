"""Which photos a batch run still has to do, and where each result goes (no Beam needed here).

An input keeps its path relative to the glob's root (the leading folders without wildcards) under the output
folder, so `photos/**/*.jpg -o out/` turns `photos/a/b.jpg` into `out/a/b.jpg`. An input whose output already
exists is done: writes are atomic, so an existing output is always complete and a rerun can skip it.
`**` does not enter folder symlinks: a link to a parent folder (`photos/d/loop -> ..`) would repeat the tree
without end, each photo once per lap.
"""

from __future__ import annotations

import dataclasses
import glob
import os
from pathlib import Path

from tfdeblur.errors import InputError, warn
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


def _folders_below(folder: str, links: list[str]):
    """`folder` and every folder under it, as glob's `**` lists them (hidden ones left out), without
    entering folder symlinks: those are appended to `links`."""
    yield folder
    try:
        with os.scandir(folder or ".") as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = os.path.join(folder, entry.name)
        try:
            if entry.is_symlink():
                if entry.is_dir():
                    links.append(path)
            elif entry.is_dir(follow_symlinks=False):
                yield from _folders_below(path, links)
        except OSError:
            continue


def expand(pattern: str) -> tuple[list[str], list[str]]:
    """`glob.glob(pattern, recursive=True)`, except that `**` does not enter folder symlinks.

    Returns the sorted matches and the folder symlinks `**` did not enter.
    """
    parts = [part for part in pattern.split(os.sep) if part] if "**" in pattern else []
    if not parts:
        return sorted(glob.glob(pattern, recursive=True)), []
    folders = [os.sep if pattern.startswith(os.sep) else ""]
    links: list[str] = []
    matches: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            folders = list(dict.fromkeys(f for top in folders for f in _folders_below(top, links)))
            part = "*"
            if not last:
                continue
        found = [name for folder in folders for name in glob.glob(os.path.join(glob.escape(folder), part))]
        if last:
            matches = found
        else:
            folders = [name for name in found if os.path.isdir(name)]
    return sorted(dict.fromkeys(matches)), sorted(dict.fromkeys(links))


def plan(pattern: str, output_dir) -> Plan:
    """Expand `pattern` (with `**` for any depth) and split the images into to-do and already done.

    Files inside `output_dir` are never inputs, so an output folder under the photo folder is safe to rerun.
    """
    root = glob_root(pattern)
    out = Path(output_dir)
    out_resolved = out.resolve()
    todo, done, ignored, inside = [], [], [], []
    matches, links = expand(pattern)
    if links:
        warn(f"'**' does not enter folder symlinks: skipped {len(links)} ({', '.join(links[:3])}"
             f"{', ...' if len(links) > 3 else ''}); give their own pattern to include them")
    for name in matches:
        path = Path(name)
        if not path.is_file():
            continue
        if out_resolved in path.resolve().parents:
            inside.append(name)
            continue
        if path.suffix.lower() not in IMAGE_EXTENSIONS:
            ignored.append(name)
            continue
        target = out / path.relative_to(root)
        (done if target.exists() else todo).append((name, str(target)))
    photos_inside = [name for name in inside if Path(name).suffix.lower() in IMAGE_EXTENSIONS]
    if not (todo or done) and photos_inside:
        raise InputError(f"the {len(photos_inside)} image(s) matching '{pattern}' are inside the output folder "
                         f"{out}, whose files are never inputs (they would be taken for results); give an -o "
                         "outside the photos")
    if not (todo or done):
        raise InputError(f"no images (.png/.jpg/.tif/.bmp) match '{pattern}'")
    return Plan(root, todo, done, ignored)
