"""bsds500 dataset: the 500 natural photos of the Berkeley Segmentation Data Set (Arbelaez et al. 2011)."""

from __future__ import annotations

from pathlib import Path

import tensorflow_datasets as tfds

_HOMEPAGE = "https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/resources.html"
ARCHIVE_URL = "https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/BSR/BSR_bsds500.tgz"
ARCHIVE_NAME = "BSR_bsds500.tgz"
SPLITS = ("train", "val", "test")
# Where the images/ folder sits in the archive, in a copy of its data/ folder, or directly.
_IMAGE_ROOTS = ("BSR/BSDS500/data/images", "BSDS500/data/images", "data/images", "images", ".")


def images_root(folder) -> Path | None:
    """The folder holding train/, val/ and test/ image folders under `folder` (extracted archive, its
    `data/` folder, or a copy of `images/`); None if there is none."""
    folder = Path(folder)
    for relative in _IMAGE_ROOTS:
        root = folder / relative
        if all((root / split).is_dir() for split in SPLITS):
            return root
    return None


class Builder(tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for BSDS500's photos (200 train / 100 val / 200 test, 481x321 or 321x481 RGB JPEG).

    Only the photos: the segmentation ground truth is not needed for deblurring, where the photos are the
    sharp images that synthetic blur is applied to.
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
    Without internet access (or to use a copy you already have), put in the manual_dir either
      {ARCHIVE_NAME}                        the archive from {ARCHIVE_URL}
    or its extracted contents, any of
      BSR/BSDS500/data/images/{{train,val,test}}/*.jpg
      images/{{train,val,test}}/*.jpg
    When the manual_dir holds neither, the archive is downloaded.
    """

    def _info(self) -> tfds.core.DatasetInfo:
        """Returns the dataset metadata."""
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 3), encoding_format="jpeg"),
                "image_id": tfds.features.Text(),
            }),
            supervised_keys=None,
            homepage=_HOMEPAGE,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        """Returns SplitGenerators: train, val and test, from the manual_dir if it holds the photos."""
        try:
            manual_dir = dl_manager.manual_dir
        except AssertionError:  # no manual_dir given, or an empty one
            manual_dir = None
        root = images_root(manual_dir) if manual_dir is not None else None
        if root is None and manual_dir is not None and (manual_dir / ARCHIVE_NAME).exists():
            root = images_root(dl_manager.extract(manual_dir / ARCHIVE_NAME))
        if root is None:
            root = images_root(dl_manager.download_and_extract(ARCHIVE_URL))
        if root is None:
            raise FileNotFoundError(f"no images/{{train,val,test}} folders in {ARCHIVE_NAME}")
        return {split: self._generate_examples(root / split) for split in SPLITS}

    def _generate_examples(self, folder):
        """Yields (image id, example) for every JPEG of one split's folder."""
        for path in sorted(Path(folder).glob("*.jpg")):
            yield path.stem, {"image": path, "image_id": path.stem}
