import numpy as np

from tfdeblur.physics.nonuniform import MotionBank
from tfdeblur.solvers.inverse_filter_bank import inverse_filter_bank

SMALL = MotionBank(max_length=9, length_step=2, angle_step=30)


def test_inverse_filter_bank_is_cached_atomically(tmp_path, monkeypatch):
    monkeypatch.setenv("TFDEBLUR_CACHE", str(tmp_path))
    filters, taus, radii = inverse_filter_bank(SMALL, rho=0.1, size=9)
    assert filters.shape == (len(SMALL), 9, 9, 3) and taus.shape == radii.shape == (len(SMALL),)
    files = list(tmp_path.glob("irc_inverse_bank-*.npz"))
    assert len(files) == 1 and not list(tmp_path.glob(".*"))  # no temporary left behind
    stamp = files[0].stat().st_mtime_ns
    again = inverse_filter_bank(SMALL, rho=0.1, size=9)
    assert files[0].stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(again[0], filters)
    inverse_filter_bank(SMALL, rho=0.2, size=9)
    assert len(list(tmp_path.glob("irc_inverse_bank-*.npz"))) == 2  # keyed by the parameters
    files[0].write_bytes(b"damaged")
    np.testing.assert_array_equal(inverse_filter_bank(SMALL, rho=0.1, size=9)[0], filters)
