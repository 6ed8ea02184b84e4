import numpy as np
import pytest

from tfdeblur.models.ircnet.data import nonuniform_pairs


def _first(ds):
    return next(iter(ds))


@pytest.mark.parametrize("field", ["bank", "smooth"])
def test_pairs_have_the_patch_shape_and_a_bounded_field(photo_folder, tiny_bank, field):
    files = sorted(photo_folder.glob("*.png"))
    (inputs, sharp) = _first(nonuniform_pairs(files, tiny_bank, 24, 3, field=field, training=False))
    blurry, motion = inputs["blurry"].numpy(), inputs["motion"].numpy()
    assert blurry.shape == sharp.shape == (3, 24, 24, 1) and motion.shape == (3, 24, 24, 2)
    assert 0.0 <= blurry.min() and blurry.max() <= 1.0
    assert 0.0 <= motion[..., 0].min() and motion[..., 0].max() <= tiny_bank.max_length + 1e-5
    if field == "bank":  # one motion per patch
        assert np.ptp(motion.reshape(3, -1, 2), axis=1).max() == 0.0


def test_targets_and_reproducibility(photo_folder, tiny_bank):
    files = sorted(photo_folder.glob("*.png"))

    def make(seed, target="image"):
        return nonuniform_pairs(files, tiny_bank, 24, 2, target=target, training=False, count=4, seed=seed)

    a, b, c = (_first(make(s))[0]["blurry"].numpy() for s in (0, 0, 1))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-3
    blurry, vector = _first(make(0, "motion"))
    assert vector.shape == (2, 24, 24, 2)
    assert sum(1 for _ in make(0).unbatch()) == 4


def test_field_error_changes_the_given_motion_not_the_blur(photo_folder, tiny_bank):
    files = sorted(photo_folder.glob("*.png"))

    def make(error):
        return _first(nonuniform_pairs(files, tiny_bank, 24, 4, field="bank", training=False, count=4,
                                       field_error=error))

    (exact, sharp), (wrong, sharp_wrong) = make((0.0, 0.0)), make((0.3, 10.0))
    np.testing.assert_array_equal(exact["blurry"].numpy(), wrong["blurry"].numpy())
    np.testing.assert_array_equal(sharp.numpy(), sharp_wrong.numpy())
    true, given = exact["motion"].numpy(), wrong["motion"].numpy()
    # One length factor and one turn per patch: the given field stays uniform, in the bank's range.
    assert np.ptp(given.reshape(4, -1, 2), axis=1).max() < 1e-4
    ratio = given[:, 0, 0, 0] / true[:, 0, 0, 0]
    turn = (given[:, 0, 0, 1] - true[:, 0, 0, 1] + 90.0) % 180.0 - 90.0
    unclipped = given[:, 0, 0, 0] < tiny_bank.max_length - 1e-4
    assert np.all(np.abs(np.log(ratio[unclipped])) > 1e-3) and np.all(np.abs(turn) > 1e-3)
    assert given[..., 0].max() <= tiny_bank.max_length + 1e-5
    assert np.all((0 <= given[..., 1]) & (given[..., 1] < 180))
    with pytest.raises(ValueError, match="field_error"):
        nonuniform_pairs(files, tiny_bank, 24, 4, field_error=(-0.1, 0.0))
