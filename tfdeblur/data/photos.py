"""Sharp training photos: any folder, or a photo dataset named `NAME:SPLIT` (e.g. `bsds500:train`).

`data.train_dir` / `data.val_dir` accept both. A dataset name is resolved, in this order, to
1. the photos of a manual folder, `data.manual_dir` or `$TFDEBLUR_BSDS500`, holding the extracted
   archive or a copy of its `images/` folder: files read directly, no preparation (what the shipped
   presets were trained from);
2. the TFDS dataset `datasets/bsds500`, prepared in `data.tfds_data_dir` (or TFDS's default folder) by
   `tfds build` (which downloads the archive), or prepared here from a manual folder's `BSR_bsds500.tgz`.
Training never starts a download itself (offline it would only retry for minutes); without the photos
the error says exactly what to download and what to set.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

from tfdeblur.data import builders
from tfdeblur.errors import InputError

DATASET = "bsds500"
BUILDER_FILE = builders.builder_file(DATASET)
ENV_VAR = "TFDEBLUR_BSDS500"
ARCHIVE_URL = "https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/BSR/BSR_bsds500.tgz"
SPLITS = ("train", "val", "test")


@dataclasses.dataclass
class EncodedPhotos:
    """Photos as a tf.data dataset of encoded image bytes (a prepared TFDS split) and their count.

    Sliced like a list of files (`photos[:-20]`), so the pipelines treat both alike.
    """

    dataset: object
    count: int

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: slice) -> EncodedPhotos:
        start, stop, step = index.indices(self.count)
        if step != 1:
            raise ValueError("EncodedPhotos supports contiguous slices only")
        count = max(0, stop - start)
        return EncodedPhotos(self.dataset.skip(start).take(count), count)


def is_dataset_name(value: str) -> bool:
    name, sep, _ = str(value).partition(":")
    return bool(sep) and name == DATASET


def _missing(split: str, why: str) -> InputError:
    return InputError(
        f"the {DATASET} photos ({DATASET}:{split}) are not available: {why}. Download {ARCHIVE_URL} "
        f"and set {ENV_VAR}=DIR or --set data.manual_dir=DIR (DIR holding the .tgz or its extracted "
        f"BSR/ folder), or run `tfds build {BUILDER_FILE.parent}` (downloads it), or set data.train_dir / "
        "data.val_dir to any folder of photos (see datasets/bsds500/README.md)")


def photo_files(value: str, manual_dir: str = "", tfds_data_dir: str = ""):
    """Files of a photo folder (a list of paths) or of a dataset split (`EncodedPhotos` or a list)."""
    from tfdeblur.data.files import list_images

    if not is_dataset_name(value):
        if not Path(value).is_dir():
            raise InputError(f"no such image folder: {value} (set data.train_dir / data.val_dir to a folder "
                             f"of photos, or to {DATASET}:train / {DATASET}:val; see datasets/bsds500/README.md)")
        return list_images(value)
    split = str(value).partition(":")[2]
    if split not in SPLITS:
        raise InputError(f"unknown {DATASET} split '{split}' in '{value}'; choose from {', '.join(SPLITS)}")
    manual = manual_dir or os.environ.get(ENV_VAR, "")
    if manual and not Path(manual).is_dir():
        raise _missing(split, f"the manual folder {manual} does not exist")
    root = _images_root(manual) if manual else None
    if root is not None:
        return list_images(root / split)
    return _tfds_photos(split, manual, tfds_data_dir)


def _images_root(folder) -> Path | None:
    """The builder's own layout rule (extracted archive, its data/ folder, or images/)."""
    return sys.modules[builders.builder_class(DATASET).__module__].images_root(folder)


def _tfds_photos(split: str, manual: str, tfds_data_dir: str) -> EncodedPhotos:
    import tensorflow_datasets as tfds

    builder = builders.builder_class(DATASET)(data_dir=tfds_data_dir or None)
    archive = Path(manual) / "BSR_bsds500.tgz" if manual else None
    if not builder.is_prepared() and not (archive and archive.is_file()):
        where = f"{manual} holds neither the photos nor BSR_bsds500.tgz" if manual else "no manual folder is set"
        raise _missing(split, f"the TFDS dataset is not prepared in {builder.data_dir} and {where}")
    try:
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=manual or None))
    except Exception as err:  # a bad archive, a full disk, ...
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise _missing(split, f"preparing the TFDS dataset failed ({first[:200]})") from None
    dataset = builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()})
    return EncodedPhotos(dataset.map(lambda example: example["image"]), builder.info.splits[split].num_examples)
