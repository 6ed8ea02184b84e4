"""Non-uniform (per-pixel linear motion) blur, after Eboli et al. 2018, Sec. 2.2.

A motion field gives every pixel a linear motion (length in pixels, angle in degrees, the conventions of
`motion_kernel`; angle and angle + 180 are the same motion). Continuous motions are mapped onto a bank of
linear-motion kernels (lengths 1, 3, ..., 35 x angles 0, 6, ..., 174: 511 kernels, length 1 counted once)
by the softmax interpolation of Eq. 17: each pixel takes its 4 neighbours in the (length, angle) grid with
weights softmax(-d^2 / temperature), d the distance in grid steps. Blurring with the field is then

    y(p) = sum_{k=1..4} w_k(p) (f_{j_k(p)} * x)(p),

computed by `nonuniform_convolve`: only the bank entries that some pixel uses are convolved (through
`tfdeblur.physics.convolve`), then each pixel gathers its 4 responses. The same routine applies per-pixel
inverse filters (IRC-Net's NU-Conv). Everything is TF ops, differentiable in the image, the filters and
the weights (so in the motion field too). The inverse filters of the bank are a solver's:
`tfdeblur.solvers.inverse_filter_bank`.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import tensorflow as tf

from tfdeblur.physics.blur import convolve
from tfdeblur.physics.kernels import motion_kernel

DEFAULT_TEMPERATURE = 0.25


@dataclasses.dataclass(frozen=True)
class MotionBank:
    """The grid of reference linear motions.

    Args:
        max_length: longest motion (odd); lengths are 1, 1 + step, ..., max_length.
        length_step: length spacing in pixels.
        angle_step: angle spacing in degrees (must divide 180); angles 0, step, ..., 180 - step.

    Example:
    >>> bank = MotionBank()
    >>> len(bank), bank.kernels().shape
    (511, (511, 35, 35))
    """

    max_length: int = 35
    length_step: int = 2
    angle_step: int = 6

    def __post_init__(self):
        if self.max_length < 1 + self.length_step or (self.max_length - 1) % self.length_step:
            raise ValueError(f"max_length - 1 must be a positive multiple of length_step, got {self}")
        if 180 % self.angle_step:
            raise ValueError(f"angle_step must divide 180, got {self.angle_step}")

    @property
    def lengths(self) -> np.ndarray:
        return np.arange(1, self.max_length + 1, self.length_step, dtype=np.float32)

    @property
    def angles(self) -> np.ndarray:
        return np.arange(0, 180, self.angle_step, dtype=np.float32)

    def __len__(self) -> int:
        return 1 + (len(self.lengths) - 1) * len(self.angles)

    def index(self, length_index, angle_index):
        """Bank index of grid node (length_index, angle_index); every angle of length 1 is index 0."""
        n_angles = len(self.angles)
        if isinstance(length_index, (tf.Tensor, tf.Variable)):
            return tf.where(length_index == 0, 0, 1 + (length_index - 1) * n_angles + angle_index % n_angles)
        length_index = np.asarray(length_index)
        return np.where(
            length_index == 0, 0, 1 + (length_index - 1) * n_angles + np.asarray(angle_index) % n_angles
        )

    def params(self) -> np.ndarray:
        """(B, 2) float32 (length, angle) of every bank entry."""
        rows = [(1.0, 0.0)] + [(float(n), float(a)) for n in self.lengths[1:] for a in self.angles]
        return np.asarray(rows, np.float32)

    @property
    def size(self) -> int:
        return _bank_kernels(self.max_length, self.length_step, self.angle_step).shape[-1]

    def kernels(self) -> np.ndarray:
        """(B, S, S) float32 motion kernels, all centre-padded to the largest odd size S."""
        return _bank_kernels(self.max_length, self.length_step, self.angle_step)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@functools.lru_cache(maxsize=8)
def _bank_kernels(max_length: int, length_step: int, angle_step: int) -> np.ndarray:
    bank = MotionBank(max_length, length_step, angle_step)
    kernels = [motion_kernel(n, a) for n, a in bank.params()]
    side = max(k.shape[0] for k in kernels)
    out = np.zeros((len(kernels), side, side), np.float32)
    for i, k in enumerate(kernels):
        pad = (side - k.shape[0]) // 2
        out[i, pad : pad + k.shape[0], pad : pad + k.shape[1]] = k
    out.setflags(write=False)
    return out


def interpolation(length, angle, bank: MotionBank = MotionBank(), temperature: float = DEFAULT_TEMPERATURE):
    """Eq. 17: the 4 bank neighbours of each (length, angle) and their softmax weights.

    Args:
        length: tensor of motion lengths (pixels); clipped to [1, max_length].
        angle: tensor of the same shape, degrees (taken modulo 180).
        bank: the motion grid.
        temperature: softmax temperature in squared grid steps (smaller = closer to nearest neighbour).

    Returns:
        (indices int32, weights float32), both of shape length.shape + (4,); weights sum to 1 and are
        differentiable in length and angle.
    """
    length = tf.convert_to_tensor(length, tf.float32)
    angle = tf.convert_to_tensor(angle, tf.float32)
    n_lengths, n_angles = len(bank.lengths), len(bank.angles)
    u = (tf.clip_by_value(length, 1.0, float(bank.max_length)) - 1.0) / bank.length_step
    v = tf.math.floormod(angle, 180.0) / bank.angle_step
    l0 = tf.clip_by_value(tf.floor(tf.stop_gradient(u)), 0.0, n_lengths - 2.0)
    a0 = tf.clip_by_value(tf.floor(tf.stop_gradient(v)), 0.0, n_angles - 1.0)
    corners = [(l0, a0), (l0, a0 + 1.0), (l0 + 1.0, a0), (l0 + 1.0, a0 + 1.0)]
    distances = tf.stack([(u - lc) ** 2 + (v - ac) ** 2 for lc, ac in corners], axis=-1)
    weights = tf.nn.softmax(-distances / temperature, axis=-1)
    indices = tf.stack(
        [bank.index(tf.cast(lc, tf.int32), tf.cast(ac, tf.int32)) for lc, ac in corners], axis=-1
    )
    return indices, weights


def nonuniform_convolve(
    x, filters, indices, weights, mode: str = "valid", padding: str = "reflect", method: str = "fft"
) -> tf.Tensor:
    """Per-pixel filtering y(p) = sum_k weights[p, k] (filters[indices[p, k]] * x)(p).

    Args:
        x: NHWC tensor.
        filters: (B, kh, kw) bank applied to every channel (output has C channels), or (B, kh, kw, C):
            one filter per input channel, summed (output has 1 channel).
        indices: int (N, H', W', K) bank indices on the output grid.
        weights: (N, H', W', K) weights on the output grid.
        mode, padding, method: as in `tfdeblur.physics.convolve` ("valid": H' = H - kh + 1).

    Returns:
        (N, H', W', C or 1) tensor.
    """
    x = tf.convert_to_tensor(x, tf.float32)
    filters = tf.convert_to_tensor(filters, tf.float32)
    indices = tf.convert_to_tensor(indices, tf.int32)
    weights = tf.convert_to_tensor(weights, tf.float32)
    summed = filters.shape.rank == 4
    bank_size = tf.shape(filters)[0]
    shape = tf.shape(x)
    n, h, w, c = shape[0], shape[1], shape[2], shape[3]
    # Only the (image, bank entry) pairs some pixel uses are convolved: a smooth field uses few entries.
    image_of = tf.broadcast_to(tf.range(n)[:, None, None, None], tf.shape(indices))
    pairs, local = tf.unique(tf.reshape(image_of * bank_size + indices, [-1]))
    local = tf.reshape(local, tf.shape(indices))
    images, entries = pairs // bank_size, pairs % bank_size
    count = tf.shape(pairs)[0]
    chosen = tf.gather(filters, entries)  # (A, kh, kw[, C])
    planes = tf.reshape(tf.transpose(tf.gather(x, images), [0, 3, 1, 2]), [count * c, h, w, 1])
    if summed:
        per_plane = tf.transpose(chosen, [0, 3, 1, 2])  # (A, C, kh, kw)
    else:
        per_plane = tf.tile(chosen[:, None], [1, c, 1, 1])
    kh, kw = int(filters.shape[1]), int(filters.shape[2])
    responses = convolve(
        planes, tf.reshape(per_plane, [-1, kh, kw]), mode=mode, padding=padding, method=method
    )
    oh, ow = tf.shape(responses)[1], tf.shape(responses)[2]
    responses = tf.reshape(responses, [count, c, oh, ow])
    if summed:
        responses = tf.reduce_sum(responses, axis=1, keepdims=True)
    responses = tf.transpose(responses, [0, 2, 3, 1])  # (A, H', W', C')
    # Pixel (n, i, j) takes responses[local[n, i, j, k], i, j, :] for each of its K neighbours.
    rows = tf.broadcast_to(tf.range(oh)[None, :, None, None], tf.shape(local))
    cols = tf.broadcast_to(tf.range(ow)[None, None, :, None], tf.shape(local))
    picked = tf.gather_nd(responses, tf.stack([local, rows, cols], axis=-1))  # (N, H', W', K, C')
    return tf.einsum("nhwkc,nhwk->nhwc", picked, weights)


def interpolated_kernel(
    length: float, angle: float, bank: MotionBank = MotionBank(), temperature: float = DEFAULT_TEMPERATURE
) -> np.ndarray:
    """The kernel a constant field (length, angle) stands for: sum_k w_k f_{j_k} (S x S, sums to 1)."""
    indices, weights = interpolation([float(length)], [float(angle)], bank, temperature)
    return np.einsum("k,kij->ij", weights.numpy()[0], bank.kernels()[indices.numpy()[0]]).astype(np.float32)


def nonuniform_blur(
    x,
    length,
    angle,
    bank: MotionBank = MotionBank(),
    temperature: float = DEFAULT_TEMPERATURE,
    mode: str = "valid",
    padding: str = "reflect",
):
    """Blur with a per-pixel linear motion field (the forward model of non-uniform motion blur).

    Args:
        x: NHWC tensor, or a numpy HxW / HxWxC image (numpy out, same layout).
        length, angle: the motion field on the output grid: (N, H', W') tensors, or (H', W') arrays for a
            numpy image. "valid": H' = H - S + 1 with S = bank.size (the sharp scene is larger than the
            photo, no boundary assumption); "same": H' = H.
        bank, temperature: the motion grid and the interpolation temperature.
        mode, padding: "valid" or "same" (with `padding`).

    Example:
    >>> import numpy as np
    >>> bank = MotionBank(max_length=9, angle_step=30)
    >>> x = np.random.default_rng(0).random((40, 40)).astype("float32")
    >>> field = np.full((40 - bank.size + 1,) * 2, 7.0)
    >>> nonuniform_blur(x, field, field * 0 + 30, bank).shape
    (32, 32)
    """
    if not isinstance(x, (tf.Tensor, tf.Variable)):
        array = np.asarray(x, np.float32)
        batch = array[None, ..., None] if array.ndim == 2 else array[None]
        out = nonuniform_blur(
            tf.constant(batch),
            np.asarray(length, np.float32)[None],
            np.asarray(angle, np.float32)[None],
            bank,
            temperature,
            mode,
            padding,
        ).numpy()[0]
        return out[..., 0] if array.ndim == 2 else out
    indices, weights = interpolation(length, angle, bank, temperature)
    return nonuniform_convolve(x, bank.kernels(), indices, weights, mode=mode, padding=padding)


def random_motion_field(
    height: int, width: int, seed, max_length: float = 35.0, rotation: float = 1.0, min_length: float = 1.0
):
    """A smooth, locally linear motion field: camera translation plus in-plane rotation and zoom.

    The velocity at pixel p is v(p) = t + omega * perp(p - c) + s * (p - c) (t, omega, s, c random); each
    pixel's motion is the segment of length |v| along v, so lengths are clipped to [min_length, max_length].

    Args:
        height, width: field size (ints).
        seed: stateless seed (a shape-[2] int tensor or a pair of ints).
        max_length: longest motion in the field.
        rotation: share of the length budget that rotation and zoom may take (0 = uniform blur).
        min_length: shortest translation drawn.

    Returns:
        (length, angle) float32 tensors of shape (height, width); angles in [0, 180).
    """
    seed = tf.cast(tf.convert_to_tensor(seed), tf.int32)
    draws = tf.random.stateless_uniform([7], seed=seed)
    translation = min_length + draws[0] * (max_length - min_length)
    direction = draws[1] * 2.0 * math.pi
    cy = (draws[2] - 0.5) * 2.0 * height
    cx = (draws[3] - 0.5) * 2.0 * width
    rows = tf.range(height, dtype=tf.float32)[:, None] - cy
    cols = tf.range(width, dtype=tf.float32)[None, :] - cx
    reach = tf.sqrt(tf.reduce_max(rows**2) + tf.reduce_max(cols**2))
    # Rotation/zoom add at most `rotation * max_length` at the farthest pixel from the centre.
    omega = (draws[4] * 2.0 - 1.0) * rotation * max_length / reach
    zoom = (draws[5] * 2.0 - 1.0) * 0.3 * rotation * max_length / reach
    up = -rows  # image y axis points up for angles
    vx = translation * tf.cos(direction) - omega * up + zoom * cols
    vy = translation * tf.sin(direction) + omega * cols + zoom * up
    length = tf.clip_by_value(tf.sqrt(vx**2 + vy**2), 1.0, float(max_length))
    angle = tf.math.floormod(tf.atan2(vy, vx) * (180.0 / math.pi), 180.0)
    return length, angle
