"""The latent image of blind kernel estimation: deconvolution under an L0 gradient prior.

    min_x ||k (*) x - y||^2 + lam ||grad x||_0        (circular model)

solved by half-quadratic splitting with an increasing penalty beta (Xu, Lu, Xu, Jia 2011, as used for
deblurring by Pan et al. 2014): the auxiliary gradients are hard-thresholded at sqrt(lam / beta), then x
has a closed form in the Fourier domain. The result is not a good photo: it keeps only strong, step-like
edges, which is what makes the kernel identifiable (Levin et al. 2009 show that a natural-image prior
alone prefers the blurry image, i.e. the delta kernel).
"""

from __future__ import annotations

import functools

import numpy as np

from tfdeblur.physics import periodic
from tfdeblur.physics.fourier import THREADED_FROM, centred_pad, in_threads, real_fft2, real_filter

KAPPA = 2.0  # beta's growth per iteration
BETA_MAX = 1e5  # beta at which the split is tight


def l0_latent(blurry: np.ndarray, kernel: np.ndarray, lam: float) -> np.ndarray:
    """Latent image (float64, `blurry`'s shape) of a periodic gray image under the L0 gradient prior.

    Args:
        blurry: HxW gray image, taken as periodic (edge-taper it first).
        kernel: the current kernel estimate (sums to 1).
        lam: weight of the L0 term (Pan et al.: 4e-3, decreasing over the iterations).
    """
    # Real FFTs (half the spectrum), and the gradients' part of the numerator as the FFT of their
    # divergence, conj(Dx) F(h) + conj(Dy) F(v) = F(Dx^T h + Dy^T v): two FFTs a step instead of three
    # complex ones, the same solution (to rounding), about 3x faster (issue 32: the blind default's time).
    # On large grids the threshold runs on blocks of rows and the solve between the FFTs' column passes,
    # on every core (`physics.fourier.in_threads`): the plain loop's values, bit for bit.
    y = np.asarray(blurry, np.float64)
    k_spec = real_fft2(centred_pad(kernel, y.shape))
    data_den = np.abs(k_spec) ** 2
    grad_den = _gradient_energy(y.shape)
    data_num = np.conj(k_spec) * real_fft2(y)
    x = y.copy()
    beta = 2.0 * lam
    while beta < BETA_MAX:
        divergence = np.empty_like(x)
        if x.size < THREADED_FROM:
            _thresholded_divergence(x, lam / beta, divergence, 0, x.shape[0])
        else:
            in_threads(x.shape[0], functools.partial(_thresholded_divergence, x, lam / beta, divergence))

        def solve(spectrum, columns, beta=beta):
            return (data_num[:, columns] + beta * spectrum) / (data_den[:, columns] + beta * grad_den[:, columns])

        x = real_filter(divergence, solve)
        beta *= KAPPA
    return x


def _thresholded_divergence(x: np.ndarray, threshold: float, out: np.ndarray, lo: int, hi: int) -> None:
    """Rows lo:hi of Dx^T h + Dy^T v, where (h, v) are x's circular forward differences with the pixels whose
    squared gradient is under `threshold` zeroed (the split's hard threshold). A row needs its neighbours'
    differences, so each block reads one row more on each side (wrapping round): any blocking gives the
    same values as the whole image at once, which lets the rows run in threads."""
    rows = np.arange(lo - 1, hi + 1) % x.shape[0]
    block = x[rows]
    h = (np.roll(block, -1, axis=1) - block)[:-1]  # rows lo - 1 .. hi - 1
    v = block[1:] - block[:-1]
    small = h**2 + v**2 < threshold
    h[small] = 0.0
    v[small] = 0.0
    out[lo:hi] = np.roll(h[1:], 1, axis=1) - h[1:] + v[:-1] - v[1:]


@functools.lru_cache(maxsize=16)
def _gradient_energy(shape) -> np.ndarray:
    """|F(Dx)|^2 + |F(Dy)|^2 of the forward differences on a periodic grid (the same for every call of an
    estimate's level: 30 or more calls a level)."""
    dx, dy = periodic.difference_filters(shape)
    energy = np.abs(real_fft2(dx)) ** 2 + np.abs(real_fft2(dy)) ** 2
    energy.flags.writeable = False
    return energy
