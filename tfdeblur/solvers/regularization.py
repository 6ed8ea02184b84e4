"""Choosing the regularisation weight of a non-blind deconvolution from the data: generalised cross-validation.

A weight set from the estimated noise level alone fails on real captures: their error is not only sensor
noise but also kernel error, saturation and compression, which no noise estimate sees (Levin's real
captures estimate sigma ~ 0.0017, yet need weights 3-30x above what that implies), and strongly blurred
images amplify that error the most. Generalised cross-validation (Golub, Heath & Wahba 1979) instead picks
the weight of the quadratic (Wiener, gradient-prior) problem that best predicts each pixel from the others:

    GCV(reg) = ||(I - A(reg)) y||^2 / trace(I - A(reg))^2,   A(reg) = K (K^T K + reg D^T D)^-1 K^T,

which on the edge-tapered, periodic model is diagonal in the Fourier domain, so the whole curve costs one
FFT. It sees the residual the data actually leave, whatever its cause, and the kernel's conditioning.
"""

from __future__ import annotations

import numpy as np

from tfdeblur.physics.boundaries import edge_taper
from tfdeblur.physics.fourier import numpy_otf

GCV_GRID = np.logspace(-6.0, 0.0, 61)


def gcv_weight(blurry, kernel, grid=GCV_GRID) -> float:
    """The gradient-prior Tikhonov weight minimising GCV for `blurry` (HxW or HxWxC) and its kernel.

    Example:
    >>> import numpy as np
    >>> from tfdeblur.physics import blur, degrade, motion_kernel
    >>> x = np.random.default_rng(0).random((64, 64)).astype("float32")
    >>> k = motion_kernel(9, 30)
    >>> quiet = gcv_weight(degrade(x, k, noise_sigma=0.001, mode="valid", seed=0), k)
    >>> noisy = gcv_weight(degrade(x, k, noise_sigma=0.05, mode="valid", seed=0), k)
    >>> bool(noisy > 10 * quiet)
    True
    """
    kernel = np.asarray(kernel, np.float64)
    array = np.asarray(blurry, np.float32)
    planes = array[None, ..., None] if array.ndim == 2 else np.moveaxis(array, -1, 0)[..., None]
    extended, _ = edge_taper(planes, kernel.astype(np.float32))
    y = extended.numpy()[..., 0].astype(np.float64)
    shape = y.shape[1:]
    spectra = np.fft.rfft2(y)
    power = np.sum(np.abs(spectra) ** 2, axis=0)
    k2 = np.abs(numpy_otf(kernel, shape)) ** 2
    d2 = (np.abs(numpy_otf(np.array([[-1.0, 1.0]]), shape)) ** 2
          + np.abs(numpy_otf(np.array([[-1.0], [1.0]]), shape)) ** 2)
    # rfft2 keeps half the spectrum: every column but the first (and the Nyquist one) stands for two.
    multiplicity = np.full(k2.shape, 2.0)
    multiplicity[:, 0] = 1.0
    if shape[1] % 2 == 0:
        multiplicity[:, -1] = 1.0
    scores = []
    for reg in grid:
        keep = reg * d2 / (k2 + reg * d2 + 1e-30)  # the diagonal of I - A(reg)
        scores.append(np.sum(multiplicity * keep**2 * power) / np.sum(multiplicity * keep) ** 2)
    return float(grid[int(np.argmin(scores))])
