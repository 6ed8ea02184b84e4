"""`tfdeblur batch` on the DirectRunner: same results as `tfdeblur deblur`, dead letters, resumable."""

import json
import sys

import numpy as np
import pytest

pytest.importorskip("apache_beam", reason="apache-beam is in the test extra: pip install -e '.[test]'")

from tfdeblur import io, physics  # noqa: E402
from tfdeblur.cli import main  # noqa: E402

GOOD = ["a.png", "sub/b.png", "sub/deep/c.jpg", "sub/deep/d16.png"]


@pytest.fixture
def collection(tmp_path, photo):
    """Tiny blurry photos in nested folders (RGB, gray, JPEG, 16-bit), one corrupt and one too small."""
    kernel = physics.motion_kernel(9, 30)
    np.save(tmp_path / "k.npy", kernel)
    crops = [photo[:48, :64], photo[40:96, :72].mean(axis=2), photo[100:150, 60:120], photo[150:200, 150:200]]
    for rel, crop in zip(GOOD, crops):
        path = tmp_path / "photos" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        io.write_image(path, physics.blur(crop, kernel, mode="same"), bit_depth=16 if "16" in rel else 8)
    (tmp_path / "photos" / "sub" / "corrupt.png").write_bytes(b"\x89PNG not really")
    io.write_image(tmp_path / "photos" / "sub" / "tiny.png", np.full((5, 5), 0.5))
    return tmp_path


def batch(root, capsys, *extra):
    code = main(["batch", str(root / "photos" / "**" / "*.*"), "-o", str(root / "out"), "--method", "wiener",
                 "--kernel", str(root / "k.npy"), *extra])
    out, err = capsys.readouterr()
    return code, (json.loads(out.strip().splitlines()[-1]) if code == 0 else None), err


def test_batch_equals_deblur_keeps_paths_and_lists_bad_files(collection, capsys):
    code, summary, err = batch(collection, capsys)
    assert code == 0, err
    assert summary["deblurred"] == 4 and summary["failed"] == 2 and summary["matched"] == 6
    assert "2 file(s) failed" in err
    for rel in GOOD:
        reference = collection / "ref" / rel
        reference.parent.mkdir(parents=True, exist_ok=True)
        assert main(["deblur", str(collection / "photos" / rel), "-o", str(reference), "--method", "wiener",
                     "--kernel", str(collection / "k.npy")]) == 0
        assert (collection / "out" / rel).read_bytes() == reference.read_bytes(), rel
    failed = [json.loads(line) for line in (collection / "out" / "_failed.jsonl").read_text().splitlines()]
    assert [entry["path"].split("photos/")[1] for entry in failed] == ["sub/corrupt.png", "sub/tiny.png"]
    assert "cannot decode" in failed[0]["reason"] and "smaller than" in failed[1]["reason"]


def test_rerun_skips_what_is_done(collection, capsys):
    assert batch(collection, capsys)[0] == 0
    outputs = [collection / "out" / rel for rel in GOOD]
    stamps = [p.stat().st_mtime_ns for p in outputs]
    code, summary, _ = batch(collection, capsys)
    assert code == 0
    assert summary["skipped_done"] == 4 and summary["deblurred"] == 0 and summary["failed"] == 2
    assert [p.stat().st_mtime_ns for p in outputs] == stamps
    for bad in ("corrupt.png", "tiny.png"):  # fixed inputs are picked up by the next run
        (collection / "photos" / "sub" / bad).unlink()
    code, summary, _ = batch(collection, capsys)
    assert summary["matched"] == 4 and summary["deblurred"] == 0 and summary["failed"] == 0
    assert (collection / "out" / "_failed.jsonl").read_text() == ""


def test_kernel_spec_gives_the_same_as_the_kernel_file(collection, capsys):
    pattern = str(collection / "photos" / "*.png")  # the top folder only: a.png and tiny.png
    for out, kernel in (("from_file", collection / "k.npy"), ("from_spec", "motion:9,30")):
        argv = ["batch", pattern, "-o", str(collection / out), "--method", "wiener", "--kernel", str(kernel)]
        assert main(argv) == 0
    from_file, from_spec = (collection / name / "a.png" for name in ("from_file", "from_spec"))
    assert from_file.read_bytes() == from_spec.read_bytes()


def test_user_errors_are_one_line(collection, capsys, monkeypatch):
    code, _, err = batch(collection, capsys, "--direct_num_wrkers=2")
    assert code == 2 and err.count("\n") == 1 and "--direct_num_wrkers" in err
    code = main(["batch", str(collection / "photos" / "*.png"), "-o", str(collection / "o"),
                 "--method", "wiener"])
    assert code == 2 and "non-blind" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # other commands take no pass-through options
        main(["deblur", "x.png", "-o", "y.png", "--direct_num_workers=2"])
    assert exit_info.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "apache_beam", None)  # as if the extra were not installed
    code, _, err = batch(collection, capsys)
    assert code == 2 and "pip install 'tfdeblur[beam]'" in err and err.count("\n") == 1


@pytest.mark.slow
def test_batch_on_two_worker_processes(collection, capsys):
    code, summary, err = batch(collection, capsys, "--direct_num_workers=2",
                               "--direct_running_mode=multi_processing")
    assert code == 0, err
    assert summary["deblurred"] == 4 and summary["failed"] == 2
    assert all((collection / "out" / rel).is_file() for rel in GOOD)


def test_batch_with_an_unknown_runner_is_a_one_line_error_and_creates_no_folder(collection, capsys):
    code, _, err = batch(collection, capsys, "--runner", "Nope")
    assert code == 2 and err.count("\n") == 1, err
    assert "unknown Beam runner 'Nope' (known: " in err and "DirectRunner" in err and "internal" not in err
    assert not (collection / "out").exists()


def test_batch_glob_matching_nothing_creates_no_output_folder(collection, capsys):
    code = main(["batch", str(collection / "photos" / "*.gif"), "-o", str(collection / "out"), "--method",
                 "wiener", "--kernel", "disk:1"])
    err = capsys.readouterr().err
    assert code == 2 and "no images" in err and err.count("\n") == 1
    assert not (collection / "out").exists()


def test_batch_into_a_read_only_folder_is_refused_before_deblurring(collection, capsys, monkeypatch, read_only):
    from tfdeblur.beam import model_handler

    locked = collection / "locked"
    locked.mkdir()
    read_only(locked)
    monkeypatch.setattr(model_handler.Deblurrer, "deblur", lambda *a: pytest.fail("deblurred first"))
    code = main(["batch", str(collection / "photos" / "*.png"), "-o", str(locked / "out"), "--method", "wiener",
                 "--kernel", "disk:1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"cannot write to the folder {locked}: permission" in err, err
    assert not (locked / "out").exists()
