"""Boundary handling for Fourier-domain deconvolution of photos (which are not periodic).

`edge_taper` mirror-extends an image and blends the extension, with a raised-cosine window, towards its
circular blur by the kernel: the extended image is then close to periodic *and* consistent with the blur
model at its seams, so an FFT solver does not ring from the wrap-around discontinuity.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfdeblur.physics.blur import convolve


def taper_window(height: int, width: int, pad_h: int, pad_w: int) -> tf.Tensor:
    """(1, H, W, 1): 1 over the image, falling smoothly (raised cosine) to 0 at the outer edge of the padding."""

    def ramp(n, pad):
        w = np.ones(n)
        if pad > 0:
            t = (np.arange(pad) + 0.5) / pad
            w[:pad] = 0.5 - 0.5 * np.cos(np.pi * t)
            w[n - pad:] = w[:pad][::-1]
        return w

    return tf.constant(np.outer(ramp(height, pad_h), ramp(width, pad_w))[None, :, :, None], tf.float32)


def edge_taper(y, kernel, pad: int | tuple[int, int] | None = None) -> tuple[tf.Tensor, tuple[int, int]]:
    """Mirror-extend an NHWC batch by `pad` per side (default the kernel size) and taper the extension.

    Returns:
        (extended batch, (pad_h, pad_w)); the original image is at [pad_h:pad_h + H, pad_w:pad_w + W].
    """
    y = tf.convert_to_tensor(y, tf.float32)
    kernel = tf.convert_to_tensor(kernel, tf.float32)
    height, width = int(y.shape[1]), int(y.shape[2])
    if pad is None:
        pad = max(int(kernel.shape[-2]), int(kernel.shape[-1]))
    pad_h, pad_w = (pad, pad) if np.ndim(pad) == 0 else pad
    pad_h, pad_w = min(int(pad_h), height), min(int(pad_w), width)  # "symmetric" allows pad == size
    ext = tf.pad(y, [[0, 0], [pad_h, pad_h], [pad_w, pad_w], [0, 0]], mode="SYMMETRIC")
    window = taper_window(height + 2 * pad_h, width + 2 * pad_w, pad_h, pad_w)
    return window * ext + (1.0 - window) * convolve(ext, kernel, mode="circular"), (pad_h, pad_w)
