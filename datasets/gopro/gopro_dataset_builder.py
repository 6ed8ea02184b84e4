"""gopro dataset: GOPRO_Large blurry/sharp frame pairs (Nah, Kim, Lee, CVPR 2017)."""

from __future__ import annotations

import hashlib

import tensorflow_datasets as tfds
from absl import logging

_HOMEPAGE = "https://seungjunnah.github.io/Datasets/gopro"
# The official archive (the dataset page links it; the authors also host it on Hugging Face).
_ARCHIVE_URL = "https://huggingface.co/datasets/snah/GOPRO_Large/resolve/main/GOPRO_Large.zip"
_ARCHIVE_NAME = "GOPRO_Large.zip"
_FOLDER = "GOPRO_Large"


class GoproConfig(tfds.core.BuilderConfig):
    """Which blurry frames to pair with the sharp ones.

    Attributes:
        blur_dir: "blur" (frames averaged as recorded) or "blur_gamma" (averaged in linear intensity, then
            gamma-encoded: closer to a real camera's blur).
    """

    def __init__(self, *, blur_dir: str, **kwargs):
        super().__init__(**kwargs)
        self.blur_dir = blur_dir


def verify_archive(path, url_info) -> None:
    """Check a manually downloaded archive against its `checksums.tsv` record (size, then SHA-256)."""
    import os

    size = os.path.getsize(path)
    if url_info.size is not None and size != int(url_info.size):
        raise ValueError(f"{path} has {size} bytes, the official {_ARCHIVE_NAME} has {int(url_info.size)}: "
                         "the download is incomplete or a different file")
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    if digest.hexdigest() != url_info.checksum:
        raise ValueError(f"{path} has SHA-256 {digest.hexdigest()}, expected {url_info.checksum}")


class Builder(tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for the GOPRO_Large deblurring dataset (2103 train / 1111 test pairs, 1280x720)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
    }
    BUILDER_CONFIGS = [
        GoproConfig(name="blur", blur_dir="blur",
                    description="Blurry frames averaged without gamma correction (the paper's benchmark)."),
        GoproConfig(name="blur_gamma", blur_dir="blur_gamma",
                    description="Blurry frames averaged in linear intensity, then gamma-encoded."),
    ]
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
    GOPRO_Large is distributed from {_HOMEPAGE} (Google Drive or Hugging Face link), which cannot be fetched
    automatically. Download `{_ARCHIVE_NAME}` (about 9 GB) and place it, unextracted, in the manual_dir
    (by default `~/tensorflow_datasets/downloads/manual/`, or pass `--manual_dir DIR` to `tfds build`).
    An already extracted `{_FOLDER}/` folder (with `train/` and `test/` sequence folders, each holding
    `blur/`, `blur_gamma/` and `sharp/`) in the manual_dir works too. When `checksums.tsv` records the
    archive, its size and SHA-256 are verified before extraction.
    """

    def _info(self) -> tfds.core.DatasetInfo:
        """Returns the dataset metadata."""
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "blurry": tfds.features.Image(shape=(None, None, 3), encoding_format="png"),
                "sharp": tfds.features.Image(shape=(None, None, 3), encoding_format="png"),
                "sequence": tfds.features.Text(),
            }),
            supervised_keys=("blurry", "sharp"),
            homepage=_HOMEPAGE,
        )

    def _root(self, dl_manager: tfds.download.DownloadManager):
        """The GOPRO_Large folder: extracted from the manual archive, or an extracted copy."""
        manual_dir = dl_manager.manual_dir
        archive = manual_dir / _ARCHIVE_NAME
        if archive.exists():
            url_info = (self.url_infos or {}).get(_ARCHIVE_URL)
            if url_info is not None:
                verify_archive(archive, url_info)
            else:
                logging.warning("checksums.tsv has no record of %s; it is extracted unverified", _ARCHIVE_NAME)
            extracted = dl_manager.extract(archive)
            return extracted / _FOLDER if (extracted / _FOLDER).exists() else extracted
        for candidate in (manual_dir / _FOLDER, manual_dir):
            if (candidate / "train").exists() and (candidate / "test").exists():
                return candidate
        raise FileNotFoundError(f"neither {_ARCHIVE_NAME} nor an extracted {_FOLDER}/ found in {manual_dir}.\n"
                                + self.MANUAL_DOWNLOAD_INSTRUCTIONS)

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        """Returns SplitGenerators."""
        root = self._root(dl_manager)
        return {
            "train": self._generate_examples(root / "train"),
            "test": self._generate_examples(root / "test"),
        }

    def _generate_examples(self, split_dir):
        """Yields (sequence/frame, example) for every blurry frame with a sharp partner."""
        for sequence in sorted(p for p in split_dir.iterdir() if p.is_dir()):
            blur_dir, sharp_dir = sequence / self.builder_config.blur_dir, sequence / "sharp"
            for blurry in sorted(blur_dir.glob("*.png")):
                sharp = sharp_dir / blurry.name
                if not sharp.exists():
                    raise FileNotFoundError(f"{blurry} has no sharp frame {sharp}")
                yield f"{sequence.name}/{blurry.stem}", {
                    "blurry": blurry,
                    "sharp": sharp,
                    "sequence": sequence.name,
                }
