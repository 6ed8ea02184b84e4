"""The blur physics shared by every method: the operators (kernels, the Blur operator, non-uniform blur,
degradations, boundaries, Fourier helpers). What inverts them (Tikhonov, CG, inverse filters) is in solvers."""

from tfdeblur.physics.blur import MODES, Blur, blur, convolve, convolve_adjoint
from tfdeblur.physics.degradations import (
    add_gaussian_noise,
    add_poisson_noise,
    degrade,
    estimate_noise_sigma,
    jpeg,
    saturate,
    to_display,
    to_linear_light,
)
from tfdeblur.physics.fourier import centred_pad, gradient_spectrum_energy, kernel_spectrum, numpy_otf, otf
from tfdeblur.physics.kernels import (
    disk_kernel,
    embed_kernel,
    gaussian_kernel,
    kernel_from_spec,
    motion_kernel,
    trajectory_kernel,
)
from tfdeblur.physics.nonuniform import MotionBank, interpolation, nonuniform_blur, nonuniform_convolve

__all__ = [
    "MODES", "Blur", "blur", "convolve", "convolve_adjoint", "add_gaussian_noise", "add_poisson_noise",
    "degrade", "estimate_noise_sigma", "jpeg", "saturate", "to_display", "to_linear_light",
    "gradient_spectrum_energy", "kernel_spectrum",
    "otf", "centred_pad", "numpy_otf", "disk_kernel", "embed_kernel", "gaussian_kernel", "kernel_from_spec",
    "motion_kernel", "trajectory_kernel", "MotionBank", "interpolation", "nonuniform_blur", "nonuniform_convolve",
]
