import pytest

from tfdeblur.physics.nonuniform import MotionBank

# A small bank keeps the family's tests fast: lengths 1..9, angles every 30 degrees (25 motions).
TINY = dict(max_length=9, length_step=2, angle_step=30)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("TFDEBLUR_CACHE", str(tmp_path_factory.getbasetemp() / "tfdeblur_cache"))


@pytest.fixture(scope="session")
def tiny_bank():
    return MotionBank(**TINY)


@pytest.fixture
def tiny_ircnet():
    """Factory of small IRC-Nets on the tiny bank (keyword arguments override)."""
    from tfdeblur.models.ircnet import IRCNet

    def make(**kwargs):
        options = dict(stages=2, inner=1, filter_size=9, **TINY)
        options.update(kwargs)
        return IRCNet(**options)

    return make


@pytest.fixture(scope="session")
def photo_folder(tmp_path_factory, photo):
    """Eight 96x96 crops of the bundled photo as PNG files (a tiny training set)."""
    from tfdeblur import io

    folder = tmp_path_factory.mktemp("photos")
    for i in range(8):
        r, c = divmod(i, 4)
        io.write_image(folder / f"crop{i}.png", photo[r * 128 : r * 128 + 96, c * 64 : c * 64 + 96])
    return folder
