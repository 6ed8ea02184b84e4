import numpy as np
import pytest

from tfdeblur.physics import centred_pad, gaussian_kernel, motion_kernel
from tfdeblur.solvers.least_squares_filters import (
    compensation_spectrum,
    default_fft_size,
    gradient_filters,
    infinite_support_filters,
    inverse_filter_residual,
    irc_step_size,
    kernel_spectra,
    least_squares_inverse_filters,
)


def system(kernel, rho):
    return [kernel / np.sqrt(rho)] + gradient_filters()


@pytest.mark.parametrize(
    "kernel, rho", [(gaussian_kernel(1.0), 0.1), (motion_kernel(9, 30), 0.03), (motion_kernel(15, 100), 0.01)]
)
def test_filters_invert_the_system_within_the_truncation_bound(kernel, rho):
    """||delta - sum_i d_i * k_i||_2 <= sqrt(max_w S(w)) * ||t||_2, where t = the part of the exact
    (infinite-support) Fourier solution that the crop drops and S = sum_j |K_j|^2.

    Why: the exact filters satisfy sum_i D_i K_i = 1, so the residual's spectrum is sum_i T_i K_i; by
    Cauchy-Schwarz |sum_i T_i K_i| <= sqrt(sum_i |T_i|^2) sqrt(S), and Parseval turns that into the bound.
    """
    kernels = system(kernel, rho)
    size = 31
    filters = least_squares_inverse_filters(kernels, size)
    fft_size = default_fft_size(kernels, size)
    exact = infinite_support_filters(kernels, fft_size)
    tail = exact - np.stack([centred_pad(f, fft_size) for f in filters])
    energy = np.sum(np.abs(kernel_spectra(kernels, fft_size)) ** 2, axis=0)
    bound = np.sqrt(energy.max()) * np.linalg.norm(tail)
    residual = np.linalg.norm(inverse_filter_residual(kernels, filters))
    assert residual <= bound * (1 + 1e-9)
    assert residual < 0.5 * np.sqrt(energy.max()) * np.linalg.norm(exact)  # the crop keeps most of it


def test_residual_vanishes_as_the_support_grows():
    kernels = system(gaussian_kernel(1.0), 0.1)
    residuals = [
        np.linalg.norm(inverse_filter_residual(kernels, least_squares_inverse_filters(kernels, s)))
        for s in (7, 15, 31)
    ]
    assert residuals[0] > residuals[1] > residuals[2]
    assert residuals[2] < 1e-3


def test_filter_shapes_and_errors():
    kernels = system(motion_kernel(7, 0), 0.1)
    assert least_squares_inverse_filters(kernels, 15).shape == (3, 15, 15)
    with pytest.raises(ValueError, match="odd"):
        least_squares_inverse_filters(kernels, 14)
    with pytest.raises(ValueError, match="vanish"):
        least_squares_inverse_filters(gradient_filters(), 15)  # no filter sees the image's mean


def test_step_size_minimises_the_contraction():
    kernels = system(motion_kernel(9, 30), 0.03)
    filters = least_squares_inverse_filters(kernels, 15)
    tau, radius = irc_step_size(kernels, filters)
    p = compensation_spectrum(kernels, filters)
    assert radius == pytest.approx(np.abs(1 - tau * p).max(), rel=1e-9)
    for other in (0.5 * tau, 1.5 * tau):
        assert np.abs(1 - other * p).max() >= radius - 1e-12
    assert radius < 1
