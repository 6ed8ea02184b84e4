"""Classical deconvolution in TF and numpy ops: what inverts the blur of `tfdeblur.physics`.

Non-blind: Wiener, ADMM with iterative residual compensation (`irc`), the linear solvers they share
(`tikhonov`, `conjugate_gradient`, least-squares and Wiener inverse filters). Blind: kernel estimation
(L0 latent image, coarse to fine: `kernel_estimation`, `kernel_refine`) and per-region motion estimation.
"""

from tfdeblur.solvers.inverse_filters import separable_decomposition, wiener_inverse_kernel
from tfdeblur.solvers.least_squares_filters import irc_step_size, least_squares_inverse_filters
from tfdeblur.solvers.wiener import default_regularization, wiener, wiener_deconvolve

__all__ = [
    "default_regularization", "wiener", "wiener_deconvolve", "separable_decomposition", "wiener_inverse_kernel",
    "irc_step_size", "least_squares_inverse_filters",
]
