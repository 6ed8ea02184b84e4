"""The latent image of blind kernel estimation: deconvolution under an L0 gradient prior.

    min_x ||k (*) x - y||^2 + lam ||grad x||_0        (circular model)

solved by half-quadratic splitting with an increasing penalty beta (Xu, Lu, Xu, Jia 2011, as used for
deblurring by Pan et al. 2014): the auxiliary gradients are hard-thresholded at sqrt(lam / beta), then x
has a closed form in the Fourier domain. The result is not a good photo: it keeps only strong, step-like
edges, which is what makes the kernel identifiable (Levin et al. 2009 show that a natural-image prior
alone prefers the blurry image, i.e. the delta kernel).
"""

from __future__ import annotations

import numpy as np

from tfdeblur.physics import periodic

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
    k_spec = periodic.spectrum(kernel, y.shape)
    dx_spec, dy_spec = periodic.difference_spectra(y.shape)
    data_den = np.abs(k_spec) ** 2
    grad_den = np.abs(dx_spec) ** 2 + np.abs(dy_spec) ** 2
    data_num = np.conj(k_spec) * np.fft.fft2(y)
    x = y.copy()
    beta = 2.0 * lam
    while beta < BETA_MAX:
        h, v = periodic.differences(x)
        small = h**2 + v**2 < lam / beta
        h[small] = 0.0
        v[small] = 0.0
        grad_num = np.conj(dx_spec) * np.fft.fft2(h) + np.conj(dy_spec) * np.fft.fft2(v)
        x = np.real(np.fft.ifft2((data_num + beta * grad_num) / (data_den + beta * grad_den)))
        beta *= KAPPA
    return x
