"""Regularised inverses of the blur: the least-squares steps solvers share (`tikhonov`, `prox_l2`).

Every one solves

    x = argmin_x ||A x - y||^2 + reg * sum_i ||f_i * x - t_i||^2

for a blur A and penalty filters f_i with targets t_i (zero unless given). For the periodic ("circular")
blur the filters are circular too and the normal equations are diagonal in the Fourier domain, so the
solution is closed form (`FourierTikhonov`: Wiener deconvolution, ADMM's Fourier x-update); for the other
boundary models they are solved by conjugate gradients through the operator and its adjoint.

They live here, not as methods of `tfdeblur.physics.Blur`, so that physics (the operators) imports no
solver.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfdeblur.physics.blur import convolve, convolve_adjoint
from tfdeblur.physics.fourier import image_from_spectrum, image_spectrum, otf
from tfdeblur.solvers.conjugate_gradient import conjugate_gradient

IDENTITY = np.ones((1, 1), np.float32)
# Forward differences x[p] - x[p + 1] horizontally and vertically (the gradient penalty of Wiener's prior).
GRADIENT = (np.array([[1.0, -1.0]], np.float32), np.array([[1.0], [-1.0]], np.float32))
PENALTIES = {"identity": (IDENTITY,), "gradient": GRADIENT}


def penalty_filters(prior) -> tuple:
    """The filters f_i of a named penalty ("identity", "gradient"), or the given sequence of 2-D filters."""
    if isinstance(prior, str):
        if prior not in PENALTIES:
            raise ValueError(f"unknown penalty {prior!r}; expected one of {tuple(PENALTIES)} or filters")
        return PENALTIES[prior]
    return tuple(prior)


class FourierTikhonov:
    """The closed-form solution for periodic images on an (H, W) grid, spectra computed once.

    Args:
        kernel: (kh, kw) blur kernel, or (N, kh, kw) one per image.
        size: (H, W) of the images (a tensor or ints).
        reg: weight of the penalty.
        filters: penalty filters f_i (2-D, applied circularly and centred as `convolve`).

    Example:
    >>> import numpy as np
    >>> from tfdeblur.physics import Blur, gaussian_kernel
    >>> from tfdeblur.solvers.tikhonov import FourierTikhonov
    >>> x = np.random.default_rng(0).random((1, 16, 16, 1)).astype("float32")
    >>> op = Blur(gaussian_kernel(0.7), mode="circular")
    >>> solve = FourierTikhonov(op.kernel, (16, 16), reg=1e-8)
    >>> float(np.abs(solve(op(x)).numpy() - x).max()) < 1e-3
    True
    """

    def __init__(self, kernel, size, reg: float, filters=(IDENTITY,)):
        kernel = tf.convert_to_tensor(kernel, tf.float32)
        self.size = size
        self.kernel_spectrum = otf(kernel, size)
        if kernel.shape.rank == 3:  # one kernel per image: broadcast over channels
            self.kernel_spectrum = self.kernel_spectrum[:, None]
        self.reg = tf.cast(reg, tf.complex64)
        self.filter_spectra = [otf(np.asarray(f, np.float32), size) for f in filters]
        energy = tf.add_n([tf.abs(f) ** 2 for f in self.filter_spectra])
        self.denominator = tf.cast(tf.abs(self.kernel_spectrum) ** 2, tf.complex64) + self.reg * tf.cast(
            energy, tf.complex64)

    def __call__(self, y, targets=None, y_spectrum=None) -> tf.Tensor:
        """The solution for data y (NHWC), optional targets t_i (NHWC each); `y_spectrum` may replace y."""
        numerator = tf.math.conj(self.kernel_spectrum) * (image_spectrum(y) if y_spectrum is None
                                                            else y_spectrum)
        if targets is not None:
            numerator += self.reg * tf.add_n([tf.math.conj(f) * image_spectrum(t)
                                              for f, t in zip(self.filter_spectra, targets)])
        return image_from_spectrum(numerator / self.denominator, self.size)


def tikhonov(operator, y, reg: float = 1e-6, prior="identity", targets=None, x0=None, steps: int = 100,
             tol: float = 1e-10) -> tf.Tensor:
    """argmin_x ||A x - y||^2 + reg * sum_i ||f_i * x - t_i||^2 for a `Blur` A (any boundary mode).

    Closed form for mode="circular" (`FourierTikhonov`); otherwise conjugate gradients on the normal
    equations from `x0` (default A^T y), at most `steps` iterations. The penalty filters act circularly on
    x's grid (for "valid", x is the photo extended by the kernel: H + kh - 1).
    """
    filters = penalty_filters(prior)
    y = tf.convert_to_tensor(y, tf.float32)
    if operator.mode == "circular":
        return FourierTikhonov(operator.kernel, tf.shape(y)[1:3], reg, filters)(y, targets)
    rhs = operator.adjoint(y)
    if targets is not None:
        rhs += reg * tf.add_n([convolve_adjoint(t, f, mode="circular") for f, t in zip(filters, targets)])

    def normal(x):
        penalty = tf.add_n([convolve_adjoint(convolve(x, f, mode="circular"), f, mode="circular")
                            for f in filters])
        return operator.adjoint(operator(x)) + reg * penalty

    return conjugate_gradient(normal, rhs, rhs if x0 is None else tf.convert_to_tensor(x0, tf.float32),
                              steps, tol)


def prox_l2(operator, z, y, gamma: float, **kwargs) -> tf.Tensor:
    """The proximal step of the data term: argmin_x 1/2 ||A x - y||^2 + 1 / (2 gamma) ||x - z||^2.

    `kwargs` as `tikhonov` (x0 defaults to z).
    """
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    kwargs.setdefault("x0", z)
    return tikhonov(operator, y, 1.0 / gamma, "identity", targets=[z], **kwargs)
