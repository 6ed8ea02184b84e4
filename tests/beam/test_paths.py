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


def test_batch_glob_through_a_symlink_loop_takes_each_photo_once(tmp_path, capsys):
    photos = tmp_path / "L"
    (photos / "d").mkdir(parents=True)
    for rel in ("a.png", "d/c.png"):
        io.write_image(photos / rel, np.zeros((4, 4)))
    (photos / "d" / "loop").symlink_to("..")  # glob.glob would go round 40 times (the kernel's link limit)
    (photos / "d" / "loop2").symlink_to("../d")  # two loops: 2^40 paths
    work = plan(str(photos / "**" / "*.png"), tmp_path / "out")
    assert [Path(t).relative_to(tmp_path / "out").as_posix() for _, t in work.todo] == ["a.png", "d/c.png"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "skipped 2" in err and "d/loop" in err


@pytest.mark.parametrize("pattern", ["**/*.png", "./**/*", "x/**", "x/**/y/*.png", "x/**/**/*.png", "*/*.png"])
def test_recursive_globs_without_links_match_what_glob_matches(tmp_path, monkeypatch, pattern):
    import glob

    from tfdeblur.beam.paths import expand

    monkeypatch.chdir(tmp_path)
    for rel in ("a.png", "x/b.png", "x/y/c.png", "x/z/y/d.png", "x/.hidden/e.png", "x/.f.png"):
        Path(rel).parent.mkdir(parents=True, exist_ok=True)
        Path(rel).write_bytes(b"")
    expected = sorted(set(glob.glob(pattern, recursive=True)) - {"x/"})  # glob also lists the root of x/**
    assert expand(pattern) == (expected, [])


def test_batch_into_the_photo_folder_itself_says_why_nothing_is_left(tmp_path):
    (tmp_path / "d").mkdir()
    for name in ("a.png", "b.png"):
        io.write_image(tmp_path / "d" / name, np.zeros((4, 4)))
    with pytest.raises(InputError, match=r"the 2 image\(s\) matching .* are inside the output folder .*d, whose "
                                         "files are never inputs"):
        plan(str(tmp_path / "d" / "*.png"), tmp_path / "d")
