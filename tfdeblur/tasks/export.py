"""Deployment: SavedModel in TF Serving's layout, and TFLite.

Works for any tfdeblur Keras model that maps an NHWC float32 batch in [0, 1] to a deblurred batch of the
same size. The SavedModel at `<base_dir>/<version>/` has three signatures:

- `serving_default`: `images` uint8 [N, H, W, C] (any size) -> `images` uint8 [N, H, W, C];
- `deblur_encoded`: `images` string [N] (PNG/JPEG/BMP/GIF bytes, sizes may differ) -> `images` PNG bytes [N];
- `deblur_float`: `images` float32 [N, H, W, C] in [0, 1] -> `images` float32.

Models that need a minimum input size (ODCNN's reflect-padded 121-tap filters, `min_input_size`) get smaller
images reflect-extended inside the signatures and cropped back, as `tfdeblur deblur` does, so the
SavedModel accepts every image the CLI accepts. Every signature refuses images over a pixel limit (the
`max_pixels` export option, as the CLI's `--max-pixels`): `deblur_encoded` reads the size a PNG, JPEG, GIF
or BMP header declares and refuses it before decoding, so a small file declaring a huge image costs
nothing. TFLite needs a fixed input size: `export_tflite` writes a
float32 [1, H, W, C] model, optionally float16 or dynamic-range quantised, and `run_tflite` runs it with
the LiteRT interpreter.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfdeblur.errors import DISK_FULL_ERRNOS, InputError
from tfdeblur.io import DEFAULT_MAX_PIXELS, write_bytes_atomic

QUANTIZATIONS = ("none", "float16", "dynamic")


def model_channels(model: keras.Model, channels: int | None = None) -> int:
    """Channel count of a model's image input (given, a subclassed model's `image_channels`, or its input shape)."""
    if channels:
        return int(channels)
    if getattr(model, "image_channels", None):
        return int(model.image_channels)
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):
        shape = None
    if isinstance(shape, dict):
        raise InputError(f"the model takes several inputs ({', '.join(sorted(shape))}), not one image, so it "
                         "has no image-to-image signature to export")
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        shape = shape[0]
    if shape and shape[-1]:
        return int(shape[-1])
    raise InputError("cannot tell the model's channel count; pass channels=1 or 3")


# Why tfdeblur's models that do not map an image to an image cannot be exported, and what to export instead.
_NOT_IMAGE_MODELS = {
    "IRCNet": "it deblurs with a per-pixel motion field given as a second input (it is the second half of "
              "the blind pipeline); export a Motion-Net -> IRC-Net pipeline (BlindIRCNet, "
              "configs/ircnet_blind.yaml) instead",
    "MotionNet": "it outputs a per-pixel motion field, not an image (it is the first half of the blind "
                 "pipeline); export a Motion-Net -> IRC-Net pipeline (BlindIRCNet, configs/ircnet_blind.yaml) "
                 "instead",
}
PROBE_SIZE = 32


def check_exportable(model: keras.Model, name: str = "the model", channels: int | None = None) -> int:
    """Refuse a model that does not map an NHWC image batch to one of the same shape; returns its channels.

    Called before anything is written. Besides the known cases, a 32x32 probe batch must come back with
    its own shape.
    """
    reason = _NOT_IMAGE_MODELS.get(type(model).__name__)
    if reason:
        raise InputError(f"cannot export {name}: {reason}")
    try:
        channels = model_channels(model, channels)
    except InputError as err:
        raise InputError(f"cannot export {name}: {err}") from None
    side = max(PROBE_SIZE, getattr(model, "min_input_size", None) or 0)
    probe = tf.zeros([1, side, side, channels])
    try:
        shape = tuple(model(probe, training=False).shape)
    except Exception as err:  # the model cannot even run on one image
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"cannot export {name}: it does not run on an image batch ({first})") from None
    if shape != tuple(probe.shape):
        raise InputError(f"cannot export {name}: it maps a {tuple(probe.shape)} image batch to {shape}, "
                         "not to an image of the same size")
    return channels


def check_saved_model_target(base_dir, version: int, overwrite: bool = False) -> Path:
    """`<base_dir>/<version>/`, after checking it can be written (before any work is done)."""
    if int(version) < 1:
        raise InputError(f"the TF Serving version must be >= 1, got {version}")
    base = Path(base_dir)
    if base.exists() and not base.is_dir():
        raise InputError(f"--saved-model {base} is a file; give a folder")
    target = base / str(int(version))
    if target.exists() and not overwrite:
        raise InputError(f"{target} exists (TF Serving versions are immutable; use another version)")
    return target


def _extend_reflect(images, min_size: int):
    """Reflect-extend a batch on the bottom and right to at least `min_size` pixels per side.

    Index arithmetic rather than tf.pad(mode="REFLECT"), which refuses pads as large as the image.
    """
    def indices(length):
        size = tf.maximum(length, min_size)
        period = tf.maximum(2 * (length - 1), 1)
        position = tf.math.floormod(tf.range(size), period)
        return tf.where(position < length, position, period - position)

    shape = tf.shape(images)
    images = tf.gather(images, indices(shape[1]), axis=1)
    return tf.gather(images, indices(shape[2]), axis=2)


def _deblur_float(model, images):
    min_size = getattr(model, "min_input_size", None)
    if min_size:
        shape = tf.shape(images)
        out = model(_extend_reflect(images, min_size), training=False)[:, :shape[1], :shape[2], :]
    else:
        out = model(images, training=False)
    return tf.clip_by_value(tf.cast(out, tf.float32), 0.0, 1.0)


def _declared_pixels(data):
    """Pixels a PNG, JPEG, GIF or BMP header declares (0 for other bytes, which the decoder then judges).

    Read from the first bytes (the JPEG from its frame header), so nothing is decoded.
    """
    head = tf.strings.substr(tf.strings.join([tf.strings.substr(data, 0, 32), b"\0" * 32]), 0, 32)
    b = tf.cast(tf.io.decode_raw(head, tf.uint8), tf.int64)

    def big(i):
        return b[i] * 2**24 + b[i + 1] * 2**16 + b[i + 2] * 2**8 + b[i + 3]

    def little_signed(i):
        value = b[i] + b[i + 1] * 2**8 + b[i + 2] * 2**16 + b[i + 3] * 2**24
        return tf.where(value >= 2**31, value - 2**32, value)

    def starts(magic: bytes):
        return tf.reduce_all(tf.equal(b[:len(magic)], tf.constant(list(magic), tf.int64)))

    png = big(16) * big(20)
    gif = (b[6] + b[7] * 256) * (b[8] + b[9] * 256)
    bmp = tf.abs(little_signed(18)) * tf.abs(little_signed(22))

    def jpeg():
        shape = tf.cast(tf.io.extract_jpeg_shape(data), tf.int64)
        return shape[0] * shape[1]

    return tf.case([(starts(b"\x89PNG\r\n\x1a\n"), lambda: png), (starts(b"GIF8"), lambda: gif),
                    (starts(b"BM"), lambda: bmp), (starts(b"\xff\xd8"), jpeg)],
                   default=lambda: tf.constant(0, tf.int64))


def _check_pixels(pixels, max_pixels: int):
    """An assertion (InvalidArgumentError when served) that an image has at most `max_pixels` pixels."""
    return tf.debugging.assert_less_equal(
        tf.cast(pixels, tf.int64), tf.constant(max_pixels, tf.int64),
        message=f"tfdeblur: the image has more pixels than the limit of {max_pixels:,} set at export "
                "(export with a higher --max-pixels to accept it)")


def _to_uint8(images):
    return tf.cast(tf.round(images * 255.0), tf.uint8)


def export_saved_model(model: keras.Model, base_dir, version: int = 1, channels: int | None = None,
                       overwrite: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS) -> Path:
    """Write `<base_dir>/<version>/` (TF Serving layout) with the three signatures; returns that path.

    Each signature refuses images of more than `max_pixels` pixels (height x width) with an
    InvalidArgumentError; encoded images are measured by their header, before decoding.
    The export is written to a temporary folder and renamed into place, so a failed export leaves nothing.
    """
    channels = model_channels(model, channels)
    if not (isinstance(max_pixels, int) and max_pixels > 0):
        raise InputError(f"max_pixels must be a positive integer, got {max_pixels!r}")
    target = check_saved_model_target(base_dir, version, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)

    def limited_float(images):
        shape = tf.shape(images)
        with tf.control_dependencies([_check_pixels(tf.cast(shape[1], tf.int64) * tf.cast(shape[2], tf.int64),
                                                    max_pixels)]):
            return _deblur_float(model, tf.identity(images))

    def serve_uint8(images):
        return {"images": _to_uint8(limited_float(tf.cast(images, tf.float32) / 255.0))}

    def serve_encoded(encoded):
        def one(data):
            with tf.control_dependencies([_check_pixels(_declared_pixels(data), max_pixels)]):
                image = tf.io.decode_image(data, channels=channels, expand_animations=False, dtype=tf.uint8)
            out = serve_uint8(image[None])["images"][0]  # measured again once decoded (other formats)
            return tf.io.encode_png(out)

        return {"images": tf.map_fn(one, encoded, fn_output_signature=tf.string)}

    def serve_float(images):
        return {"images": limited_float(images)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", serve_uint8,
                         [tf.TensorSpec([None, None, None, channels], tf.uint8, name="images")])
    archive.add_endpoint("deblur_encoded", serve_encoded, [tf.TensorSpec([None], tf.string, name="images")])
    archive.add_endpoint("deblur_float", serve_float,
                         [tf.TensorSpec([None, None, None, channels], tf.float32, name="images")])
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        _write_out(archive, staging / "model", target)
        if target.exists():
            shutil.rmtree(target)
        (staging / "model").rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _write_out(archive, folder: Path, target: Path) -> None:
    """`archive.write_out(folder)`; TensorFlow's own writes failing for want of room (a full disk, a quota,
    a file-size limit) become that OSError, named after `target`, as Python's writes report them."""
    try:
        archive.write_out(str(folder), verbose=False)
    except tf.errors.OpError as err:
        for code in sorted(DISK_FULL_ERRNOS):
            if os.strerror(code) in str(err):
                raise OSError(code, os.strerror(code), str(target)) from None
        raise


def load_saved_model(path):
    """Load an exported SavedModel (a `<base>/<version>/` folder)."""
    path = Path(path)
    if not (path / "saved_model.pb").is_file():
        raise InputError(f"no SavedModel at {path}")
    return tf.saved_model.load(str(path))


def export_tflite(model: keras.Model, path, height: int, width: int, channels: int | None = None,
                  quantization: str = "none") -> Path:
    """Convert to a TFLite flatbuffer with a fixed float32 [1, height, width, C] input.

    Args:
        quantization: "none" (float32), "float16" (weights stored as float16) or "dynamic"
            (int8 weights, float activations).
    """
    if quantization not in QUANTIZATIONS:
        raise InputError(f"unknown quantization '{quantization}'; choose from {', '.join(QUANTIZATIONS)}")
    channels = model_channels(model, channels)
    path = Path(path)

    def serve(images):
        return {"images": _deblur_float(model, images)}

    # Convert through a SavedModel: converting a concrete function of a Keras 3 model directly loses
    # its variables (the interpreter then returns NaN).
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", serve,
                         [tf.TensorSpec([1, height, width, channels], tf.float32, name="images")])
    staging = tempfile.mkdtemp(prefix="tfdeblur_tflite_")
    try:
        _write_out(archive, Path(staging), path)
        converter = tf.lite.TFLiteConverter.from_saved_model(staging, signature_keys=["serving_default"])
        if quantization != "none":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantization == "float16":
            converter.target_spec.supported_types = [tf.float16]
        flatbuffer = converter.convert()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, flatbuffer)
    return path


def _interpreter(path):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # older setups: the interpreter bundled with TensorFlow
        Interpreter = tf.lite.Interpreter
    return Interpreter(model_path=str(path))


def run_tflite(path, images: np.ndarray) -> np.ndarray:
    """Run a TFLite model exported by `export_tflite` on a float32 [1, H, W, C] batch."""
    interpreter = _interpreter(path)
    interpreter.allocate_tensors()
    (input_detail,) = interpreter.get_input_details()
    interpreter.set_tensor(input_detail["index"], np.asarray(images, np.float32))
    interpreter.invoke()
    (output_detail,) = interpreter.get_output_details()
    return interpreter.get_tensor(output_detail["index"])


def export_from_config(model: keras.Model, export) -> dict:
    """Export as a `tfdeblur.config.ExportConfig` asks; returns the written paths."""
    written = {}
    if export.saved_model_dir:
        written["saved_model"] = str(export_saved_model(model, export.saved_model_dir, export.version,
                                                        overwrite=True))
    if export.tflite_path:
        height, width = export.tflite_size
        written["tflite"] = str(export_tflite(model, export.tflite_path, height, width,
                                              quantization=export.tflite_quantization))
    return written
