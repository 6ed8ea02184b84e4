"""tf.data pipelines: synthetic blur from sharp photos, paired folders, TFDS pairs."""

from __future__ import annotations

from tfdeblur.data.files import decode_image, list_images
from tfdeblur.data.kernel_bank import kernel_bank, make_kernel
from tfdeblur.data.pairs import folder_pairs, pair_files, paired_batches, tfds_pairs
from tfdeblur.data.photos import photo_files
from tfdeblur.data.synthetic import synthetic_pairs

# Validation kernels come from a different seed stream than training kernels (held-out blur).
VALIDATION_SEED_OFFSET = 10_000


def training_datasets(data, return_kernel: bool = False, start: int = 0):
    """(train, validation) datasets for a `tfdeblur.config.DataConfig`.

    "synthetic": sharp photos from `train_dir` / `val_dir`, folders or `bsds500:<split>` (`photos`) (if
    `val_dir` is empty, the last tenth of the training photos is held out), blurred with kernels from
    disjoint seeds. "pairs": folders with blur/ and sharp/. "tfds": `tfds_name` splits "train" and "test".
    The training stream begins at example `start` (a resumed run passes step x batch size; see
    `tfdeblur.training.resume`).
    """
    if data.source == "synthetic":
        files = photo_files(data.train_dir, data.manual_dir, data.tfds_data_dir)
        if data.val_dir:
            val_files = photo_files(data.val_dir, data.manual_dir, data.tfds_data_dir)
        else:
            held_out = max(1, len(files) // 10)
            files, val_files = files[:-held_out], files[-held_out:]
        common = dict(patch_size=data.patch_size, batch_size=data.batch_size, channels=data.channels,
                      noise_sigma=tuple(data.noise_sigma), gain=tuple(data.gain),
                      jpeg_quality=tuple(data.jpeg_quality) or None, input_noise=data.input_noise,
                      return_kernel=return_kernel)
        bank = kernel_bank(data.kernels, data.kernel_size, data.kernel_bank, data.seed, data.motion_length)
        val_bank = kernel_bank(data.kernels, data.kernel_size, max(data.val_count, 1),
                               data.seed + VALIDATION_SEED_OFFSET, data.motion_length)
        train = synthetic_pairs(files, bank, training=True, seed=data.seed, shuffle_buffer=data.shuffle_buffer,
                                start=start, **common)
        val = synthetic_pairs(val_files, val_bank, training=False, count=data.val_count,
                              seed=data.seed + VALIDATION_SEED_OFFSET, **common)
        return train, val
    if return_kernel:
        from tfdeblur.errors import InputError

        raise InputError(f"data.source '{data.source}' has no kernels; non-blind training needs 'synthetic'")
    common = dict(patch_size=data.patch_size, batch_size=data.batch_size, channels=data.channels,
                  input_noise=data.input_noise, seed=data.seed)
    if data.source == "pairs":
        train = folder_pairs(data.train_dir, training=True, start=start, **common)
        val = folder_pairs(data.val_dir or data.train_dir, training=False, **common).take(
            -(-data.val_count // data.batch_size))
        return train, val
    kwargs = dict(data_dir=data.tfds_data_dir or None, manual_dir=data.manual_dir or None)
    train = tfds_pairs(data.tfds_name, "train", training=True, start=start, **common, **kwargs)
    val = tfds_pairs(data.tfds_name, "test", training=False, **common, **kwargs).take(
        -(-data.val_count // data.batch_size))
    return train, val


__all__ = ["decode_image", "list_images", "kernel_bank", "make_kernel", "folder_pairs", "pair_files",
           "paired_batches", "photo_files", "tfds_pairs", "synthetic_pairs", "training_datasets"]
