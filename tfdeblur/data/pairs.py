"""Paired (blurry, sharp) data from folders or TFDS, with joint random crops and flips."""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from tfdeblur.data.files import decode_image
from tfdeblur.errors import InputError
from tfdeblur.io import IMAGE_EXTENSIONS

AUTOTUNE = tf.data.AUTOTUNE
BLURRY_DIRS = ("blur", "blurry", "blur_gamma", "input")
SHARP_DIRS = ("sharp", "gt", "target")


def pair_files(root, blurry_dir: str | None = None) -> tuple[list[str], list[str]]:
    """Find (blurry, sharp) file pairs under `root`.

    Any folder named blur/blurry/input (or `blurry_dir`) with a sibling sharp/gt/target folder contributes
    its files whose names also exist in the sibling; this covers a flat `root/blur`, `root/sharp` layout
    and GOPRO's `root/<sequence>/blur/*.png`, `root/<sequence>/sharp/*.png`. Files without a partner are
    skipped (`unpaired_files` lists them).
    """
    blurry, sharp, _ = _walk_pairs(root, blurry_dir)
    if not blurry:
        raise InputError(f"no blurry/sharp image pairs under {root} (expected blur/ and sharp/ folders)")
    return blurry, sharp


def unpaired_files(root, blurry_dir: str | None = None) -> list[str]:
    """Images in the blurry and sharp folders under `root` that have no partner of the same name."""
    return _walk_pairs(root, blurry_dir)[2]


def _walk_pairs(root, blurry_dir: str | None = None) -> tuple[list[str], list[str], list[str]]:
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"no such data folder: {root}")
    names = (blurry_dir,) if blurry_dir else BLURRY_DIRS
    blurry, sharp, unpaired = [], [], []
    for folder in sorted(p for p in root.rglob("*") if p.is_dir() and p.name in names):
        partner = next((folder.parent / s for s in SHARP_DIRS if (folder.parent / s).is_dir()), None)
        if partner is None:
            continue
        images = {p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS}
        targets = {p.name for p in partner.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS}
        for name in sorted(images & targets):
            blurry.append(str(folder / name))
            sharp.append(str(partner / name))
        unpaired += [str(folder / n) for n in sorted(images - targets)]
        unpaired += [str(partner / n) for n in sorted(targets - images)]
    return blurry, sharp, unpaired


def paired_batches(pairs: tf.data.Dataset, patch_size: int, batch_size: int, channels: int = 3,
                   training: bool = True, input_noise: float = 0.0, seed: int = 0,
                   shuffle_buffer: int = 64, start: int = 0) -> tf.data.Dataset:
    """Crop, augment and batch a dataset of uint8 (blurry, sharp) image pairs of equal size.

    Training: shuffled, repeated, random joint crops with flips/rotations, optional input noise.
    Otherwise: one centre crop per pair, in order, finite. `start` (training only) skips that many pairs
    of the stream (a resumed run passes step x batch size); the skipped pairs are still decoded.
    """
    if training:
        pairs = pairs.shuffle(shuffle_buffer, seed=seed).repeat().skip(start)
    pairs = pairs.enumerate(start if training else 0)

    def crop(index, pair):
        blurry, sharp = pair
        stacked = tf.concat([blurry, sharp], axis=-1)
        seed_pair = tf.cast(tf.stack([tf.cast(seed, tf.int64), index]), tf.int32)
        if training:
            stacked = tf.image.stateless_random_crop(stacked, [patch_size, patch_size, 2 * channels], seed_pair)
            stacked = tf.image.stateless_random_flip_left_right(stacked, seed_pair)
            stacked = tf.image.stateless_random_flip_up_down(stacked, seed_pair + 1)
        else:
            stacked = tf.image.resize_with_crop_or_pad(stacked, patch_size, patch_size)
        stacked = tf.cast(stacked, tf.float32) / 255.0
        blurry, sharp = stacked[..., :channels], stacked[..., channels:]
        if input_noise:
            noise = tf.random.stateless_normal(tf.shape(blurry), seed_pair + 2)
            blurry = tf.clip_by_value(blurry + input_noise * noise, 0.0, 1.0)
        return blurry, sharp

    ds = pairs.map(crop, num_parallel_calls=AUTOTUNE).batch(batch_size, drop_remainder=training)
    return ds.prefetch(AUTOTUNE)


def folder_pairs(root, patch_size: int, batch_size: int, channels: int = 3, training: bool = True,
                 input_noise: float = 0.0, seed: int = 0, start: int = 0) -> tf.data.Dataset:
    """Batches of (blurry, sharp) crops from a folder of pairs (see `pair_files`)."""
    blurry, sharp = pair_files(root)
    files = tf.data.Dataset.from_tensor_slices((blurry, sharp))
    pairs = files.map(lambda b, s: (decode_image(b, channels), decode_image(s, channels)),
                      num_parallel_calls=AUTOTUNE)
    return paired_batches(pairs, patch_size, batch_size, channels, training, input_noise, seed, start=start)


def tfds_pairs(name: str, split: str, patch_size: int, batch_size: int, channels: int = 3,
               training: bool = True, input_noise: float = 0.0, seed: int = 0, data_dir: str | None = None,
               manual_dir: str | None = None, start: int = 0) -> tf.data.Dataset:
    """Batches from a TFDS dataset with "blurry" and "sharp" image features (e.g. "gopro/blur")."""
    import tensorflow_datasets as tfds

    config = tfds.download.DownloadConfig(manual_dir=manual_dir) if manual_dir else None
    try:
        ds = tfds.load(name, split=split, data_dir=data_dir or None, shuffle_files=training,
                       download_and_prepare_kwargs={"download_config": config} if config else None)
    except Exception as err:  # missing manual files, unknown dataset, ...
        raise InputError(f"cannot load TFDS dataset '{name}' split '{split}': {str(err).splitlines()[0]}") from None

    def to_pair(example):
        blurry, sharp = example["blurry"], example["sharp"]
        if channels == 1:
            blurry, sharp = tf.image.rgb_to_grayscale(blurry), tf.image.rgb_to_grayscale(sharp)
        return tf.cast(blurry, tf.uint8), tf.cast(sharp, tf.uint8)

    return paired_batches(ds.map(to_pair, num_parallel_calls=AUTOTUNE), patch_size, batch_size, channels,
                          training, input_noise, seed, start=start)
