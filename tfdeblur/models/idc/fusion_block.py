"""FusionBlock: merges the deblurring and texture features into a residual correction of the input."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="tfdeblur")
class FusionBlock(keras.layers.Layer):
    """`image + conv_out(relu(conv(concat(features))))`, IDC's information fusion module.

    Args:
        filters: channels of the first 5x5 convolution (paper: 32).
        out_channels: image channels (3 for RGB).
        kernel_size: side of both convolutions (5).
        kernel_initializer: initialiser of the first convolution (Xavier in the paper).
        output_initializer: initialiser of the output convolution. "zeros" (default) starts the block as the
            identity on the image, so an untrained IDC returns its input; with Xavier there the initial
            random correction is large and, on synthetic blur, training drove the ReLU features to zero
            within a few hundred steps (the model stuck at the identity); pass "glorot_uniform" for the
            paper's initialisation.
        **kwargs: passed to `keras.layers.Layer`.

    Call arguments:
        inputs: a list `[image, features_1, ..., features_n]`; the image has `out_channels` channels and all
            tensors share height and width.

    Example:
    >>> import numpy as np
    >>> fusion = FusionBlock(8, 3)
    >>> image = np.zeros((1, 8, 8, 3), "float32")
    >>> a, b = np.ones((1, 8, 8, 4), "float32"), np.ones((1, 8, 8, 2), "float32")
    >>> tuple(fusion([image, a, b]).shape)
    (1, 8, 8, 3)

    Reference:
        Z. Wang, H. Wang, H. Yang, "Iterative Dual CNNs for Image Deblurring", Mathematics 10(20):3891, 2022.
    """

    def __init__(self, filters: int = 32, out_channels: int = 3, kernel_size: int = 5,
                 kernel_initializer="glorot_uniform", output_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.output_initializer = keras.initializers.get(output_initializer)
        self.conv = keras.layers.Conv2D(filters, kernel_size, padding="same", activation="relu",
                                        kernel_initializer=self.kernel_initializer, dtype=self.dtype_policy,
                                        name="conv")
        self.conv_out = keras.layers.Conv2D(out_channels, kernel_size, padding="same",
                                            kernel_initializer=self.output_initializer, dtype=self.dtype_policy,
                                            name="conv_out")

    def build(self, input_shape):
        image_shape, *feature_shapes = input_shape
        if image_shape[-1] != self.out_channels:
            raise ValueError(f"FusionBlock expects a {self.out_channels}-channel image, got {image_shape[-1]}")
        channels = sum(int(s[-1]) for s in feature_shapes)
        merged = tuple(image_shape[:-1]) + (channels,)
        self.conv.build(merged)
        self.conv_out.build(self.conv.compute_output_shape(merged))

    def call(self, inputs):
        image, *features = inputs
        merged = features[0] if len(features) == 1 else keras.ops.concatenate(features, axis=-1)
        return image + self.conv_out(self.conv(merged))

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, out_channels=self.out_channels, kernel_size=self.kernel_size,
                      kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
                      output_initializer=keras.initializers.serialize(self.output_initializer))
        return config
