"""levin dataset."""

import io

import h5py
import numpy as np
import scipy.io
import tensorflow_datasets as tfds

from . import levin_dataset_builder

DUMMY = levin_dataset_builder.Builder.code_path.parent / "dummy_data"


class LevinManualTest(tfds.testing.DatasetBuilderTestCase):
    """The manual_dir layout (blurry/, gt/, kernels/*.npy): 2 images x some kernels."""

    DATASET_CLASS = levin_dataset_builder.Builder
    EXAMPLE_DIR = str(DUMMY / "manual")
    SPLITS = {"test": 3}


class LevinDownloadTest(tfds.testing.DatasetBuilderTestCase):
    """The downloaded files (PNG captures, gt/, KAIR's Levin09.mat), here a subset of them."""

    DATASET_CLASS = levin_dataset_builder.Builder
    EXAMPLE_DIR = str(DUMMY / "download")
    SPLITS = {"test": 2}
    DL_DOWNLOAD_RESULT = {
        "im1_kernel1": "im1_kernel1_img.png",
        "im2_kernel2": "im2_kernel2_img.png",
        "im1": "gt/im1.png",
        "im2": "gt/im2.png",
        "kernels": "Levin09.mat",
    }
    # The files' digests could not be taken here (no internet when the builder was written); see
    # checksums.tsv for how to record them.
    SKIP_CHECKSUMS = True


def test_trim_zero_frame_keeps_the_centre():
    k = np.zeros((9, 9))
    k[2:7, 3:6] = 1.0
    trimmed = levin_dataset_builder.trim_zero_frame(k)
    assert trimmed.shape == (5, 5) and trimmed[2, 2] == k[4, 4] and trimmed.sum() == k.sum()
    full = np.ones((3, 3))
    assert levin_dataset_builder.trim_zero_frame(full) is full


def _assert_kernel_explains_blur(sharp, blurry, kernel):
    from tfdeblur import physics

    assert kernel.shape == (7, 7) and abs(float(kernel.sum()) - 1) < 1e-5  # the zero frame is trimmed
    sharp = np.asarray(sharp, np.float32)
    right = np.abs(physics.blur(sharp, kernel) - blurry)[4:-4, 4:-4].max()
    flipped = np.abs(physics.blur(sharp, np.ascontiguousarray(kernel[::-1, ::-1])) - blurry)[4:-4, 4:-4].max()
    assert right < 2.5 / 255 < flipped


def test_manual_folder_kernels_are_aligned_with_their_captures(tmp_path):
    builder = levin_dataset_builder.Builder(data_dir=str(tmp_path))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(DUMMY / "manual")))
    names = []
    for example in tfds.as_numpy(builder.as_dataset(split="test")):
        _assert_kernel_explains_blur(example["sharp"][..., 0] / 255.0, example["blurry"][..., 0] / 255.0,
                                     example["kernel"])
        names.append((int(example["image_id"]), int(example["kernel_id"])))
    assert sorted(names) == [(1, 1), (1, 2), (2, 1)]


def test_downloaded_kernels_are_rotated_into_convolution_kernels(tmp_path):
    from etils import epath

    from tfdeblur import io as tfio

    root = epath.Path(DUMMY / "download")
    paths = {k: root / v for k, v in LevinDownloadTest.DL_DOWNLOAD_RESULT.items()}
    builder = levin_dataset_builder.Builder(data_dir=str(tmp_path))
    examples = dict(builder._generate_from_download(paths))
    assert sorted(examples) == ["im1_kernel1", "im2_kernel2"]
    for example in examples.values():
        _assert_kernel_explains_blur(tfio.read_image(example["sharp"]), tfio.read_image(example["blurry"]),
                                     example["kernel"])


def test_mat_kernels_v5_and_v73_read_alike(tmp_path):
    kernels = [np.arange(6.0).reshape(2, 3), np.eye(3)]
    cells = np.empty((1, 2), dtype=object)
    cells[0, 0], cells[0, 1] = kernels
    buffer = io.BytesIO()
    scipy.io.savemat(buffer, {"kernels": cells})
    v5 = levin_dataset_builder.read_mat_kernels(buffer.getvalue())
    # MATLAB v7.3 = HDF5: a 1x2 cell is a (2, 1) dataset of references to transposed matrices.
    path = tmp_path / "v73.mat"
    with h5py.File(path, "w", userblock_size=512) as mat:
        refs = [mat.create_dataset(f"#refs#/{i}", data=k.T).ref for i, k in enumerate(kernels)]
        mat.create_dataset("kernels", data=np.array(refs, dtype=h5py.ref_dtype).reshape(2, 1))
    data = bytearray(path.read_bytes())
    # MATLAB's 128-byte header in the HDF5 user block: text, subsystem offset, version 0x0200, "IM".
    data[:128] = b"MATLAB 7.3 MAT-file".ljust(116) + bytes(8) + b"\x00\x02" + b"IM"
    v73 = levin_dataset_builder.read_mat_kernels(bytes(data))
    for a, b, k in zip(v5, v73, kernels):
        np.testing.assert_array_equal(a, k)
        np.testing.assert_array_equal(b, k)


if __name__ == "__main__":
    tfds.testing.test_main()
