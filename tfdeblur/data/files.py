"""Listing and decoding image files for tf.data pipelines."""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from tfdeblur.errors import InputError
from tfdeblur.io import IMAGE_EXTENSIONS


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
    """Read and decode one image file to uint8 HxWxC (PNG, JPEG, BMP, GIF; 16-bit PNG is scaled to 8)."""
    return decode_bytes(tf.io.read_file(path), channels)


def decode_bytes(data: tf.Tensor, channels: int) -> tf.Tensor:
    """Decode encoded image bytes (as `decode_image`)."""
    image = tf.io.decode_image(data, channels=channels, expand_animations=False, dtype=tf.uint8)
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
