import numpy as np
import pytest

from tfdeblur.models.tiling import tiled_apply


@pytest.mark.parametrize("shape", [(300, 200, 3), (129, 500, 1), (64, 64, 3)])
def test_pointwise_functions_are_unchanged_by_tiling(rng, shape):
    image = rng.random(shape).astype(np.float32)
    np.testing.assert_allclose(tiled_apply(lambda b: np.sqrt(b), image, tile=128, overlap=16), np.sqrt(image),
                               atol=1e-6)


def test_local_filters_match_away_from_tile_borders_and_blend_without_seams(rng):
    from tfdeblur import physics

    image = rng.random((200, 260, 1)).astype(np.float32)
    kernel = physics.gaussian_kernel(1.0)  # 7x7: 3 px of context, well within the 24 px overlap

    def smooth(batch):
        return physics.convolve(batch, kernel, mode="same").numpy()

    whole = smooth(image[None])[0]
    tiled = tiled_apply(smooth, image, tile=96, overlap=24)
    assert np.abs(tiled - whole)[4:-4, 4:-4].max() < 1e-3


def test_tile_must_exceed_overlap():
    with pytest.raises(ValueError):
        tiled_apply(lambda b: b, np.zeros((300, 300, 1), np.float32), tile=32, overlap=16)
