"""ODCNN: the outlier-rejection deconvolution CNN of Xu et al. (NIPS 2014) as a Keras functional model."""

from __future__ import annotations

import keras
import numpy as np

from tfdeblur.models.odcnn.channel_fold import ChannelFold
from tfdeblur.models.odcnn.outlier_rejection import OutlierRejection
from tfdeblur.models.odcnn.separable_deconvolution import SeparableDeconvolution
from tfdeblur.models.odcnn.svd_initializer import DEFAULT_NSR, SeparableInverseInitializer
from tfdeblur.presets import PresetMixin


@keras.saving.register_keras_serializable(package="tfdeblur")
class ODCNN(PresetMixin, keras.Model):
    """Outlier-rejection deconvolution CNN for one known blur kernel.

    blurry (N, H, W, C) -> colour planes folded into the batch -> deconvolution sub-network
    (`SeparableDeconvolution`: `rank` filters of `filter_size` x 1, one 1 x `filter_size` filter per map) ->
    1x1 combination of the `rank` maps (the singular values) -> outlier-rejection sub-network
    (`OutlierRejection`: `width` first_size^2 filters, `width` 1x1, one last_size^2) -> planes unfolded to
    (N, H, W, C). The output has the input's size (every filter sees a reflect-padded input).

    Colour: each channel is deblurred by the same single-channel network (weights shared across channels),
    as the blur, noise and clipping act on each channel alike; this triples the training signal per photo
    and lets one model serve gray and colour images (`with_channels`).

    Untrained, with the default "prelu" activation (identity at initialisation), the deconvolution sub-network
    and its 1x1 combination compute exactly the separable (rank-`rank` SVD) Wiener inversion with the kernel.

    Merging (`merged=True`, `merge()`): the 1x1 combination and the first outlier-rejection filters are
    folded into one `first_size` x `first_size` x `rank` convolution (no nonlinearity between them), as the
    paper does before fine-tuning; this gives the fine-tuning more freedom at ~`rank` times the cost of that
    layer. With `residual=True` (default; not in the paper) the outlier-rejection sub-network predicts a
    correction added to the deconvolved image, and its output filter starts at zero, so stage 2 starts
    exactly at stage 1's result.

    Args:
        blur_kernel: the blur kernel (2-D nested lists or array, sums to 1).
        rank: separable terms / hidden maps of the deconvolution sub-network (paper: 38).
        filter_size: length of the 1-D filters, odd (paper: 121).
        nsr: noise-to-signal ratio of the Wiener pseudo-inverse the deconvolution layers start from.
        activation: deconvolution sub-network nonlinearity: "prelu" (identity at start), "tanh", "linear".
        preserve_dc: start from the cropped pseudo-inverse rescaled to its uncropped DC gain (default; the
            plain crop loses a few percent of the image's brightness, see `cropped_pseudo_inverse`).
        outlier_rejection: False builds the deconvolution CNN alone (training stage 1).
        width: feature maps of the outlier-rejection sub-network (paper: 512).
        first_size, last_size: its first and last filter sides (paper: 16, 8).
        outlier_activation: its nonlinearity, "relu" or "tanh".
        residual: the outlier-rejection output is added to the deconvolved image.
        merged: the outlier-rejection sub-network reads the `rank` maps through merged 16x16x`rank` filters.
        channels: image channels of the model input (1 or 3); the weights do not depend on it.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:
    >>> import numpy as np
    >>> from tfdeblur.physics import disk_kernel
    >>> model = ODCNN(disk_kernel(3), rank=6, filter_size=21, width=8, first_size=4, last_size=2)
    >>> tuple(model(np.zeros((1, 32, 40, 3), "float32")).shape)
    (1, 32, 40, 3)

    Reference:
        L. Xu, J. S. Ren, C. Liu, J. Jia, "Deep Convolutional Neural Network for Image Deconvolution",
        NIPS 2014.
    """

    preset_family = "odcnn"

    def __init__(self, blur_kernel, rank: int = 38, filter_size: int = 121, nsr: float = DEFAULT_NSR,
                 activation: str = "prelu", outlier_rejection: bool = True, width: int = 512,
                 first_size: int = 16, last_size: int = 8, outlier_activation: str = "relu",
                 residual: bool = True, merged: bool = False, channels: int = 3, preserve_dc: bool = True,
                 **kwargs):
        blur_kernel = np.asarray(blur_kernel, np.float64).tolist()
        if merged and not outlier_rejection:
            raise ValueError("merged=True needs the outlier-rejection sub-network")
        inputs = keras.Input((None, None, channels), name="blurry")
        planes = ChannelFold(channels, name="fold")(inputs)
        maps = SeparableDeconvolution(blur_kernel, rank=rank, size=filter_size, nsr=nsr,
                                      activation=activation, preserve_dc=preserve_dc,
                                      name="deconvolution")(planes)
        image = None
        if not (merged and not residual):  # a merged, non-residual model never forms the deconvolved image
            weights = SeparableInverseInitializer(blur_kernel, "weights", filter_size, nsr, rank, preserve_dc)
            image = keras.layers.Conv2D(1, 1, kernel_initializer=weights, name="combine")(maps)
        if outlier_rejection:
            rejection = OutlierRejection(width, first_size, last_size, activation=outlier_activation,
                                         output_initializer="zeros" if residual else "glorot_uniform",
                                         name="outlier_rejection")(maps if merged else image)
            image = keras.layers.Add(name="residual")([image, rejection]) if residual else rejection
        outputs = ChannelFold(channels, unfold=True, name="unfold")(image)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.blur_kernel = blur_kernel
        self.rank = rank
        self.filter_size = filter_size
        self.nsr = nsr
        self.activation = activation
        self.outlier_rejection = outlier_rejection
        self.width = width
        self.first_size = first_size
        self.last_size = last_size
        self.outlier_activation = outlier_activation
        self.residual = residual
        self.merged = merged
        self.channels = channels
        self.preserve_dc = preserve_dc

    def get_config(self):
        return {
            "name": self.name, "trainable": self.trainable, "blur_kernel": self.blur_kernel,
            "rank": self.rank, "filter_size": self.filter_size, "nsr": self.nsr,
            "activation": self.activation,
            "outlier_rejection": self.outlier_rejection, "width": self.width, "first_size": self.first_size,
            "last_size": self.last_size, "outlier_activation": self.outlier_activation,
            "residual": self.residual, "merged": self.merged, "channels": self.channels,
            "preserve_dc": self.preserve_dc,
        }

    @property
    def min_input_size(self) -> int:
        """Smallest image side the network runs on: its reflect padding needs more than half a filter.
        Smaller images are reflect-extended first (`deblur.apply`, the exported signatures)."""
        return self.filter_size // 2 + 1

    @property
    def kernel_array(self) -> np.ndarray:
        """The blur kernel this model deconvolves, float32 (kh, kw)."""
        return np.asarray(self.blur_kernel, np.float32)

    def variant(self, **changes) -> ODCNN:
        """A new ODCNN with some constructor arguments changed and the weights carried over.

        Used between training stages: `variant(outlier_rejection=True)` adds a fresh outlier-rejection
        sub-network to a trained deconvolution CNN; `variant(merged=True)` (or `merge()`) folds the 1x1
        combination into the first outlier-rejection filters (same output); `variant(channels=1)` serves gray
        images. Sizes of the kept sub-networks cannot change.
        """
        config = {**self.get_config(), **changes}
        if config["outlier_rejection"] != self.outlier_rejection and self.outlier_rejection:
            raise ValueError("cannot drop a trained outlier-rejection sub-network")
        if self.merged and not config["merged"]:
            raise ValueError("a merged model cannot be split again")
        for key in ("blur_kernel", "rank", "filter_size", "activation"):  # (nsr, preserve_dc: init only)
            if config[key] != self.get_config()[key]:
                raise ValueError(f"'{key}' of the deconvolution sub-network cannot change")
        model = ODCNN.from_config(config)
        for name in ("deconvolution", "combine"):
            if model.has_layer(name):
                model.get_layer(name).set_weights(self.get_layer(name).get_weights())
        if self.outlier_rejection:
            weights = self.get_layer("outlier_rejection").get_weights()
            if config["merged"] and not self.merged:
                weights = _merge_first_filters(weights, *self.get_layer("combine").get_weights())
            model.get_layer("outlier_rejection").set_weights(weights)
        return model

    def has_layer(self, name: str) -> bool:
        return any(layer.name == name for layer in self.layers)

    def merge(self) -> ODCNN:
        """The merged model (the 1x1 combination folded into the first outlier-rejection filters)."""
        return self.variant(merged=True)

    def with_channels(self, channels: int) -> ODCNN:
        """The same network for images with `channels` channels."""
        return self.variant(channels=channels)

    def set_deconvolution_trainable(self, trainable: bool) -> None:
        """Freeze (training stage 2) or unfreeze the deconvolution sub-network and its 1x1 combination."""
        for name in ("deconvolution", "combine"):
            if self.has_layer(name):
                self.get_layer(name).trainable = trainable


def _merge_first_filters(weights, combine_kernel, combine_bias):
    """First outlier-rejection filters W (f, f, 1, width) and bias b applied after the 1x1 combination
    (s: (1, 1, rank, 1), c: (1,)) equal filters W * s_j on the `rank` maps with bias b + c * sum(W)."""
    first_kernel, first_bias, *rest = weights
    merged_kernel = first_kernel * combine_kernel[0, 0, :, 0][None, None, :, None]
    merged_bias = first_bias + combine_bias[0] * first_kernel.sum(axis=(0, 1, 2))
    return [merged_kernel.astype(first_kernel.dtype), merged_bias.astype(first_bias.dtype), *rest]
