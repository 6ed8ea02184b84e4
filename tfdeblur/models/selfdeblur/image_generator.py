"""The image generator G_x of SelfDeblur: the Deep Image Prior "skip" encoder-decoder."""

from __future__ import annotations

import keras
import tensorflow as tf

from tfdeblur.models.selfdeblur.batch_norm import BatchNorm
from tfdeblur.models.selfdeblur.conv_block import ConvBlock
from tfdeblur.models.selfdeblur.non_local_block import NonLocalBlock


@keras.saving.register_keras_serializable(package="tfdeblur")
class ImageGenerator(keras.Model):
    """DIP skip network: noise (N, H, W, C_in) -> image (N, H, W, C_out) in (0, 1).

    Level i (of `len(down_channels)`): a 1x1 skip branch, and a deeper branch of a stride-2 3x3 conv,
    [a non-local block], a 3x3 conv, the next level, and bilinear x2 upsampling (cropped back to the
    level's size when it was odd); the two branches are concatenated, batch-normalised, and passed
    through a 3x3 and a 1x1 conv. A 1x1 conv and a sigmoid make the image. Every conv is
    reflection-padded and followed by BatchNorm (batch statistics) and LeakyReLU(0.2). Any H, W >= 1.

    Args:
        output_channels: channels of the generated image (1: SelfDeblur works on gray / luma).
        down_channels: channels of the encoder convs per level.
        up_channels: channels of the decoder convs per level.
        skip_channels: channels of the 1x1 skip branch per level (0: no skip at that level).
        non_local_levels: levels (0-based) with a non-local block after their downsampling conv.
        negative_slope: LeakyReLU slope.
        seed: initialisation seed (None: random).
        **kwargs: passed to `keras.Model` (e.g. `dtype="mixed_bfloat16"`: the image is float32 anyway).

    Example:
    >>> import numpy as np
    >>> net = ImageGenerator(down_channels=(8, 8), up_channels=(8, 8), skip_channels=(2, 2),
    ...                      non_local_levels=(1,), seed=0)
    >>> z = np.random.default_rng(0).uniform(0, 0.1, (1, 37, 29, 8)).astype("float32")
    >>> image = net(z)
    >>> tuple(image.shape), bool(0 < float(image.numpy().min()) and float(image.numpy().max()) < 1)
    ((1, 37, 29, 1), True)

    Reference:
        D. Ren, K. Zhang, Q. Wang, Q. Hu, W. Zuo, "Neural Blind Deconvolution Using Deep Priors",
        CVPR 2020 (settings of the official code: 5 levels of 128 channels, 16-channel skips, non-local
        blocks at levels 2-4); D. Ulyanov et al., "Deep Image Prior", CVPR 2018.
    """

    def __init__(self, output_channels: int = 1, down_channels=(128,) * 5, up_channels=(128,) * 5,
                 skip_channels=(16,) * 5, non_local_levels=(2, 3, 4), negative_slope: float = 0.2,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not len(down_channels) == len(up_channels) == len(skip_channels):
            raise ValueError("down_channels, up_channels and skip_channels need one entry per level")
        self.output_channels = output_channels
        self.down_channels = tuple(down_channels)
        self.up_channels = tuple(up_channels)
        self.skip_channels = tuple(skip_channels)
        self.non_local_levels = tuple(non_local_levels)
        self.negative_slope = negative_slope
        self.seed = seed
        counter = iter(range(10_000))

        def block(filters, size, strides=1, name=None):
            return ConvBlock(filters, size, strides, negative_slope=negative_slope, seed=seed,
                             seed_index=next(counter), dtype=self.dtype_policy, name=name)

        self.skips, self.downs, self.non_locals, self.mids = [], [], [], []
        self.merge_norms, self.ups, self.up_1x1s = [], [], []
        for i, (down, up, skip) in enumerate(zip(self.down_channels, self.up_channels, self.skip_channels)):
            self.skips.append(block(skip, 1, name=f"skip_{i}") if skip else None)
            self.downs.append(block(down, 3, strides=2, name=f"down_{i}"))
            self.non_locals.append(NonLocalBlock(down, seed=seed, seed_index=1000 + 10 * i,
                                                 dtype=self.dtype_policy, name=f"non_local_{i}")
                                   if i in self.non_local_levels else None)
            self.mids.append(block(down, 3, name=f"mid_{i}"))
            self.merge_norms.append(BatchNorm(epsilon=1e-5, dtype=self.dtype_policy, name=f"merge_norm_{i}"))
            self.ups.append(block(up, 3, name=f"up_{i}"))
            self.up_1x1s.append(block(up, 1, name=f"up_1x1_{i}"))
        self.to_image = ConvBlock(output_channels, 1, normalize=False, negative_slope=None, seed=seed,
                                  seed_index=next(counter), dtype=self.dtype_policy, name="to_image")

    def build(self, input_shape):
        # The sublayers' shapes follow from running the network once (the recursion makes them tedious
        # to list); any spatial size builds the same weights.
        shape = [1 if input_shape[0] is None else input_shape[0]] + \
                [32 if s is None else s for s in input_shape[1:3]] + [input_shape[3]]
        self._level(0, tf.zeros(shape, self.compute_dtype))
        self.to_image.build(tuple(shape[:3]) + (self.up_channels[0],))

    def _level(self, i: int, x):
        deeper = self.downs[i](x)
        if self.non_locals[i] is not None:
            deeper = self.non_locals[i](deeper)
        deeper = self.mids[i](deeper)
        if i + 1 < len(self.downs):
            deeper = self._level(i + 1, deeper)
        size = tf.shape(x)[1:3]
        # Half-pixel bilinear, as PyTorch's Upsample(align_corners=False); resize works in float32.
        deeper = tf.image.resize(deeper, 2 * tf.shape(deeper)[1:3], method="bilinear")
        deeper = tf.cast(deeper, self.compute_dtype)
        # An odd size came down as ceil(size / 2) and went up to size + 1: keep the first `size` rows.
        # tf.slice, not [] indexing: the gradient of a strided slice was 5% of a step, Slice's is a Pad.
        deeper = tf.slice(deeper, [0, 0, 0, 0], [-1, size[0], size[1], -1])
        merged = deeper if self.skips[i] is None else tf.concat([self.skips[i](x), deeper], axis=-1)
        merged = self.merge_norms[i](merged, training=True)
        return self.up_1x1s[i](self.ups[i](merged))

    def call(self, noise):
        x = tf.cast(noise, self.compute_dtype)
        return tf.sigmoid(tf.cast(self.to_image(self._level(0, x)), tf.float32))

    def get_config(self):
        config = super().get_config()
        config.update(output_channels=self.output_channels, down_channels=list(self.down_channels),
                      up_channels=list(self.up_channels), skip_channels=list(self.skip_channels),
                      non_local_levels=list(self.non_local_levels), negative_slope=self.negative_slope,
                      seed=self.seed)
        return config
