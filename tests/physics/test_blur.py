import numpy as np
import pytest
import scipy.signal
import tensorflow as tf

from tfdeblur import InputError, physics
from tfdeblur.physics import Blur, convolve, convolve_adjoint

MODE_PADDINGS = [("valid", "zeros"), ("same", "zeros"), ("same", "reflect"), ("same", "symmetric"),
                 ("circular", "zeros")]


def random_kernels(rng, count, shape=(7, 5)):
    k = rng.random((count,) + shape)
    return k / k.sum(axis=(1, 2), keepdims=True)


@pytest.mark.parametrize("mode, padding", MODE_PADDINGS)
@pytest.mark.parametrize("method", ["direct", "fft"])
@pytest.mark.parametrize("per_image", [False, True])
def test_adjointness(rng, mode, padding, method, per_image):
    kernel = random_kernels(rng, 3) if per_image else random_kernels(rng, 1)[0]
    op = Blur(tf.constant(kernel), mode=mode, padding=padding, method=method)
    x = tf.constant(rng.normal(size=(3, 23, 19, 2)))
    ax = op(x)
    y = tf.constant(rng.normal(size=ax.shape))
    aty = op.adjoint(y)
    assert aty.shape == x.shape
    lhs = float(tf.reduce_sum(ax * y))
    rhs = float(tf.reduce_sum(x * aty))
    assert abs(lhs - rhs) <= 1e-10 * max(abs(lhs), 1.0)


@pytest.mark.parametrize("kernel_shape", [(9, 9), (4, 6), (1, 1), (15, 3)])
def test_valid_output_size_and_scipy_agreement(rng, kernel_shape):
    kernel = random_kernels(rng, 1, kernel_shape)[0]
    image = rng.random((40, 33))
    for method in ("direct", "fft"):
        out = physics.blur(image, kernel, mode="valid", method=method)
        assert out.shape == (40 - kernel_shape[0] + 1, 33 - kernel_shape[1] + 1)
        np.testing.assert_allclose(out, scipy.signal.convolve2d(image, kernel, "valid"), atol=2e-6)
        same = physics.blur(image, kernel, mode="same", padding="zeros", method=method)
        np.testing.assert_allclose(same, scipy.signal.convolve2d(image, kernel, "same"), atol=2e-6)


def test_same_reflect_is_valid_blur_of_mirrored_image(rng):
    kernel = random_kernels(rng, 1, (7, 7))[0]
    image = rng.random((30, 30))
    padded = np.pad(image, 3, mode="reflect")
    expected = scipy.signal.convolve2d(padded, kernel, "valid")
    np.testing.assert_allclose(physics.blur(image, kernel, mode="same"), expected, atol=2e-6)


def test_circular_matches_periodic_convolution(rng):
    kernel = random_kernels(rng, 1, (5, 5))[0]
    image = rng.random((16, 20))
    tiled = np.tile(image, (3, 3))
    expected = scipy.signal.convolve2d(tiled, kernel, "same")[16:32, 20:40]
    np.testing.assert_allclose(physics.blur(image, kernel, mode="circular"), expected, atol=2e-6)


@pytest.mark.parametrize("mode", ["valid", "same", "circular"])
def test_per_image_kernels_in_a_batch(rng, mode):
    kernels = np.stack([physics.motion_kernel(7, a, size=9) for a in (0, 45, 90)])
    images = rng.random((3, 24, 24, 3)).astype(np.float32)
    batch = convolve(images, kernels, mode=mode).numpy()
    for i in range(3):
        single = convolve(images[i:i + 1], kernels[i], mode=mode).numpy()
        np.testing.assert_allclose(batch[i], single[0], atol=1e-6)
    assert not np.allclose(batch[0], batch[1])


def test_direct_and_fft_paths_agree_on_large_kernels(rng):
    kernel = physics.trajectory_kernel(41, seed=2)
    images = rng.random((2, 96, 80, 1)).astype(np.float32)
    for mode in ("valid", "same"):
        direct = convolve(images, kernel, mode=mode, method="direct")
        fft = convolve(images, kernel, mode=mode, method="fft")
        np.testing.assert_allclose(direct.numpy(), fft.numpy(), atol=1e-5)
        np.testing.assert_allclose(convolve_adjoint(direct, kernel, mode=mode, method="direct").numpy(),
                                   convolve_adjoint(fft, kernel, mode=mode, method="fft").numpy(), atol=1e-5)


def test_xla_compiled_blur_matches_eager(rng):
    kernel = tf.constant(random_kernels(rng, 2, (9, 9)), tf.float32)
    images = tf.constant(rng.random((2, 32, 32, 3)), tf.float32)

    @tf.function(jit_compile=True)
    def forward_adjoint(x, k):
        return convolve_adjoint(convolve(x, k, mode="same"), k, mode="same")

    np.testing.assert_allclose(forward_adjoint(images, kernel).numpy(),
                               convolve_adjoint(convolve(images, kernel, mode="same"), kernel,
                                                mode="same").numpy(), atol=1e-5)


def test_blur_keeps_numpy_layouts():
    k = physics.disk_kernel(2)
    assert physics.blur(np.ones((20, 21), np.float32), k).shape == (20, 21)
    assert physics.blur(np.ones((20, 21, 3), np.float32), k, mode="valid").shape == (16, 17, 3)
    out = physics.blur(np.full((20, 21, 3), 0.3, np.float32), k)
    np.testing.assert_allclose(out, 0.3, atol=1e-6)  # a normalised kernel preserves flat images


def test_bad_arguments():
    with pytest.raises(ValueError):
        Blur(np.ones((3, 3)) / 9, mode="full")
    with pytest.raises(ValueError):
        convolve(np.ones((1, 8, 8, 1), np.float32), np.ones((3, 3)) / 9, padding="edge")


@pytest.mark.parametrize("taps", [[[-1.0, 1.0]], [[-1.0], [1.0]], [[-1.0, 2.0, -1.0]], [[-1.0, 1.0], [1.0, -1.0]],
                                  [[0.1, 0.2, 0.3], [0.0, 0.5, 0.1], [0.2, 0.0, 0.4]]])
def test_small_circular_kernels_take_a_direct_path_equal_to_the_fft_one(rng, taps):
    import tensorflow as tf

    from tfdeblur.physics import otf
    from tfdeblur.physics.blur import _fft_filter

    kernel = np.asarray(taps, np.float32)
    x = tf.constant(rng.random((2, 9, 11, 3)).astype(np.float32))
    y = tf.constant(rng.random((2, 9, 11, 3)).astype(np.float32))
    spectrum = otf(kernel, (9, 11))
    expected = _fft_filter(x, spectrum).numpy(), _fft_filter(y, tf.math.conj(spectrum)).numpy()
    for k in (kernel, tf.constant(kernel)):  # numpy (static taps) and tensor kernels
        np.testing.assert_allclose(physics.convolve(x, k, mode="circular").numpy(), expected[0], atol=1e-5)
        np.testing.assert_allclose(physics.convolve_adjoint(y, k, mode="circular").numpy(), expected[1], atol=1e-5)
    graph = tf.function(lambda v: physics.convolve(v, tf.constant(kernel), mode="circular"))
    np.testing.assert_allclose(graph(x).numpy(), expected[0], atol=1e-5)
    variable = tf.Variable(kernel)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(physics.convolve(x, variable, mode="circular") ** 2)
    assert tape.gradient(loss, variable) is not None  # a trained filter still gets its gradient


def test_numpy_otf_is_the_tf_otf_and_kernels_embed_centred():
    """The numpy twins used for filter design agree with the TF ops; an even kernel keeps its centre."""
    kernel = physics.motion_kernel(8, 30)
    np.testing.assert_allclose(physics.numpy_otf(kernel, (20, 17)), physics.otf(kernel, (20, 17)).numpy(),
                               atol=1e-6)
    embedded = physics.embed_kernel(kernel, 15)
    assert embedded.shape == (15, 15) and embedded.sum() == pytest.approx(1.0)
    x = np.random.default_rng(0).random((30, 30)).astype(np.float32)
    np.testing.assert_allclose(physics.blur(x, embedded, mode="circular"), physics.blur(x, kernel, mode="circular"),
                               atol=1e-5)
    with pytest.raises(InputError):
        physics.embed_kernel(kernel, 5)


@pytest.mark.parametrize("kh, kw", [(7, 7), (8, 5), (1, 4)])
def test_same_pads_turn_valid_into_same(kh, kw):
    from tfdeblur.physics.blur import same_pads

    kernel = np.random.default_rng(kh * kw).random((kh, kw)).astype(np.float32)
    x = np.random.default_rng(1).random((1, 16, 16, 1)).astype(np.float32)
    (top, bottom), (left, right) = same_pads(kh, kw)
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), mode="wrap")
    np.testing.assert_allclose(physics.convolve(padded, kernel, mode="valid").numpy(),
                               physics.convolve(x, kernel, mode="circular").numpy(), atol=1e-5)
