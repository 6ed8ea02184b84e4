"""Synthetic non-uniform motion blur for IRC-Net and Motion-Net training, all in tf.data.

Each example is a random crop of a sharp photo, large enough that its 'valid' non-uniform blur is exactly
the patch (no boundary artefact), randomly flipped/rotated, blurred with a motion field through
`tfdeblur.physics.nonuniform_blur` and given gaussian noise. Fields are either:

- "bank": one bank motion for the whole patch (how the paper trains IRC-Net: the inverse filter being
  updated is the one of the exact motion), or
- "smooth": a locally linear field (camera translation + in-plane rotation + zoom), for Motion-Net, the
  blind pipeline and evaluation.

For a blind pipeline's IRC-Net, the motion it is *given* can carry the errors of an estimated field
(`field_error`): the true field scaled by one random factor per patch and turned by one random angle,
while the patch is blurred with the true field.

All randomness is stateless, derived from (seed, example index).
"""

from __future__ import annotations

import tensorflow as tf

from tfdeblur.data.synthetic import indexed_photos
from tfdeblur.models.ircnet.motion_net import motion_to_vector
from tfdeblur.physics.nonuniform import DEFAULT_TEMPERATURE, MotionBank, nonuniform_blur, random_motion_field

FIELDS = ("bank", "smooth")
TARGETS = ("image", "motion", "blind")
AUTOTUNE = tf.data.AUTOTUNE


def _bank_field(size: int, bank: MotionBank, seed):
    params = tf.constant(bank.params())
    index = tf.random.stateless_uniform([], seed=seed, minval=0, maxval=len(bank), dtype=tf.int32)
    length = tf.fill([size, size], params[index, 0])
    angle = tf.fill([size, size], params[index, 1])
    return length, angle


def nonuniform_pairs(
    files,
    bank: MotionBank,
    patch_size: int,
    batch_size: int,
    channels: int = 1,
    noise_sigma=(0.0, 0.02),
    field: str = "bank",
    rotation: float = 0.5,
    target: str = "image",
    training: bool = True,
    count: int | None = None,
    seed: int = 0,
    shuffle_buffer: int = 256,
    temperature: float = DEFAULT_TEMPERATURE,
    start: int = 0,
    field_error: tuple[float, float] = (0.0, 0.0),
) -> tf.data.Dataset:
    """A tf.data pipeline of non-uniformly blurred batches.

    Args:
        files: sharp image paths.
        bank: the motion bank (the field's lengths stay within bank.max_length).
        patch_size: side of the blurry/sharp patches.
        batch_size: batch size.
        channels: 1 or 3.
        noise_sigma: (min, max) gaussian noise std, drawn per example.
        field: "bank" or "smooth" (see the module docstring).
        rotation: share of the length budget taken by rotation/zoom in "smooth" fields.
        target: "image" -> ({"blurry", "motion"}, sharp) for IRC-Net; "motion" -> (blurry, motion vector
            target of `motion_to_vector`) for Motion-Net; "blind" -> (blurry, sharp).
        training: shuffle and repeat forever; otherwise a fixed, cached set of `count` examples.
        count: number of examples when not training (default one per file).
        seed: data seed.
        shuffle_buffer: files in the shuffle buffer.
        temperature: interpolation temperature of the blur.
        start: (training) begin the stream at this example, cheaply: a resumed run continues it.
        field_error: (length, angle) error of the motion given to IRC-Net (target "image"): its lengths are
            multiplied by exp(N(0, length)) and its angles turned by N(0, angle) degrees, once per patch.

    Returns:
        Batched dataset; motion fields are (B, P, P, 2) = (length, angle).
    """
    if field not in FIELDS:
        raise ValueError(f"field must be one of {FIELDS}, got {field!r}")
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    length_error, angle_error = (float(v) for v in field_error)
    if not (length_error >= 0 and angle_error >= 0):
        raise ValueError(f"field_error must be two values >= 0, got {tuple(field_error)}")
    crop_size = patch_size + bank.size - 1
    ds = indexed_photos(files, crop_size, channels, training, count, seed, shuffle_buffer, start=start)

    def draw(index, image):
        base = tf.stack([tf.cast(seed, tf.int64), index])
        seeds = [tf.cast(base + [0, i * 1_000_003], tf.int32) for i in range(6)]
        crop = tf.image.stateless_random_crop(image, [crop_size, crop_size, channels], seed=seeds[0])
        crop = tf.cast(crop, tf.float32) / 255.0
        crop = tf.image.stateless_random_flip_left_right(crop, seed=seeds[1])
        crop = tf.image.rot90(crop, tf.random.stateless_uniform([], seeds[2], 0, 4, tf.int32))
        if field == "bank":
            length, angle = _bank_field(patch_size, bank, seeds[3])
        else:
            length, angle = random_motion_field(
                patch_size, patch_size, seeds[3], float(bank.max_length), rotation
            )
        sigma = tf.random.stateless_uniform([], seeds[4], noise_sigma[0], noise_sigma[1] + 1e-12)
        motion = tf.stack([length, angle], axis=-1)
        error = tf.random.stateless_normal([2], seeds[5]) * [length_error, angle_error]
        given = tf.stack([tf.minimum(length * tf.exp(error[0]), float(bank.max_length)),
                          tf.math.floormod(angle + error[1], 180.0)], axis=-1)
        return crop, motion, given, sigma, seeds[4]

    ds = ds.map(draw, num_parallel_calls=AUTOTUNE).batch(batch_size, drop_remainder=training)

    def degrade(crops, motion, given, sigma, noise_seed):
        margin = (bank.size - 1) // 2
        sharp = crops[:, margin : margin + patch_size, margin : margin + patch_size, :]
        blurry = nonuniform_blur(crops, motion[..., 0], motion[..., 1], bank, temperature, mode="valid")
        noise = tf.random.stateless_normal(tf.shape(blurry), seed=noise_seed[0])
        blurry = tf.clip_by_value(blurry + sigma[:, None, None, None] * noise, 0.0, 1.0)
        if target == "image":
            return {"blurry": blurry, "motion": given}, sharp
        if target == "motion":
            return blurry, motion_to_vector(motion[..., 0], motion[..., 1], float(bank.max_length))
        return blurry, sharp

    ds = ds.map(degrade, num_parallel_calls=AUTOTUNE)
    if not training:
        ds = ds.cache()
    return ds.prefetch(AUTOTUNE)
