"""IDC: the Iterative Dual CNN for blind image deblurring (Wang, Wang, Yang, 2022)."""

from __future__ import annotations

import keras
import tensorflow as tf

from tfdeblur.metrics import batch_psnr
from tfdeblur.models.idc import pyramid
from tfdeblur.models.idc.fusion_block import FusionBlock
from tfdeblur.models.idc.idc_loss import IDCLoss
from tfdeblur.models.idc.sub_deblur import SubDeblur
from tfdeblur.models.idc.sub_texture import SubTexture
from tfdeblur.presets import PresetMixin


@keras.saving.register_keras_serializable(package="tfdeblur")
class IDC(PresetMixin, keras.Model):
    """Iterative Dual CNN: a U-Net deblurring branch and a full-resolution texture branch, fused, applied
    coarse to fine over an image pyramid with the same weights at every scale.

    At the coarsest scale the network sees the blurry image twice (concatenated); at every finer scale it
    sees the blurry image of that scale concatenated with the bilinearly upsampled estimate of the coarser
    scale. Each application outputs the blurry input of its scale plus a learned correction.

    `model(x)` maps an NHWC float batch in [0, 1] to the deblurred batch of the same size (any height and
    width: the input is mirror-padded to a multiple of `4 * 2**(num_scales - 1)` and the result cropped
    back). `model(x, return_all_scales=True)` returns the estimates of every scale, coarsest first, which
    is what training scores: `fit` minimises `IDCLoss` summed over the scales (compile with
    `loss=IDCLoss(...)` to change its weights; other losses are refused) and reports the terms as the
    metrics `loss`, `l2`, `ssim`, `gradient` and the final scale's `psnr`.

    Args:
        channels: (c1, c2, c3) channels of the U-Net levels (paper: 32, 64, 128).
        texture_channels: channels of the texture branch (paper: 64).
        fusion_channels: channels of the fusion module's first convolution (paper: 32).
        kernel_size: side of the convolutions (5).
        num_res_blocks: ResBlocks per encoder/decoder block (2).
        num_scales: pyramid levels (3: full, 1/2, 1/4).
        texture: use the texture sub-network (False: the paper's "without Sub-Texture" ablation).
        multi_scale: run the pyramid (False: the single-scale ablation, one application at full resolution).
        image_channels: 3 (RGB) or 1 (gray).
        output_initializer: initialiser of the fusion module's output convolution; "zeros" (default) makes
            the untrained model the identity (see `FusionBlock`); "glorot_uniform" is the paper's Xavier.
        **kwargs: passed to `keras.Model` (`name`, `dtype`).

    Example:
    >>> import numpy as np
    >>> model = IDC(channels=(4, 8, 16), texture_channels=8, fusion_channels=8)
    >>> x = np.random.default_rng(0).random((1, 37, 29, 3)).astype("float32")
    >>> tuple(model(x).shape)
    (1, 37, 29, 3)
    >>> [tuple(s.shape) for s in model(x, return_all_scales=True)]
    [(1, 10, 8, 3), (1, 19, 15, 3), (1, 37, 29, 3)]

    Reference:
        Z. Wang, H. Wang, H. Yang, "Iterative Dual CNNs for Image Deblurring", Mathematics 10(20):3891, 2022.
    """

    preset_family = "idc"

    def __init__(self, channels=(32, 64, 128), texture_channels: int = 64, fusion_channels: int = 32,
                 kernel_size: int = 5, num_res_blocks: int = 2, num_scales: int = 3, texture: bool = True,
                 multi_scale: bool = True, image_channels: int = 3, output_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if num_scales < 1:
            raise ValueError(f"num_scales must be >= 1, got {num_scales}")
        self.channels = tuple(int(c) for c in channels)
        self.texture_channels = texture_channels
        self.fusion_channels = fusion_channels
        self.kernel_size = kernel_size
        self.num_res_blocks = num_res_blocks
        self.num_scales = num_scales
        self.texture = texture
        self.multi_scale = multi_scale
        self.image_channels = image_channels
        self.output_initializer = keras.initializers.get(output_initializer)
        common = dict(kernel_size=kernel_size, kernel_initializer="glorot_uniform", dtype=self.dtype_policy)
        self.sub_deblur = SubDeblur(self.channels, num_res_blocks=num_res_blocks, name="sub_deblur", **common)
        self.sub_texture = (SubTexture(texture_channels, num_res_blocks=num_res_blocks, name="sub_texture", **common)
                            if texture else None)
        self.fusion = FusionBlock(fusion_channels, image_channels, output_initializer=self.output_initializer,
                                  name="fusion", **common)
        self._default_loss = IDCLoss()
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.l2_tracker = keras.metrics.Mean(name="l2")
        self.ssim_tracker = keras.metrics.Mean(name="ssim")
        self.gradient_tracker = keras.metrics.Mean(name="gradient")
        self.psnr_tracker = keras.metrics.Mean(name="psnr")

    @property
    def scales(self) -> int:
        """Number of scales actually run (1 for the single-scale ablation)."""
        return self.num_scales if self.multi_scale else 1

    def build(self, input_shape):
        if input_shape[-1] not in (None, self.image_channels):
            raise ValueError(f"IDC(image_channels={self.image_channels}) got {input_shape[-1]}-channel input")
        step = (None, None, None, 2 * self.image_channels)
        self.sub_deblur.build(step)
        features = [self.sub_deblur.compute_output_shape(step)]
        if self.sub_texture is not None:
            self.sub_texture.build(step)
            features.append(self.sub_texture.compute_output_shape(step))
        self.fusion.build([(None, None, None, self.image_channels)] + features)

    def _step(self, blurry, previous):
        """One application of the dual network at one scale."""
        x = keras.ops.concatenate([blurry, previous], axis=-1)
        features = [self.sub_deblur(x)]
        if self.sub_texture is not None:
            features.append(self.sub_texture(x))
        return self.fusion([blurry] + features)

    def call(self, inputs, training=None, return_all_scales: bool = False):
        x = keras.ops.cast(inputs, self.compute_dtype)
        height, width = pyramid.spatial_size(x)
        levels = pyramid.padded_pyramid(x, self.scales)  # finest first
        sizes = pyramid.scale_sizes(height, width, self.scales)
        estimates = []
        for level in reversed(levels):  # coarse to fine, shared weights
            previous = level if not estimates else keras.ops.cast(pyramid.upsample(estimates[-1]), level.dtype)
            estimates.append(self._step(level, previous))
        if return_all_scales:
            return [pyramid.crop(e, *size) for e, size in zip(estimates, reversed(sizes))]
        return pyramid.crop(estimates[-1], height, width)

    def compute_output_shape(self, input_shape):
        return input_shape

    # --- training ------------------------------------------------------------------------------------

    @property
    def metrics(self):
        return [self.loss_tracker, self.l2_tracker, self.ssim_tracker, self.gradient_tracker, self.psnr_tracker]

    def _loss_function(self) -> IDCLoss:
        if self.loss is None:
            return self._default_loss
        if isinstance(self.loss, IDCLoss):
            return self.loss
        raise ValueError(f"IDC trains with IDCLoss (multi-scale); compile(loss=...) got {self.loss!r}")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Multi-scale mixed loss; `y_pred` is the list of per-scale estimates (or the final image)."""
        estimates = list(y_pred) if isinstance(y_pred, (list, tuple)) else [y_pred]
        targets = pyramid.target_pyramid(tf.cast(y, tf.float32), len(estimates))
        terms = self._loss_function().multi_scale(targets, estimates)
        total = terms["total"]
        if sample_weight is not None:
            weight = tf.cast(tf.reshape(sample_weight, [-1]), tf.float32)
            loss = tf.reduce_sum(total * weight) / tf.maximum(tf.reduce_sum(weight), 1e-12)
        else:
            loss = tf.reduce_mean(total)
        if self.losses:
            loss += tf.add_n([tf.cast(extra, tf.float32) for extra in self.losses])
        self.loss_tracker.update_state(loss)
        self.l2_tracker.update_state(tf.reduce_mean(terms["l2"]))
        self.ssim_tracker.update_state(tf.reduce_mean(terms["ssim"]))
        self.gradient_tracker.update_state(tf.reduce_mean(terms["gradient"]))
        # Replica gradients are summed under tf.distribute: scale so the global loss is a mean.
        return loss / tf.distribute.get_strategy().num_replicas_in_sync

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        final = y_pred[-1] if isinstance(y_pred, (list, tuple)) else y_pred
        final = tf.clip_by_value(tf.cast(final, tf.float32), 0.0, 1.0)
        self.psnr_tracker.update_state(batch_psnr(final, y, min_mse=1e-10))
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            estimates = self(x, training=True, return_all_scales=True)
            loss = self.compute_loss(x, y, estimates, sample_weight, training=True)
            scaled = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        return self.compute_metrics(x, y, estimates, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        estimates = self(x, training=False, return_all_scales=True)
        self.compute_loss(x, y, estimates, sample_weight, training=False)
        return self.compute_metrics(x, y, estimates, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(channels=list(self.channels), texture_channels=self.texture_channels,
                      fusion_channels=self.fusion_channels, kernel_size=self.kernel_size,
                      num_res_blocks=self.num_res_blocks, num_scales=self.num_scales, texture=self.texture,
                      multi_scale=self.multi_scale, image_channels=self.image_channels,
                      output_initializer=keras.initializers.serialize(self.output_initializer))
        return config
