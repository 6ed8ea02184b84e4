"""tfdeblur: image deblurring in TensorFlow/Keras.

Importing the package is cheap: TensorFlow is only loaded when a submodule that needs it is used.
"""

__version__ = "0.1.0"

from tfdeblur.errors import InputError  # noqa: E402


def deblur(image, method=None, kernel=None, **options):
    """Deblur one image.

    Args:
        image: float array HxW or HxWxC (C = 1 or 3) with values in [0, 1].
        method: one of `tfdeblur.methods.available()` ("blind", "wiener", "idc", "selfdeblur", "odcnn",
            "ircnet"); default `tfdeblur.methods.DEFAULT_METHOD`, "blind": a kernel estimated coarse to fine,
            checked, and a non-blind finish; seconds for a small photo on a CPU.
        kernel: the blur kernel (2-D, non-negative, sums to 1) for non-blind methods (an ODCNN preset given
            as `model` brings its own); ignored by blind ones.
        **options: method options (e.g. `iterations`, `model`, `tile`, `seed`).

    Returns:
        The deblurred image, float32 with the input's shape, values in [0, 1].

    Example:
    >>> import numpy as np, tfdeblur
    >>> from tfdeblur import physics
    >>> k = physics.motion_kernel(9, 30)
    >>> sharp = np.random.default_rng(0).random((64, 64)).astype("float32")
    >>> x = tfdeblur.deblur(physics.blur(sharp, k, mode="same"), method="wiener", kernel=k)
    >>> x.shape
    (64, 64)
    """
    from tfdeblur import methods

    return methods.run(image, method=method or methods.DEFAULT_METHOD, kernel=kernel, **options).image


__all__ = ["InputError", "deblur", "__version__"]
