#!/usr/bin/env python
"""Write datasets/gopro/dummy_data/: a tiny GOPRO_Large layout (and the same as GOPRO_Large.zip).

Frames are 48x64 crops of the bundled demo photo: `sharp/` the crop, `blur/` its linear-motion blur,
`blur_gamma/` the blur applied in linear intensity (gamma 2.2) and re-encoded, as GOPRO does.
Run from the repository root: `python tools/make_gopro_dummy_data.py`.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np

from tfdeblur import io, physics
from tfdeblur.tasks.demo import demo_image

FRAMES = {
    "train/GOPR0372_07_00": ["000047", "000048"],
    "train/GOPR0374_11_00": ["000001"],
    "test/GOPR0384_11_00": ["000001", "000002"],
}
SIZE = (48, 64)


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "datasets" / "gopro" / "dummy_data"
    root = out / "GOPRO_Large"
    shutil.rmtree(out, ignore_errors=True)
    photo = demo_image()
    kernel = physics.motion_kernel(7, 20)
    for index, (sequence, frames) in enumerate(sorted(FRAMES.items())):
        for offset, frame in enumerate(frames):
            top, left = 20 * index + 7 * offset, 30 * index + 11 * offset
            sharp = photo[top:top + SIZE[0], left:left + SIZE[1]]
            linear = sharp ** 2.2
            images = {
                "sharp": sharp,
                "blur": physics.blur(sharp, kernel, mode="same"),
                "blur_gamma": np.clip(physics.blur(linear, kernel, mode="same"), 0, 1) ** (1 / 2.2),
            }
            for kind, image in images.items():
                path = root / sequence / kind / f"{frame}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                io.write_image(path, np.clip(image, 0, 1).astype(np.float32))
    archive = out / "archive" / "GOPRO_Large.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as handle:
        for path in sorted(root.rglob("*.png")):
            handle.write(path, path.relative_to(out))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
