"""Write `datasets/levin/dummy_data/`: tiny fake Levin files in both layouts the builder reads.

- `manual/`: the manual_dir layout (blurry/, gt/, kernels/*.npy, kernels oriented for convolution and
  framed by zeros like the real ones);
- `download/`: the downloaded files (captures, gt/, and a MATLAB v5 `Levin09.mat` whose kernels are
  stored rotated by 180 degrees, as KAIR stores them).

Every blurry image really is its sharp image 'same'-blurred by its kernel, so tests can check the
kernels' orientation. Run: python tools/make_levin_dummy_data.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

from tfdeblur import io, physics

ROOT = Path(__file__).resolve().parents[1] / "datasets" / "levin" / "dummy_data"
SIZE = 48  # Levin's protocol crops 15 px per side and SSIM needs 11 more


def kernels() -> dict[int, np.ndarray]:
    """Two asymmetric kernels with a 7x7 support inside a 1-pixel zero frame (9x9), like the real files."""
    out = {}
    for kernel_id, angle in ((1, 20), (2, 125)):
        k = np.zeros((9, 9))
        inner = physics.motion_kernel(7, angle, size=7).astype(np.float64)
        inner[3:, 3:] *= 3.0  # break the point symmetry, so a 180-degree rotation is detectable
        k[1:-1, 1:-1] = inner / inner.sum()
        out[kernel_id] = k
    return out


def main() -> None:
    rng = np.random.default_rng(0)
    sharp = {i: physics.blur(rng.random((SIZE, SIZE)).astype(np.float32), physics.gaussian_kernel(1.0))
             for i in (1, 2)}
    ks = kernels()
    layouts = {"manual": [(1, 1), (1, 2), (2, 1)], "download": [(1, 1), (2, 2)]}
    for layout, pairs in layouts.items():
        root = ROOT / layout
        (root / "gt").mkdir(parents=True, exist_ok=True)
        blurry_dir = root / "blurry" if layout == "manual" else root
        blurry_dir.mkdir(parents=True, exist_ok=True)
        for image_id in sorted({i for i, _ in pairs}):
            io.write_image(root / "gt" / f"im{image_id}.png", sharp[image_id])
        for image_id, kernel_id in pairs:
            blurry = physics.blur(sharp[image_id], ks[kernel_id].astype(np.float32), mode="same")
            io.write_image(blurry_dir / f"im{image_id}_kernel{kernel_id}_img.png", blurry)
    (ROOT / "manual" / "kernels").mkdir(exist_ok=True)
    for kernel_id, k in ks.items():
        np.save(ROOT / "manual" / "kernels" / f"kernel{kernel_id}_conv.npy", k)
    cells = np.empty((1, len(ks)), dtype=object)
    for kernel_id, k in ks.items():
        cells[0, kernel_id - 1] = np.rot90(k, 2)
    scipy.io.savemat(ROOT / "download" / "Levin09.mat", {"kernels": cells})


if __name__ == "__main__":
    main()
