"""Every preset in saved_models/ loads with the current code, has a model card and metadata that match it, and
runs through its method."""

from pathlib import Path

import pytest

import tfdeblur
from tfdeblur import families, physics, presets

ROOT = Path(__file__).resolve().parents[1] / "saved_models"
SHIPPED = sorted(ROOT.glob("*/*/model.keras"))


def test_the_presets_the_methods_default_to_are_shipped():
    names = {f"{p.parent.parent.name}/{p.parent.name}" for p in SHIPPED}
    assert {"idc/small", "odcnn/disk7", "odcnn/motion15"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_preset_loads_and_has_a_model_card(path):
    card = path.parent / "MODEL_CARD.md"
    assert card.is_file(), f"{card} is missing"
    text = card.read_text().lower()
    assert "train" in text and "psnr" in text  # says how it was trained and what it scores
    model = families.load_preset(str(path), path.parent.parent.name)
    metadata = presets.read_metadata(path.parent)
    assert metadata["family"] == path.parent.parent.name and metadata["class_name"] == type(model).__name__
    assert metadata["parameter_count"] == model.count_params() > 0
    assert metadata["description"] and metadata["trained_on"] and metadata["scores"]


def test_idc_preset_keeps_shape_and_range(photo):
    out = tfdeblur.deblur(photo[:50, :70], method="idc")
    assert out.shape == (50, 70, 3) and 0.0 <= out.min() and out.max() <= 1.0


@pytest.mark.parametrize("name, spec", [("disk7", "disk:7"), ("motion15", "motion:15,30")])
def test_odcnn_presets_deblur_their_kernel(gray_photo, name, spec):
    kernel = physics.kernel_from_spec(spec)
    blurry, sharp = physics.degrade(gray_photo[40:200, 40:200], kernel, noise_sigma=0.01, mode="valid",
                                    seed=0, return_target=True)
    out = tfdeblur.deblur(blurry, method="odcnn", model=f"odcnn/{name}", kernel=kernel)
    from tfdeblur import metrics

    assert metrics.psnr(out, sharp) > metrics.psnr(blurry, sharp) + 1.0
