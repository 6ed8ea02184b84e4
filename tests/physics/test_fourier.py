import numpy as np
import pytest

from tfdeblur.physics import fourier
from tfdeblur.physics.fourier import fast_length


def _smooth(n: int) -> bool:
    for p in (2, 3, 5):
        while n % p == 0:
            n //= p
    return n == 1


def test_fast_length_is_the_next_length_with_factors_2_3_5():
    for n in range(1, 2000):
        m = fast_length(n)
        assert m >= n and _smooth(m)
        assert not any(_smooth(j) for j in range(n, m)), n
    assert (fast_length(317), fast_length(293), fast_length(269)) == (320, 300, 270)


@pytest.mark.parametrize("shape, pad_to", [((317, 317), None), ((293, 300), None), ((255, 62), (317, 317)),
                                           ((320, 320), None), ((40, 33), None), ((9, 7), (25, 19)),
                                           ((330, 320), (317, 317))])
def test_threaded_transforms_give_numpys_bits(shape, pad_to):
    """The kernel estimator turns rounding differences into other kernels: its transforms must be numpy's."""
    rng = np.random.default_rng(1)
    x = rng.random(shape)
    spectrum = fourier.real_fft2(x, pad_to)
    np.testing.assert_array_equal(spectrum, np.fft.rfft2(x, pad_to))
    grid = pad_to or shape
    np.testing.assert_array_equal(fourier.inverse_real_fft2(spectrum, grid), np.fft.irfft2(spectrum, s=grid))
    # The solvers invert spectra that are not the transform of a real image (ratios, |.|^2): numpy drops
    # the imaginary parts it cannot hold, and so must the threaded transform.
    odd = spectrum * rng.random(spectrum.shape) + 1j * rng.random(spectrum.shape)
    np.testing.assert_array_equal(fourier.inverse_real_fft2(odd, grid), np.fft.irfft2(odd, s=grid))


def test_large_grids_are_transformed_in_threads(monkeypatch):
    calls = []
    real = fourier.in_threads
    monkeypatch.setattr(fourier, "in_threads", lambda n, work: calls.append(n) or real(n, work))
    x = np.random.default_rng(2).random((317, 317))
    fourier.inverse_real_fft2(fourier.real_fft2(x), x.shape)
    fourier.real_fft2(x[:100, :100])
    assert calls == [317, 159, 159, 317]  # rows, columns; columns, rows; the small grid ran unthreaded


@pytest.mark.parametrize("shape", [(317, 300), (50, 60)])  # threaded, and small enough for numpy alone
def test_a_filter_combined_between_the_column_passes_gives_numpys_bits(shape):
    rng = np.random.default_rng(4)
    x = rng.random(shape)
    system = np.fft.rfft2(rng.random(shape))

    def solve(spectrum, columns):
        return spectrum / (system[:, columns] + 2.0)

    expected = np.fft.irfft2(solve(np.fft.rfft2(x), slice(None)), s=shape)
    np.testing.assert_array_equal(fourier.real_filter(x, solve), expected)


def test_work_in_threads_covers_every_row_once():
    seen = np.zeros(1001, int)

    def work(lo, hi):
        seen[lo:hi] += 1

    fourier.in_threads(1001, work)
    assert seen.min() == seen.max() == 1


def test_a_forked_child_makes_its_own_threads():
    """The parent's pool threads do not exist in a forked child (Beam, multiprocessing): it must not wait on them."""
    import multiprocessing

    x = np.random.default_rng(3).random((317, 317))
    fourier.real_fft2(x)  # the parent's pool exists
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        result = pool.apply_async(fourier.real_fft2, (x,))
        np.testing.assert_array_equal(result.get(timeout=60), np.fft.rfft2(x))
