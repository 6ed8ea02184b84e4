"""Blur that varies across the frame: the camera-motion fit, the kernel grid and the blended finish."""

import math

import numpy as np
import pytest

from tfdeblur import io
from tfdeblur.models.blind import BlindOptions
from tfdeblur.models.blind import camera_motion as cm
from tfdeblur.models.blind import nonuniform as nu

SHAPE = (512, 768)
CENTRE = ((SHAPE[0] - 1) / 2, (SHAPE[1] - 1) / 2)


def shake(seed=0, samples=40):
    """A camera path: (angles in radians, row shifts, column shifts) along a smooth random curve."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, samples)
    path = []
    for limit in (math.radians(1.2), 6.0, 6.0):
        curve = rng.uniform(-1, 1) * t + rng.uniform(-1, 1) * np.sin(np.pi * t + rng.uniform(0, 2 * np.pi))
        curve -= curve.mean()
        path.append(limit * curve / np.abs(curve).max())
    return path


def true_kernel(point, path, side=41):
    """The kernel at `point`: where each instant of the path moves it, splatted bilinearly."""
    k = np.zeros((side, side))
    for angle, dy, dx in zip(*path):
        my, mx = cm.displacement(angle, point, CENTRE)
        k += cm._shift(_delta(side), my + dy, mx + dx)
    return k / k.sum()


def _delta(side):
    d = np.zeros((side, side))
    d[side // 2, side // 2] = 1.0
    return d


def l1(a, b):
    """Distance between two kernels up to a shift: both centred on their centre of mass, same support."""
    from tfdeblur.physics.kernel_support import pad_kernel, recentre_kernel

    side = max(a.shape + b.shape)
    return float(np.abs(recentre_kernel(pad_kernel(a, side)) - recentre_kernel(pad_kernel(b, side))).sum())


def test_displacement_is_a_rotation_about_the_centre():
    assert cm.displacement(0.3, CENTRE, CENTRE) == pytest.approx((0.0, 0.0), abs=1e-9)
    dy, dx = cm.displacement(math.radians(1.0), (CENTRE[0], CENTRE[1] + 300), CENTRE)
    assert abs(dy) == pytest.approx(300 * math.sin(math.radians(1.0)), rel=1e-6)  # an arc across the ray
    assert abs(dx) < 0.05


def test_shift_adjoint_is_exact():
    rng = np.random.default_rng(1)
    x, y = rng.random((21, 21)), rng.random((21, 21))
    for dy, dx in ((0.3, -1.7), (2.0, 0.5), (-3.25, 4.75)):
        assert np.sum(cm._shift(x, dy, dx) * y) == pytest.approx(np.sum(x * cm._shift_adjoint(y, dy, dx)))


@pytest.mark.slow  # ~12 s: five regions' kernels estimated
def test_the_fitted_motion_predicts_kernels_where_none_was_measured():
    path = shake()
    fit_points = [(128, 128), (128, 384), (128, 640), (384, 128), (384, 384), (384, 640)]
    motion = cm.fit_camera_motion([true_kernel(p, path) for p in fit_points], fit_points, CENTRE)
    predicted, nearest = [], []
    for point in ((40, 40), (470, 730), (256, 250)):  # corners and a point between the measured ones
        truth = true_kernel(point, path)
        predicted.append(l1(motion.kernel_at(point), truth))
        nearest.append(min(l1(true_kernel(p, path), truth) for p in fit_points))
    # Better than the nearest measured kernel (0.42 against 0.73 when written).
    assert np.mean(predicted) < 0.7 * np.mean(nearest), (predicted, nearest)


def test_tents_sum_to_one():
    weights = nu._tents(300, [40, 150, 260])
    np.testing.assert_allclose(weights.sum(axis=0), 1.0)
    assert weights[0, 0] == 1.0 and weights[2, -1] == 1.0 and weights[1, 150] == 1.0


def test_a_grid_of_equal_kernels_finishes_like_one_kernel(gray_photo):
    from tfdeblur import physics
    from tfdeblur.models.blind.finish import nonblind

    kernel = physics.motion_kernel(9, 30).astype(np.float32)
    photo = np.tile(gray_photo, (2, 2))[:300, :400]
    blurry = physics.blur(photo, kernel, mode="same")
    grid = nu.KernelGrid(2, 3, blurry.shape, [kernel] * 6, [], [True] * 6)
    for index in range(6):
        top, left, bottom, right = grid.cell_bounds(index)
        grid.centres.append(((top + bottom) // 2, (left + right) // 2))
    options = BlindOptions()
    blended = nu.nonuniform_finish(blurry, grid, options, 2e-3)
    whole = nonblind(blurry, kernel, options, 2e-3)
    inner = (slice(20, -20), slice(20, -20))
    assert np.abs(blended[inner] - whole[inner]).mean() < 2e-3


def test_the_kernel_mosaic_shows_every_region():
    kernels = [np.full((3, 3), 1 / 9, np.float32), np.pad(np.ones((1, 1), np.float32), 1)]
    grid = nu.KernelGrid(1, 2, (100, 200), kernels, [(50, 50), (50, 150)], [True, True])
    stacked = grid.stacked()
    assert stacked.shape == (1, 2, 3, 3) and np.allclose(stacked.sum(axis=(2, 3)), 1.0)
    picture = io.kernel_mosaic(stacked)
    assert picture.shape == (3, 8) and picture.max() == 1.0
    assert picture[:, :3].sum() == pytest.approx(9.0) and picture[:, 5:].sum() == pytest.approx(1.0)


def test_options_refuse_an_unknown_nonuniform_mode():
    from tfdeblur.errors import InputError

    with pytest.raises(InputError, match="nonuniform"):
        BlindOptions(nonuniform="maybe")
