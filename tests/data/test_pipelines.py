import time

import numpy as np
import pytest
import tensorflow as tf

from tfdeblur import InputError, io, physics
from tfdeblur.data import folder_pairs, kernel_bank, list_images, pair_files, synthetic_pairs


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory, photo):
    folder = tmp_path_factory.mktemp("photos")
    for i in range(4):
        io.write_image(folder / f"p{i}.png", np.rot90(photo, i))
    io.write_image(folder / "small.png", photo[:40, :50])  # smaller than a crop: gets upscaled
    return folder


def test_kernel_bank_is_seeded_and_normalised():
    bank = kernel_bank(["trajectory", "motion", "disk:3"], 21, 30, seed=1)
    assert bank.shape == (30, 21, 21)
    np.testing.assert_allclose(bank.sum(axis=(1, 2)), 1.0, atol=1e-5)
    np.testing.assert_array_equal(bank, kernel_bank(["trajectory", "motion", "disk:3"], 21, 30, seed=1))
    np.testing.assert_allclose(bank[2][7:14, 7:14], physics.disk_kernel(3), atol=1e-7)  # centred
    fixed = kernel_bank(["disk:15"], 21, 100, seed=0)
    assert fixed.shape == (1, 31, 31)  # fixed kernels only: one copy, bank grows to hold it


def test_synthetic_pairs_are_valid_blurs_of_their_targets(photo_dir):
    bank = kernel_bank(["motion:9,0"], 9, 1, seed=0)
    ds = synthetic_pairs(list_images(photo_dir), bank, patch_size=32, batch_size=3, noise_sigma=(0, 0),
                         training=True, seed=3, return_kernel=True)
    inputs, sharp = next(iter(ds))
    blurry, kernels = inputs["blurry"].numpy(), inputs["kernel"].numpy()
    assert blurry.shape == sharp.shape == (3, 32, 32, 3)
    # The target's 'same' blur agrees with the input away from the patch border.
    reblurred = physics.convolve(sharp, kernels, mode="same").numpy()
    np.testing.assert_allclose(reblurred[:, :, 5:-5], blurry[:, :, 5:-5], atol=1e-5)


def test_synthetic_noise_gain_and_jpeg_ranges(photo_dir):
    bank = kernel_bank(["trajectory"], 15, 20, seed=0)
    ds = synthetic_pairs(list_images(photo_dir), bank, patch_size=48, batch_size=4, noise_sigma=(0.05, 0.05),
                         gain=(2.0, 2.0), jpeg_quality=(60, 90), input_noise=0.01, seed=0)
    blurry, sharp = next(iter(ds))
    assert 0.0 <= float(tf.reduce_min(blurry)) and float(tf.reduce_max(blurry)) <= 1.0
    assert float(tf.reduce_mean(tf.cast(sharp == 1.0, tf.float32))) > 0.05  # gain 2 saturates the target


def test_validation_set_is_fixed_and_finite(photo_dir):
    bank = kernel_bank(["trajectory"], 15, 10, seed=5)
    make = lambda: synthetic_pairs(list_images(photo_dir), bank, 32, 4, training=False, count=6, seed=9)  # noqa
    first = [b.numpy() for b, _ in make()]
    second = [b.numpy() for b, _ in make()]
    assert [x.shape[0] for x in first] == [4, 2]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_training_stream_differs_between_batches_and_seeds(photo_dir):
    bank = kernel_bank(["trajectory"], 15, 50, seed=5)
    files = list_images(photo_dir)
    it = iter(synthetic_pairs(files, bank, 32, 2, seed=1))
    a, b = next(it)[0].numpy(), next(it)[0].numpy()
    assert not np.array_equal(a, b)
    c = next(iter(synthetic_pairs(files, bank, 32, 2, seed=1)))[0].numpy()
    np.testing.assert_array_equal(a, c)  # same seed, same stream


def test_pipeline_is_fast_enough(photo_dir):
    # A CPU training step of even the small models takes > 100 ms; the pipeline must stay well below.
    bank = kernel_bank(["trajectory", "motion"], 31, 200, seed=0)
    it = iter(synthetic_pairs(list_images(photo_dir), bank, 128, 8, jpeg_quality=(70, 95)))
    next(it)
    start = time.perf_counter()
    for _ in range(10):
        next(it)
    assert (time.perf_counter() - start) / 10 < 0.1


def test_folder_pairs(tmp_path, photo):
    for sequence in ("seq1", "seq2"):
        for kind in ("blur", "sharp"):
            (tmp_path / sequence / kind).mkdir(parents=True)
        for i in range(2):
            io.write_image(tmp_path / sequence / "sharp" / f"{i}.png", photo)
            io.write_image(tmp_path / sequence / "blur" / f"{i}.png", physics.blur(photo, physics.disk_kernel(2)))
    io.write_image(tmp_path / "seq1" / "blur" / "orphan.png", photo)  # no sharp partner: skipped
    blurry, sharp = pair_files(tmp_path)
    assert len(blurry) == 4 and all("blur" in b for b in blurry)
    batch = next(iter(folder_pairs(tmp_path, 64, 4, training=True)))
    assert batch[0].shape == (4, 64, 64, 3)
    with pytest.raises(InputError):
        pair_files(tmp_path / "seq1" / "sharp")


@pytest.mark.parametrize("name, bit_depth, gray", [("p.tif", 8, False), ("p.tiff", 16, True),
                                                   ("p.png", 16, False), ("p.jpg", 8, True)])
@pytest.mark.parametrize("channels", [1, 3])
def test_training_decodes_what_inference_reads(tmp_path, photo, name, bit_depth, gray, channels):
    """One reader: the tf.data decoder gives `io.read_image`'s pixels (TIFF included), in uint8."""
    from tfdeblur.data import files

    image = photo.mean(axis=2) if gray else photo
    io.write_image(tmp_path / name, image, bit_depth=bit_depth)
    decoded = files.decode_image(tf.constant(str(tmp_path / name)), channels).numpy()
    expected = io.read_image(tmp_path / name)
    expected = expected[..., None] if expected.ndim == 2 else expected
    if channels == 3 and expected.shape[2] == 1:
        expected = np.repeat(expected, 3, axis=2)
    if channels == 1 and expected.shape[2] == 3:
        expected = expected @ np.array([0.299, 0.587, 0.114], np.float32)[:, None]
    assert decoded.shape == expected.shape[:2] + (channels,) and decoded.dtype == np.uint8
    assert np.abs(decoded / 255.0 - expected).max() <= 0.5 / 255 + 1e-6


def test_synthetic_pairs_from_tiff(tmp_path, photo):
    for i in range(2):
        io.write_image(tmp_path / f"p{i}.tif", np.rot90(photo, i), bit_depth=16)
    bank = kernel_bank(["motion:9,0"], 9, 1, seed=0)
    blurry, sharp = next(iter(synthetic_pairs(list_images(tmp_path), bank, patch_size=32, batch_size=2,
                                              training=False, count=2)))
    assert blurry.shape == sharp.shape == (2, 32, 32, 3) and float(tf.reduce_max(sharp)) > 0.5
