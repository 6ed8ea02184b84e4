"""On-the-fly synthetic blur: sharp photos -> (blurry, sharp) training pairs, all in tf.data.

Each example is a random crop of a sharp photo, large enough that its 'valid' blur is exactly the patch
size (so there is no boundary artefact: the blurry patch is what a camera would record of a larger scene),
randomly flipped and rotated, blurred by a kernel drawn from a kernel bank, then degraded by
`tfdeblur.physics.degradations.camera` (the model behind `tfdeblur.physics.degrade`): gain, gaussian noise,
clipping, optional JPEG, with values drawn per example; then optional extra input noise.
All randomness is stateless and derived from (seed, example index), so a pipeline is reproducible.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfdeblur.data.files import decode_bytes, ensure_min_size
from tfdeblur.data.photos import EncodedPhotos
from tfdeblur.physics.blur import convolve
from tfdeblur.physics.degradations import camera

AUTOTUNE = tf.data.AUTOTUNE
# Cache decoded photos in memory up to this many files (BSDS500's 200 train photos take ~90 MB as uint8).
MAX_CACHED_FILES = 1000


def _uniform(seed, low, high, dtype=tf.float32):
    return tf.random.stateless_uniform([], seed=seed, minval=low, maxval=high, dtype=dtype)


def _augment(crop: tf.Tensor, seed) -> tf.Tensor:
    """Random flips and 90-degree rotations (the dihedral group: 8 orientations)."""
    crop = tf.image.stateless_random_flip_left_right(crop, seed=seed)
    k = tf.random.stateless_uniform([], seed=seed + 1, minval=0, maxval=4, dtype=tf.int32)
    return tf.image.rot90(crop, k)


def indexed_photos(files, min_size: int, channels: int, training: bool, count: int | None, seed: int,
                   shuffle_buffer: int, start: int = 0) -> tf.data.Dataset:
    """(index, uint8 photo) pairs from image paths or `EncodedPhotos`, each photo at least `min_size` on both
    sides: shuffled and repeated forever when training, else the first `count` photos (default all) in
    order. The index seeds each example's stateless randomness, so every synthetic pipeline is reproducible.
    `start` (training only) skips that many examples of the stream, cheaply (before any cropping or
    blurring), so a resumed run sees exactly the examples an uninterrupted one would."""
    if isinstance(files, EncodedPhotos):  # a prepared TFDS split: encoded bytes, not paths
        encoded = files.dataset
    else:
        files = [str(f) for f in files]
        encoded = tf.data.Dataset.from_tensor_slices(files).map(tf.io.read_file)
    ds = encoded.map(lambda data: ensure_min_size(decode_bytes(data, channels), min_size),
                     num_parallel_calls=AUTOTUNE)
    if len(files) <= MAX_CACHED_FILES:
        ds = ds.cache()
    if training:
        ds = ds.shuffle(min(shuffle_buffer, len(files)), seed=seed, reshuffle_each_iteration=True).repeat()
        return ds.skip(start).enumerate(start)
    ds = ds.repeat().take(count if count is not None else len(files))
    return ds.enumerate()


def synthetic_pairs(files, kernels: np.ndarray, patch_size: int, batch_size: int, channels: int = 3,
                    noise_sigma=(0.0, 0.02), gain=(1.0, 1.0), jpeg_quality=None, input_noise: float = 0.0,
                    training: bool = True, count: int | None = None, seed: int = 0,
                    shuffle_buffer: int = 256, return_kernel: bool = False, start: int = 0) -> tf.data.Dataset:
    """A tf.data pipeline of synthetic (blurry, sharp) batches.

    Args:
        files: sharp image paths.
        kernels: (K, S, S) kernel bank (see `tfdeblur.data.kernel_bank`), S odd.
        patch_size: output patch side.
        batch_size: batch size.
        channels: 1 or 3.
        noise_sigma: (min, max) gaussian noise std, drawn per example.
        gain: (min, max) exposure gain; > 1 saturates (the target is clipped the same way).
        jpeg_quality: None, or (min, max) JPEG quality drawn per example.
        input_noise: std of extra noise on the network input (after JPEG).
        training: shuffle and repeat forever; otherwise a fixed, finite, cached set of `count` examples.
        count: number of examples when not training (default: one per file).
        seed: data seed.
        shuffle_buffer: files in the shuffle buffer.
        return_kernel: yield ({"blurry", "kernel"}, sharp) instead of (blurry, sharp).
        start: training only: the first example of the stream (a resumed run passes step x batch size).

    Returns:
        Dataset of batches: blurry (B, P, P, C) float32, sharp (B, P, P, C) float32, values in [0, 1].

    Example:
    >>> from tfdeblur.data import kernel_bank, synthetic_pairs  # doctest: +SKIP
    >>> ds = synthetic_pairs(files, kernel_bank(["trajectory"], 31, 100, seed=0), 128, 16)  # doctest: +SKIP
    """
    bank = tf.constant(kernels, tf.float32)
    side = int(kernels.shape[-1])
    crop_size = patch_size + side - 1
    bank_size = int(kernels.shape[0])
    ds = indexed_photos(files, crop_size, channels, training, count, seed, shuffle_buffer, start)

    def draw(index, image):
        base = tf.stack([tf.cast(seed, tf.int64), index])
        seeds = [tf.cast(base + [0, i * 1_000_003], tf.int32) for i in range(6)]
        crop = tf.image.stateless_random_crop(image, [crop_size, crop_size, channels], seed=seeds[0])
        crop = _augment(tf.cast(crop, tf.float32) / 255.0, seeds[1])
        kernel = tf.gather(bank, tf.random.stateless_uniform([], seeds[2], 0, bank_size, tf.int32))
        sigma = _uniform(seeds[3], noise_sigma[0], noise_sigma[1] + 1e-12)
        example_gain = _uniform(seeds[4], gain[0], gain[1] + 1e-12)
        quality = (tf.random.stateless_uniform([], seeds[5], jpeg_quality[0], jpeg_quality[1] + 1, tf.int32)
                   if jpeg_quality else tf.constant(0))
        return crop, kernel, sigma, example_gain, quality, seeds[5]

    ds = ds.map(draw, num_parallel_calls=AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=training)

    def degrade(crops, kernel, sigma, example_gain, quality, noise_seed):
        margin = (side - 1) // 2
        sharp = crops[:, margin:margin + patch_size, margin:margin + patch_size, :]
        blurry = camera(convolve(crops, kernel, mode="valid"), gain=example_gain, noise_sigma=sigma,
                        seed=noise_seed[0], jpeg_quality=quality if jpeg_quality else None)
        if input_noise:
            extra = tf.random.stateless_normal(tf.shape(blurry), seed=noise_seed[0] + [0, 1])
            blurry = tf.clip_by_value(blurry + input_noise * extra, 0.0, 1.0)
        sharp = tf.clip_by_value(example_gain[:, None, None, None] * sharp, 0.0, 1.0)
        if return_kernel:
            return {"blurry": blurry, "kernel": kernel}, sharp
        return blurry, sharp

    ds = ds.map(degrade, num_parallel_calls=AUTOTUNE)
    if not training:
        ds = ds.cache()
    return ds.prefetch(AUTOTUNE)
