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
