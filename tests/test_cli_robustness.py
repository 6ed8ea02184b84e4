"""What a new user broke (issue 11), through the real command: one-line errors, exit 2, nothing lost."""

import inspect
import json
import os
import re
import shutil

import numpy as np
import pytest

from tfdeblur import io, methods
from tfdeblur.cli import checks as cli_checks
from tfdeblur.cli import main
from tfdeblur.cli.testing import run_cli as run
from tfdeblur.testing import png_bomb


@pytest.fixture
def scene(tmp_path, gray_photo):
    io.write_image(tmp_path / "sharp.png", gray_photo[:96, :96])
    np.save(tmp_path / "kernel.npy", np.full((3, 3), 1 / 9, np.float32))
    return tmp_path


def assert_user_error(code, err, *fragments):
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "error" in lines[0] and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def snapshot(folder):
    return {p.relative_to(folder): (p.read_bytes(), p.stat().st_mode) for p in folder.rglob("*") if p.is_file()}


WIENER = ["--method", "wiener", "--kernel", "disk:1"]


# 1: decompression bombs and the pixel limit ------------------------------------------------------------

def test_bomb_is_refused_before_decoding_with_the_option_to_raise_the_limit(scene, capsys):
    (scene / "bomb.png").write_bytes(png_bomb())
    before = snapshot(scene)
    for argv in (["deblur", scene / "bomb.png", "-o", scene / "o.png", *WIENER],
                 ["blur", scene / "bomb.png", "-o", scene / "o.png", "--kernel", "disk:1"]):
        code, _, err = run(argv, capsys)
        assert_user_error(code, err, "20000x20000", "--max-pixels")
    assert snapshot(scene) == before


def test_max_pixels_option(scene, capsys):
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--max-pixels", "1000", *WIENER],
                       capsys)
    assert_user_error(code, err, "96x96", "over the limit")
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--max-pixels", str(96 * 96),
                        *WIENER], capsys)
    assert code == 0, err


@pytest.mark.parametrize("method, hint", [("wiener", "smaller image"), ("idc", "--tile")])
def test_out_of_memory_hint_suggests_tile_only_to_methods_that_take_it(scene, capsys, monkeypatch, method,
                                                                        hint):
    def exhausted(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(methods, "run", exhausted)
    extra = ["--kernel", "disk:1"] if method == "wiener" else []
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", method, *extra], capsys)
    assert_user_error(code, err, "out of memory", hint)
    if method == "wiener":
        assert "--tile" not in err


def test_large_images_are_tiled_by_methods_that_can(monkeypatch):
    """Every family that tiles decides in `tfdeblur.models.inference.run` from its memory estimate."""
    from tfdeblur.models import inference
    from tfdeblur.models.ircnet import method

    seen = []
    monkeypatch.setattr(method, "irc", lambda image, kernel, **k: seen.append(image.shape) or image)
    big = np.zeros((2100, 2000), np.float32)  # 4.2 MP: over the solver's 4 MP per channel
    result = methods.run(big, method="ircnet", kernel=np.ones((3, 3)) / 9)
    assert result.info["tile"] == 1024 and max(seen)[:2] == (1024, 1024) and result.image.shape == big.shape
    seen.clear()
    assert methods.run(big[:100], method="ircnet", kernel=np.ones((3, 3)) / 9).info["tile"] is None
    assert seen == [(100, 2000, 1)]
    assert inference.auto_tile(2100, 2000, method.SOLVER_BYTES_PER_PIXEL) == 1024


# 2, 3, 4: never replace the user's files; modes of a plain write -----------------------------------------

def test_output_equal_to_the_input_is_refused(scene, capsys):
    os.link(scene / "sharp.png", scene / "hardlink.png")
    os.chmod(scene / "sharp.png", 0o644)
    before = snapshot(scene)
    for target in (scene / "sharp.png", f"{scene}/../{scene.name}/./sharp.png", scene / "hardlink.png"):
        code, _, err = run(["deblur", scene / "sharp.png", "-o", target, *WIENER], capsys)
        assert_user_error(code, err, "refusing to replace")
        code, _, err = run(["blur", scene / "sharp.png", "-o", target, "--kernel", "disk:1"], capsys)
        assert_user_error(code, err, "would replace")
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene, *WIENER], capsys)  # the input's own folder
    assert_user_error(code, err, "refusing to replace")
    assert snapshot(scene) == before


def test_two_inputs_with_the_same_name_are_refused_before_running(scene, capsys, monkeypatch):
    for sub in ("a", "b"):
        (scene / sub).mkdir()
        shutil.copy(scene / "sharp.png", scene / sub / "x.png")
    monkeypatch.setattr(methods, "run", lambda *a, **k: pytest.fail("ran before refusing"))
    code, _, err = run(["deblur", scene / "a" / "x.png", scene / "b" / "x.png", "-o", scene / "out", *WIENER],
                       capsys)
    assert_user_error(code, err, "a/x.png", "b/x.png", "both be written")
    assert not (scene / "out").exists()


def test_cli_outputs_get_the_umask_mode(scene, capsys):
    old = os.umask(0o022)
    try:
        code, _, err = run(["blur", scene / "sharp.png", "-o", scene / "b.png", "--kernel", "disk:1",
                            "--save-kernel", scene / "k.npy"], capsys)
    finally:
        os.umask(old)
    assert code == 0, err
    assert [os.stat(scene / n).st_mode & 0o777 for n in ("b.png", "k.npy")] == [0o644, 0o644]


# 6, 7: numbers validated at the parser; input errors that used to be internal errors ------------------------

@pytest.mark.parametrize("argv, fragment", [
    (["blur", "IN", "-o", "o.png", "--kernel", "disk:1", "--noise", "-1"], "--noise"),
    (["blur", "IN", "-o", "o.png", "--kernel", "disk:1", "--saturate", "-2"], "--saturate"),
    (["blur", "IN", "-o", "o.png", "--kernel", "disk:1", "--jpeg", "0"], "--jpeg"),
    (["blur", "IN", "-o", "o.png", "--kernel", "disk:1", "--jpeg", "200"], "--jpeg"),
    (["blur", "IN", "-o", "o.png", "--kernel", "disk:1", "--poisson", "0"], "--poisson"),
    (["blur", "IN", "-o", "o.png", "--kernel", "disk:1", "--noise", "nan"], "--noise"),
    (["deblur", "IN", "-o", "o.png", "--method", "wiener", "--kernel", "disk:1", "--reg", "0"], "--reg"),
    (["deblur", "IN", "-o", "o.png", "--method", "wiener", "--kernel", "disk:1", "--reg", "-1"], "--reg"),
    (["deblur", "IN", "-o", "o.png", "--method", "ircnet", "--kernel", "disk:1", "--iterations", "0"],
     "--iterations"),
    (["deblur", "IN", "-o", "o.png", "--tile", "-5"], "--tile"),
    (["deblur", "IN", "-o", "o.png", "--max-pixels", "0"], "--max-pixels"),
    (["export", "--model", "idc/small", "--saved-model", "d", "--version", "-1"], "--version"),
    (["export", "--model", "idc/small", "--tflite", "m.tflite", "--tflite-size", "0x0"], "--tflite-size"),
    (["export", "--model", "idc/small", "--tflite", "m.tflite", "--tflite-size", "abc"], "--tflite-size"),
    (["evaluate", "--method", "wiener", "--dataset", "folder", "--data-dir", ".", "--limit", "-1"], "--limit"),
    (["blur", "IN", "-o", "o.png", "--kernel", "trajectory:2.5,1"], "whole number"),
    (["blur", "IN", "-o", "o.png", "--kernel", "motion:1e9,0"], "1001 px"),
])
def test_meaningless_numbers_are_one_line_usage_errors(scene, capsys, monkeypatch, argv, fragment):
    monkeypatch.chdir(scene)
    before = snapshot(scene)
    code, _, err = run([scene / "sharp.png" if a == "IN" else a for a in argv], capsys)
    assert_user_error(code, err, fragment)
    assert snapshot(scene) == before


def test_a_keras_model_of_another_kind_is_an_input_error(scene, capsys):
    import keras

    inputs = keras.Input((None, None, 3))
    keras.Model(inputs, keras.layers.Conv2D(3, 3, padding="same")(inputs)).save(scene / "plain_conv.keras")
    (scene / "text.keras").write_text("not a model")
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "idc", "--model",
                        scene / "plain_conv.keras"], capsys)
    assert_user_error(code, err, "not an IDC model")
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "idc", "--model",
                        scene / "text.keras"], capsys)
    assert_user_error(code, err, "not a valid Keras model file")
    assert not (scene / "o.png").exists()


# 8, 14: kernels on deblur ---------------------------------------------------------------------------------

def test_deblur_accepts_kernel_specs(scene, capsys):
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "wiener", "--kernel",
                        "motion:9,0"], capsys)
    assert code == 0, err


def test_odcnn_preset_brings_its_own_kernel(scene, capsys):
    code, out, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "odcnn", "--model",
                          "odcnn/disk7"], capsys)
    assert code == 0, err
    assert io.read_image(scene / "o.png").shape == (96, 96)
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o2.png", "--method", "odcnn"], capsys)
    assert_user_error(code, err, "--kernel")


def test_kernel_given_to_a_blind_method_is_not_silently_ignored(scene, capsys):
    io.write_image(scene / "small.png", io.read_image(scene / "sharp.png")[:32, :32])
    code, _, err = run(["deblur", scene / "small.png", "-o", scene / "o.png", "--method", "idc", "--kernel",
                        "disk:1"], capsys)
    assert code == 0
    assert err.strip().splitlines() == ["tfdeblur: warning: method 'idc' is blind and ignores --kernel"]


def test_selfdeblur_takes_the_size_of_a_given_kernel(scene, capsys, monkeypatch):
    seen = {}

    def fake_run(image, method, kernel=None, **options):
        seen.update(options, kernel=kernel)
        return methods.DeblurResult(image)

    monkeypatch.setattr(methods, "run", fake_run)
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "selfdeblur",
                        "--kernel", "disk:3"], capsys)
    assert code == 0
    assert seen["kernel"] is None and seen["kernel_size"] == 7
    assert err.strip().splitlines() == ["tfdeblur: warning: method 'selfdeblur' is blind: --kernel only sets "
                                        "the kernel size it estimates (7)"]


# 13: messages, gray+alpha, empty folders, decoder chatter --------------------------------------------------

def test_gray_alpha_input_gives_gray_output(scene, capsys):
    from PIL import Image

    la = np.dstack([np.asarray(Image.open(scene / "sharp.png")), np.full((96, 96), 200, np.uint8)])
    Image.fromarray(la, "LA").save(scene / "la.png")
    code, _, err = run(["blur", scene / "la.png", "-o", scene / "o.png", "--kernel", "disk:1"], capsys)
    assert code == 0, err
    assert io.read_image(scene / "o.png").ndim == 2


@pytest.mark.parametrize("argv, fragment", [
    (["deblur", "DIR", "-o", "o.png", *WIENER], "is a directory, not an image file"),
    (["deblur", "IN", "-o", "no_such_dir/", *WIENER], "no such folder"),
    (["deblur", "IN", "-o", "no_such_dir/o.png", *WIENER], "output folder does not exist"),
    (["blur", "DIR", "-o", "o.png", "--kernel", "disk:1"], "is a directory"),
    (["demo", "-o", "IN"], "is a file"),
])
def test_folder_messages(scene, capsys, monkeypatch, argv, fragment):
    monkeypatch.chdir(scene)
    (scene / "photos").mkdir()
    mapping = {"DIR": scene / "photos", "IN": scene / "sharp.png"}
    code, _, err = run([mapping.get(a, a) for a in argv], capsys)
    assert_user_error(code, err, fragment)
    assert "extension" not in err


def test_failed_multi_input_run_removes_the_folder_it_created(scene, capsys):
    io.write_image(scene / "tiny.png", np.full((4, 4), 0.5))  # a valid file, smaller than the kernel
    code, _, err = run(["deblur", scene / "tiny.png", scene / "sharp.png", "-o", scene / "new", "--method",
                        "wiener", "--kernel", "disk:3"], capsys)
    assert_user_error(code, err, "smaller than")
    assert not (scene / "new").exists()


def test_decoder_warnings_stay_out_of_the_one_line_error(scene, capfd):
    data = (scene / "sharp.png").read_bytes()
    (scene / "cut.png").write_bytes(data[:len(data) // 2])
    code = main(["deblur", str(scene / "cut.png"), "-o", str(scene / "o.png"), *WIENER])
    err = capfd.readouterr().err
    assert_user_error(code, err, "cut.png")


# 15: help ---------------------------------------------------------------------------------------------------

def test_help_lists_methods_with_descriptions(capsys):
    for argv in (["--help"], ["deblur", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        for spec in methods.REGISTRY.values():
            assert re.search(rf"\n  {spec.name} +{re.escape(spec.description)}\n", out), spec.name


def test_option_table_matches_the_method_signatures():
    for option, names in cli_checks.OPTION_METHODS.items():
        assert tuple(cli_checks.methods_taking(option)) == names, option
    assert "tile" not in inspect.signature(methods.load(methods.get("wiener"))).parameters


def test_tile_is_refused_clearly_by_methods_that_cannot_tile(scene, capsys):
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", *WIENER, "--tile", "128"], capsys)
    assert_user_error(code, err, "does not take --tile", "idc, ircnet, odcnn")


# 16: one image in memory at a time --------------------------------------------------------------------------

def test_inputs_are_streamed_one_at_a_time(scene, capsys, monkeypatch):
    for name in ("a.png", "b.png", "c.png"):
        shutil.copy(scene / "sharp.png", scene / name)
    events = []
    real_read, real_write = io.read_image, io.write_image
    monkeypatch.setattr(io, "read_image", lambda path, **k: events.append(f"read {os.path.basename(path)}")
                        or real_read(path, **k))
    monkeypatch.setattr(io, "write_image", lambda path, image, **k: events.append(f"write {path.name}")
                        or real_write(path, image, **k))
    code, _, err = run(["deblur", *(scene / n for n in ("a.png", "b.png", "c.png")), "-o", scene / "out",
                        *WIENER], capsys)
    assert code == 0, err
    assert events == ["read a.png", "write a.png", "read b.png", "write b.png", "read c.png", "write c.png"]


# 12: evaluate checks its pairs before running anything --------------------------------------------------------

def _pairs(root, photo):
    for sub in ("blur", "sharp"):
        (root / sub).mkdir(parents=True)
    io.write_image(root / "blur" / "a.png", photo[:40, :40])
    io.write_image(root / "sharp" / "a.png", photo[:40, :40])
    io.write_image(root / "blur" / "lonely.png", photo[:40, :40])


def test_evaluate_names_images_without_a_partner(tmp_path, capsys, gray_photo):
    _pairs(tmp_path, gray_photo)
    code, out, err = run(["evaluate", "--method", "idc", "--dataset", "folder", "--data-dir", tmp_path,
                          "--reference", "none"], capsys)
    assert code == 0, err
    assert json.loads(out)["count"] == 1
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "lonely.png" in warnings[0]


def test_evaluate_checks_pair_sizes_before_running(tmp_path, capsys, gray_photo, monkeypatch):
    _pairs(tmp_path, gray_photo)
    io.write_image(tmp_path / "blur" / "b.png", gray_photo[:40, :40])
    io.write_image(tmp_path / "sharp" / "b.png", gray_photo[:40, :44])
    monkeypatch.setattr(methods, "run", lambda *a, **k: pytest.fail("ran a method before checking the pairs"))
    code, _, err = run(["evaluate", "--method", "idc", "--dataset", "folder", "--data-dir", tmp_path], capsys)
    assert_user_error(code, err.splitlines()[-1], "b.png", "40x44")


# issue 31 ---------------------------------------------------------------------------------------------------
# 1: inputs with no end (devices, FIFOs, symlinks to them) are refused by their type before a byte is read

def test_deblur_of_dev_zero_is_refused_before_reading(scene, capsys, monkeypatch):
    monkeypatch.setattr(io, "decode_image", lambda *a, **k: pytest.fail("read a device"))
    before = snapshot(scene)
    for argv in (["deblur", "/dev/zero", "-o", scene / "z.png", *WIENER],
                 ["blur", "/dev/zero", "-o", scene / "z.png", "--kernel", "disk:1"]):
        code, _, err = run(argv, capsys)
        assert_user_error(code, err, "/dev/zero is a device, not a regular image file")
    assert snapshot(scene) == before


def test_deblur_with_a_npy_kernel_linked_to_dev_zero_is_refused_before_reading(scene, capsys):
    (scene / "zero.npy").symlink_to("/dev/zero")
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "wiener",
                        "--kernel", scene / "zero.npy"], capsys)
    assert_user_error(code, err, "zero.npy is a device, not a regular kernel file")
    assert not (scene / "o.png").exists()


def test_deblur_of_a_fifo_is_refused_without_waiting_for_a_writer(scene, capsys):
    os.mkfifo(scene / "pipe.png")
    code, _, err = run(["deblur", scene / "pipe.png", "-o", scene / "o.png", *WIENER], capsys)
    assert_user_error(code, err, "pipe.png is a pipe (FIFO), not a regular image file")


# 2: --save-kernel (and the .npy it writes beside a PNG) never replaces the --kernel file

@pytest.mark.parametrize("save, fragment", [
    ("u.npy", "--save-kernel u.npy would replace the input"),
    ("u.png", "u.npy (the exact kernel written beside u.png) would replace the input"),
    ("sub/../u.npy", "would replace the input"),
])
def test_deblur_save_kernel_onto_its_own_kernel_file_is_refused(scene, capsys, monkeypatch, save, fragment):
    monkeypatch.chdir(scene)
    (scene / "sub").mkdir()
    np.save(scene / "u.npy", np.full((3, 3), 2 / 9))  # sums to 2: used with --normalize-kernel
    before = snapshot(scene)
    code, _, err = run(["deblur", "sharp.png", "-o", "o.png", "--method", "wiener", "--kernel", "u.npy",
                        "--normalize-kernel", "--save-kernel", save], capsys)
    assert_user_error(code, err, fragment)
    assert snapshot(scene) == before


def test_blur_save_kernel_onto_a_symlink_of_its_kernel_file_is_refused(scene, capsys):
    (scene / "link.npy").symlink_to(scene / "kernel.npy")
    before = snapshot(scene)
    code, _, err = run(["blur", scene / "sharp.png", "-o", scene / "o.png", "--kernel", scene / "link.npy",
                        "--save-kernel", scene / "kernel.npy"], capsys)
    assert_user_error(code, err, "would replace the input", "link.npy")
    assert snapshot(scene) == before


# 5: a complex .npy kernel is refused, not silently reduced to its real part

def test_deblur_with_a_complex_npy_kernel_is_refused(scene, capsys):
    np.save(scene / "c.npy", np.full((3, 3), 1 / 9) + 0.5j)
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "wiener",
                        "--kernel", scene / "c.npy", "--normalize-kernel"], capsys)
    assert_user_error(code, err, "c.npy holds complex values", "must be real numbers")
    assert "ComplexWarning" not in err and not (scene / "o.png").exists()


@pytest.mark.parametrize("method", ["ircnet", "idc"])
def test_deblur_with_a_blind_method_that_estimates_no_kernel_and_save_kernel_is_refused(scene, capsys,
                                                                                          monkeypatch, method):
    """Blind ircnet estimates a per-pixel motion field and IDC no kernel: --save-kernel was silently ignored."""
    monkeypatch.setattr(methods, "run", lambda *a, **k: pytest.fail("ran before refusing --save-kernel"))
    before = snapshot(scene)
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", method,
                        "--save-kernel", scene / "k.npy"], capsys)
    assert_user_error(code, err, f"method '{method}' estimates no blur kernel", "--save-kernel")
    assert snapshot(scene) == before


# 6: the user's environment (unwritable folders, damaged checkpoints) is a one-line error before any work

@pytest.fixture
def unwritable(tmp_path, monkeypatch):
    """A folder files cannot be created in: mode 555, and seen as such by os.access even for root."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    real_access = os.access
    if real_access(folder, os.W_OK):  # root ignores modes: make os.access answer as for a user
        monkeypatch.setattr(os, "access", lambda path, mode, *a, **k: (
            False if os.path.abspath(path) == str(folder) and mode & os.W_OK else real_access(path, mode, *a, **k)))
    yield folder
    folder.chmod(0o755)


def test_deblur_into_an_unwritable_folder_is_refused_before_computing(scene, capsys, monkeypatch, unwritable):
    shutil.copy(scene / "sharp.png", scene / "second.png")
    monkeypatch.setattr(methods, "run", lambda *a, **k: pytest.fail("computed before checking the output"))
    for argv in (["deblur", scene / "sharp.png", "-o", unwritable / "o.png", *WIENER],
                 ["deblur", scene / "sharp.png", scene / "second.png", "-o", unwritable, *WIENER],
                 ["deblur", scene / "sharp.png", "-o", scene / "o.png", *WIENER, "--save-kernel",
                  unwritable / "k.png"],
                 ["blur", scene / "sharp.png", "-o", unwritable / "o.png", "--kernel", "disk:1"]):
        code, _, err = run(argv, capsys)
        assert_user_error(code, err, f"cannot write to the folder {unwritable}: permission denied")
    assert not any(unwritable.iterdir()) and not (scene / "o.png").exists()
    code, _, err = run(["deblur", scene / "sharp.png", scene / "second.png", "-o", unwritable / "new", *WIENER],
                       capsys)  # a folder to create inside it
    assert_user_error(code, err, f"cannot write to the folder {unwritable}: permission denied")


def test_a_write_that_fails_anyway_is_a_one_line_error_without_a_stray_file(scene, capsys, monkeypatch):
    calls = []

    def full_disk(*args, **kwargs):
        calls.append(args)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", *WIENER], capsys)
    assert len(calls) == 1  # the fault happened: the write of o.png failed
    assert_user_error(code, err, f"{scene / 'o.png'}: No space left on device")
    assert sorted(p.name for p in scene.iterdir()) == ["kernel.npy", "sharp.png"]


def _checkpoint(folder, damage):
    """A --checkpoint-dir (a `tfdeblur.training.resume` folder) damaged as `damage` says."""
    import pickle

    from tfdeblur.training import resume

    folder.mkdir()
    (folder / resume.STATE_FILE).write_text("{bad" if damage == "json" else '{"stage": "selfdeblur"}')
    if damage == "pickled":  # a pickle where the weights belong: never unpickled, refused as not HDF5
        (folder / resume.WEIGHTS_FILE).write_bytes(pickle.dumps({"steps": 1}))
    elif damage == "truncated":
        import h5py

        with h5py.File(folder / resume.WEIGHTS_FILE, "w") as handle:
            handle["vars/0"] = np.zeros(3000)
        data = (folder / resume.WEIGHTS_FILE).read_bytes()
        (folder / resume.WEIGHTS_FILE).write_bytes(data[:len(data) // 2])
    elif damage == "old":  # the format before the resume folder: run.json + state.npz
        (folder / "run.json").write_text("{}")
        np.savez(folder / "state.npz", history=np.array("{}"), v0=np.zeros(3))


@pytest.mark.parametrize("damage, fragment", [
    ("truncated", "weights.weights.h5 is truncated or damaged (OSError)"),
    ("pickled", "weights.weights.h5 is truncated or damaged (OSError)"),
    ("json", "state.json is damaged (JSONDecodeError)"),
    ("old", "holds a SelfDeblur checkpoint of an older tfdeblur (run.json, state.npz), which this version does "
            "not resume"),
])
def test_deblur_resuming_a_truncated_or_pickled_selfdeblur_checkpoint_is_refused(scene, capsys, monkeypatch,
                                                                                 damage, fragment):
    _checkpoint(scene / "ck", damage)
    monkeypatch.setattr(methods, "run", lambda *a, **k: pytest.fail("ran before checking the checkpoint"))
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "selfdeblur",
                        "--schedule", "paper", "--checkpoint-dir", scene / "ck"], capsys)
    assert_user_error(code, err, fragment, "to start the run over")


# 7: blind ircnet on a photo under its minimum size: the real minimum, stated before any work

@pytest.mark.slow  # ~17 s: blind ircnet (its preset and motion bank) run at the minimum size
def test_deblur_of_a_tiny_photo_with_blind_ircnet_states_the_real_minimum(scene, capsys, gray_photo):
    need = cli_checks.min_image_size(methods.get("ircnet"), None)[0]
    io.write_image(scene / "tiny.png", gray_photo[:need[0] - 1, :64])
    io.write_image(scene / "least.png", gray_photo[:need[0], :need[1] + 2])
    code, _, err = run(["deblur", scene / "tiny.png", "-o", scene / "o.png", "--method", "ircnet"], capsys)
    assert_user_error(code, err, f"tiny.png is {need[0] - 1}x64, smaller than the required {need[0]}x{need[1]}",
                      "blind ircnet mirrors")
    assert not (scene / "o.png").exists()
    code, _, err = run(["deblur", scene / "least.png", "-o", scene / "o.png", "--method", "ircnet"], capsys)
    assert code == 0, err  # the stated minimum is the real one
    assert io.read_image(scene / "o.png").shape == (need[0], need[1] + 2)


# 8: messages that agree with each other

def test_kernel_size_15x9_is_taken_as_the_help_and_the_methods_say(scene, capsys, monkeypatch):
    from tfdeblur.result import DeblurResult

    with pytest.raises(SystemExit):
        main(["deblur", "--help"])
    assert "N|HxW|auto" in capsys.readouterr().out  # the methods' own messages allow "two of them" too
    seen = []
    monkeypatch.setattr(methods, "run", lambda image, **kwargs: seen.append(kwargs) or DeblurResult(image))
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--kernel-size", "15x9"], capsys)
    assert code == 0, err
    assert seen[0]["kernel_size"] == (15, 9)
    for bad in ("15x9x3", "15xx", "0x3"):
        code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--kernel-size", bad], capsys)
        assert_user_error(code, err, "--kernel-size: must be auto, N or HxW", f"got '{bad}'")


def test_an_8x8_photo_is_told_a_minimum_that_then_is_accepted(scene, capsys, gray_photo):
    io.write_image(scene / "small.png", gray_photo[:8, :8])
    code, _, err = run(["deblur", scene / "small.png", "-o", scene / "o.png"], capsys)  # the default method
    assert_user_error(code, err, "at least")
    side = int(re.search(r"at least (\d+)", err).group(1))
    io.write_image(scene / "least.png", gray_photo[:side, :side])
    code, _, err = run(["deblur", scene / "least.png", "-o", scene / "o.png"], capsys)
    assert code == 0, err  # no second, larger minimum


# Held up (issue 31): files that would run code when loaded are refused, with nothing executed

def test_train_with_a_python_object_yaml_tag_is_refused_without_running_it(tmp_path, capsys):
    marker = tmp_path / "pwned"
    (tmp_path / "evil.yaml").write_text(f"family: idc\nname: evil\ntrainer: !!python/object/apply:os.system "
                                        f"['touch {marker}']\n")
    code, out, err = run(["train", tmp_path / "evil.yaml", "--dry-run"], capsys)
    assert_user_error(code, err)
    assert not marker.exists() and not (tmp_path / "runs").exists()


def test_deblur_with_a_keras_file_holding_a_lambda_layer_is_refused(scene, capsys):
    import keras

    inputs = keras.Input((None, None, 3))
    keras.Model(inputs, keras.layers.Lambda(lambda x: x * 1.0)(inputs)).save(scene / "evil.keras")
    code, _, err = run(["deblur", scene / "sharp.png", "-o", scene / "o.png", "--method", "idc", "--model",
                        scene / "evil.keras"], capsys)
    assert_user_error(code, err, "evil.keras")
    assert not (scene / "o.png").exists()
