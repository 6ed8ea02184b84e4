"""Classical non-blind deconvolution in TF ops."""

from tfdeblur.solvers.wiener import default_regularization, wiener, wiener_deconvolve

__all__ = ["default_regularization", "wiener", "wiener_deconvolve"]
