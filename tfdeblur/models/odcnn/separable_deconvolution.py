"""The deconvolution sub-network of ODCNN: 121x1 convolutions, per-map 1x121 convolutions, nonlinearities."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfdeblur.models.odcnn.padding import reflect_pad
from tfdeblur.models.odcnn.svd_initializer import DEFAULT_NSR, SeparableInverseInitializer

ACTIVATIONS = ("prelu", "tanh", "linear")


def _toeplitz(filters, block: int):
    """(rank, taps) correlation filters -> (rank, block, block + taps - 1) matrices T with
    T[r, j, i] = filters[r, i - j] (0 <= i - j < taps): T[r] @ frame is the 'valid' correlation of a frame."""
    taps = int(filters.shape[-1])
    offsets = np.arange(block + taps - 1)[None, :] - np.arange(block)[:, None]
    inside = ((offsets >= 0) & (offsets < taps)).astype(np.float32)
    return tf.gather(filters, np.clip(offsets, 0, taps - 1), axis=1) * tf.cast(inside, filters.dtype)


def correlate_valid(x, filters, block: int):
    """'valid' correlation along axis 1 of x (R, n, M) with `rank` filters (rank, taps): (rank, n - taps + 1,
    M).

    R is `rank` (map r is filtered by filter r) or 1 (every filter is applied to the one signal). Computed
    overlap-save: axis 1 is cut into blocks of `block` samples (block >= taps - 1), each output block is one
    Toeplitz matrix times a frame of block + taps - 1 inputs. Only reshapes, splits, concats and batched
    matrix products, whose gradients are cheap on CPU (strided-slice and depthwise-convolution gradients with
    121 taps are 5-15x slower).
    """
    taps = int(filters.shape[-1])
    n, width = tf.shape(x)[1], tf.shape(x)[2]
    valid = n - taps + 1
    count = (valid + block - 1) // block
    x = tf.pad(x, [[0, 0], [0, (count + 1) * block - n], [0, 0]])
    blocks = tf.reshape(x, [tf.shape(x)[0], count + 1, block, width])
    head, _ = tf.split(blocks, [count, 1], axis=1)
    _, tail = tf.split(blocks, [1, count], axis=1)
    if taps - 1 < block:
        tail, _ = tf.split(tail, [taps - 1, block - taps + 1], axis=2)
    frames = tf.concat([head, tail], axis=2)  # R, count, block + taps - 1, M
    matrices = _toeplitz(filters, block)  # rank, block, block + taps - 1
    rank = int(filters.shape[0])
    # Batched products with explicitly broadcast operands (oneDNN's batch matmul crashes on two-sided
    # broadcasting).
    if x.shape[0] == 1:  # one signal, every filter: stack the filters' matrices
        stacked = tf.reshape(matrices, [1, rank * block, block + taps - 1])
        out = tf.matmul(tf.broadcast_to(stacked, [count, rank * block, block + taps - 1]), frames[0])
        out = tf.transpose(tf.reshape(out, [count, rank, block, width]), [1, 0, 2, 3])
    else:
        out = tf.matmul(tf.broadcast_to(matrices[:, None], [rank, count, block, block + taps - 1]), frames)
    out = tf.reshape(out, [rank, count * block, width])
    out, _ = tf.split(out, [valid, count * block - valid], axis=1)
    return out


@keras.saving.register_keras_serializable(package="tfdeblur")
class SeparableDeconvolution(keras.layers.Layer):
    """The two hidden layers of ODCNN's deconvolution CNN (DCNN), initialised as a separable inverse filter.

    h1 = act(W1 * y + b1): `rank` column filters of `size` x 1 (one gray image in, `rank` maps out);
    h2 = act(W2 * h1 + b2): one 1 x `size` row filter per map (depthwise: map j is filtered only by its own
    row filter, as in the separable inversion sum_j s_j u_j * (v_j^T * y)).
    The layer returns the `rank` maps h2; a 1x1 convolution (`SeparableInverseInitializer(part="weights")`)
    or the merged outlier-rejection layer turns them into an image.

    With the SVD initialisation (zero biases) and `activation="prelu"` (a per-map PReLU whose negative slope
    starts at 1, i.e. the identity), the untrained layer followed by the 1x1 combination is exactly the
    rank-`rank` separable Wiener inversion; training then bends the nonlinearity. "tanh" is the paper's sigma
    (the untrained network is then only approximately the inversion); "linear" keeps the layer linear.

    The input is reflect-padded by (size - 1) / 2 pixels (rows before the column filters, columns before the
    row filters), so the maps have the input's size; each side must be longer than that padding. The weights
    have the shapes of a `Conv2D` ((size, 1, 1, rank)) and a `DepthwiseConv2D` ((1, size, rank, 1)) kernel
    (correlation filters), but the 1-D filtering is computed as block-Toeplitz matrix products, which CPUs
    run far faster than convolution ops with 121 taps and one input channel.

    Args:
        blur_kernel: the blur kernel the layer inverts (2-D nested lists or array).
        rank: number of separable terms (hidden maps); the paper uses 38.
        size: length of the 1-D filters (odd); the paper uses 121.
        nsr: noise-to-signal ratio of the Wiener pseudo-inverse used for the initialisation.
        activation: "prelu" (identity at initialisation), "tanh" or "linear".
        preserve_dc: initialise from the pseudo-inverse rescaled to its uncropped DC gain (see
            `cropped_pseudo_inverse`).
        **kwargs: passed to `keras.layers.Layer`.

    Example:
    >>> import numpy as np
    >>> from tfdeblur.physics import disk_kernel
    >>> layer = SeparableDeconvolution(disk_kernel(2), rank=4, size=11)
    >>> tuple(layer(np.zeros((2, 16, 20, 1), "float32")).shape)
    (2, 16, 20, 4)

    Reference:
        L. Xu, J. S. Ren, C. Liu, J. Jia, "Deep Convolutional Neural Network for Image Deconvolution",
        NIPS 2014, Sec. 5.2.
    """

    def __init__(self, blur_kernel, rank: int = 38, size: int = 121, nsr: float = DEFAULT_NSR,
                 activation: str = "prelu", preserve_dc: bool = True, **kwargs):
        super().__init__(**kwargs)
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")
        if size % 2 != 1:
            raise ValueError(f"size must be odd, got {size}")
        self.blur_kernel = np.asarray(blur_kernel, np.float64).tolist()
        self.rank = int(rank)
        self.size = int(size)
        self.nsr = float(nsr)
        self.activation = activation
        self.preserve_dc = bool(preserve_dc)
        # Output samples per Toeplitz block: frames of 2 (size - 1) samples waste half the products at most.
        self.block = max(self.size - 1, 8)

    def build(self, input_shape):
        if input_shape[-1] != 1:
            raise ValueError(f"SeparableDeconvolution takes one channel (fold colour into the batch), "
                             f"got {input_shape[-1]}")
        init = dict(blur_kernel=self.blur_kernel, size=self.size, nsr=self.nsr, rank=self.rank,
                    preserve_dc=self.preserve_dc)
        self.column_kernel = self.add_weight(
            shape=(self.size, 1, 1, self.rank), name="column_kernel",
            initializer=SeparableInverseInitializer(part="column", **init))
        self.column_bias = self.add_weight(shape=(self.rank,), name="column_bias", initializer="zeros")
        self.row_kernel = self.add_weight(
            shape=(1, self.size, self.rank, 1), name="row_kernel",
            initializer=SeparableInverseInitializer(part="row", **init))
        self.row_bias = self.add_weight(shape=(self.rank,), name="row_bias", initializer="zeros")
        if self.activation == "prelu":
            self.column_alpha = self.add_weight(shape=(self.rank,), name="column_alpha", initializer="ones")
            self.row_alpha = self.add_weight(shape=(self.rank,), name="row_alpha", initializer="ones")

    def _activate(self, x, alpha, bias):
        """Bias and nonlinearity on maps laid out (rank, n, M)."""
        x = x + tf.reshape(bias, [-1, 1, 1])
        if self.activation == "prelu":
            return tf.nn.relu(x) - tf.reshape(alpha, [-1, 1, 1]) * tf.nn.relu(-x)
        if self.activation == "tanh":
            return tf.tanh(x)
        return x

    def call(self, inputs):
        half = (self.size - 1) // 2
        dtype = self.compute_dtype
        shape = tf.shape(inputs)
        n, height, width = shape[0], shape[1], shape[2]
        # Layouts keep the filtered axis in the middle (rank, length, pixels): mirror padding, blocking and
        # the matrix products then move contiguous rows only.
        planes = reflect_pad(tf.cast(inputs, dtype), half, half, 0, 0)[..., 0]  # N, H + 2 half, W
        planes = tf.reshape(tf.transpose(planes, [1, 0, 2]), [1, height + 2 * half, n * width])
        column = tf.transpose(tf.reshape(tf.cast(self.column_kernel, dtype), [self.size, self.rank]))
        maps = correlate_valid(planes, column, self.block)  # rank, H, N * W
        maps = self._activate(maps, getattr(self, "column_alpha", None), tf.cast(self.column_bias, dtype))
        maps = tf.transpose(tf.reshape(maps, [self.rank, height, n, width]), [0, 3, 2, 1])  # rank, W, N, H
        maps = tf.pad(tf.reshape(maps, [self.rank, width, n * height]), [[0, 0], [half, half], [0, 0]],
                      mode="REFLECT")
        row = tf.transpose(tf.reshape(tf.cast(self.row_kernel, dtype), [self.size, self.rank]))
        maps = correlate_valid(maps, row, self.block)  # rank, W, N * H
        maps = self._activate(maps, getattr(self, "row_alpha", None), tf.cast(self.row_bias, dtype))
        return tf.transpose(tf.reshape(maps, [self.rank, width, n, height]), [2, 3, 1, 0])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:3]) + (self.rank,)

    def get_config(self):
        config = super().get_config()
        config.update(blur_kernel=self.blur_kernel, rank=self.rank, size=self.size, nsr=self.nsr,
                      activation=self.activation, preserve_dc=self.preserve_dc)
        return config
