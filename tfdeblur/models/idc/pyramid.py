"""Padding and image pyramids shared by the IDC model and its loss (so estimates and targets align).

The model works on a copy of the input mirrored at the bottom and right edges up to a multiple of
`4 * 2**(scales - 1)` (each scale's U-Net downsamples twice, and every coarser scale halves the image), and
crops every scale back to the part that covers the real image. Downsampling is 2x2 averaging, exact on the
padded sizes; the same functions make the targets' pyramid, so estimate and target pixels correspond.
"""

from __future__ import annotations

import tensorflow as tf


def pad_multiple(num_scales: int) -> int:
    """Height/width multiple the finest scale needs for `num_scales` scales of a stride-4 U-Net."""
    return 4 * 2 ** (num_scales - 1)


def _mirror_extend(x: tf.Tensor, amount, axis: int) -> tf.Tensor:
    """Extend `x` at the end of `axis` by `amount` pixels of symmetric (edge-including) mirroring.

    Works for any amount, even larger than the image (then the mirror image repeats periodically).
    """
    static_size, static_amount = x.shape[axis], amount if isinstance(amount, int) else None
    if static_amount == 0:
        return x
    if static_size is not None and static_amount is not None and static_amount <= static_size:
        tail = tf.reverse(tf.gather(x, tf.range(static_size - static_amount, static_size), axis=axis), [axis])
        return tf.concat([x, tail], axis)
    size = tf.shape(x)[axis]
    period = tf.concat([x, tf.reverse(x, [axis])], axis)
    reps = (size + amount + 2 * size - 1) // (2 * size)
    multiples = tf.tensor_scatter_nd_update(tf.ones([4], tf.int32), [[axis]], [reps])
    tiled = tf.tile(period, multiples)
    begin = tf.zeros([4], tf.int32)
    extent = tf.tensor_scatter_nd_update(tf.fill([4], -1), [[axis]], [size + amount])
    return tf.slice(tiled, begin, extent)


def pad_to_multiple(x: tf.Tensor, multiple: int) -> tf.Tensor:
    """Mirror-pad an NHWC batch at the bottom/right so height and width are multiples of `multiple`."""
    for axis in (1, 2):
        size = x.shape[axis]
        amount = (-size) % multiple if size is not None else (-tf.shape(x)[axis]) % multiple
        x = _mirror_extend(x, amount, axis)
    return x


def downsample(x: tf.Tensor) -> tf.Tensor:
    """Halve the resolution by 2x2 averaging (sizes must be even)."""
    return tf.nn.avg_pool2d(x, 2, 2, "VALID")


def upsample(x: tf.Tensor) -> tf.Tensor:
    """Double the resolution bilinearly (for passing a coarse estimate to the next finer scale)."""
    shape = tf.shape(x)
    return tf.image.resize(x, [2 * shape[1], 2 * shape[2]], method="bilinear")


def scale_sizes(height, width, num_scales: int) -> list:
    """(height, width) of the real image content at each scale, finest first: ceil(size / 2**s)."""
    return [(-(-height // 2**s), -(-width // 2**s)) for s in range(num_scales)]


def padded_pyramid(x: tf.Tensor, num_scales: int) -> list[tf.Tensor]:
    """Padded images, finest first: scale s has `padded size / 2**s`."""
    levels = [pad_to_multiple(x, pad_multiple(num_scales))]
    for _ in range(num_scales - 1):
        levels.append(downsample(levels[-1]))
    return levels


def crop(x: tf.Tensor, height, width) -> tf.Tensor:
    return x[:, :height, :width, :]


def spatial_size(x: tf.Tensor):
    """(height, width) of an NHWC batch: Python ints when static, else scalar tensors."""
    dynamic = tf.shape(x)
    return tuple(x.shape[a] if x.shape[a] is not None else dynamic[a] for a in (1, 2))


def target_pyramid(y: tf.Tensor, num_scales: int) -> list[tf.Tensor]:
    """Targets for the per-scale estimates, coarsest first (the order of `IDC.call(..., return_all_scales=True)`)."""
    sizes = scale_sizes(*spatial_size(y), num_scales)
    levels = padded_pyramid(y, num_scales)
    return [crop(level, *size) for level, size in zip(levels, sizes)][::-1]
