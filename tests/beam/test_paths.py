from pathlib import Path

import numpy as np
import pytest

from tfdeblur import InputError, io
from tfdeblur.beam.paths import glob_root, plan


@pytest.mark.parametrize("pattern, root", [
    ("photos/**/*.jpg", "photos"), ("photos/a/*.png", "photos/a"), ("*.png", "."),
    ("photos/one.png", "photos"), ("/data/x?/*.tif", "/data"),
])
def test_glob_root_is_the_part_without_wildcards(pattern, root):
    assert glob_root(pattern) == Path(root)


def test_plan_maps_relative_paths_skips_done_and_its_own_output(tmp_path):
    photos = tmp_path / "photos"
    for rel in ("a.png", "x/b.png", "x/y/c.jpg"):
        (photos / rel).parent.mkdir(parents=True, exist_ok=True)
        io.write_image(photos / rel, np.zeros((4, 4)))
    (photos / "notes.txt").write_text("not a photo")
    out = photos / "out"  # inside the glob's tree: its files must never become inputs
    (out / "x").mkdir(parents=True)
    io.write_image(out / "x" / "b.png", np.zeros((4, 4)))
    io.write_image(out / "a_stray.png", np.zeros((4, 4)))
    work = plan(str(photos / "**" / "*"), out)
    assert [Path(t).relative_to(out).as_posix() for _, t in work.todo] == ["a.png", "x/y/c.jpg"]
    assert [Path(t).relative_to(out).as_posix() for _, t in work.done] == ["x/b.png"]
    assert work.ignored == [str(photos / "notes.txt")]


def test_plan_without_images_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no images"):
        plan(str(tmp_path / "*.png"), tmp_path / "out")
