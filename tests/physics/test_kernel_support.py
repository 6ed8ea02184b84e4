"""Kernel support operations: resample, recentre, trim keep a valid, centred convolution kernel."""

import numpy as np

from tfdeblur.physics import kernel_support as ks


def test_resize_and_recentre_keep_a_valid_kernel():
    k = np.zeros((9, 9), np.float32)
    k[1, 1:4] = 1.0  # mass near a corner
    centred = ks.recentre_kernel(k)
    rows, cols = np.indices(k.shape)
    assert abs((rows * centred).sum() - 4) < 0.5 and abs((cols * centred).sum() - 4) < 0.5
    big = ks.resize_kernel(centred, (17, 17))
    assert big.shape == (17, 17) and big.min() >= 0 and abs(big.sum() - 1) < 1e-6


def test_trim_drops_empty_border_and_keeps_the_blur():
    k = np.zeros((21, 21), np.float32)
    k[7:14, 10] = 1.0 / 7
    trimmed = ks.trim_kernel(k)
    assert trimmed.shape[0] % 2 == 1 and trimmed.shape[0] >= 7 and trimmed.shape[1] == 3
    assert abs(trimmed.sum() - 1) < 1e-6


def test_odd_and_normalize():
    assert [ks.odd(v) for v in (0, 4, 5, 6.4, 8.6)] == [3, 5, 5, 7, 9]
    assert ks.normalize_kernel(np.zeros((3, 3))).sum() == np.float32(1.0)
    assert ks.normalize_kernel(np.array([[-1.0, 3.0]])).tolist() == [[0.0, 1.0]]


def test_within_reach_is_the_box_of_the_footprint_around_each_masked_pixel():
    mask = np.zeros((9, 11), bool)
    mask[4, 5] = True
    reach = ks.within_reach(mask, (3, 5))
    assert reach.dtype == bool and reach.sum() == 15
    assert reach[3:6, 3:8].all() and not reach[2].any() and not reach[:, 2].any()
    assert not ks.within_reach(np.zeros((4, 4), bool), (3, 3)).any()
