"""Training photos named `bsds500:<split>` (the datasets/bsds500 builder) or any folder, and the errors."""

import tarfile
from pathlib import Path

import pytest

from tfdeblur import InputError, data, families
from tfdeblur.cli import main
from tfdeblur.data import photos

ROOT = Path(__file__).resolve().parents[2]
DUMMY = ROOT / "datasets" / "bsds500" / "dummy_data" / "download"  # the archive's layout, 4 small photos


@pytest.fixture(autouse=True)
def no_shared_photos(monkeypatch, tmp_path):
    monkeypatch.delenv(photos.ENV_VAR, raising=False)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds_default"))


def test_folders_are_listed_as_before():
    files = data.photo_files(str(DUMMY / "BSR" / "BSDS500" / "data" / "images" / "train"))
    assert [Path(f).name for f in files] == ["2092.jpg", "8049.jpg"]


@pytest.mark.parametrize("layout", ["", "BSR/BSDS500/data", "BSR/BSDS500/data/images"])
def test_dataset_name_reads_an_extracted_manual_folder(layout):
    files = data.photo_files("bsds500:train", manual_dir=str(DUMMY / layout))
    assert [Path(f).name for f in files] == ["2092.jpg", "8049.jpg"]


def test_environment_variable_names_the_manual_folder(monkeypatch):
    monkeypatch.setenv(photos.ENV_VAR, str(DUMMY))
    assert len(data.photo_files("bsds500:val")) == 1


def test_archive_in_the_manual_folder_is_prepared_with_tfds(tmp_path):
    manual = tmp_path / "manual"
    manual.mkdir()
    with tarfile.open(manual / "BSR_bsds500.tgz", "w:gz") as archive:
        archive.add(DUMMY / "BSR", arcname="BSR")
    encoded = data.photo_files("bsds500:train", manual_dir=str(manual), tfds_data_dir=str(tmp_path / "tfds"))
    assert isinstance(encoded, photos.EncodedPhotos) and len(encoded) == 2
    kernels = data.kernel_bank(["motion"], 9, 4, seed=0)
    blurry, sharp = next(iter(data.synthetic_pairs(encoded, kernels, patch_size=16, batch_size=2)))
    assert blurry.shape == (2, 16, 16, 3) and sharp.shape == (2, 16, 16, 3)
    assert len(encoded[:-1]) == 1 and len(list(encoded[-1:].dataset)) == 1
    # prepared once: later runs need no manual folder
    assert len(data.photo_files("bsds500:test", tfds_data_dir=str(tmp_path / "tfds"))) == 1


def test_missing_photos_say_what_to_download_and_set(tmp_path):
    with pytest.raises(InputError) as err:
        data.photo_files("bsds500:train", tfds_data_dir=str(tmp_path / "tfds"))
    message = str(err.value)
    assert "BSR_bsds500.tgz" in message and photos.ENV_VAR in message and "data.manual_dir" in message
    assert not (tmp_path / "tfds").exists() or not any((tmp_path / "tfds").rglob("*.tfrecord*"))
    with pytest.raises(InputError, match="bsds500:train"):
        data.photo_files(str(tmp_path / "no_such_folder"))
    with pytest.raises(InputError, match="unknown bsds500 split"):
        data.photo_files("bsds500:training", manual_dir=str(DUMMY))


def test_shipped_configs_name_the_dataset_and_train_from_it(tmp_path):
    config = families.load_config(ROOT / "configs" / "idc_small.yaml", [f"data.manual_dir={DUMMY}",
                                                                     "data.patch_size=16", "data.batch_size=2",
                                                                     "data.kernel_size=9", "data.val_count=1"])
    assert config.data.train_dir == "bsds500:train" and config.data.val_dir == "bsds500:val"
    train, val = data.training_datasets(config.data)
    assert next(iter(train))[0].shape == (2, 16, 16, 3)


def test_train_on_a_fresh_machine_stops_with_the_instructions(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["train", str(ROOT / "configs" / "idc_small.yaml"), "--set",
                 f"data.tfds_data_dir={tmp_path / 'tfds'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "https://www2.eecs.berkeley.edu" in err[0] and "TFDEBLUR_BSDS500" in err[0]
