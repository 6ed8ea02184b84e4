"""Least-squares inverse filters of a set of kernels (Eboli et al. 2018, Eq. 10-14).

Given kernels k_0 ... k_n (a blur kernel and the prior's filters), the inverse filters d_0 ... d_n are the
minimal-norm solution of sum_i d_i * k_i = delta. On a periodic grid every operator is diagonal in the
Fourier domain, so Eq. 14 reads D_i = conj(K_i) / sum_j |K_j|^2; the filters are then cropped to a finite
support (31 x 31 by default). Iterative residual compensation (IRC) repeats

    x <- x + tau * sum_i d_i * (z_i - k_i * x)

whose error is multiplied by H = delta - tau * sum_i d_i * k_i at every step: it converges linearly with
rate rho(H) = max_w |1 - tau P(w)|, P = sum_i D_i K_i, whenever that spectral radius is < 1. Cropping
makes P differ from 1; `irc_step_size` picks the damping tau that minimises rho(H).
"""

from __future__ import annotations

import numpy as np

from tfdeblur.physics.fourier import centred_pad


def _crop_centred(grid: np.ndarray, size: int) -> np.ndarray:
    half = (size - 1) // 2
    return np.roll(grid, (half, half), axis=(-2, -1))[..., :size, :size]


def default_fft_size(kernels, size: int) -> int:
    """Power of two >= 2 * size + the largest kernel: the crop is then not aliased by periodicity."""
    largest = max(max(np.shape(k)) for k in kernels)
    return int(2 ** np.ceil(np.log2(2 * size + largest)))


def gradient_filters() -> list[np.ndarray]:
    """The horizontal and vertical first-difference filters [-1, 1] and [-1, 1]^T of the sparse prior."""
    return [np.array([[-1.0, 1.0]]), np.array([[-1.0], [1.0]])]


def kernel_spectra(kernels, fft_size: int) -> np.ndarray:
    """(n + 1, F, F) complex spectra of the centred kernels on an F x F grid."""
    return np.stack([np.fft.fft2(centred_pad(k, fft_size)) for k in kernels])


def least_squares_inverse_filters(
    kernels, size: int = 31, fft_size: int | None = None, eps: float = 0.0
) -> np.ndarray:
    """Inverse filters d_i with sum_i d_i * k_i ~ delta (Eq. 13-14), solved in Fourier and cropped.

    Args:
        kernels: sequence of 2-D kernels k_0 ... k_n (any odd or even sizes; each centred at (k - 1) // 2).
            Their spectra must not vanish together at any frequency (e.g. a blur kernel summing to 1 and
            difference filters: the blur covers DC, the differences every other frequency).
        size: odd side of the returned filters.
        fft_size: grid of the Fourier solve (default `default_fft_size`).
        eps: Tikhonov term added to sum_j |K_j|^2 (0 = the exact minimal-norm solution).

    Returns:
        float64 (n + 1, size, size), filter i centred at ((size - 1) // 2, (size - 1) // 2).

    Example:
    >>> from tfdeblur.physics import motion_kernel
    >>> k = [motion_kernel(9, 30) / 0.1] + gradient_filters()
    >>> least_squares_inverse_filters(k, size=15).shape
    (3, 15, 15)
    """
    if size % 2 == 0 or size < 1:
        raise ValueError(f"inverse filter size must be a positive odd number, got {size}")
    kernels = [np.asarray(k, np.float64) for k in kernels]
    fft_size = fft_size or default_fft_size(kernels, size)
    spectra = kernel_spectra(kernels, fft_size)
    energy = np.sum(np.abs(spectra) ** 2, axis=0) + eps
    if energy.min() <= 1e-12 * energy.max():
        raise ValueError("the kernels' spectra vanish together at some frequency: no inverse filters exist")
    filters = np.real(np.fft.ifft2(np.conj(spectra) / energy))
    return _crop_centred(filters, size)


def infinite_support_filters(kernels, fft_size: int) -> np.ndarray:
    """The uncropped Fourier solution of Eq. 14 on an F x F grid (origin-centred, for diagnostics)."""
    spectra = kernel_spectra(kernels, fft_size)
    return np.real(np.fft.ifft2(np.conj(spectra) / np.sum(np.abs(spectra) ** 2, axis=0)))


def compensation_spectrum(kernels, filters, fft_size: int | None = None) -> np.ndarray:
    """P(w) = sum_i D_i(w) K_i(w): the spectrum of sum_i d_i * k_i (1 everywhere for exact filters)."""
    fft_size = fft_size or default_fft_size(kernels, int(np.shape(filters)[-1]))
    spectra = kernel_spectra(kernels, fft_size)
    filter_spectra = kernel_spectra(list(filters), fft_size)
    return np.sum(filter_spectra * spectra, axis=0)


def inverse_filter_residual(kernels, filters) -> np.ndarray:
    """delta - sum_i d_i * k_i as a linear convolution.

    Returned on a periodic grid large enough that nothing wraps around, origin at index (0, 0), so its
    norms are those of the linear residual.
    """
    size = int(np.shape(filters)[-1])
    largest = max(max(np.shape(k)) for k in kernels)
    grid = int(2 ** np.ceil(np.log2(size + largest + 1)))
    residual = -np.real(np.fft.ifft2(compensation_spectrum(kernels, filters, grid)))
    residual[0, 0] += 1.0
    return residual


def irc_step_size(kernels, filters, fft_size: int | None = None) -> tuple[float, float]:
    """(tau, rho): the damping minimising the IRC contraction rho = max_w |1 - tau P(w)|, and that rho.

    rho < 1 means Alg. 2.1 converges linearly; rho >= 1 means these filters (at this size) cannot drive it
    to the solution at every frequency (use a larger `size`).
    """
    p = compensation_spectrum(kernels, filters, fft_size).ravel()
    taus = np.linspace(0.02, 2.0, 100)
    radii = np.array([np.abs(1.0 - t * p).max() for t in taus])
    best = int(np.argmin(radii))
    # Refine around the coarse optimum.
    fine = np.linspace(taus[max(best - 1, 0)], taus[min(best + 1, len(taus) - 1)], 41)
    fine_radii = np.array([np.abs(1.0 - t * p).max() for t in fine])
    best = int(np.argmin(fine_radii))
    return float(fine[best]), float(fine_radii[best])
