"""Listing and decoding image files for tf.data pipelines.

Files are decoded by `tfdeblur.io.decode_image`, the reader `tfdeblur deblur` uses, so training reads
every format inference reads (PNG, JPEG, TIFF, BMP; 8 and 16 bit; EXIF orientation applied) the same way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from tfdeblur import io
from tfdeblur.errors import InputError
from tfdeblur.io import IMAGE_EXTENSIONS
from tfdeblur.physics.degradations import LUMA_WEIGHTS


def list_images(folder, recursive: bool = True) -> list[str]:
    """Sorted image files (PNG/JPEG/TIFF/BMP) under `folder`; InputError if there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"no such image folder: {folder}")
    pattern = "**/*" if recursive else "*"
    files = sorted(str(p) for p in folder.glob(pattern) if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise InputError(f"no images (.png/.jpg/.tif/.bmp) in {folder}")
    return files


def decode_image(path: tf.Tensor, channels: int) -> tf.Tensor:
    """Read and decode one image file to uint8 HxWxC (PNG, JPEG, TIFF, BMP; 16-bit samples rounded to 8)."""
    return decode_bytes(tf.io.read_file(path), channels)


def to_uint8(image: np.ndarray, channels: int) -> np.ndarray:
    """A float [0, 1] HxW or HxWxC image as uint8 HxWx`channels` (gray repeated, or RGB weighted to gray)."""
    image = image[..., None] if image.ndim == 2 else image
    if channels == 3 and image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    elif channels == 1 and image.shape[2] == 3:
        image = (image @ LUMA_WEIGHTS)[..., None]
    return np.round(np.clip(image * 255.0, 0.0, 255.0)).astype(np.uint8)


def decode_bytes(data: tf.Tensor, channels: int) -> tf.Tensor:
    """Decode encoded image bytes (as `decode_image`) with `tfdeblur.io.decode_image`."""
    if channels not in (1, 3):
        raise InputError(f"channels must be 1 or 3, got {channels}")

    def decode(raw) -> np.ndarray:  # bytes, or (eager) a 0-d object array holding them
        raw = raw.item() if isinstance(raw, np.ndarray) else raw
        return to_uint8(io.decode_image(raw, "a training image", max_pixels=None), channels)

    image = tf.numpy_function(decode, [data], tf.uint8, stateful=False)
    image.set_shape([None, None, channels])
    return image


def ensure_min_size(image: tf.Tensor, size: int) -> tf.Tensor:
    """Upscale (bilinear) an image whose shorter side is below `size`; larger images pass unchanged."""
    shape = tf.shape(image)[:2]
    short = tf.reduce_min(shape)

    def upscale():
        scale = tf.cast(size, tf.float32) / tf.cast(short, tf.float32)
        new = tf.cast(tf.math.ceil(tf.cast(shape, tf.float32) * scale), tf.int32)
        return tf.cast(tf.clip_by_value(tf.image.resize(image, new), 0, 255), tf.uint8)

    return tf.cond(short < size, upscale, lambda: image)
