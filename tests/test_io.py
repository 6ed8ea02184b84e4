import os

import cv2
import numpy as np
import pytest

from tfdeblur import InputError, io


@pytest.mark.parametrize("ext", [".png", ".tif", ".bmp"])
@pytest.mark.parametrize("channels", [1, 3])
def test_lossless_round_trip_8bit(tmp_path, rng, ext, channels):
    shape = (17, 23) if channels == 1 else (17, 23, 3)
    image = rng.integers(0, 256, shape).astype(np.float32) / 255
    path = io.write_image(tmp_path / f"x{ext}", image)
    back, depth = io.read_image(path, return_bit_depth=True)
    assert depth == 8 and back.shape == shape and back.dtype == np.float32
    np.testing.assert_allclose(back, image, atol=1e-7)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_sixteen_bit_round_trip_keeps_precision(tmp_path, rng, ext):
    image = rng.integers(0, 65536, (9, 11, 3)).astype(np.float32) / 65535
    path = io.write_image(tmp_path / f"x{ext}", image, bit_depth=16)
    back, depth = io.read_image(path, return_bit_depth=True)
    assert depth == 16
    np.testing.assert_allclose(back, image, atol=1e-6)
    assert len(np.unique(np.round(back * 65535))) > 256  # really more than 8 bits


def test_rgb_order_and_alpha_dropped(tmp_path):
    bgra = np.zeros((4, 5, 4), np.uint8)
    bgra[..., 2] = 255  # red in OpenCV's BGR order
    bgra[..., 3] = 128
    cv2.imwrite(str(tmp_path / "rgba.png"), bgra)
    image = io.read_image(tmp_path / "rgba.png")
    assert image.shape == (4, 5, 3)
    np.testing.assert_allclose(image[0, 0], [1.0, 0.0, 0.0])


def test_jpeg_is_read_close(tmp_path, photo):
    io.write_image(tmp_path / "p.jpg", photo, quality=98)
    assert np.abs(io.read_image(tmp_path / "p.jpg") - photo).mean() < 0.01


@pytest.mark.parametrize("content", [b"", b"this is not an image", b"\x89PNG\r\n\x1a\n\x00\x00garbage"])
def test_unreadable_images(tmp_path, content):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        io.read_image(path)
    assert "\n" not in str(err.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        io.read_image(tmp_path / "missing.png")
    with pytest.raises(InputError, match="directory"):
        io.read_image(tmp_path)


def test_truncated_png(tmp_path, photo):
    path = io.write_image(tmp_path / "full.png", photo)
    data = path.read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError):
        io.read_image(tmp_path / "cut.png")


@pytest.mark.parametrize("bad, message", [
    (np.zeros((5, 5, 2)), "channels"),
    (np.full((5, 5), np.nan), "NaN"),
    (np.full((5, 5), 2.0), "range|\\[0, 1\\]"),
    (np.zeros((0, 5)), "empty"),
    (np.zeros((2, 3, 4, 5)), "HxW"),
])
def test_validate_image_rejects(bad, message):
    with pytest.raises(InputError, match=message):
        io.validate_image(bad)


def test_validate_image_min_size():
    with pytest.raises(InputError, match="smaller"):
        io.validate_image(np.zeros((10, 40)), min_size=(15, 15))
    assert io.validate_image(np.zeros((15, 40)), min_size=(15, 15)).shape == (15, 40)


@pytest.mark.parametrize("kernel, message", [
    (np.array([[0.5, -0.1], [0.3, 0.3]]), "negative"),
    (np.array([[np.nan, 0.5], [0.25, 0.25]]), "NaN"),
    (np.zeros((3, 3)), "zero"),
    (np.zeros((0, 0)), "empty"),
    (np.ones((3, 3)), "sums to 9"),
    (np.ones((3, 3, 3)) / 27, "2-D"),
])
def test_validate_kernel_rejects(kernel, message):
    with pytest.raises(InputError, match=message):
        io.validate_kernel(kernel)


def test_kernel_files(tmp_path):
    k = np.zeros((5, 5))
    k[2, 1:4] = 1 / 3
    np.save(tmp_path / "k.npy", k)
    np.testing.assert_allclose(io.read_kernel(tmp_path / "k.npy"), k, atol=1e-7)
    np.save(tmp_path / "unnormalised.npy", k * 3)
    with pytest.raises(InputError, match="sums to 3"):
        io.read_kernel(tmp_path / "unnormalised.npy")
    np.testing.assert_allclose(io.read_kernel(tmp_path / "unnormalised.npy", normalize=True), k, atol=1e-7)
    io.write_kernel(tmp_path / "k.png", k)  # scaled to max = 1 for viewing, normalised when read back
    np.testing.assert_allclose(io.read_kernel(tmp_path / "k.png"), k, atol=1e-4)
    (tmp_path / "text.npy").write_text("hello")
    with pytest.raises(InputError, match="npy"):
        io.read_kernel(tmp_path / "text.npy")


def test_writes_are_atomic(tmp_path, photo, monkeypatch):
    target = tmp_path / "out.png"

    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        io.write_image(target, photo)
    assert calls == [target]  # the fault happened: the final rename failed
    assert list(tmp_path.iterdir()) == []  # neither the target nor a temporary file is left


def test_output_path_checks(tmp_path, photo):
    with pytest.raises(InputError, match="extension"):
        io.write_image(tmp_path / "out.xyz", photo)
    with pytest.raises(InputError, match="folder"):
        io.write_image(tmp_path / "missing" / "out.png", photo)
