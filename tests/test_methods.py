import numpy as np
import pytest

import tfdeblur
from tfdeblur import InputError, methods, physics


def test_deblur_api_keeps_shape(photo):
    k = physics.gaussian_kernel(1.0)
    for image in (photo, photo[..., 0], photo[..., :1]):
        out = tfdeblur.deblur(image, method="wiener", kernel=k)
        assert out.shape == image.shape and out.dtype == np.float32


def test_registry_errors(photo):
    with pytest.raises(InputError, match="unknown method"):
        tfdeblur.deblur(photo, method="nope")
    with pytest.raises(InputError, match="non-blind"):
        tfdeblur.deblur(photo, method="wiener")
    with pytest.raises(InputError, match="does not take"):
        tfdeblur.deblur(photo, method="wiener", kernel=physics.disk_kernel(2), iterations=5)
    with pytest.raises(InputError, match="smaller"):
        tfdeblur.deblur(photo[:5, :5], method="wiener", kernel=physics.disk_kernel(4))


def test_every_registered_method_is_importable():
    for name in methods.available():
        spec = methods.get(name)
        assert callable(methods.load(spec)), name
