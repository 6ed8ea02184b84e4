import numpy as np
import pytest

import tfdeblur
from tfdeblur import InputError, io, metrics, physics
from tfdeblur.cli import main
from tfdeblur.models.odcnn import ODCNN
from tfdeblur.models.odcnn.deblur import apply, kernel_distance


@pytest.fixture
def scene(tmp_path, gray_photo):
    kernel = physics.disk_kernel(3)
    sharp = gray_photo[60:156, 80:200]
    blurry = physics.degrade(sharp, kernel, noise_sigma=0.002, mode="same", seed=0)
    io.write_image(tmp_path / "blurry.png", blurry, bit_depth=16)
    np.save(tmp_path / "kernel.npy", kernel)
    io.write_kernel(tmp_path / "kernel.png", kernel)
    return tmp_path, sharp, blurry, kernel


def test_cli_untrained_inversion_sharpens(scene, capsys):
    folder, sharp, blurry, _ = scene
    code = main(["deblur", str(folder / "blurry.png"), "-o", str(folder / "out.png"), "--method", "odcnn",
                 "--kernel", str(folder / "kernel.npy")])
    assert code == 0, capsys.readouterr().err
    restored = io.read_image(folder / "out.png")
    assert restored.shape == sharp.shape
    crop = (slice(10, -10), slice(10, -10))
    assert metrics.psnr(restored[crop], sharp[crop]) > metrics.psnr(blurry[crop], sharp[crop]) + 1.5


def test_cli_model_must_match_the_kernel(scene, capsys):
    folder, sharp, _, kernel = scene
    model = ODCNN(kernel, rank=6, filter_size=21, width=4, first_size=4, last_size=2)
    model.save(folder / "tiny.keras")
    args = ["deblur", str(folder / "blurry.png"), "--method", "odcnn", "--model", str(folder / "tiny.keras")]
    assert main(args + ["-o", str(folder / "ok.png"), "--kernel", str(folder / "kernel.png")]) == 0
    assert io.read_image(folder / "ok.png").shape == sharp.shape
    np.save(folder / "other.npy", physics.motion_kernel(9, 0))
    code = main(args + ["-o", str(folder / "bad.png"), "--kernel", str(folder / "other.npy")])
    assert code == 2
    assert "trained for another blur kernel" in capsys.readouterr().err
    assert not (folder / "bad.png").exists()


def test_small_gray_and_large_tiled_images(rng):
    kernel = physics.motion_kernel(7, 45)
    small = rng.random((20, 33)).astype(np.float32)
    assert tfdeblur.deblur(small, method="odcnn", kernel=kernel).shape == (20, 33)
    network = ODCNN(kernel, rank=8, filter_size=31, outlier_rejection=False, channels=3)
    image = rng.random((150, 170, 3)).astype(np.float32)
    whole = network(image[None]).numpy()[0]
    tiled = apply(network, image, tile=96)
    assert np.abs(tiled - whole)[20:-20, 20:-20].mean() < 5e-3


def test_kernel_distance_ignores_padding_and_scale():
    k = physics.disk_kernel(3)
    assert kernel_distance(k, np.pad(k, 2) * 3) < 1e-6
    assert kernel_distance(k, physics.disk_kernel(4)) > 0.1


def test_unknown_preset_is_an_input_error(scene):
    _, _, blurry, kernel = scene
    with pytest.raises(InputError, match="unknown odcnn model"):
        tfdeblur.deblur(blurry, method="odcnn", kernel=kernel, model="odcnn/nonexistent")
