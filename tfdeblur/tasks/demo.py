"""`tfdeblur demo`: blur a bundled photo, deblur it with every registered method, compare side by side."""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from tfdeblur import io, methods, metrics, physics
from tfdeblur.errors import InputError

DEMO_IMAGE = "astronaut_256.png"
DEMO_KERNEL = dict(length=15, angle_deg=30)
DEMO_NOISE = 0.01
DEMO_SEED = 0


def demo_image() -> np.ndarray:
    """The bundled sharp photo (256x256 RGB, float32 in [0, 1])."""
    with resources.as_file(resources.files("tfdeblur") / "assets" / DEMO_IMAGE) as path:
        return io.read_image(path)


def _caption(tile: np.ndarray, text: str) -> np.ndarray:
    band = np.full((22, tile.shape[1], 3), 255, np.uint8)  # OpenCV draws text on 8-bit images only
    cv2.putText(band, text, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([band.astype(np.float32) / 255.0, tile], axis=0)


def with_kernel_inset(image: np.ndarray, kernel: np.ndarray, scale: int = 3) -> np.ndarray:
    """The image (HxWx3) with the kernel, scaled to its peak and enlarged `scale` times, in its top-left corner."""
    inset = cv2.resize(kernel / kernel.max(), None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    out = image.copy()
    h, w = inset.shape
    out[2:2 + h, 2:2 + w] = inset[..., None]
    return out


def comparison_panel(tiles: list[tuple[str, np.ndarray]], columns: int = 4) -> np.ndarray:
    """Captioned images in a grid (all tiles must share a size), white gaps between them."""
    captioned = [_caption(np.atleast_3d(t).repeat(3 // np.atleast_3d(t).shape[2], axis=2), c) for c, t in tiles]
    h, w, _ = captioned[0].shape
    rows = -(-len(captioned) // columns)
    gap = 4
    panel = np.ones((rows * (h + gap) - gap, min(columns, len(captioned)) * (w + gap) - gap, 3), np.float32)
    for i, tile in enumerate(captioned):
        r, c = divmod(i, columns)
        panel[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = tile
    return panel


def run_demo(output_dir: Path, names: list[str] | None = None) -> dict:
    """Run the demo and write `comparison.png`, each result and `metrics.json` into `output_dir`.

    Returns the report (also printed by the CLI): PSNR/SSIM of the blurry input and of every method
    against the sharp image, and seconds per method.
    """
    if names is None:
        names = [name for name in methods.available()
                 if methods.REGISTRY[name].demo_options is not None and methods.REGISTRY[name].in_default_demo]
    specs = [methods.get(name) for name in names]
    for spec in specs:
        if spec.demo_options is None:
            raise InputError(f"method '{spec.name}' has no demo settings")
    output_dir.mkdir(parents=True, exist_ok=True)
    if not output_dir.is_dir():
        raise InputError(f"cannot use {output_dir} as the output folder")

    kernel = physics.motion_kernel(**DEMO_KERNEL)
    blurry, sharp = physics.degrade(demo_image(), kernel, noise_sigma=DEMO_NOISE, mode="valid",
                                    seed=DEMO_SEED, return_target=True)
    report = {
        "image": DEMO_IMAGE, "kernel": f"motion length {DEMO_KERNEL['length']} angle {DEMO_KERNEL['angle_deg']}",
        "noise_sigma": DEMO_NOISE,
        "blurry": {"psnr": round(metrics.psnr(blurry, sharp), 3), "ssim": round(metrics.ssim(blurry, sharp), 4)},
        "methods": {},
    }
    tiles = [("sharp", sharp), (f"blurry {report['blurry']['psnr']:.2f} dB", with_kernel_inset(blurry, kernel))]
    io.write_image(output_dir / "blurry.png", blurry)
    for spec in specs:
        start = time.perf_counter()
        given = kernel if spec.needs_kernel or spec.accepts_kernel else None
        result = methods.run(blurry, method=spec.name, kernel=given,
                              **methods.options_for(spec, kernel, spec.demo_options or {}))
        seconds = time.perf_counter() - start
        entry = {"psnr": round(metrics.psnr(result.image, sharp), 3),
                 "ssim": round(metrics.ssim(result.image, sharp), 4), "seconds": round(seconds, 2)}
        if not (spec.needs_kernel or spec.accepts_kernel) and result.kernel is not None:
            entry["kernel_error"] = round(metrics.kernel_error(result.kernel, kernel), 4)
        report["methods"][spec.name] = entry
        io.write_image(output_dir / f"{spec.name}.png", result.image)
        shown = with_kernel_inset(result.image, result.kernel) if result.kernel is not None else result.image
        tiles.append((f"{spec.name} {entry['psnr']:.2f} dB", shown))
    io.write_image(output_dir / "comparison.png", comparison_panel(tiles))
    io.write_text(output_dir / "metrics.json", json.dumps(report, indent=1) + "\n")
    report["outputs"] = str(output_dir / "comparison.png")
    return report
