"""The latent image of blind kernel estimation: deconvolution under an L0 gradient prior.

    min_x ||k (*) x - y||^2 + lam ||grad x||_0        (circular model)

solved by half-quadratic splitting with an increasing penalty beta (Xu, Lu, Xu, Jia 2011, as used for
deblurring by Pan et al. 2014): the auxiliary gradients are hard-thresholded at sqrt(lam / beta), then x
has a closed form in the Fourier domain. The result is not a good photo: it keeps only strong, step-like
edges, which is what makes the kernel identifiable (Levin et al. 2009 show that a natural-image prior
alone prefers the blurry image, i.e. the delta kernel).
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from tfdeblur.physics.fourier import centred_pad

KAPPA = 2.0  # beta's growth per iteration
BETA_MAX = 1e5  # beta at which the split is tight


def l0_latent(blurry: np.ndarray, kernel: np.ndarray, lam: float) -> np.ndarray:
    """Latent image (float64, `blurry`'s shape) of a periodic gray image under the L0 gradient prior.

    Args:
        blurry: HxW gray image, taken as periodic (edge-taper it first).
        kernel: the current kernel estimate (sums to 1).
        lam: weight of the L0 term (Pan et al.: 4e-3, decreasing over the iterations).
    """
    y = np.asarray(blurry, np.float64)
    steps, beta = 0, 2.0 * lam
    while beta < BETA_MAX:
        steps, beta = steps + 1, beta * KAPPA
    return _l0_splitting(y, centred_pad(kernel, y.shape), tf.constant(lam, tf.float64),
                         tf.constant(steps)).numpy()


# One graph for every image size and step count, traced once per process: blind estimation calls this
# ~90 times a photo, and as a graph TensorFlow's FFT (faster than numpy's on the prime lengths an
# extension by the kernel size often gives) runs the loop without Python in between (issue 32).
@tf.function(autograph=False, input_signature=[tf.TensorSpec([None, None], tf.float64), tf.TensorSpec([None, None], tf.float64),
                              tf.TensorSpec([], tf.float64), tf.TensorSpec([], tf.int32)])
def _l0_splitting(y, kernel_grid, lam, steps):
    # Real FFTs (half the spectrum), and the gradients' part of the numerator as the FFT of their
    # divergence, conj(Dx) F(h) + conj(Dy) F(v) = F(Dx^T h + Dy^T v): two FFTs a step.
    shape = tf.shape(y)
    k_spec = tf.signal.rfft2d(kernel_grid)
    data_den = tf.math.real(k_spec * tf.math.conj(k_spec))
    data_num = tf.math.conj(k_spec) * tf.signal.rfft2d(y)
    # |F(Dx)|^2 + |F(Dy)|^2 of the forward differences on this grid, in closed form.
    u = tf.cast(tf.range(shape[1] // 2 + 1), tf.float64) / tf.cast(shape[1], tf.float64)
    v = tf.cast(tf.range(shape[0]), tf.float64) / tf.cast(shape[0], tf.float64)
    grad_den = (2.0 - 2.0 * tf.cos(2.0 * math.pi * u))[None, :] + (2.0 - 2.0 * tf.cos(2.0 * math.pi * v))[:, None]

    def step(index, x, beta):
        h = tf.roll(x, -1, 1) - x
        v = tf.roll(x, -1, 0) - x
        keep = tf.cast(h * h + v * v >= lam / beta, tf.float64)
        h, v = h * keep, v * keep
        divergence = tf.roll(h, 1, 1) - h + tf.roll(v, 1, 0) - v  # Dx^T h + Dy^T v
        numerator = data_num + tf.cast(beta, tf.complex128) * tf.signal.rfft2d(divergence)
        x = tf.signal.irfft2d(numerator / tf.cast(data_den + beta * grad_den, tf.complex128), fft_length=shape)
        return index + 1, x, beta * KAPPA

    _, x, _ = tf.while_loop(lambda index, x, beta: index < steps, step, (tf.constant(0), y, 2.0 * lam))
    return x
