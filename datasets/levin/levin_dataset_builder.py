"""levin dataset: the blind-deconvolution benchmark of Levin, Weiss, Durand, Freeman (CVPR 2009)."""

from __future__ import annotations

import io

import numpy as np
import tensorflow_datasets as tfds

_HOMEPAGE = "https://webee.technion.ac.il/people/anat.levin/"
# The 32 blurry captures and 4 sharp images as the SelfDeblur authors distribute them (PNG, 255x255), and
# the 8 kernels as float arrays from KAIR (the PNG kernels that circulate are 8-bit and scaled to max 255).
# Both pinned to a commit, so the files cannot change under the checksums.
_IMAGES_URL = ("https://raw.githubusercontent.com/csdwren/SelfDeblur/"
               "c2e505263a2e1818097f1ba33c1cf9e8e6b5f47d/datasets/levin/")
_KERNELS_URL = ("https://raw.githubusercontent.com/cszn/KAIR/"
                "1109364ed6a4c411bc215274ee40c27b7f7b18f3/kernels/Levin09.mat")
IMAGES = range(1, 5)
KERNELS = range(1, 9)


def download_urls() -> dict[str, str]:
    """{key: url}: "im{i}_kernel{k}" blurry captures, "im{i}" sharp images, "kernels" the .mat file."""
    urls = {f"im{i}_kernel{k}": f"{_IMAGES_URL}im{i}_kernel{k}_img.png" for i in IMAGES for k in KERNELS}
    urls.update({f"im{i}": f"{_IMAGES_URL}gt/im{i}.png" for i in IMAGES})
    urls["kernels"] = _KERNELS_URL
    return urls


def trim_zero_frame(kernel: np.ndarray) -> np.ndarray:
    """Remove all-zero outer rows/columns, the same number on every side, so the centre stays put."""
    k = np.asarray(kernel)
    trim = 0
    while (2 * (trim + 1) < min(k.shape) and not k[trim, :].any() and not k[-trim - 1, :].any()
           and not k[:, trim].any() and not k[:, -trim - 1].any()):
        trim += 1
    return k[trim:k.shape[0] - trim, trim:k.shape[1] - trim] if trim else k


def _as_kernel(array) -> np.ndarray:
    k = np.asarray(array, np.float64)
    return (k / k.sum()).astype(np.float32)


def read_mat_kernels(data: bytes) -> list[np.ndarray]:
    """The kernels of a MATLAB file holding a cell array `kernels` (v5 via scipy, v7.3 via h5py).

    Returns them as stored (KAIR's orientation); the first 8 are Levin's.
    """
    try:
        cells = tfds.core.lazy_imports.scipy.io.loadmat(io.BytesIO(data))["kernels"]
        return [np.asarray(cell, np.float64) for cell in cells.flatten(order="F")]
    except NotImplementedError:  # MATLAB v7.3 files are HDF5
        import h5py

        with h5py.File(io.BytesIO(data), "r") as mat:
            refs = mat["kernels"][()]
            # HDF5 holds MATLAB's column-major arrays transposed.
            return [np.asarray(mat[ref][()], np.float64).T for ref in refs.T.flatten(order="F")]


class Builder(tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for Levin et al.'s 32 real camera-shake captures (4 images x 8 kernels)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
    Without internet access (or to use a copy you already have), put the files in the manual_dir as
      blurry/im{I}_kernel{K}_img.png   the captures (8-bit gray), I in 1..4, K in 1..8
      gt/im{I}.png                     the sharp images
      kernels/kernel{K}_conv.npy       the kernels as float arrays oriented for convolution (sum 1)
    A subset (e.g. one sharp image with its 8 captures) builds a smaller `test` split. When the manual_dir
    has no `blurry/` folder, the files are downloaded (see README.md).
    """

    def _info(self) -> tfds.core.DatasetInfo:
        """Returns the dataset metadata."""
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "blurry": tfds.features.Image(shape=(None, None, 1), encoding_format="png"),
                "sharp": tfds.features.Image(shape=(None, None, 1), encoding_format="png"),
                "kernel": tfds.features.Tensor(shape=(None, None), dtype=np.float32, encoding="zlib"),
                "image_id": np.int32,
                "kernel_id": np.int32,
            }),
            supervised_keys=("blurry", "sharp"),
            homepage=_HOMEPAGE,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        """Returns SplitGenerators: one `test` split, from the manual_dir if it holds the files."""
        try:
            manual_dir = dl_manager.manual_dir
        except AssertionError:  # no manual_dir given, or an empty one
            manual_dir = None
        if manual_dir is not None and (manual_dir / "blurry").exists():
            return {"test": self._generate_examples(manual_dir)}
        return {"test": self._generate_examples(dl_manager.download(download_urls()))}

    def _generate_examples(self, source):
        """Yields (name, example): `source` is the manual folder or the {key: path} of the downloads."""
        if isinstance(source, dict):
            yield from self._generate_from_download(source)
        else:
            yield from self._generate_from_folder(source)

    def _generate_from_folder(self, root):
        """Yields every capture of `blurry/` whose sharp image and kernel are present."""
        for blurry in sorted((root / "blurry").glob("im*_kernel*_img.png")):
            image_id, kernel_id = (int(part) for part in blurry.stem[2:-4].split("_kernel"))
            sharp = root / "gt" / f"im{image_id}.png"
            kernel_file = root / "kernels" / f"kernel{kernel_id}_conv.npy"
            for needed in (sharp, kernel_file):
                if not needed.exists():
                    raise FileNotFoundError(f"{blurry} has no {needed}")
            kernel = np.load(io.BytesIO(kernel_file.read_bytes()), allow_pickle=False)
            yield self._example(blurry, sharp, _as_kernel(trim_zero_frame(kernel)), image_id, kernel_id)

    def _generate_from_download(self, paths):
        """Yields the downloaded captures; the KAIR kernels are rotated 180 degrees into convolution kernels."""
        kernels = read_mat_kernels(paths["kernels"].read_bytes())
        for key in sorted(k for k in paths if "_kernel" in k):
            image_id, kernel_id = (int(part) for part in key[2:].split("_kernel"))
            kernel = _as_kernel(trim_zero_frame(np.rot90(kernels[kernel_id - 1], 2)))
            yield self._example(paths[key], paths[f"im{image_id}"], kernel, image_id, kernel_id)

    @staticmethod
    def _example(blurry, sharp, kernel, image_id, kernel_id):
        return f"im{image_id}_kernel{kernel_id}", {
            "blurry": blurry,
            "sharp": sharp,
            "kernel": kernel,
            "image_id": image_id,
            "kernel_id": kernel_id,
        }
