"""Reading, validating and writing images and blur kernels.

Images come back as float32 arrays in [0, 1]: HxW for grayscale, HxWx3 (RGB order) for colour. 8- and
16-bit PNG/TIFF and 8-bit JPEG/BMP are read; an alpha channel is dropped (gray + alpha stays gray). The
size a file declares in its header is checked against a pixel limit (`DEFAULT_MAX_PIXELS`) before anything is
decoded. Every write goes to a temporary file in the target folder first and is renamed into place, so a
failure never leaves a half-written file; the file then gets the mode a plain write would give.
Problems with user input raise `tfdeblur.InputError` with a one-line message.
"""

from __future__ import annotations

import contextlib
import io as _stdio
import os
import stat
import sys
import tempfile
import threading
from pathlib import Path

import cv2
import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.image_header import ImageHeader, read_header, sniff_format
from tfdeblur.interrupts import uninterrupted

# OpenCV's own log lines ("[ WARN:0@...] ... PNG input buffer is incomplete") would add lines to our
# one-line errors; its logger is silenced here and libpng's direct stderr writes in `_quiet_stderr`.
if hasattr(cv2, "utils") and hasattr(cv2.utils, "logging"):
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
# Formats whose encoders take 16-bit samples.
_SIXTEEN_BIT_EXTENSIONS = (".png", ".tif", ".tiff")
# A kernel whose sum is this far from 1 is refused rather than silently rescaled (unless asked to).
KERNEL_SUM_TOLERANCE = 1e-2
# Largest image (width x height, as declared by its header) read without being asked: 40 megapixels is
# ~480 MB as float32 RGB, which every method holds at least twice. `--max-pixels` raises it.
DEFAULT_MAX_PIXELS = 40_000_000
# Bytes read to find a header when checking files before any work (JPEG EXIF/ICC segments come first).
_HEADER_BYTES = 1 << 20
# Room for metadata (EXIF, ICC, XMP) in an image file on top of its pixels, when bounding the bytes read.
_METADATA_BYTES = 64 << 20
# Largest .npy kernel file read: 16 MB is a 1400x1400 float64 kernel, far beyond any blur.
MAX_KERNEL_FILE_BYTES = 16 << 20


# File descriptor 2 is one per process: decoders running in several threads (tf.data) share one quiet
# spell, counted, so the last to leave restores the real stderr (each restoring its own saved copy left
# /dev/null in place when spells overlapped, and every later message, errors included, was lost).
_QUIET_LOCK = threading.Lock()
_quiet = {"depth": 0, "saved": None}


@contextlib.contextmanager
def _quiet_stderr():
    """Point file descriptor 2 at /dev/null: libpng and libtiff print warnings there directly."""
    with _QUIET_LOCK:
        if _quiet["depth"] == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError):  # no real stderr (embedded interpreters)
                saved = None
            if saved is not None:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 2)
                os.close(devnull)
            _quiet["saved"] = saved
        _quiet["depth"] += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _quiet["depth"] -= 1
            if _quiet["depth"] == 0 and _quiet["saved"] is not None:
                os.dup2(_quiet["saved"], 2)
                os.close(_quiet["saved"])
                _quiet["saved"] = None


def max_image_file_bytes(max_pixels: int | None) -> int | None:
    """Largest image file read for a pixel limit: uncompressed 16-bit RGBA at that size, plus metadata."""
    return None if max_pixels is None else 8 * max_pixels + _METADATA_BYTES


def _read_bytes(path, limit: int | None = None, max_bytes: int | None = None, what: str = "image") -> bytes:
    """The bytes of the regular file `path` (the first `limit` only, if given).

    Devices, FIFOs, sockets and folders (symlinks resolved) are refused by their type before a byte is read:
    `/dev/zero` has no end. A file over `max_bytes` is refused by its size.
    """
    path = Path(path)
    try:
        info = os.stat(path)  # follows symlinks: a link to /dev/zero is a device
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror or err}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path} is a directory, not an image file (give the files, e.g. {path / '*.png'})")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path} is {_file_kind(info.st_mode)}, not a regular {what} file")
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO since the check, opening it must not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror or err}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path} is {_file_kind(info.st_mode)}, not a regular {what} file")
        if max_bytes is not None and info.st_size > max_bytes:
            hint = ", which --max-pixels raises" if what == "image" else ""
            raise InputError(f"{path} is {info.st_size / 1e6:.1f} MB, too large for {_article(what)} {what} "
                             f"file (limit {max_bytes / 1e6:g} MB{hint})")
        if limit is None and max_bytes is not None:
            limit = max_bytes + 1  # a byte past the limit shows a file that grew after fstat
        try:
            data = handle.read(-1 if limit is None else limit)
        except OSError as err:
            raise InputError(f"cannot read {path}: {err.strerror or err}") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(f"{path} grew past {max_bytes / 1e6:g} MB while being read, too large for "
                         f"{_article(what)} {what} file")
    if not data:
        raise InputError(f"empty file: {path}")
    return data


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _file_kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _checked_header(data: bytes, path, max_pixels: int | None) -> ImageHeader:
    header = read_header(data)
    if header is None or header.width <= 0 or header.height <= 0:
        raise InputError(f"cannot decode {path}: not a PNG, JPEG, TIFF or BMP image, or the file is corrupt")
    if max_pixels is not None and header.pixels > max_pixels:
        raise InputError(f"{path} is {header.width}x{header.height} ({header.pixels / 1e6:.1f} megapixels), "
                         f"over the limit of {max_pixels / 1e6:g} MP (raise it with --max-pixels N)")
    return header


def check_image_file(path, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> ImageHeader:
    """Check that `path` is a readable image within the pixel limit, from its header only (no decoding).

    Returns the header (format, width, height, gray). Raises InputError as `read_image` would.
    """
    max_bytes = max_image_file_bytes(max_pixels)
    data = _read_bytes(path, _HEADER_BYTES, max_bytes)
    if read_header(data) is None and len(data) == _HEADER_BYTES and sniff_format(data):
        data = _read_bytes(path, max_bytes=max_bytes)  # a header further in (TIFF IFD, big EXIF)
    return _checked_header(data, path, max_pixels)


def _to_unit_float(array: np.ndarray, source: str) -> np.ndarray:
    if array.dtype in (np.uint8, np.uint16):
        out = array.astype(np.float32)
        out *= np.float32(1.0 / (255.0 if array.dtype == np.uint8 else 65535.0))  # in place: one float copy
        return out
    if np.issubdtype(array.dtype, np.floating):
        out = array.astype(np.float32)
        if not np.all(np.isfinite(out)):
            raise InputError(f"{source} contains NaN or infinite values")
        if out.min() < 0.0 or out.max() > 1.0:
            raise InputError(f"{source} is a float image with values outside [0, 1]")
        return out
    raise InputError(f"{source} has unsupported sample type {array.dtype} (use 8- or 16-bit images)")


def read_image(path, return_bit_depth: bool = False, max_pixels: int | None = DEFAULT_MAX_PIXELS):
    """Read an image file as float32 in [0, 1].

    Args:
        path: a PNG, JPEG, TIFF or BMP file.
        return_bit_depth: also return 8 or 16, the file's sample depth (useful to write results back
            at the same depth).
        max_pixels: refuse a file whose header declares more pixels than this (None: no limit); checked
            before decoding, so a small file declaring a huge image costs nothing.

    Returns:
        HxW (grayscale) or HxWx3 (RGB) float32 array, or `(array, bit_depth)`.

    Raises:
        InputError: missing, empty, corrupt or unsupported file.
    """
    path = Path(path)
    return decode_image(_read_bytes(path, max_bytes=max_image_file_bytes(max_pixels)), path, return_bit_depth,
                        max_pixels)


def decode_image(data: bytes, source="image", return_bit_depth: bool = False,
                 max_pixels: int | None = DEFAULT_MAX_PIXELS):
    """Decode an encoded image (the bytes of a PNG, JPEG, TIFF or BMP file) as `read_image` does.

    The one decoder of the package: `read_image` and the training pipelines (`tfdeblur.data.files`) both
    use it. `source` names the image in error messages.
    """
    header = _checked_header(data, source, max_pixels)
    # ANYDEPTH keeps 16-bit samples, ANYCOLOR keeps gray as gray; both still apply EXIF orientation.
    # Gray + alpha files would come back as 3 equal channels: read them as gray.
    flags = cv2.IMREAD_ANYDEPTH | (cv2.IMREAD_GRAYSCALE if header.gray else cv2.IMREAD_ANYCOLOR)
    try:
        with _quiet_stderr():
            decoded = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:  # e.g. a side over OpenCV's own limit (2^20 px) in a header under max_pixels
        raise InputError(f"cannot decode {source}: the decoder refuses its declared size "
                         f"{header.width}x{header.height} (or the file is corrupt)") from None
    if decoded is None or decoded.size == 0:
        raise InputError(f"cannot decode {source}: not an image or the file is corrupt")
    if decoded.ndim == 3:
        channels = decoded.shape[2]
        if channels == 1:
            decoded = decoded[..., 0]
        elif channels in (3, 4):
            decoded = cv2.cvtColor(decoded[..., :3], cv2.COLOR_BGR2RGB)
        elif channels == 2:  # gray + alpha
            decoded = decoded[..., 0]
        else:
            raise InputError(f"{source} has {channels} channels; expected 1 (gray), 3 (RGB) or 4 (RGBA)")
    bit_depth = 16 if decoded.dtype == np.uint16 else 8
    image = _to_unit_float(decoded, str(source))
    return (image, bit_depth) if return_bit_depth else image


def validate_image(image, name: str = "image", min_size: int | tuple[int, int] | None = None) -> np.ndarray:
    """Check an in-memory image and return it as float32 HxW or HxWxC (C in {1, 3}).

    Args:
        image: array-like, HxW, HxWx1 or HxWx3, values in [0, 1].
        name: how the image is called in error messages.
        min_size: smallest allowed (height, width), e.g. the kernel size; an int applies to both.
    """
    try:
        array = np.asarray(image)
    except Exception as err:  # e.g. ragged lists
        raise InputError(f"{name} is not an array: {err}") from None
    if array.dtype == np.uint8 or array.dtype == np.uint16:
        array = _to_unit_float(array, name)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise InputError(f"{name} has unsupported type {array.dtype}")
    array = array.astype(np.float32, copy=False)  # a float32 image is not copied (large images)
    if array.ndim == 3 and array.shape[2] not in (1, 3):
        raise InputError(f"{name} has {array.shape[2]} channels; expected 1 or 3")
    if array.ndim not in (2, 3):
        raise InputError(f"{name} must be HxW or HxWxC, got shape {array.shape}")
    if array.size == 0:
        raise InputError(f"{name} is empty (shape {array.shape})")
    low, high = float(array.min()), float(array.max())  # NaN propagates: no full-size mask needed
    if not (np.isfinite(low) and np.isfinite(high)):
        raise InputError(f"{name} contains NaN or infinite values")
    if low < -1e-3 or high > 1 + 1e-3:
        raise InputError(f"{name} values must lie in [0, 1], got [{low:.3g}, {high:.3g}]")
    if min_size is not None:
        min_h, min_w = (min_size, min_size) if isinstance(min_size, int) else min_size
        if array.shape[0] < min_h or array.shape[1] < min_w:
            raise InputError(
                f"{name} is {array.shape[0]}x{array.shape[1]}, smaller than the required {min_h}x{min_w}"
            )
    return np.clip(array, 0.0, 1.0) if low < 0.0 or high > 1.0 else array


def plain_write_mode(path) -> int:
    """The permission bits a plain `open(path, "w")` would leave: the existing file's, else 0666 & ~umask.

    (`mkstemp` creates 0600 files; an atomic write must not make the user's files private.)
    """
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0o022)  # reading the umask means setting it; put it straight back
        os.umask(umask)
        return 0o666 & ~umask


def check_writable_folder(folder) -> Path:
    """Refuse a folder files cannot be created in (permissions, read-only file system), before any work."""
    folder = Path(folder) if str(folder) else Path(".")
    if not os.access(folder, os.W_OK | os.X_OK):
        try:
            read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        except (OSError, AttributeError):
            read_only = False
        why = "it is on a read-only file system" if read_only else "permission denied"
        raise InputError(f"cannot write to the folder {folder}: {why}")
    return folder


def make_folder(folder) -> Path:
    """`mkdir -p` with a one-line InputError (not an OSError) when the folder cannot be created."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create the folder {folder}: {err.strerror or err}") from None
    return folder


def write_bytes_atomic(path: Path, payload: bytes) -> None:
    """Write bytes to a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"output folder does not exist: {folder}")
    with uninterrupted():  # a command that stops at once on Ctrl-C waits for the file, whole or gone
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        except OSError as err:  # named after the target, not the temporary file (as are the errors below)
            raise OSError(err.errno, err.strerror, str(path)) from None
        try:
            os.fchmod(fd, plain_write_mode(path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(tmp, path)
        except BaseException as err:
            if os.path.exists(tmp):
                os.unlink(tmp)
            if isinstance(err, OSError) and err.errno is not None:
                raise OSError(err.errno, err.strerror, str(path)) from None
            raise


def save_model_atomic(model, path) -> None:
    """`model.save(path)` (a `.keras` file) written beside `path` and renamed into place: a full disk or a
    kill mid-save leaves the old file or none, never a cut one. The file gets a plain write's mode."""
    path = Path(path)
    with uninterrupted():
        handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".keras", dir=path.parent)
        os.fchmod(handle, plain_write_mode(path))  # not mkstemp's private 0600
        os.close(handle)
        try:
            model.save(tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def write_text(path, text: str) -> Path:
    """Write a text file (reports, JSON) atomically."""
    path = Path(path)
    write_bytes_atomic(path, text.encode("utf-8"))
    return path


def check_output_path(path, extensions=IMAGE_EXTENSIONS) -> Path:
    """Validate an output path before any work is done (not a folder, folder exists and is writable,
    extension known)."""
    text = str(path)
    path = Path(path)
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a folder; give a file name ({', '.join(extensions)})")
    if text.endswith(("/", os.sep)) or (not path.suffix and not path.exists()):
        raise InputError(f"cannot write {path}: no such folder, and not a file name ending in "
                         f"{', '.join(extensions)}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"output folder does not exist: {folder}")
    if path.suffix.lower() not in extensions:
        raise InputError(f"cannot write {path}: extension must be one of {', '.join(extensions)}")
    check_writable_folder(folder)
    return path


def same_file(a, b) -> bool:
    """True if `a` and `b` name the same file: equal resolved paths, or the same inode (hard links)."""
    a, b = Path(a), Path(b)
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def encode_image(image, extension: str = ".png", bit_depth: int = 8, quality: int = 95) -> bytes:
    """Encode a float [0, 1] image (HxW or HxWx3 RGB) to PNG/JPEG/TIFF/BMP bytes."""
    array = validate_image(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    extension = extension.lower()
    if bit_depth == 16 and extension not in _SIXTEEN_BIT_EXTENSIONS:
        bit_depth = 8
    if bit_depth not in (8, 16):
        raise InputError(f"bit depth must be 8 or 16, got {bit_depth}")
    scale, dtype = (65535.0, np.uint16) if bit_depth == 16 else (255.0, np.uint8)
    scaled = array * np.float32(scale)
    samples = np.round(scaled, out=scaled).astype(dtype)  # rounded in place: one float copy, not two
    if samples.ndim == 3:
        samples = cv2.cvtColor(samples, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if extension in (".jpg", ".jpeg") else []
    with _quiet_stderr():
        ok, buffer = cv2.imencode(extension, samples, params)
    if not ok:
        raise InputError(f"cannot encode an image as {extension}")
    return buffer.tobytes()


def write_image(path, image, bit_depth: int = 8, quality: int = 95) -> Path:
    """Write a float [0, 1] image atomically; the format follows the extension.

    Args:
        path: output file (.png, .jpg, .tif, .bmp); its folder must exist.
        image: HxW or HxWx3 (RGB) float array in [0, 1].
        bit_depth: 8, or 16 for PNG/TIFF.
        quality: JPEG quality.
    """
    path = check_output_path(path)
    write_bytes_atomic(path, encode_image(image, path.suffix, bit_depth, quality))
    return path


# numpy dtype kinds a kernel may hold: bool (a 0/1 mask, with normalize), integers, floats.
_REAL_KINDS = "biuf"
_KIND_NAMES = {"c": "complex", "O": "Python object", "U": "text", "S": "text", "V": "structured",
               "M": "date", "m": "time"}


def validate_kernel(kernel, normalize: bool = False, name: str = "kernel") -> np.ndarray:
    """Check a blur kernel and return it as float32, summing to 1.

    A kernel must be a non-empty 2-D array of finite, non-negative values with a positive sum. If its sum
    differs from 1 by more than 1 %, it is refused unless `normalize=True` (then it is rescaled).
    Round-off negatives (above -1e-6 of the peak) are clipped to 0.
    """
    try:
        k = np.asarray(kernel)
        kind = k.dtype.kind
        if kind not in _REAL_KINDS:  # complex would lose its imaginary part, structured records their fields
            raise InputError(f"{name} holds {_KIND_NAMES.get(kind, 'non-numeric')} values ({k.dtype}); "
                             "a blur kernel must be real numbers")
        k = k.astype(np.float64)
    except (TypeError, ValueError) as err:
        if isinstance(err, InputError):
            raise
        raise InputError(f"{name} is not numeric: {err}") from None
    if k.ndim == 3 and k.shape[2] == 1:
        k = k[..., 0]
    if k.ndim != 2:
        raise InputError(f"{name} must be 2-D, got shape {k.shape}")
    if k.size == 0:
        raise InputError(f"{name} is empty")
    if not np.all(np.isfinite(k)):
        raise InputError(f"{name} contains NaN or infinite values")
    peak = float(np.abs(k).max())
    if k.min() < -1e-6 * max(peak, 1e-12):
        raise InputError(f"{name} has negative entries (min {k.min():.3g}); a blur kernel must be >= 0")
    k = np.clip(k, 0.0, None)
    total = float(k.sum())
    if total <= 0.0:
        raise InputError(f"{name} sums to zero")
    if abs(total - 1.0) > KERNEL_SUM_TOLERANCE and not normalize:
        raise InputError(f"{name} sums to {total:.4g}, not 1 (pass normalize / --normalize-kernel to rescale)")
    return (k / total).astype(np.float32)


def read_kernel(path, normalize: bool | None = None) -> np.ndarray:
    """Read a blur kernel from `.npy` (values as stored) or an image file (scaled, so always normalised).

    Args:
        path: `.npy`, `.png`, `.tif`, ...
        normalize: rescale to sum 1. Default: True for image files (they cannot store a sum-1 kernel),
            False for `.npy` (a kernel far from sum 1 is refused as probably wrong).
    """
    path = Path(path)
    if path.suffix.lower() == ".npy":
        data = _read_bytes(path, max_bytes=MAX_KERNEL_FILE_BYTES, what="kernel")
        try:
            array = np.load(_stdio.BytesIO(data), allow_pickle=False)
        except Exception as err:
            if "allow_pickle" in str(err):  # an object array: loading it would unpickle arbitrary code
                raise InputError(f"cannot load kernel {path}: it holds pickled Python objects, not numbers "
                                 "(save a numeric array)") from None
            raise InputError(f"cannot load kernel {path}: not a valid .npy array") from None
        return validate_kernel(array, normalize=bool(normalize), name=f"kernel {path}")
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        raise InputError(f"kernel {path}: unsupported format (use .npy or an image)")
    image = read_image(path)
    if image.ndim == 3:
        image = image.mean(axis=2)
    return validate_kernel(image, normalize=True if normalize is None else normalize, name=f"kernel {path}")


def write_kernel(path, kernel) -> Path:
    """Write a kernel: `.npy` keeps the exact values; an image is scaled to max = 1 for viewing."""
    path = Path(path)
    k = np.asarray(kernel, dtype=np.float32)
    if path.suffix.lower() == ".npy":
        check_output_path(path, extensions=(".npy",))
        buffer = _stdio.BytesIO()
        np.save(buffer, k)
        write_bytes_atomic(path, buffer.getvalue())
        return path
    peak = float(k.max()) if k.size else 0.0
    return write_image(path, k / peak if peak > 0 else k, bit_depth=16 if path.suffix.lower() != ".jpg" else 8)


def kernel_mosaic(kernels: np.ndarray, gap: int = 2) -> np.ndarray:
    """A (rows, cols, side, side) grid of kernels as one picture, each kernel scaled to its peak."""
    rows, cols, side = kernels.shape[0], kernels.shape[1], kernels.shape[2]
    out = np.zeros((rows * (side + gap) - gap, cols * (side + gap) - gap), np.float32)
    for r in range(rows):
        for c in range(cols):
            k = np.asarray(kernels[r, c], np.float32)
            out[r * (side + gap):r * (side + gap) + side, c * (side + gap):c * (side + gap) + side] = \
                k / max(float(k.max()), 1e-12)
    return out


def write_kernel_grid(path, kernels) -> Path:
    """Write a (rows, cols, side, side) grid of kernels (blur that varies across a photo): `.npy` keeps the
    exact array; an image shows the kernels side by side as they lie on the photo."""
    kernels = np.asarray(kernels, np.float32)
    if kernels.ndim != 4:
        raise ValueError(f"a kernel grid is (rows, cols, side, side), got shape {kernels.shape}")
    if Path(path).suffix.lower() == ".npy":
        return write_kernel(path, kernels)
    return write_kernel(path, kernel_mosaic(kernels))

