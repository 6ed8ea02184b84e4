import numpy as np
import pytest

from tfdeblur.models.idc import DBlock, EBlock, FusionBlock, ResBlock, SubDeblur, SubTexture
from tfdeblur.testing import run_layer_test


def batch(rng, h, w, c):
    return rng.random((2, h, w, c)).astype(np.float32)


def test_res_block(rng):
    run_layer_test(ResBlock, {"filters": 4, "kernel_size": 3}, batch(rng, 9, 7, 4), (2, 9, 7, 4))


def test_res_block_rejects_channel_mismatch(rng):
    with pytest.raises(ValueError, match="input channels"):
        ResBlock(4)(batch(rng, 8, 8, 3))


@pytest.mark.parametrize("strides, expected", [(1, (2, 9, 7, 5)), (2, (2, 5, 4, 5))])
def test_e_block(rng, strides, expected):
    run_layer_test(EBlock, {"filters": 5, "kernel_size": 3, "strides": strides, "num_res_blocks": 1},
                   batch(rng, 9, 7, 6), expected)


@pytest.mark.parametrize("strides, expected", [(2, (2, 10, 8, 3)), (1, (2, 5, 4, 3))])
def test_d_block(rng, strides, expected):
    run_layer_test(DBlock, {"filters": 4, "out_filters": 3, "strides": strides, "kernel_size": 3},
                   batch(rng, 5, 4, 4), expected)


def test_sub_deblur(rng):
    run_layer_test(SubDeblur, {"channels": [3, 4, 5], "kernel_size": 3, "num_res_blocks": 1},
                   batch(rng, 12, 8, 6), (2, 12, 8, 3))


def test_sub_texture(rng):
    run_layer_test(SubTexture, {"filters": 4, "num_blocks": 2, "kernel_size": 3, "num_res_blocks": 1},
                   batch(rng, 7, 9, 6), (2, 7, 9, 4))


def test_fusion_block(rng):
    inputs = [batch(rng, 6, 5, 3), batch(rng, 6, 5, 4), batch(rng, 6, 5, 2)]
    run_layer_test(FusionBlock, {"filters": 4, "out_channels": 3, "kernel_size": 3}, inputs, (2, 6, 5, 3))


def test_fusion_is_a_residual_on_the_image(rng):
    fusion = FusionBlock(4, 3, kernel_size=3)
    image, features = batch(rng, 6, 5, 3), batch(rng, 6, 5, 4)
    fusion([image, features])
    fusion.set_weights([np.zeros_like(w) for w in fusion.get_weights()])
    np.testing.assert_array_equal(fusion([image, features]).numpy(), image)
