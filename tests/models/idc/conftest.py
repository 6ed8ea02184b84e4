import numpy as np
import pytest

from tfdeblur import physics
from tfdeblur.models.idc import IDC

# Xavier output layer (the paper's init) so that outputs depend on every weight; the default starts at zero.
TINY = dict(channels=(4, 6, 8), texture_channels=4, fusion_channels=4, kernel_size=3, num_res_blocks=1,
            output_initializer="glorot_uniform")


@pytest.fixture
def tiny_idc():
    """A tiny IDC (same structure as the paper's, a few hundred weights) for fast tests."""

    def make(**overrides):
        return IDC(**{**TINY, **overrides})

    return make


@pytest.fixture(scope="module")
def blur_pairs():
    """16 (blurry, sharp) 48x48 RGB pairs: crops of the bundled photo blurred with a linear motion."""
    from tfdeblur.tasks.demo import demo_image

    photo = demo_image()
    kernel = physics.motion_kernel(7, 30)
    side, margin = 48 + kernel.shape[0] - 1, (kernel.shape[0] - 1) // 2
    sharp, blurry = [], []
    for i in range(16):
        top, left = (i * 37) % 190, (i * 53) % 190
        crop = photo[top:top + side, left:left + side]
        blurry.append(physics.blur(crop, kernel, mode="valid"))
        sharp.append(crop[margin:margin + 48, margin:margin + 48])
    return np.stack(blurry).astype(np.float32), np.stack(sharp).astype(np.float32)
