"""The web app's job function (`tfdeblur.app.jobs`), without Gradio or a browser."""

import re
import threading
import time

import cv2
import numpy as np
import pytest

from tfdeblur import io, metrics, physics
from tfdeblur.app import jobs
from tfdeblur.cli import main
from tfdeblur.errors import InputError

CROP = (slice(16, -16), slice(16, -16))  # away from the mirrored boundary


@pytest.fixture
def workspace(tmp_path):
    return jobs.Workspace(tmp_path / "app")


@pytest.fixture(scope="module")
def scene(tmp_path_factory, photo):
    """The bundled photo (sharp), and it blurred by motion 9 px at 30 deg with a little noise, as PNG."""
    folder = tmp_path_factory.mktemp("scene")
    blurry = physics.degrade(photo, physics.motion_kernel(9, 30), noise_sigma=0.005, seed=0)
    io.write_image(folder / "blurry.png", blurry)
    small = cv2.resize(photo, (128, 128), interpolation=cv2.INTER_AREA)
    io.write_image(folder / "small.png", physics.degrade(small, physics.motion_kernel(9, 30), noise_sigma=0.005,
                                                         seed=0))
    return folder


def test_a_blurred_photo_comes_back_sharper(scene, workspace, photo):
    stages = []
    result = jobs.run_job(scene / "blurry.png", "wiener", "motion:9,30", workspace=workspace,
                          progress=lambda fraction, stage: stages.append((fraction, stage)))
    restored = io.read_image(result.result)
    blurry = io.read_image(scene / "blurry.png")
    gain = metrics.psnr(restored[CROP], photo[CROP]) - metrics.psnr(blurry[CROP], photo[CROP])
    assert gain > 2.0
    assert result.result.parent.parent == workspace.root and result.result.name == "result-wiener.png"
    assert (result.width, result.height, result.method) == (256, 256, "wiener")
    assert np.load(result.kernel_npy).shape == (9, 9) and result.kernel_png.is_file()
    view = io.read_image(result.kernel_view)
    assert view.shape == (252, 252) and view.max() == 1.0  # 9 px upscaled 28x (nearest), scaled to its max
    assert "motion:9,30" in result.summary and result.seconds > 0
    assert [f for f, _ in stages] == sorted(f for f, _ in stages) and stages[-1] == (1.0, "done")


@pytest.mark.parametrize("content", [b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_a_corrupt_file_is_one_line_naming_the_upload(tmp_path, workspace, content):
    upload = tmp_path / "upload-7f3a" / "holiday.png"
    upload.parent.mkdir()
    upload.write_bytes(content)
    with pytest.raises(InputError) as error:
        jobs.run_job(upload, "blind", workspace=workspace, name="holiday.png")
    message = str(error.value)
    assert message.startswith("cannot decode holiday.png") and "\n" not in message
    assert "upload-7f3a" not in message  # the app's own path is not shown
    with pytest.raises(InputError, match="cannot decode holiday.png"):
        jobs.inspect_photo(upload, tmp_path, name="holiday.png")


def as_flags(options: dict) -> list[str]:
    """The app's options as `tfdeblur deblur` flags: {"kernel_size": "9"} -> ["--kernel-size", "9"]."""
    return [part for name, value in options.items() for part in ("--" + name.replace("_", "-"), value)]


@pytest.mark.parametrize("bit_depth, options", [(8, {}), (16, {}), (8, {"reg": "0.02"})])
def test_the_result_is_byte_identical_to_the_cli(scene, workspace, tmp_path, capsys, bit_depth, options):
    photo = tmp_path / "photo.png"
    io.write_image(photo, io.read_image(scene / "blurry.png"), bit_depth=bit_depth)
    assert main(["deblur", str(photo), "-o", str(tmp_path / "cli.png"), "--method", "wiener",
                 "--kernel", "motion:9,30", *as_flags(options)]) == 0
    result = jobs.run_job(photo, "wiener", "motion:9,30", workspace=workspace, **options)
    assert result.result.read_bytes() == (tmp_path / "cli.png").read_bytes()
    assert io.read_image(result.result, return_bit_depth=True)[1] == bit_depth
    assert result.flags == " ".join(as_flags(options))
    if options:  # the option changes the result (else the test would not show it is passed)
        plain = jobs.run_job(photo, "wiener", "motion:9,30", workspace=workspace)
        assert plain.result.read_bytes() != result.result.read_bytes()


@pytest.mark.slow  # ~16 s: the blind pipeline through the app and the CLI
@pytest.mark.parametrize("options", [{}, {"kernel_size": "11x9", "nonblind": "wiener"}], ids=["default", "options"])
def test_the_blind_default_is_byte_identical_to_the_cli(scene, workspace, tmp_path, capsys, options):
    """The default method on a 128x128 photo (~12 s each on 2 cores), as is and with a kernel size and finish."""
    assert main(["deblur", str(scene / "small.png"), "-o", str(tmp_path / "cli.png"), *as_flags(options)]) == 0
    result = jobs.run_job(scene / "small.png", workspace=workspace, **options)
    assert result.method == "blind"
    assert result.result.read_bytes() == (tmp_path / "cli.png").read_bytes()
    assert result.label.startswith("blind" + "".join(f" {flag}" for flag in as_flags(options)) + ", ")
    assert result.summary.startswith("uniform blur, kernel") and "estimate" in result.summary
    if not options:  # the CLI's warning on small photos, where the kernel size is searched
        assert result.warnings and "128x128" in result.warnings[0]
    assert result.kernel_npy.is_file() and result.kernel_view.is_file()


def test_an_uploaded_kernel_file_is_copied_under_the_apps_name(scene, workspace, tmp_path, capsys):
    upload = tmp_path / "motion:9,30.npy"  # a file name that looks like a spec is still a file
    np.save(upload, physics.motion_kernel(9, 30))
    result = jobs.run_job(scene / "blurry.png", "wiener", kernel_file=upload, workspace=workspace)
    assert (result.result.parent / "kernel-input.npy").is_file() and result.kernel_source == "uploaded file"
    assert main(["deblur", str(scene / "blurry.png"), "-o", str(tmp_path / "cli.png"), "--method", "wiener",
                 "--kernel", "motion:9,30"]) == 0
    assert result.result.read_bytes() == (tmp_path / "cli.png").read_bytes()


@pytest.mark.parametrize("spec, file, message", [
    ("/etc/hostname", None, "is not a kernel spec"),  # the textbox never reads a file on the server
    ("motion:9", None, "motion:9"),
    (None, None, "non-blind: give the blur kernel"),
    ("motion:9,30", "k.npy", "one kernel"),
    (None, "k.txt", "use .npy or an image"),
])
def test_bad_kernels_are_one_line_errors(scene, workspace, tmp_path, spec, file, message):
    if file:
        (tmp_path / file).write_bytes(b"x")
    with pytest.raises(InputError, match=message) as error:
        jobs.run_job(scene / "blurry.png", "wiener", spec, tmp_path / file if file else None, workspace=workspace)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("method, options, message", [
    ("blind", {"kernel_size": "big"}, r"^kernel size \(--kernel-size\): must be auto, N or HxW .*got 'big'"),
    ("blind", {"kernel_size": "4"}, r"^kernel size must be 'auto' or odd numbers >= 3, got 4$"),  # the method's
    ("blind", {"nonblind": "lucy"}, r"^finish \(--nonblind\): invalid choice 'lucy' \(choose from irc, wiener\)$"),
    ("wiener", {"reg": "-1"}, r"^regularisation weight \(--reg\): must be > 0.0, got -1.0$"),
    ("wiener", {"reg": "much"}, r"^regularisation weight \(--reg\): expected a number, got 'much'$"),
    ("blind", {"reg": "0.1"}, r"^method 'blind' does not take --reg \(methods that do: ircnet, wiener\)$"),
    ("wiener", {"kernel_size": "9"}, r"^method 'wiener' does not take --kernel-size \(methods that do: .*blind"),
])
def test_bad_options_are_the_clis_one_line_errors(scene, workspace, method, options, message):
    kernel = "motion:9,30" if method == "wiener" else None
    with pytest.raises(InputError, match=message):
        jobs.run_job(scene / "small.png", method, kernel, workspace=workspace, **options)


def test_the_finishes_are_the_clis_choices(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["deblur", str(tmp_path / "a.png"), "-o", str(tmp_path / "b.png"), "--nonblind", "lucy"])
    choices = re.search(r"choose from ([^)]*)\)", capsys.readouterr().err).group(1)
    assert sorted(name.strip(" '") for name in choices.split(",")) == sorted(jobs.FINISHES)


def test_each_method_is_offered_the_options_it_takes():
    assert jobs.method_options("blind") == ("kernel_size", "nonblind")
    assert jobs.method_options("wiener") == ("reg",) and jobs.method_options("ircnet") == ("reg",)
    assert jobs.method_options("odcnn") == () and jobs.method_options("idc") == ()
    assert jobs.parse_options(kernel_size=" 15X9 ", nonblind="", reg=0.5) == {"kernel_size": (15, 9), "reg": 0.5}
    assert jobs.option_flags({"reg": 0.5, "kernel_size": (15, 9)}) == "--kernel-size 15x9 --reg 0.5"


def test_a_corrupt_kernel_file_names_the_upload_not_the_copy(scene, workspace, tmp_path):
    (tmp_path / "mine.npy").write_bytes(b"garbage")
    with pytest.raises(InputError, match="mine.npy") as error:
        jobs.run_job(scene / "blurry.png", "wiener", kernel_file=tmp_path / "mine.npy", workspace=workspace)
    assert "kernel-input" not in str(error.value)


def test_inspect_photo_describes_and_previews(scene, tmp_path):
    info = jobs.inspect_photo(scene / "blurry.png", tmp_path, name="b.png")
    assert info.describe("b.png") == "b.png: 256x256 px, RGB, 8-bit PNG"
    assert io.read_image(info.preview).shape == (256, 256, 3)


def test_a_cancel_stops_the_running_job_at_once():
    runner = jobs.JobRunner()
    started, outcome = threading.Event(), []

    def job():
        try:
            with runner.interruptible("page-1"):
                started.set()
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:  # a long computation in Python steps
                    sum(range(1000))
            outcome.append("finished")
        except jobs.JobCancelled:
            outcome.append("cancelled")

    thread = threading.Thread(target=job)
    thread.start()
    started.wait(5)
    assert not runner.cancel("page-2")  # another page's key: nothing to stop
    start = time.monotonic()
    assert runner.cancel("page-1")
    thread.join(10)
    assert outcome == ["cancelled"] and time.monotonic() - start < 2
    assert not runner.busy() and not runner.cancel("page-1")
    with runner.interruptible("page-1"):  # the runner is free again
        pass


def test_a_cancel_as_the_job_ends_still_stops_it_and_lands_nowhere_else():
    runner = jobs.JobRunner()
    with pytest.raises(jobs.JobCancelled):
        with runner.interruptible("k"):
            assert runner.cancel("k")  # delivered in the block or withdrawn at its end: raised either way
    for _ in range(1000):  # the thread runs on: no stray JobCancelled arrives later
        sum(range(100))


def drawn_line(start, end, size=256, thickness=6):
    """A black stroke on a white canvas, as the page's sketchpad gives it (gray, 'L')."""
    canvas = np.full((size, size), 255, np.uint8)
    cv2.line(canvas, start, end, 0, thickness)
    return canvas


def test_a_drawn_path_becomes_a_normalised_kernel():
    kernel = jobs.kernel_from_drawing(drawn_line((64, 128), (192, 128)))  # 128 px = 16 of the 32 cells
    assert abs(kernel.sum() - 1) < 1e-6 and kernel.min() >= 0
    assert kernel.shape[0] % 2 == 1 and kernel.shape[1] % 2 == 1
    assert kernel.shape[0] <= 3 and 15 <= kernel.shape[1] <= 19  # a horizontal 16 px motion
    assert jobs.kernel_from_drawing(np.full((256, 256), 255, np.uint8)) is None  # nothing drawn
    rgba = np.zeros((256, 256, 4), np.uint8)  # a transparent canvas with an opaque black stroke
    rgba[..., 3] = 255 - drawn_line((128, 64), (128, 192))
    assert jobs.kernel_from_drawing(rgba).shape == kernel.T.shape


def test_a_drawn_kernel_runs_as_its_saved_npy_does_on_the_cli(scene, workspace, tmp_path, capsys):
    result = jobs.run_job(scene / "blurry.png", "wiener", kernel_drawing=drawn_line((100, 150), (160, 110)),
                          workspace=workspace)
    assert result.kernel_source == "drawn" and result.summary.endswith("(drawn)")
    assert main(["deblur", str(scene / "blurry.png"), "-o", str(tmp_path / "cli.png"), "--method", "wiener",
                 "--kernel", str(result.kernel_npy)]) == 0
    assert result.result.read_bytes() == (tmp_path / "cli.png").read_bytes()
    with pytest.raises(InputError, match="one kernel"):
        jobs.run_job(scene / "blurry.png", "wiener", "motion:9,30", kernel_drawing=drawn_line((0, 0), (50, 50)),
                     workspace=workspace)
