import numpy as np
import pytest

from tfdeblur import InputError, physics


def second_moments(kernel):
    """Principal variances (ascending) and principal angle (deg, CCW from x, image y up) of a kernel."""
    rows, cols = np.mgrid[: kernel.shape[0], : kernel.shape[1]].astype(float)
    x = cols - (kernel.shape[1] - 1) / 2
    y = -(rows - (kernel.shape[0] - 1) / 2)
    mx, my = (kernel * x).sum(), (kernel * y).sum()
    cxx = (kernel * (x - mx) ** 2).sum()
    cyy = (kernel * (y - my) ** 2).sum()
    cxy = (kernel * (x - mx) * (y - my)).sum()
    values, vectors = np.linalg.eigh(np.array([[cxx, cxy], [cxy, cyy]]))
    angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1])) % 180
    return (mx, my), values, angle


ALL_KERNELS = [
    physics.motion_kernel(15, 30),
    physics.motion_kernel(4.3, 101),
    physics.trajectory_kernel(21, seed=5),
    physics.disk_kernel(7),
    physics.gaussian_kernel(1.7),
]


@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_kernels_are_normalised_nonnegative_and_odd(kernel):
    assert kernel.dtype == np.float32
    assert kernel.shape[0] % 2 == 1 and kernel.shape[1] % 2 == 1
    assert kernel.min() >= 0
    assert abs(float(kernel.sum()) - 1.0) < 1e-5


@pytest.mark.parametrize("length", [5, 9.5, 15, 25, 35])
@pytest.mark.parametrize("angle", [0, 17, 45, 90, 133, 172])
def test_motion_length_and_angle_recoverable_from_second_moments(length, angle):
    kernel = physics.motion_kernel(length, angle)
    (mx, my), (minor, major), principal = second_moments(kernel)
    assert abs(mx) < 1e-6 and abs(my) < 1e-6  # centred
    # A uniform segment of length L on a pixel grid has variance (L^2 - 1) / 12 along it; the tent
    # across it adds a little variance in both directions, hence the difference of eigenvalues.
    estimated_length = np.sqrt(12 * (major - minor) + 1)
    assert abs(estimated_length - length) < 0.6
    assert min(abs(principal - angle % 180), 180 - abs(principal - angle % 180)) < 0.5


def test_horizontal_odd_motion_lights_exactly_length_pixels():
    kernel = physics.motion_kernel(7, 0)
    assert kernel.shape == (7, 7)
    np.testing.assert_allclose(kernel[3], np.full(7, 1 / 7), atol=1e-7)
    assert kernel.sum() - kernel[3].sum() < 1e-7
    np.testing.assert_allclose(physics.motion_kernel(7, 90), kernel.T, atol=1e-7)


def test_short_motion_is_identity_and_motion_is_symmetric():
    assert physics.motion_kernel(1, 77).tolist() == [[1.0]]
    assert physics.motion_kernel(0, 0).tolist() == [[1.0]]
    k = physics.motion_kernel(12, 33)
    np.testing.assert_allclose(physics.motion_kernel(12, 213), k, atol=1e-7)
    np.testing.assert_allclose(k, k[::-1, ::-1], atol=1e-7)  # centred segments are point-symmetric


def test_motion_kernel_varies_continuously():
    a = physics.motion_kernel(11, 30, size=15)
    b = physics.motion_kernel(11, 30.5, size=15)
    c = physics.motion_kernel(11.2, 30, size=15)
    assert np.abs(a - b).sum() < 0.05
    assert np.abs(a - c).sum() < 0.05


def test_trajectory_is_seeded_centred_and_inside():
    a = physics.trajectory_kernel(25, seed=7)
    np.testing.assert_array_equal(a, physics.trajectory_kernel(25, seed=7))
    assert not np.array_equal(a, physics.trajectory_kernel(25, seed=8))
    (mx, my), _, _ = second_moments(a)
    assert abs(mx) < 0.05 and abs(my) < 0.05  # centred on its centroid
    assert a[0].sum() == 0 and a[-1].sum() == 0 and a[:, 0].sum() == 0 and a[:, -1].sum() == 0


def test_trajectories_vary_in_shape():
    # Real camera shake is not all straight lines: the minor/major variance ratio must spread out.
    ratios = []
    for seed in range(30):
        _, (minor, major), _ = second_moments(physics.trajectory_kernel(31, seed=seed))
        ratios.append(minor / major)
    assert min(ratios) < 0.1 and max(ratios) > 0.3


def test_disk_kernel_shape_and_symmetry():
    k = physics.disk_kernel(7)
    assert k.shape == (15, 15)
    np.testing.assert_allclose(k, k.T, atol=1e-7)
    np.testing.assert_allclose(k, k[::-1], atol=1e-7)
    # Interior pixels are fully covered and equal; the area matches pi r^2 pixels.
    assert abs(1.0 / k[7, 7] - np.pi * 49) < 1.0


def test_gaussian_kernel_variance():
    k = physics.gaussian_kernel(2.0)
    _, variances, _ = second_moments(k)
    np.testing.assert_allclose(variances, [4.0, 4.0], rtol=0.02)


@pytest.mark.parametrize("spec, shape", [("motion:9,45", None), ("trajectory:19,3", (19, 19)),
                                         ("disk:3", (7, 7)), ("gaussian:1", (7, 7))])
def test_kernel_from_spec(spec, shape):
    k = physics.kernel_from_spec(spec)
    assert abs(k.sum() - 1) < 1e-5
    if shape:
        assert k.shape == shape


@pytest.mark.parametrize("spec", ["motion:9", "motion:a,b", "disk:-1", "gaussian:-2", "trajectory:20,1",
                                  "no_such_kernel_file.npy", "motion:nan,3"])
def test_bad_kernel_specs(spec):
    with pytest.raises(InputError):
        physics.kernel_from_spec(spec)


def test_explicit_size_must_be_odd_and_large_enough():
    assert physics.motion_kernel(5, 0, size=9).shape == (9, 9)
    with pytest.raises(InputError):
        physics.motion_kernel(15, 0, size=8)
    with pytest.raises(InputError):
        physics.motion_kernel(15, 0, size=9)
