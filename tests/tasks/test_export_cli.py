"""`tfdeblur export` on every shipped preset, arguments checked before writing, small images served."""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tfdeblur import presets
from tfdeblur.cli.testing import run_cli as run
from tfdeblur.models.odcnn.deblur import apply
from tfdeblur.models.odcnn.odcnn import ODCNN
from tfdeblur.physics import disk_kernel
from tfdeblur.tasks import export

SHIPPED = sorted(f"{p.parent.parent.name}/{p.parent.name}" for root in presets.search_roots()
                 for p in Path(root).glob("*/*/model.keras"))
NOT_EXPORTABLE = {"ircnet/nonblind": "motion field given as a second input",
                  "ircnet/motionnet": "outputs a per-pixel motion field"}


def test_every_shipped_preset_is_covered():
    assert {"idc/small", "odcnn/disk7", "odcnn/motion15", *NOT_EXPORTABLE} <= set(SHIPPED)


@pytest.mark.parametrize("name", sorted(NOT_EXPORTABLE))
def test_presets_that_are_not_image_to_image_say_why(tmp_path, capsys, name):
    code, _, err = run(["export", "--model", name, "--saved-model", tmp_path / "sm", "--tflite",
                        tmp_path / "m.tflite"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert NOT_EXPORTABLE[name] in err and "BlindIRCNet" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in SHIPPED if n not in NOT_EXPORTABLE])
def test_exportable_presets_export_and_serve(tmp_path, capsys, name):
    code, out, err = run(["export", "--model", name, "--saved-model", tmp_path / "sm"], capsys)
    assert code == 0, err
    served = export.load_saved_model(tmp_path / "sm" / "1").signatures["serving_default"]
    images = served(images=tf.zeros([1, 40, 48, 3], tf.uint8))["images"]
    assert images.shape == (1, 40, 48, 3)


def test_an_existing_version_is_refused_before_the_model_is_loaded(tmp_path, capsys, monkeypatch):
    (tmp_path / "sm" / "1").mkdir(parents=True)
    monkeypatch.setattr(presets, "load_preset", lambda *a, **k: pytest.fail("loaded the model before the checks"))
    code, _, err = run(["export", "--model", "idc/small", "--saved-model", tmp_path / "sm", "--tflite",
                        tmp_path / "m.tflite"], capsys)
    assert code == 2 and "exists" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["1", "sm"]


def test_saved_model_serves_images_smaller_than_odcnn_filters(tmp_path):
    """The signatures reflect-extend small images as `tfdeblur deblur` does, so both give the same result."""
    model = ODCNN(disk_kernel(2), rank=4, filter_size=21, width=4, first_size=4, last_size=2, channels=1)
    assert model.min_input_size == 11
    served = export.load_saved_model(export.export_saved_model(model, tmp_path / "sm"))
    rng = np.random.default_rng(0)
    for height, width in ((5, 7), (10, 10), (30, 12)):
        image = rng.random((height, width, 1)).astype(np.float32)
        out = served.signatures["deblur_float"](images=tf.constant(image[None]))["images"].numpy()[0]
        np.testing.assert_allclose(out, np.clip(apply(model, image), 0, 1), atol=1e-4)


def test_export_max_pixels_option_reaches_the_saved_model(tmp_path, capsys, monkeypatch):
    seen = {}
    monkeypatch.setattr(export, "export_saved_model", lambda *a, **k: seen.update(k) or tmp_path / "sm" / "1")
    code, _, err = run(["export", "--model", "odcnn/disk7", "--saved-model", tmp_path / "sm",
                        "--max-pixels", "1000"], capsys)
    assert code == 0, err
    assert seen["max_pixels"] == 1000


@pytest.mark.slow  # ~12 s: traces blind IRC-Net's three signatures
def test_saved_model_of_blind_ircnet_serves_photos_smaller_than_its_mirror(tmp_path):
    """Blind IRC-Net mirrors `margin` px at each border: a smaller photo crashed in MirrorPad when served."""
    from tfdeblur.models.ircnet.blind_ircnet import BlindIRCNet
    from tfdeblur.models.ircnet.ircnet import IRCNet
    from tfdeblur.models.ircnet.motion_net import MotionNet

    model = BlindIRCNet(MotionNet(width=8, blocks=1, max_length=5.0),
                        IRCNet(stages=1, inner=1, max_length=5, angle_step=45, filter_size=7))
    model(tf.zeros([1, 32, 32, 1]))  # built
    assert model.min_input_size == model.ircnet.margin + 1 > 2
    served = export.load_saved_model(export.export_saved_model(model, tmp_path / "sm"))
    for height, width in ((2, 2), (model.ircnet.margin, 9)):
        images = tf.zeros([1, height, width, 1], tf.uint8)
        assert served.signatures["serving_default"](images=images)["images"].shape == (1, height, width, 1)
