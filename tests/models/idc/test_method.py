import numpy as np
import pytest

import tfdeblur
from tfdeblur import InputError, methods
from tfdeblur.models.idc import IDC, method, presets


@pytest.fixture
def tiny_model_path(tiny_idc, tmp_path):
    model = tiny_idc()
    model.build((None, None, None, 3))
    path = tmp_path / "tiny.keras"
    model.save(path)
    return str(path)


def test_registered_as_a_blind_method():
    spec = methods.get("idc")
    assert not spec.needs_kernel and spec.demo_options is not None


def test_rgb_and_gray_keep_their_shape(tiny_model_path, photo, gray_photo):
    rgb = tfdeblur.deblur(photo[:45, :61], method="idc", model=tiny_model_path)
    assert rgb.shape == (45, 61, 3) and rgb.dtype == np.float32
    gray = tfdeblur.deblur(gray_photo[:40, :33], method="idc", model=tiny_model_path)
    assert gray.shape == (40, 33)
    assert 0.0 <= gray.min() and gray.max() <= 1.0


def test_gray_input_is_the_mean_of_the_rgb_result(tiny_model_path, gray_photo):
    gray = gray_photo[:32, :32]
    net = IDC.from_preset(tiny_model_path)
    expected = np.clip(net(np.repeat(gray[None, :, :, None], 3, axis=-1)).numpy().mean(axis=-1)[0], 0, 1)
    np.testing.assert_allclose(tfdeblur.deblur(gray, method="idc", model=tiny_model_path), expected, atol=1e-6)


def test_tiling_reassembles_the_image(tiny_idc, tmp_path, photo):
    """With an identity model (zero last layer) the tiled result is exactly the input: no seams, no shifts."""
    model = tiny_idc()
    model.build((None, None, None, 3))
    conv = model.fusion.conv_out
    conv.kernel.assign(np.zeros(conv.kernel.shape, np.float32))
    model.save(tmp_path / "identity.keras")
    image = photo[:150, :140]
    tiled = tfdeblur.deblur(image, method="idc", model=str(tmp_path / "identity.keras"), tile=96)
    np.testing.assert_allclose(tiled, image, atol=1e-5)


def test_tiled_preset_is_close_to_whole_image(photo):
    from tfdeblur import metrics

    if presets.DEFAULT_PRESET not in tfdeblur.presets.available("idc"):
        pytest.skip("the idc preset is not installed")
    image = photo[:200, :180]
    whole = tfdeblur.deblur(image, method="idc")
    tiled = tfdeblur.deblur(image, method="idc", tile=128)
    assert metrics.psnr(tiled, whole) > 35.0


def test_large_images_are_tiled_automatically(tiny_model_path, photo, monkeypatch):
    from tfdeblur.models import inference

    monkeypatch.setattr(inference, "TILE_SIZES", (96,))
    monkeypatch.setattr(method, "BYTES_PER_PIXEL", inference.MEMORY_BUDGET / (3 * 64 * 64))
    result = methods.run(photo[:130, :100], method="idc", model=tiny_model_path)
    assert result.info["tile"] == 96 and result.image.shape == (130, 100, 3)


def test_bad_options_are_input_errors(tiny_model_path, photo, tmp_path):
    with pytest.raises(InputError, match="tile"):
        tfdeblur.deblur(photo[:64, :64], method="idc", model=tiny_model_path, tile=8)
    with pytest.raises(InputError):
        tfdeblur.deblur(photo[:64, :64], method="idc", model=str(tmp_path / "missing.keras"))
    with pytest.raises(InputError, match="odcnn"):
        tfdeblur.deblur(photo[:64, :64], method="idc", model="odcnn/small")


def test_default_preset_restores_a_blurred_photo(photo):
    """The default preset (saved_models/idc/camera) improves a motion-blurred photo."""
    from tfdeblur import metrics, physics

    if presets.DEFAULT_PRESET not in tfdeblur.presets.available("idc"):
        pytest.skip("the idc preset is not installed")
    sharp = photo[64:192, 64:192]
    blurry = physics.degrade(sharp, physics.motion_kernel(9, 30), noise_sigma=0.005, seed=0)
    restored = tfdeblur.deblur(blurry, method="idc")
    assert metrics.psnr(restored, sharp) > metrics.psnr(blurry, sharp) + 0.5
