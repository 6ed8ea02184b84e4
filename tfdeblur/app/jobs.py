"""The web app's work, in plain Python (no Gradio): inspect a photo, run one deblurring job, stop it.

`run_job` does what `tfdeblur deblur PHOTO -o OUT --method M [--kernel K] [--kernel-size N] [--nonblind F]
[--reg R]` does, with the same functions (`io.check_image_file`, `io.read_image`, `io.validate_image`, the
CLI's argument types and option check, `methods.run`, `io.write_image` at the photo's bit depth), so its
result PNG is byte-identical to the command's. Every file it writes goes into a folder of the `workdir` it is
given, under names it chooses itself (`job-0001/result-wiener.png`): nothing a user sends (file names,
kernel text) becomes a path, and a kernel textbox only takes specs, never a file name on the server.

`JobRunner` runs one job at a time and can stop the running one: a stop request raises `JobCancelled` in
the job's thread while it is inside the method (at its next Python step: TensorFlow ops already running
finish first), so a cancelled job frees the CPU instead of running on unseen.
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import functools
import inspect
import itertools
import shutil
import threading
import time
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from tfdeblur import io, methods, physics
from tfdeblur.cli import arg_types
from tfdeblur.cli import checks as cli_checks
from tfdeblur.errors import InputError
from tfdeblur.physics.kernels import is_kernel_spec

KERNEL_VIEW_PIXELS = 256  # the kernel picture's side: the kernel upscaled (nearest) to about this size
PREVIEW_PIXELS = 1024  # longest side of the uploaded photo's preview
KERNEL_SPECS = "motion:LEN,ANGLE | trajectory:SIZE,SEED | disk:R | gaussian:SIGMA"
KERNEL_FILE_EXTENSIONS = (".npy",) + io.IMAGE_EXTENSIONS
DRAWING_CELLS = 32  # a drawn kernel: the canvas is this many kernel pixels a side
FINISHES = ("irc", "wiener")  # --nonblind's choices; irc is the blind method's default finish


class Option(NamedTuple):
    """One of the options the page offers, as `tfdeblur deblur` takes it."""

    flag: str
    label: str  # what the page calls it
    parse: Callable  # the CLI's argument type for it


def _finish(text: str) -> str:
    """--nonblind's value: one of FINISHES (argparse's `choices` on the command line)."""
    if text not in FINISHES:
        raise argparse.ArgumentTypeError(f"invalid choice '{text}' (choose from {', '.join(FINISHES)})")
    return text


# The few options that matter, by the method parameter they set (the key `tfdeblur deblur` passes them under).
OPTIONS = {"kernel_size": Option("--kernel-size", "kernel size", arg_types.kernel_size_or_auto),
           "nonblind": Option("--nonblind", "finish", _finish),
           "reg": Option("--reg", "regularisation weight", arg_types.positive_float)}

Progress = Callable[[float, str], object]


class JobCancelled(BaseException):
    """The job was stopped by a cancel request (a BaseException, as KeyboardInterrupt: the methods' own
    `except Exception` handlers must not turn it into an error of theirs)."""


@dataclasses.dataclass
class PhotoInfo:
    """What the page shows about an uploaded photo."""

    width: int
    height: int
    channels: int
    bit_depth: int
    format: str
    preview: Path  # 8-bit PNG, at most PREVIEW_PIXELS a side

    def describe(self, name: str) -> str:
        colour = "gray" if self.channels == 1 else "RGB"
        return f"{name}: {self.width}x{self.height} px, {colour}, {self.bit_depth}-bit {self.format.upper()}"


@dataclasses.dataclass
class JobResult:
    """One finished job: its files (all inside its own job folder) and what to say about it."""

    method: str
    kernel_source: str | None  # the spec or "uploaded file", None for blind runs
    seconds: float
    summary: str  # one line: the blind method's own summary, or what ran
    warnings: list[str]
    before: Path  # the photo as 8-bit PNG (the comparison's left side)
    result: Path  # the result PNG, byte-identical to the CLI's
    kernel_npy: Path | None
    kernel_png: Path | None
    kernel_view: Path | None  # the kernel upscaled (nearest), scaled to its max, 8-bit PNG
    width: int
    height: int
    flags: str = ""  # the options given, as the CLI's flags ("--kernel-size 15 --nonblind wiener")

    @property
    def label(self) -> str:
        kernel = f" {self.kernel_source}" if self.kernel_source else ""
        flags = f" {self.flags}" if self.flags else ""
        return f"{self.method}{kernel}{flags}, {self.seconds:.1f} s"


class Workspace:
    """Numbered job folders inside `root` (the app's temporary directory)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def new_folder(self) -> Path:
        with self._lock:
            folder = self.root / f"job-{next(self._numbers):04d}"
        folder.mkdir(parents=True)
        return folder


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _named(err: InputError, path, name: str) -> InputError:
    """The error with the app's own path of a file replaced by the name the user knows it by."""
    return InputError(_one_line(str(err).replace(str(path), name)))


def _preview(image: np.ndarray, path: Path) -> Path:
    """An 8-bit PNG of `image`, downscaled (area) to at most PREVIEW_PIXELS a side."""
    import cv2

    height, width = image.shape[:2]
    scale = PREVIEW_PIXELS / max(height, width)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return io.write_image(path, np.clip(image, 0.0, 1.0))


def inspect_photo(photo, workdir: Path, name: str | None = None,
                  max_pixels: int | None = io.DEFAULT_MAX_PIXELS) -> PhotoInfo:
    """Check and read an uploaded photo as the CLI does, and write its preview into `workdir`."""
    name = name or Path(photo).name
    try:
        header = io.check_image_file(photo, max_pixels)
        image, depth = io.read_image(photo, return_bit_depth=True, max_pixels=max_pixels)
        image = io.validate_image(image, name=name)
    except InputError as err:
        raise _named(err, photo, name) from None
    channels = 1 if image.ndim == 2 else image.shape[2]
    preview = _preview(image, Path(workdir) / "preview.png")
    return PhotoInfo(header.width, header.height, channels, depth, header.format, preview)


def kernel_needs(method: str) -> str:
    """'required', 'optional' (ircnet: blind without one) or 'ignored' (blind methods)."""
    spec = methods.get(method)
    return "required" if spec.needs_kernel else "optional" if spec.accepts_kernel else "ignored"


@functools.lru_cache(maxsize=None)
def method_options(method: str) -> tuple[str, ...]:
    """The page's `OPTIONS` that `method` takes: the parameters of its function, as the CLI checks them."""
    taken = inspect.signature(methods.load(methods.get(method))).parameters
    return tuple(name for name in OPTIONS if name in taken)


def parse_options(kernel_size=None, nonblind=None, reg=None) -> dict:
    """The options as `tfdeblur deblur --kernel-size N --nonblind F --reg R` passes them to the method.

    Each value is text as typed (numbers are taken too); None or blank is "not given" (the method's default:
    blind's kernel size `auto`, its finish irc, a regularisation weight from the noise level). Text goes
    through the CLI's own argument types.

    Raises:
        InputError: a value the command line refuses, one line naming the option and its flag.
    """
    options = {}
    for name, value in (("kernel_size", kernel_size), ("nonblind", nonblind), ("reg", reg)):
        text = "" if value is None else str(value).strip()
        if not text:
            continue
        option = OPTIONS[name]
        try:
            options[name] = option.parse(text)
        except argparse.ArgumentTypeError as err:
            raise InputError(_one_line(f"{option.label} ({option.flag}): {err}")) from None
    return options


def option_flags(options: dict) -> str:
    """The page's options in `options` as the command line's flags, e.g. `--kernel-size 15x9 --reg 0.01`."""
    def text(value) -> str:
        return "x".join(map(str, value)) if isinstance(value, tuple) else str(value)

    return " ".join(f"{OPTIONS[name].flag} {text(options[name])}" for name in OPTIONS if name in options)


def kernel_from_drawing(drawing, cells: int = DRAWING_CELLS) -> np.ndarray | None:
    """A blur kernel from a path drawn on a square canvas (None if nothing is drawn).

    The canvas stands for `cells` x `cells` kernel pixels: the stroke's darkness times its opacity is
    averaged over each cell (area resampling), faint cells (< 5 % of the peak) are dropped, the kernel is
    cropped to the stroke, padded to odd sides and scaled to sum 1.

    Args:
        drawing: HxW gray or HxWx3 / HxWx4 (RGB[A]) uint8 array, a dark stroke on a light or transparent
            background.
    """
    import cv2

    array = np.asarray(drawing, np.float32)
    if array.ndim == 2:
        weight = 1.0 - array / 255.0
    elif array.ndim == 3 and array.shape[2] in (1, 3, 4):
        darkness = 1.0 - array[..., : min(3, array.shape[2])].mean(axis=2) / 255.0
        weight = darkness * (array[..., 3] / 255.0 if array.shape[2] == 4 else 1.0)
    else:
        raise InputError(f"a kernel drawing must be a gray or RGB(A) picture, got shape {array.shape}")
    small = cv2.resize(np.ascontiguousarray(weight), (cells, cells), interpolation=cv2.INTER_AREA)
    peak = float(small.max())
    if peak <= 0.0:
        return None
    small[small < 0.05 * peak] = 0.0
    rows, cols = np.nonzero(small)
    kernel = small[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    kernel = np.pad(kernel, ((0, 1 - kernel.shape[0] % 2), (0, 1 - kernel.shape[1] % 2)))
    return io.validate_kernel(kernel, normalize=True, name="the drawn kernel")


def _kernel(spec: methods.MethodSpec, kernel_spec: str | None, kernel_file, folder: Path, options: dict,
            drawn: np.ndarray | None = None):
    """The kernel for the method as `tfdeblur deblur --kernel` gives it (None for blind runs), and its name.

    A spec is only a spec (a file path typed into the box is refused, not read); an uploaded kernel file is
    copied into the job folder under a name of the app's own, keeping only a known extension.
    """
    kernel_spec = (kernel_spec or "").strip()
    if sum(map(bool, (kernel_spec, kernel_file, drawn is not None))) > 1:
        raise InputError("give one kernel: a spec, a kernel file or a drawing, not several")
    if kernel_spec and not is_kernel_spec(kernel_spec):
        raise InputError(f"kernel '{kernel_spec}' is not a kernel spec: use {KERNEL_SPECS}, or upload a "
                         "kernel file (.npy or an image)")
    source, name = None, None
    if drawn is not None:
        return (drawn, "drawn") if spec.needs_kernel or spec.accepts_kernel else (None, None)
    if kernel_spec:
        source, name = kernel_spec, kernel_spec
    elif kernel_file:
        upload = Path(kernel_file)
        extension = upload.suffix.lower()
        if extension not in KERNEL_FILE_EXTENSIONS:
            raise InputError(f"kernel file {upload.name}: use .npy or an image ({', '.join(io.IMAGE_EXTENSIONS)})")
        copy = folder / f"kernel-input{extension}"
        try:
            shutil.copyfile(upload, copy)
        except OSError as err:
            raise InputError(f"cannot read kernel file {upload.name}: {err.strerror or err}") from None
        source, name = str(copy), "uploaded file"
    if source is None:
        kernel = methods.preset_kernel(spec, options)
        if spec.needs_kernel and kernel is None:
            raise InputError(f"method '{spec.name}' is non-blind: give the blur kernel (a spec such as "
                             "motion:15,30, or a kernel file)")
        return kernel, None
    try:
        kernel = physics.kernel_from_spec(source)
    except InputError as err:
        raise _named(err, source, Path(kernel_file).name if kernel_file else source) from None
    if spec.needs_kernel or spec.accepts_kernel:
        return kernel, name
    # A blind method estimates its own kernel: as the CLI, a given kernel only sets the size it estimates.
    sized = methods.options_for(spec, kernel, options)
    if "kernel_size" in sized:
        options["kernel_size"] = sized["kernel_size"]
    return None, None


def _kernel_view(kernel: np.ndarray, path: Path) -> Path:
    """The kernel scaled to its max and upscaled (nearest) to about KERNEL_VIEW_PIXELS, as 8-bit PNG."""
    k = np.asarray(kernel, np.float32)
    peak = float(k.max())
    k = k / peak if peak > 0 else k
    factor = max(1, KERNEL_VIEW_PIXELS // max(k.shape))
    return io.write_image(path, np.kron(k, np.ones((factor, factor), np.float32)))


def _notes(info: dict) -> tuple[str, list[str]]:
    """The one-line summary the method gives (as the CLI prints it) and its warnings."""
    summary = ""
    if info.get("summary"):
        stages = ", ".join(f"{k} {v:.0f} s" for k, v in info.get("stages", {}).items())
        summary = f"{info['summary']} ({stages})" if stages else str(info["summary"])
    elif info.get("median_motion"):
        length, angle = info["median_motion"]
        summary = f"motion field median {length:.1f} px at {angle:.0f} deg"
    return _one_line(summary), [_one_line(info["warning"])] if info.get("warning") else []


def run_job(photo, method: str = methods.DEFAULT_METHOD, kernel_spec: str | None = None, kernel_file=None, *,
            kernel_drawing=None, kernel_size=None, nonblind: str | None = None, reg=None, workspace: Workspace,
            name: str | None = None, max_pixels: int | None = io.DEFAULT_MAX_PIXELS,
            progress: Progress | None = None, runner: JobRunner | None = None, key: str = "") -> JobResult:
    """Deblur one photo as `tfdeblur deblur PHOTO -o OUT --method M [--kernel K] [options]` does.

    Args:
        photo: path of the uploaded photo (read, never written or renamed).
        method: a registered method (`tfdeblur.methods.available()`).
        kernel_spec: a kernel spec (`motion:15,30`, ...), for non-blind methods.
        kernel_file: path of an uploaded kernel (.npy or image), instead of a spec.
        kernel_drawing: the blur path drawn on a canvas (see `kernel_from_drawing`), instead of either.
        kernel_size: `--kernel-size` (blind, selfdeblur): "auto", odd "N" or "HxW"; None or "" = not given.
        nonblind: `--nonblind` (blind, selfdeblur): the finish, "irc" or "wiener"; None or "" = not given.
        reg: `--reg` (wiener, ircnet): the regularisation weight, > 0; None or "" = from the noise level.
        workspace: where the job's folder is made.
        name: how the photo is called in messages (the uploaded file's name).
        max_pixels: the pixel limit, as the CLI's `--max-pixels`.
        progress: `progress(fraction, stage)` at each stage.
        runner: the `JobRunner` that lets the job be stopped while the method runs (under `key`).

    Raises:
        InputError: a bad photo, method, kernel or option (or one the method does not take, as the CLI
            refuses it), with a one-line message naming the photo by `name`.
        JobCancelled: stopped through `runner.cancel(key)`.
    """
    report = progress or (lambda fraction, stage: None)
    name = name or Path(photo).name
    report(0.0, "checking the photo and the kernel")
    spec = methods.get(method)
    options = parse_options(kernel_size, nonblind, reg)
    cli_checks.check_method_options(spec, options)
    given = dict(options)  # before a blind method's kernel size is taken from a given kernel
    folder = workspace.new_folder()
    try:
        header = io.check_image_file(photo, max_pixels)
    except InputError as err:
        raise _named(err, photo, name) from None
    drawn = kernel_from_drawing(kernel_drawing) if kernel_drawing is not None else None
    kernel, kernel_source = _kernel(spec, kernel_spec, kernel_file, folder, options, drawn)
    need = cli_checks.min_image_size(spec, kernel)
    try:
        cli_checks.check_image_size(name, header, need)
        report(0.05, "reading the photo")
        image, depth = io.read_image(photo, return_bit_depth=True, max_pixels=max_pixels)
        image = io.validate_image(image, name=name, min_size=need[0] if need else None)
    except InputError as err:
        raise _named(err, photo, name) from None
    before = _preview(image, folder / "before.png") if max(image.shape[:2]) > PREVIEW_PIXELS else \
        io.write_image(folder / "before.png", image)
    report(0.1, f"{method}: deblurring" + (" (kernel estimation first)" if kernel is None else ""))
    start = time.perf_counter()
    with (runner or JobRunner()).interruptible(key):
        result = methods.run(image, method=method, kernel=kernel, **options)
    seconds = time.perf_counter() - start
    height, width = image.shape[:2]
    del image
    report(0.95, "writing the result")
    output = io.write_image(folder / f"result-{spec.name}.png", result.image, bit_depth=depth)
    kernel_npy = kernel_png = kernel_view = None
    if result.kernel is not None:
        kernel_npy = io.write_kernel(folder / "kernel.npy", result.kernel)
        kernel_png = io.write_kernel(folder / "kernel.png", result.kernel)
        kernel_view = _kernel_view(result.kernel, folder / "kernel-view.png")
    summary, warnings = _notes(result.info or {})
    if not summary:
        used = result.kernel if result.kernel is not None else kernel
        size = f", kernel {used.shape[0]}x{used.shape[1]}" if used is not None else ""
        summary = f"{spec.name}{size}" + (f" ({kernel_source})" if kernel_source else "")
    report(1.0, "done")
    return JobResult(spec.name, kernel_source, seconds, summary, warnings, before, output, kernel_npy, kernel_png,
                     kernel_view, width, height, option_flags(given))


class JobRunner:
    """One job at a time, and a way to stop the running one (by the key it was started under).

    `interruptible(key)` marks the stretch of a job that a `cancel(key)` may interrupt: the cancel raises
    `JobCancelled` in the job's thread (CPython's PyThreadState_SetAsyncExc), which happens at the thread's
    next Python step. A cancel that arrives as the stretch ends is withdrawn, so the exception never lands
    outside it; the job then stops at its own check just after.
    """

    def __init__(self):
        self._cpu = threading.Lock()  # held for the whole stretch: a stopped job's thread ends before the next
        self._state = threading.Lock()
        self._running: dict[str, int] = {}  # key -> thread id
        self._cancelled: set[str] = set()

    def interruptible(self, key: str):
        return _Interruptible(self, key)

    def cancel(self, key: str) -> bool:
        """Stop the job running under `key`; False if none is."""
        with self._state:
            ident = self._running.get(key)
            if ident is None or key in self._cancelled:
                return False
            self._cancelled.add(key)
            _raise_in_thread(ident, JobCancelled)
            return True

    def busy(self) -> bool:
        return bool(self._running)


class _Interruptible:
    def __init__(self, runner: JobRunner, key: str):
        self.runner, self.key = runner, key

    def __enter__(self):
        self.runner._cpu.acquire()
        with self.runner._state:
            self.runner._running[self.key] = threading.get_ident()
            self.runner._cancelled.discard(self.key)

    def __exit__(self, kind, value, traceback):
        # A key gets at most one cancel, so the exception can land at most once, possibly in here: then
        # this is done again, and a cancel not yet delivered is withdrawn under the lock cancel() takes.
        delivered = kind is not None and issubclass(kind, JobCancelled)
        cancelled = delivered
        for _ in range(2):
            try:
                with self.runner._state:
                    self.runner._running.pop(self.key, None)
                    if self.key in self.runner._cancelled:
                        cancelled = True
                        self.runner._cancelled.discard(self.key)
                        if not delivered:
                            _raise_in_thread(threading.get_ident(), None)
                break
            except JobCancelled:
                delivered = cancelled = True
        self.runner._cpu.release()
        if cancelled:
            raise JobCancelled("cancelled") from (None if delivered else value)
        return False


def _raise_in_thread(ident: int, exception: type[BaseException] | None) -> None:
    """Raise `exception` in the thread `ident` at its next Python step (None withdraws a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident),
                                               ctypes.py_object(exception) if exception else None)
