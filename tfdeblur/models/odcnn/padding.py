"""Mirror padding that keeps a layer's output the size of its input, without zero-padding artefacts."""

from __future__ import annotations

import tensorflow as tf


def reflect_pad(x, top: int, bottom: int, left: int, right: int):
    """Reflect-pad the spatial axes of an NHWC tensor (the edge pixel is not repeated, as
    `tfdeblur.physics.convolve(..., padding="reflect")`). Each pad must be smaller than that axis."""
    if not (top or bottom or left or right):
        return x
    return tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], mode="REFLECT")


def same_pads(size: int) -> tuple[int, int]:
    """(before, after) padding making a 'valid' convolution with a `size`-tap filter keep the length.

    Odd sizes are centred; for even sizes (the 16x16 and 8x8 layers) the extra pixel goes after, as in
    Keras' "same" padding.
    """
    return (size - 1) // 2, size // 2
