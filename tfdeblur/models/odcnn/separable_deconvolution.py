"""The deconvolution sub-network of ODCNN: 121x1 convolutions, per-map 1x121 convolutions, nonlinearities."""

from __future__ import annotations

import keras
import numpy as np

from tfdeblur.models.odcnn.padding import reflect_pad
from tfdeblur.models.odcnn.svd_initializer import SeparableInverseInitializer

ACTIVATIONS = ("prelu", "tanh", "linear")


@keras.saving.register_keras_serializable(package="tfdeblur")
class SeparableDeconvolution(keras.layers.Layer):
    """The two hidden layers of ODCNN's deconvolution CNN (DCNN), initialised as a separable inverse filter.

    h1 = act(W1 * y + b1): `rank` column filters of `size` x 1 (one gray image in, `rank` maps out);
    h2 = act(W2 * h1 + b2): one 1 x `size` row filter per map (depthwise: map j is filtered only by its own
    row filter, as in the separable inversion sum_j s_j u_j * (v_j^T * y)).
    The layer returns the `rank` maps h2; a 1x1 convolution (`SeparableInverseInitializer(part="weights")`)
    or the merged outlier-rejection layer turns them into an image.

    With the SVD initialisation (zero biases) and `activation="prelu"` (a PReLU whose negative slope starts at
    1, i.e. the identity), the untrained layer followed by the 1x1 combination is exactly the rank-`rank`
    separable Wiener inversion; training then bends the nonlinearity. "tanh" is the paper's choice of
    sigma (the untrained network is then only approximately the inversion); "linear" keeps it linear.

    The input is reflect-padded by (size - 1) / 2 pixels (rows before the column filters, columns before
    the row filters), so the maps have the input's size, and it must be larger than that padding.

    Args:
        blur_kernel: the blur kernel the layer inverts (2-D nested lists or array).
        rank: number of separable terms (hidden maps); the paper uses 38.
        size: length of the 1-D filters (odd); the paper uses 121.
        nsr: noise-to-signal ratio of the Wiener pseudo-inverse used for the initialisation.
        activation: "prelu" (identity at initialisation), "tanh" or "linear".
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

    def __init__(self, blur_kernel, rank: int = 38, size: int = 121, nsr: float = 1e-2,
                 activation: str = "prelu", **kwargs):
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
        init = dict(blur_kernel=self.blur_kernel, size=self.size, nsr=self.nsr, rank=self.rank)
        self.column = keras.layers.Conv2D(
            self.rank, (self.size, 1), padding="valid",
            kernel_initializer=SeparableInverseInitializer(part="column", **init),
            dtype=self.dtype_policy, name="column")
        self.row = keras.layers.DepthwiseConv2D(
            (1, self.size), padding="valid",
            depthwise_initializer=SeparableInverseInitializer(part="row", **init),
            dtype=self.dtype_policy, name="row")
        self.column_activation = self._activation("column_activation")
        self.row_activation = self._activation("row_activation")

    def _activation(self, name):
        if self.activation == "prelu":
            return keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(1.0), shared_axes=[1, 2],
                                      dtype=self.dtype_policy, name=name)
        return keras.layers.Activation(self.activation, dtype=self.dtype_policy, name=name)

    def build(self, input_shape):
        if input_shape[-1] != 1:
            raise ValueError(f"SeparableDeconvolution takes one channel (fold colour into the batch), "
                             f"got {input_shape[-1]}")
        height, width = input_shape[1], input_shape[2]
        half = (self.size - 1) // 2
        self.column.build(input_shape)
        self.column_activation.build((input_shape[0], height, None if width is None else width, self.rank))
        self.row.build((input_shape[0], height, None if width is None else width + 2 * half, self.rank))
        self.row_activation.build((input_shape[0], height, width, self.rank))

    def call(self, inputs):
        half = (self.size - 1) // 2
        maps = self.column(reflect_pad(inputs, half, half, 0, 0))
        maps = self.column_activation(maps)
        maps = self.row(reflect_pad(maps, 0, 0, half, half))
        return self.row_activation(maps)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:3]) + (self.rank,)

    def get_config(self):
        config = super().get_config()
        config.update(blur_kernel=self.blur_kernel, rank=self.rank, size=self.size, nsr=self.nsr,
                      activation=self.activation)
        return config
