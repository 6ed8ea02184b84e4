"""bsds500 dataset."""

import tarfile

import tensorflow_datasets as tfds

from . import bsds500_dataset_builder

DUMMY = bsds500_dataset_builder.Builder.code_path.parent / "dummy_data"
SPLITS = {"train": 2, "val": 1, "test": 1}


class Bsds500DownloadTest(tfds.testing.DatasetBuilderTestCase):
    """The downloaded archive, extracted (here a few small photos in the archive's layout)."""

    DATASET_CLASS = bsds500_dataset_builder.Builder
    EXAMPLE_DIR = str(DUMMY)
    SPLITS = SPLITS
    DL_EXTRACT_RESULT = "download"
    # The archive's digest could not be taken here (no internet when the builder was written); see
    # checksums.tsv for how to record it.
    SKIP_CHECKSUMS = True


class Bsds500ManualFolderTest(tfds.testing.DatasetBuilderTestCase):
    """A manual folder holding a copy of images/{train,val,test} (e.g. ../shared/data/bsds500)."""

    DATASET_CLASS = bsds500_dataset_builder.Builder
    EXAMPLE_DIR = str(DUMMY / "download" / "BSR" / "BSDS500" / "data")
    SPLITS = SPLITS


def test_manual_archive_is_extracted(tmp_path):
    """A manual_dir holding only BSR_bsds500.tgz builds without any download."""
    manual = tmp_path / "manual"
    manual.mkdir()
    with tarfile.open(manual / bsds500_dataset_builder.ARCHIVE_NAME, "w:gz") as archive:
        archive.add(DUMMY / "download" / "BSR", arcname="BSR")
    builder = bsds500_dataset_builder.Builder(data_dir=str(tmp_path / "tfds"))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))
    assert {split: info.num_examples for split, info in builder.info.splits.items()} == SPLITS


def test_images_root_finds_every_layout(tmp_path):
    data = DUMMY / "download" / "BSR" / "BSDS500" / "data"
    for folder in (DUMMY / "download", data, data / "images"):
        assert bsds500_dataset_builder.images_root(folder) == data / "images"
    assert bsds500_dataset_builder.images_root(tmp_path) is None


if __name__ == "__main__":
    tfds.testing.test_main()
