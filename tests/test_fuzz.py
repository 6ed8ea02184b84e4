"""Property-based fuzzing (issue 31): hostile bytes, kernels and option values through the real command.

Whatever the input, `tfdeblur` either writes a valid output (exit 0) or refuses in one line (exit 2,
`... error: ...`), never a traceback or an internal error, never a hang, never a stray or partial file.
`tfdeblur.deblur` likewise returns a valid image or raises `InputError`.

The commands run in-process (`tfdeblur.cli.main`) so an example costs milliseconds. The default run tries
a few examples of each kind, derandomized so CI is reproducible; the slow test tries over 1000 inputs and
prints the counts (inputs, tracebacks, hangs, partial files).
"""

import contextlib
import io as stdio
import signal
import struct
import tempfile
import traceback
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tfdeblur
from tfdeblur import io, methods
from tfdeblur.cli import main
from tfdeblur.result import DeblurResult

SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
HANG_SECONDS = 60
EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds):
    def alarm(signum, frame):
        raise Hang(f"no answer in {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def guarded(tally, describe):
    """The fuzzed call under the hang limit. Without a tally a hang or an exception fails the test; with
    one it is counted once (the traceback kept under `describe()`) and the run goes on."""
    try:
        with time_limit(HANG_SECONDS):
            yield
    except Hang:
        if tally is None:
            raise
        tally.hangs += 1
    except Exception:
        if tally is None:
            raise
        tally.tracebacks += 1
        tally.broken.append((describe(), traceback.format_exc()[-1500:]))


class Tally:
    """What the fuzzing saw: every input, and the ones that broke a promise."""

    def __init__(self):
        self.inputs = self.tracebacks = self.hangs = self.partial_files = self.written = self.refused = 0
        self.broken = []  # (what, detail) of the first few broken promises

    def report(self) -> str:
        return (f"inputs tried {self.inputs}, written {self.written}, refused in one line {self.refused}, "
                f"tracebacks {self.tracebacks}, hangs {self.hangs}, partial files {self.partial_files}"
                + "".join(f"\n  {what}: {detail}" for what, detail in self.broken[:10]))


def cli(argv, folder: Path, tally: Tally | None = None, expect=()):
    """Run the command; check the promise (one-line refusal or valid outputs, nothing else left in
    `folder` but the files before and `expect` on success). Returns (code, stderr)."""
    before = sorted(p.name for p in folder.iterdir())
    out, err = stdio.StringIO(), stdio.StringIO()
    code = None
    with guarded(tally, lambda: [str(a) for a in argv]):
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in argv])
            except SystemExit as exit_info:
                code = exit_info.code
    text = err.getvalue()
    after = sorted(p.name for p in folder.iterdir())
    extra = sorted(set(after) - set(before))
    if tally is not None:
        tally.inputs += 1
        if code == 1 or "Traceback" in text or "internal error" in text or code not in (0, 2, None):
            tally.broken.append(([str(a) for a in argv], text[-1500:]))
        tally.tracebacks += code == 1 or "Traceback" in text or "internal error" in text
        tally.written += code == 0
        tally.refused += code == 2
        tally.partial_files += extra != (sorted(expect) if code == 0 else [])
        for name in extra:
            (folder / name).unlink()
        return code, text
    assert "Traceback" not in text and "internal error" not in text, (argv, text)
    if code == 0:
        assert extra == sorted(expect), (argv, extra)
        for name in expect:
            if Path(name).suffix in EXTENSIONS:
                assert np.isfinite(io.read_image(folder / name)).all()
            (folder / name).unlink()
    else:
        lines = text.strip().splitlines()
        assert code == 2 and len(lines) == 1 and ": error: " in lines[0], (argv, code, text)
        assert extra == [], (argv, extra)
    return code, text


# Image bytes ---------------------------------------------------------------------------------------------

def _png_chunks(data: bytes):
    position = 8
    while position + 8 <= len(data):
        length, = struct.unpack(">I", data[position:position + 4])
        yield position, data[position + 4:position + 8], length
        position += 12 + length


@st.composite
def image_bytes(draw):
    """The bytes of a small valid image, then (usually) damaged: bit flips, a truncation, a forged
    header size, or replaced by random or no bytes; with an extension that may not match."""
    height, width = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    channels = draw(st.sampled_from([1, 3, 4]))
    fmt = draw(st.sampled_from([".png", ".jpg", ".bmp", ".tif"]))
    depth = np.uint16 if fmt in (".png", ".tif") and draw(st.booleans()) else np.uint8
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    pixels = rng.integers(0, np.iinfo(depth).max, (height, width, channels), dtype=depth, endpoint=True)
    ok, buffer = cv2.imencode(fmt, pixels[..., 0] if channels == 1 else pixels)
    data = bytearray(buffer.tobytes()) if ok else bytearray()
    damage = draw(st.sampled_from(["none", "flips", "truncate", "forge", "random", "empty"]))
    if damage == "flips" and data:
        for _ in range(draw(st.integers(1, 8))):
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= 1 << draw(st.integers(0, 7))
    elif damage == "truncate" and data:
        data = data[:draw(st.integers(0, len(data) - 1))]
    elif damage == "forge" and data.startswith(b"\x89PNG"):
        size = draw(st.tuples(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1)) | st.tuples(
            st.integers(0, 100), st.integers(0, 100)))
        ihdr = struct.pack(">II", *size) + bytes(data[24:29])
        data[16:33] = ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) if draw(st.booleans()) else 0)
    elif damage == "forge" and data:  # other formats: overwrite a header field with large numbers
        position = draw(st.integers(0, min(40, len(data) - 4)))
        data[position:position + 4] = struct.pack(">I", draw(st.integers(0, 2**32 - 1)))
    elif damage == "random":
        data = bytearray(draw(st.binary(max_size=3000)))
    elif damage == "empty":
        data = bytearray()
    extension = draw(st.sampled_from([fmt, *EXTENSIONS]))
    return bytes(data), extension


WIENER = ["--method", "wiener", "--kernel", "disk:1"]


def fuzz_image(folder: Path, data: bytes, extension: str, tally=None):
    (folder / f"in{extension}").write_bytes(data)
    try:
        cli(["deblur", folder / f"in{extension}", "-o", folder / "out.png", *WIENER], folder, tally, ["out.png"])
    finally:
        (folder / f"in{extension}").unlink()


@settings(max_examples=25, **SETTINGS)
@given(image=image_bytes())
def test_damaged_image_files_are_deblurred_or_refused_in_one_line(image):
    with tempfile.TemporaryDirectory() as folder:
        fuzz_image(Path(folder), *image)


# Kernels -------------------------------------------------------------------------------------------------

_VALUES = st.floats(allow_nan=True, allow_infinity=True, width=64) | st.sampled_from(
    [0.0, -0.0, 1e308, -1e308, 1e-308, 5e-324, 1.0, -1.0])


@st.composite
def kernel_arrays(draw):
    """.npy kernels as a hostile user writes them: any real dtype, NaN, inf, negative, zero-sum, huge,
    0-D to 3-D, empty, complex, text, or Python objects (pickled)."""
    kind = draw(st.sampled_from(["float", "int", "bool", "complex", "text", "object", "zero", "signed"]))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=7))
    if kind == "float":
        dtype = draw(st.sampled_from([np.float16, np.float32, np.float64]))
        with np.errstate(over="ignore"):
            return draw(hnp.arrays(np.float64, shape, elements=_VALUES)).astype(dtype)
    if kind == "int":
        return draw(hnp.arrays(draw(st.sampled_from([np.int8, np.uint8, np.int64, np.uint64])), shape))
    if kind == "bool":
        return draw(hnp.arrays(np.bool_, shape))
    if kind == "complex":
        return draw(hnp.arrays(np.complex128, shape))
    if kind == "text":
        return draw(hnp.arrays(np.dtype("U3"), shape))
    if kind == "object":
        return np.array([draw(st.integers()), "x", None, 1.5][:draw(st.integers(1, 4))], dtype=object)
    if kind == "zero":
        return np.zeros(shape)
    side = draw(st.integers(1, 4))
    return np.concatenate([np.ones((side, 1)), -np.ones((side, 1))], axis=1)  # sums to zero


@pytest.fixture(scope="module")
def photo_file(tmp_path_factory, gray_photo):
    folder = tmp_path_factory.mktemp("fuzz_photo")
    io.write_image(folder / "b.png", gray_photo[:32, :32])
    return folder / "b.png"


def fuzz_kernel(folder: Path, photo: Path, kernel: np.ndarray, normalize: bool, tally=None):
    np.save(folder / "k.npy", kernel, allow_pickle=True)
    try:
        code, err = cli(["deblur", photo, "-o", folder / "out.png", "--method", "wiener", "--kernel",
                         folder / "k.npy", *(["--normalize-kernel"] if normalize else [])], folder, tally,
                        ["out.png"])
    finally:
        (folder / "k.npy").unlink()
    if tally is None and kernel.dtype == object:
        assert code == 2 and "pickled" in err.lower(), err  # refused by the loader, nothing unpickled
    return code


@settings(max_examples=30, **SETTINGS)
@given(kernel=kernel_arrays(), normalize=st.booleans())
def test_hostile_npy_kernels_are_used_or_refused_in_one_line(photo_file, kernel, normalize):
    with tempfile.TemporaryDirectory() as folder:
        fuzz_kernel(Path(folder), photo_file, kernel, normalize)


def fuzz_library(image, kernel, tally=None):
    """`tfdeblur.deblur` on arbitrary arrays: a valid image or an InputError."""
    out = None
    with guarded(tally, lambda: f"deblur({np.shape(image)} {np.asarray(image).dtype}, kernel "
                                f"{np.shape(kernel)} {np.asarray(kernel).dtype})"):
        try:
            out = tfdeblur.deblur(image, method="wiener", kernel=kernel)
        except tfdeblur.InputError:
            if tally is not None:
                tally.refused += 1
    if out is not None:
        assert out.shape == np.shape(image) and out.dtype == np.float32
        assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
        if tally is not None:
            tally.written += 1
    if tally is not None:
        tally.inputs += 1


_IMAGES = st.one_of(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=24), elements=_VALUES),
    hnp.arrays(np.float32, st.tuples(st.integers(1, 40), st.integers(1, 40)),
               elements=st.floats(0, 1, width=32)),
    hnp.arrays(np.uint8, st.tuples(st.integers(1, 30), st.integers(1, 30), st.sampled_from([1, 2, 3, 4]))))


@settings(max_examples=30, **SETTINGS)
@given(image=_IMAGES, kernel=kernel_arrays())
def test_the_library_deblurs_arbitrary_arrays_or_raises_input_error(image, kernel):
    fuzz_library(image, kernel)


# Option values -------------------------------------------------------------------------------------------

_TEXT = st.text(alphabet="0123456789x.,:-+eEinfaNmotdskgujcry ", max_size=12) | st.sampled_from(
    ["", "0", "-1", "1e999", "nan", "inf", "9" * 30, "3x", "x3", "5x5x5", "auto", "0x0", "1.5", "17x9"])
_KERNEL_SPECS = st.builds(lambda kind, text: f"{kind}:{text}",
                          st.sampled_from(["motion", "disk", "gaussian", "trajectory", "box", ""]), _TEXT)
_OPTIONS = ["--kernel-size", "--iterations", "--max-pixels", "--tile", "--seed", "--reg", "--model",
            "--schedule", "--nonblind", "--regions"]


@pytest.fixture
def no_method_runs(monkeypatch):
    """Options are checked before a method runs; the method itself is replaced by the identity."""
    monkeypatch.setattr(methods, "run", lambda image, **kwargs: DeblurResult(image))


@settings(max_examples=40, **SETTINGS)
@given(method=st.sampled_from(sorted(methods.available())), option=st.sampled_from(_OPTIONS), value=_TEXT)
def test_random_option_values_are_taken_or_refused_in_one_line(photo_file, no_method_runs, method, option, value):
    with tempfile.TemporaryDirectory() as folder:
        cli(["deblur", photo_file, "-o", Path(folder) / "out.png", "--method", method, option, value],
            Path(folder), expect=["out.png"])


def fuzz_spec(folder: Path, photo: Path, spec: str, noise: str, tally=None):
    """A kernel spec through `blur` (the real kernel and degradation) and `deblur` (the real wiener)."""
    cli(["blur", photo, "-o", folder / "b.png", "--kernel", spec, "--noise", noise], folder, tally, ["b.png"])
    cli(["deblur", photo, "-o", folder / "d.png", "--method", "wiener", "--kernel", spec], folder, tally,
        ["d.png"])


@settings(max_examples=25, **SETTINGS)
@given(spec=_KERNEL_SPECS, noise=_TEXT)
def test_random_kernel_specs_are_used_or_refused_in_one_line(photo_file, spec, noise):
    with tempfile.TemporaryDirectory() as folder:
        fuzz_spec(Path(folder), photo_file, spec, noise)


# The long run --------------------------------------------------------------------------------------------

@pytest.mark.slow  # ~3 min: 1200+ inputs
def test_a_thousand_hostile_inputs(photo_file, monkeypatch, capsys):
    """Every kind above, many more examples; counts every broken promise instead of stopping at the first."""
    tally = Tally()
    folder = Path(tempfile.mkdtemp())

    @settings(max_examples=400, **SETTINGS)
    @given(image=image_bytes())
    def images(image):
        fuzz_image(folder, *image, tally=tally)

    @settings(max_examples=300, **SETTINGS)
    @given(kernel=kernel_arrays(), normalize=st.booleans())
    def kernels(kernel, normalize):
        fuzz_kernel(folder, photo_file, kernel, normalize, tally)

    @settings(max_examples=200, **SETTINGS)
    @given(image=_IMAGES, kernel=kernel_arrays())
    def library(image, kernel):
        fuzz_library(image, kernel, tally)

    @settings(max_examples=150, **SETTINGS)
    @given(spec=_KERNEL_SPECS, noise=_TEXT)
    def specs(spec, noise):
        fuzz_spec(folder, photo_file, spec, noise, tally)

    for fuzz in (images, kernels, library, specs):
        fuzz()
    with monkeypatch.context() as patch:
        patch.setattr(methods, "run", lambda image, **kwargs: DeblurResult(image))

        @settings(max_examples=300, **SETTINGS)
        @given(method=st.sampled_from(sorted(methods.available())), option=st.sampled_from(_OPTIONS), value=_TEXT)
        def options(method, option, value):
            cli(["deblur", photo_file, "-o", folder / "out.png", "--method", method, option, value], folder,
                tally, ["out.png"])

        options()
    with capsys.disabled():
        print(f"\nfuzz: {tally.report()}")
    assert tally.inputs >= 1000
    assert (tally.tracebacks, tally.hangs, tally.partial_files) == (0, 0, 0), tally.report()
