"""The Levin et al. (CVPR 2009) benchmark for `tfdeblur evaluate --dataset levin`, via its TFDS builder.

The builder is `datasets/levin/` (laid out as `tfds new` does), shipped inside the package as
`tfdeblur/datasets/levin/` (a link in a source checkout, package data in a wheel). `levin_samples`
prepares it and returns the 32 captures (or the subset a manual folder holds) as `EvalSample`s.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from tfdeblur.data import builders
from tfdeblur.data.samples import EvalSample
from tfdeblur.errors import InputError

BUILDER_FILE = builders.builder_file("levin")


def builder_class():
    """The TFDS `Builder` of `datasets/levin` (see `tfdeblur.data.builders`)."""
    return builders.builder_class("levin")


def levin_samples(data_dir: str | None = None, limit: int | None = None, split: str | None = None, **_):
    """Levin's captures as `EvalSample`s (gray HxWx1 float images, float kernels).

    Args:
        data_dir: a manual folder (`blurry/`, `gt/`, `kernels/`; see `datasets/levin/README.md`), which
            is prepared in a temporary TFDS folder each time (it is small), or a TFDS data_dir where the
            downloaded dataset is (or will be) prepared; None: TFDS's default data_dir.
        limit: only the first N captures (ordered im1_kernel1, im1_kernel2, ...).
        split: "test" (the only split).
    """
    import tensorflow_datasets as tfds

    manual = data_dir is not None and (Path(data_dir) / "blurry").is_dir()
    tfds_dir = tempfile.mkdtemp(prefix="tfdeblur-levin-") if manual else data_dir
    builder = builder_class()(data_dir=tfds_dir)
    config = tfds.download.DownloadConfig(manual_dir=str(data_dir) if manual else None)
    samples = []
    try:
        builder.download_and_prepare(download_config=config)
        for example in tfds.as_numpy(builder.as_dataset(split=split or "test")):
            name = f"im{int(example['image_id'])}_kernel{int(example['kernel_id'])}"
            samples.append(EvalSample(name, example["blurry"].astype(np.float32) / 255.0,
                                      example["sharp"].astype(np.float32) / 255.0, example["kernel"]))
    except Exception as err:  # no network, bad files, unknown split, ...
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"cannot prepare the levin dataset: {first} (give --data-dir a folder with "
                         "blurry/, gt/ and kernels/; see datasets/levin/README.md)") from None
    finally:
        if manual:
            shutil.rmtree(tfds_dir, ignore_errors=True)
    samples.sort(key=lambda s: tuple(int(p) for p in s.name[2:].split("_kernel")))
    return samples[:limit]
