"""The blur physics shared by every method: kernels, the Blur operator, degradations, inverse filters."""

from tfdeblur.physics.blur import MODES, Blur, blur, convolve, convolve_adjoint
from tfdeblur.physics.degradations import (
    add_gaussian_noise,
    add_poisson_noise,
    degrade,
    estimate_noise_sigma,
    jpeg,
    saturate,
)
from tfdeblur.physics.fourier import centred_pad, gradient_spectrum_energy, kernel_spectrum, numpy_otf, otf
from tfdeblur.physics.inverse_filters import separable_decomposition, wiener_inverse_kernel
from tfdeblur.physics.kernels import (
    disk_kernel,
    embed_kernel,
    gaussian_kernel,
    kernel_from_spec,
    motion_kernel,
    trajectory_kernel,
)
from tfdeblur.physics.least_squares_filters import irc_step_size, least_squares_inverse_filters
from tfdeblur.physics.nonuniform import MotionBank, interpolation, nonuniform_blur, nonuniform_convolve

__all__ = [
    "MODES", "Blur", "blur", "convolve", "convolve_adjoint", "add_gaussian_noise", "add_poisson_noise",
    "degrade", "estimate_noise_sigma", "jpeg", "saturate", "gradient_spectrum_energy", "kernel_spectrum",
    "otf", "centred_pad", "numpy_otf", "separable_decomposition", "wiener_inverse_kernel", "disk_kernel",
    "embed_kernel", "gaussian_kernel", "kernel_from_spec", "motion_kernel", "trajectory_kernel",
    "irc_step_size", "least_squares_inverse_filters", "MotionBank", "interpolation", "nonuniform_blur",
    "nonuniform_convolve",
]
