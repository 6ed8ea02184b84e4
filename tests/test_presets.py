"""The preset mechanism: listing with metadata, the one loader (cached and fresh), save_to_preset, the
declarations of the shipped presets."""

import hashlib
import os
import stat

import numpy as np
import pytest

from tfdeblur import InputError, families, presets
from tfdeblur.models.idc import IDC
from tfdeblur.models.odcnn import ODCNN


def test_listing_reads_metadata_of_every_family():
    listed = presets.list_presets()
    assert {"idc/small", "odcnn/disk7", "odcnn/motion15", "ircnet/nonblind"} <= set(listed)
    assert set(presets.list_presets("odcnn")) == {n for n in listed if n.startswith("odcnn/")}
    assert listed["odcnn/disk7"]["kernel"] == "disk:7" and listed["idc/small"]["parameter_count"] > 0


def test_from_preset_is_cached_and_checks_the_class():
    net = IDC.from_preset("small")
    assert IDC.from_preset("idc/small") is net is presets.cached_preset("small", "idc")
    assert presets.load_preset("small", "idc") is not net  # a fresh copy for training or export
    with pytest.raises(InputError, match="not an ODCNN model"):
        presets.cached_preset("small", "idc", expected=ODCNN)


def test_save_to_preset_round_trip(tmp_path, monkeypatch):
    kernel = np.full((3, 3), 1 / 9, np.float32)
    net = ODCNN(kernel, rank=2, filter_size=9, outlier_rejection=False, channels=1)
    net(np.zeros((1, 16, 16, 1), np.float32))
    net.save_to_preset(tmp_path / "odcnn" / "box3", description="3x3 box", trained_on="nothing")
    monkeypatch.setenv("TFDEBLUR_MODELS", str(tmp_path))
    listed = presets.list_presets("odcnn")
    assert listed["odcnn/box3"]["description"] == "3x3 box"
    assert listed["odcnn/box3"]["parameter_count"] == net.count_params()
    loaded = ODCNN.from_preset("box3")
    x = np.random.default_rng(0).random((1, 20, 20, 1)).astype(np.float32)
    np.testing.assert_allclose(loaded(x).numpy(), net(x).numpy(), atol=1e-6)
    assert presets.family_of(str(tmp_path / "odcnn" / "box3")) == "odcnn"
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "odcnn" / "box3" / "model.keras").st_mode) == 0o666 & ~umask
    net.save_to_preset(tmp_path / "odcnn" / "box3", description="rewritten")
    assert ODCNN.from_preset("box3") is not loaded  # a rewritten file is loaded again


def test_every_shipped_preset_is_declared_by_its_family():
    """Each family's presets.py declares its shipped presets (keras-hub style): file, sha256, parameters."""
    declared = families.declared_presets()
    shipped = {f"{p.parent.parent.name}/{p.parent.name}": p
               for p in presets.SHIPPED_ROOT.glob(f"*/*/{presets.MODEL_FILE}")}
    assert set(declared) == set(shipped)
    for name, preset in declared.items():
        assert preset.path == shipped[name] and preset.name.startswith(preset.file.split("/")[0] + "/")
        assert hashlib.sha256(preset.path.read_bytes()).hexdigest() == preset.sha256, f"{name}: re-declare it"
        assert presets.read_metadata(preset.path.parent)["parameter_count"] == preset.parameters, name
