"""Image files a new user can throw at tfdeblur: huge declared sizes, gray+alpha, noisy decoders, umask."""

import os
import struct

import cv2
import numpy as np
import pytest

from tfdeblur import InputError, io
from tfdeblur.image_header import read_header
from tfdeblur.testing import png_bomb


def _encoded(ext, shape=(7, 9, 3)):
    ok, data = cv2.imencode(ext, np.full(shape, 100, np.uint8))
    return bytearray(data.tobytes())


def _declare_huge(ext) -> bytes:
    """A small real file whose header is patched to declare 30000 x 25000 pixels."""
    data = _encoded(ext)
    if ext == ".png":
        data[16:24] = struct.pack(">II", 30000, 25000)
    elif ext == ".jpg":
        sof = next(i for i in range(2, len(data) - 1) if data[i] == 0xFF and data[i + 1] in (0xC0, 0xC2))
        data[sof + 5:sof + 9] = struct.pack(">HH", 25000, 30000)
    elif ext == ".bmp":
        data[18:26] = struct.pack("<ii", 30000, 25000)
    else:  # TIFF: rewrite the ImageWidth / ImageLength entries of the first IFD
        order = "<" if data[:2] == b"II" else ">"
        ifd = struct.unpack(order + "I", data[4:8])[0]
        for i in range(struct.unpack(order + "H", data[ifd:ifd + 2])[0]):
            entry = ifd + 2 + 12 * i
            tag, kind = struct.unpack(order + "HH", data[entry:entry + 4])
            if tag in (256, 257):
                value = 30000 if tag == 256 else 25000
                data[entry + 2:entry + 12] = struct.pack(order + "HII", 4, 1, value)
    return bytes(data)


@pytest.mark.parametrize("ext", [".png", ".jpg", ".tif", ".bmp"])
def test_headers_give_the_declared_size(ext):
    header = read_header(bytes(_encoded(ext)))
    assert (header.width, header.height) == (9, 7)
    header = read_header(_declare_huge(ext))
    assert (header.width, header.height) == (30000, 25000)


def test_decompression_bomb_is_refused_before_decoding(tmp_path, monkeypatch):
    bomb = png_bomb()
    assert len(bomb) < 2000
    (tmp_path / "bomb.png").write_bytes(bomb)
    monkeypatch.setattr(cv2, "imdecode", lambda *a: pytest.fail("decoded a file over the pixel limit"))
    with pytest.raises(InputError, match=r"20000x20000 \(400.0 megapixels\).*--max-pixels"):
        io.read_image(tmp_path / "bomb.png")
    with pytest.raises(InputError, match="megapixels"):
        io.check_image_file(tmp_path / "bomb.png")


@pytest.mark.parametrize("ext", [".png", ".jpg", ".tif", ".bmp"])
def test_every_format_is_checked_by_its_header(tmp_path, ext, monkeypatch):
    (tmp_path / f"huge{ext}").write_bytes(_declare_huge(ext))
    monkeypatch.setattr(cv2, "imdecode", lambda *a: pytest.fail("decoded a file over the pixel limit"))
    with pytest.raises(InputError, match="30000x25000"):
        io.read_image(tmp_path / f"huge{ext}")


def test_max_pixels_can_be_raised_or_lowered(tmp_path, photo):
    path = io.write_image(tmp_path / "p.png", photo)
    with pytest.raises(InputError, match="over the limit of 0.01 MP"):
        io.read_image(path, max_pixels=10_000)
    assert io.read_image(path, max_pixels=256 * 256).shape == (256, 256, 3)
    assert io.read_image(path, max_pixels=None).shape == (256, 256, 3)


def test_gray_alpha_png_stays_gray(tmp_path):
    from PIL import Image

    la = np.zeros((4, 5, 2), np.uint8)
    la[..., 0], la[..., 1] = 100, 128
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    image = io.read_image(tmp_path / "la.png")
    assert image.shape == (4, 5)
    np.testing.assert_allclose(image, 100 / 255, atol=1e-6)


def test_decoder_warnings_do_not_reach_stderr(tmp_path, photo, capfd):
    data = io.write_image(tmp_path / "p.png", photo).read_bytes()
    (tmp_path / "cut.png").write_bytes(data[:len(data) // 2])
    with pytest.raises(InputError):
        io.read_image(tmp_path / "cut.png")
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_written_files_get_the_mode_of_a_plain_write(tmp_path, photo, umask):
    old = os.umask(umask)
    try:
        written = [io.write_image(tmp_path / "a.png", photo), io.write_text(tmp_path / "r.json", "{}"),
                   io.write_kernel(tmp_path / "k.npy", np.ones((3, 3)) / 9)]
        with open(tmp_path / "plain.txt", "w"):
            pass
    finally:
        os.umask(old)
    expected = os.stat(tmp_path / "plain.txt").st_mode & 0o777
    assert expected == 0o666 & ~umask
    assert [os.stat(p).st_mode & 0o777 for p in written] == [expected] * 3


def test_replacing_a_file_keeps_its_mode(tmp_path, photo):
    path = io.write_image(tmp_path / "a.png", photo)
    os.chmod(path, 0o640)
    io.write_image(path, photo)
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_same_file_sees_hard_links_and_other_spellings(tmp_path, photo):
    path = io.write_image(tmp_path / "a.png", photo)
    os.link(path, tmp_path / "b.png")
    assert io.same_file(path, tmp_path / "b.png")
    assert io.same_file(path, tmp_path / "sub" / ".." / "a.png")
    assert not io.same_file(path, tmp_path / "c.png")


@pytest.mark.parametrize("target, message", [
    ("existing_dir", "it is a folder"),
    ("no_such_dir/", "no such folder"),
    ("no_such_name", "no such folder, and not a file name"),
    ("no_such_dir/out.png", "output folder does not exist"),
])
def test_output_path_messages(tmp_path, target, message):
    (tmp_path / "existing_dir").mkdir()
    with pytest.raises(InputError, match=message):
        io.check_output_path(str(tmp_path) + "/" + target)


# issue 31: files with no end, and files far larger than any image ----------------------------------------

@pytest.mark.parametrize("reader", [io.read_image, io.check_image_file, io.read_kernel])
def test_reading_dev_zero_is_refused_by_its_type_before_reading(tmp_path, reader):
    link = tmp_path / ("zero.npy" if reader is io.read_kernel else "zero.png")
    link.symlink_to("/dev/zero")
    kind = "kernel" if reader is io.read_kernel else "image"
    for path in ([link] if reader is io.read_kernel else ["/dev/zero", link]):  # a kernel needs .npy
        with pytest.raises(InputError, match=f"is a device, not a regular {kind} file"):
            reader(path)


def test_reading_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")  # opening it for reading would block until someone writes
    with pytest.raises(InputError, match=r"is a pipe \(FIFO\), not a regular image file"):
        io.check_image_file(tmp_path / "pipe.png")


def test_a_huge_image_file_is_refused_by_its_size_before_reading(tmp_path):
    with open(tmp_path / "huge.png", "wb") as handle:  # sparse: 1 GB declared, nothing on disk
        handle.truncate(1 << 30)
    for reader in (io.read_image, io.check_image_file):
        with pytest.raises(InputError, match=r"1073.7 MB, too large for an image file .*--max-pixels"):
            reader(tmp_path / "huge.png", max_pixels=1_000_000)


def test_a_huge_npy_kernel_is_refused_by_its_size_before_reading(tmp_path):
    with open(tmp_path / "k.npy", "wb") as handle:
        handle.truncate(io.MAX_KERNEL_FILE_BYTES + 1)
    with pytest.raises(InputError, match="too large for a kernel file"):
        io.read_kernel(tmp_path / "k.npy")


def test_a_file_without_any_image_header_is_sniffed_from_its_first_megabyte_only(tmp_path, monkeypatch):
    (tmp_path / "noise.png").write_bytes(b"x" * (3 << 20))  # no PNG/JPEG/TIFF/BMP magic anywhere
    reads, real = [], io._read_bytes

    def counted(*args, **kwargs):
        data = real(*args, **kwargs)
        reads.append(len(data))
        return data

    monkeypatch.setattr(io, "_read_bytes", counted)
    with pytest.raises(InputError, match="not a PNG, JPEG, TIFF or BMP image"):
        io.check_image_file(tmp_path / "noise.png", max_pixels=None)
    assert reads == [1 << 20], reads


@pytest.mark.parametrize("array, message", [
    (np.full((3, 3), 1 / 9) + 0j, r"holds complex values \(complex128\); a blur kernel must be real"),
    (np.array([["a"] * 3] * 3), "holds text values"),
    (np.zeros((3, 3), dtype=[("a", "f4")]), "holds structured values"),
    (np.full((3, 3), 1 / 9, dtype=object), "pickled Python objects"),
])
def test_a_npy_kernel_of_complex_text_records_or_objects_is_refused(tmp_path, array, message):
    np.save(tmp_path / "k.npy", array, allow_pickle=True)
    with pytest.raises(InputError, match=message):
        io.read_kernel(tmp_path / "k.npy", normalize=True)


def test_a_boolean_or_integer_npy_kernel_is_a_real_mask(tmp_path):
    for array in (np.eye(3, dtype=bool), np.eye(3, dtype=np.int64)):
        np.save(tmp_path / "k.npy", array)
        np.testing.assert_allclose(io.read_kernel(tmp_path / "k.npy", normalize=True), np.eye(3) / 3, rtol=1e-6)


def test_a_header_with_a_side_over_opencvs_limit_is_refused_in_one_line(tmp_path):
    """Found by tests/test_fuzz.py: 1 x 2,000,000 px is under the pixel limit but over OpenCV's 2^20 px
    side, and cv2.imdecode raised cv2.error (an internal error)."""
    (tmp_path / "tall.png").write_bytes(png_bomb(1, 2_000_000))
    with pytest.raises(InputError, match="cannot decode .*tall.png"):
        io.read_image(tmp_path / "tall.png")


def test_decoders_quieting_stderr_in_overlapping_threads_leave_it_restored():
    """tf.data decodes in several threads: each spell restoring its own saved copy of fd 2 left /dev/null
    in place when two overlapped, and a training run's one-line error was then never seen."""
    real = os.fstat(2)
    first, second = io._quiet_stderr(), io._quiet_stderr()
    first.__enter__()
    second.__enter__()
    assert os.path.samestat(os.fstat(2), os.stat(os.devnull))  # quiet while any decoder runs
    first.__exit__(None, None, None)  # the first to start ends first
    assert os.path.samestat(os.fstat(2), os.stat(os.devnull))
    second.__exit__(None, None, None)
    assert os.path.samestat(os.fstat(2), real)
