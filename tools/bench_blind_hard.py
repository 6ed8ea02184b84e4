"""Blind deblurring on what makes real photos hard: large shake, clipped lights, shake that varies across the
frame, already sharp photos. Prints JSON; writes a side-by-side PNG per photo.

Cases are made from BSDS500 photos (`--split`: tune on train/val, report on test), upscaled by 1.6 and
centre-cropped to 768x512 (Lai et al.'s photos are ~1024x700; BSDS500's are 481x321):

- large:      a random camera-shake trajectory spanning 45-75 px (`physics.trajectory_kernel`), noise 0.01;
- clipped:    the photo in linear intensity (gamma 2.2) darkened to 40 %, 12-30 small lights at 3x white,
              blurred by one of Levin's real kernels at a random rotation and flip (or a 15-27 px trajectory
              when Levin's kernels are not at hand), back to gamma, noise 0.01, clipped to [0, 1]; the reference
              is the clipped sharp photo;
- nonuniform: the mean of the photo warped along a smooth random path of in-plane rotations up to 1.5 deg
              about the centre and translations up to 12 px, noise 0.01;
- sharp:      the photo itself with noise 0.005 (the result should stay close to it: >= 35 dB);
- lowlight:   the large-shake case at 25 % exposure with noise 0.03 (a dark, noisy capture);
- captures:   Levin-like captures: a random 255x255 gray crop of the photo at its own size (not upscaled),
              one of Levin's real kernels at a random rotation and flip, noise 0.005-0.01 (so the estimator
              is not tuned to Levin's im1 alone).

PSNR of the blurry input and of the result are taken after the best integer shift within 25 px (blind
deconvolution is defined up to a shift), with 25 px borders cropped. Runs in this process through
`tfdeblur.deblur` (so start-up is paid once); seconds are per photo, peak RSS is the process's. Where one
kernel was found and the true one is known, a row has `kernel_error` (`metrics.kernel_error`); with
`--true-kernel`, `true_kernel_gain_db`: the same finish by the true kernel, the bound an estimate can reach.

    flock /tmp/tfdeblur-cpu.lock python tools/bench_blind_hard.py --category large --split val --photos 4 \\
        --out runs/bench_large
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

CATEGORIES = ("large", "clipped", "nonuniform", "sharp", "lowlight", "captures")
CAPTURE_SIDE = 255
SHAPE = (512, 768)
MAX_SHIFT = 25
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BSDS = ROOT.parent / "shared" / "data" / "bsds500"
DEFAULT_LEVIN = ROOT.parent / "shared" / "data" / "levin09_im1" / "kernels"


def photos(root: Path, split: str, count: int, seed: int) -> list[Path]:
    files = sorted((root / "images" / split).glob("*.jpg"))
    if not files:
        sys.exit(f"error: no BSDS500 photos in {root / 'images' / split} (set --bsds500)")
    order = np.random.default_rng(seed).permutation(len(files))[:count]
    return [files[i] for i in order]


def prepare(path: Path) -> np.ndarray:
    from tfdeblur import io

    image = io.read_image(path)
    if image.shape[0] > image.shape[1]:
        image = np.ascontiguousarray(np.rot90(image))
    scale = max(SHAPE[0] / image.shape[0], SHAPE[1] / image.shape[1])
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    top, left = (image.shape[0] - SHAPE[0]) // 2, (image.shape[1] - SHAPE[1]) // 2
    return np.clip(image[top:top + SHAPE[0], left:left + SHAPE[1]], 0.0, 1.0).astype(np.float32)


def capture_crop(path: Path, rng) -> np.ndarray:
    """A random CAPTURE_SIDE x CAPTURE_SIDE gray crop of the photo at its own resolution."""
    from tfdeblur import io
    from tfdeblur.physics.degradations import LUMA_WEIGHTS

    image = io.read_image(path)
    gray = image @ LUMA_WEIGHTS if image.ndim == 3 else image
    top = int(rng.integers(0, gray.shape[0] - CAPTURE_SIDE + 1))
    left = int(rng.integers(0, gray.shape[1] - CAPTURE_SIDE + 1))
    return np.ascontiguousarray(gray[top:top + CAPTURE_SIDE, left:left + CAPTURE_SIDE], np.float32)


def noisy(image: np.ndarray, sigma: float, rng) -> np.ndarray:
    return np.clip(image + rng.normal(0.0, sigma, image.shape), 0.0, 1.0).astype(np.float32)


def real_kernel(levin: Path, rng) -> np.ndarray:
    from tfdeblur import physics

    files = sorted(levin.glob("*.npy")) + sorted(levin.glob("*.png")) if levin.is_dir() else []
    if not files:
        size = int(rng.integers(8, 14)) * 2 + 1
        return physics.trajectory_kernel(size, seed=int(rng.integers(1 << 30)), extent=size - 2)
    path = files[int(rng.integers(len(files)))]
    k = np.load(path) if path.suffix == ".npy" else cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    k = np.asarray(k, np.float64)
    if k.ndim == 3:
        k = k.mean(axis=2)
    side = int(np.ceil(max(k.shape) * 1.5)) | 1
    canvas = np.zeros((side, side))
    top, left = (side - k.shape[0]) // 2, (side - k.shape[1]) // 2
    canvas[top:top + k.shape[0], left:left + k.shape[1]] = k
    rotation = cv2.getRotationMatrix2D(((side - 1) / 2, (side - 1) / 2), float(rng.uniform(0, 360)), 1.0)
    canvas = cv2.warpAffine(canvas, rotation, (side, side), flags=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        canvas = canvas[:, ::-1]
    canvas = np.maximum(canvas, 0.0)
    return (canvas / canvas.sum()).astype(np.float32)


def shake_blur(image: np.ndarray, rng, max_degrees: float = 1.5, max_shift: float = 12.0,
               samples: int = 48) -> np.ndarray:
    """Mean of the image warped along a smooth random path of rotations about the centre and translations."""
    t = np.linspace(0.0, 1.0, samples)
    path = []
    for limit in (max_degrees, max_shift, max_shift):
        a, b, phase = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0, 2 * np.pi)
        curve = a * t + b * np.sin(np.pi * t + phase)
        curve -= curve.mean()
        path.append(limit * curve / max(np.abs(curve).max(), 1e-9))
    h, w = image.shape[:2]
    centre = ((w - 1) / 2, (h - 1) / 2)
    out = np.zeros_like(image, dtype=np.float64)
    for angle, dy, dx in zip(*path):
        matrix = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        matrix[:, 2] += (dx, dy)
        out += cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return (out / samples).astype(np.float32)


def gamma_encode(linear: np.ndarray) -> np.ndarray:
    return np.clip(linear, 0.0, 1.0) ** (1 / 2.2)


def as_rgb(a: np.ndarray) -> np.ndarray:
    return a if a.ndim == 3 else np.repeat(a[..., None], 3, axis=2)


def make_case(category: str, sharp: np.ndarray, rng, levin: Path, noise: float | None = None):
    """(blurry, reference, true kernel or None); `noise` replaces the category's noise level (the random
    draws stay the same, so the photos and kernels do too)."""
    from tfdeblur import physics

    def level(default: float) -> float:
        return default if noise is None else noise

    if category in ("large", "lowlight"):
        extent = float(rng.uniform(45, 75))
        size = int(np.ceil(extent)) + 4 | 1
        kernel = physics.trajectory_kernel(size, seed=int(rng.integers(1 << 30)), extent=extent)
        if category == "lowlight":
            sharp = sharp * 0.25
        blurred = physics.blur(sharp, kernel, mode="same")
        return noisy(blurred, level(0.03 if category == "lowlight" else 0.01), rng), sharp, kernel
    if category == "clipped":
        linear = sharp.astype(np.float64) ** 2.2 * 0.4
        h, w = linear.shape[:2]
        for _ in range(int(rng.integers(12, 31))):
            y, x, r = int(rng.integers(10, h - 10)), int(rng.integers(10, w - 10)), int(rng.integers(1, 4))
            cv2.circle(linear, (x, y), r, (3.0, 3.0, 3.0), -1)
        kernel = real_kernel(levin, rng)
        blurred = np.asarray(physics.blur(linear.astype(np.float32), kernel, mode="same"), np.float64)
        return noisy(gamma_encode(blurred), level(0.01), rng), gamma_encode(linear).astype(np.float32), kernel
    if category == "captures":
        kernel = real_kernel(levin, rng)
        blurred = np.asarray(physics.blur(sharp, kernel, mode="same"), np.float32)
        return noisy(blurred, level(float(rng.uniform(0.005, 0.01))), rng), sharp, kernel
    if category == "nonuniform":
        return noisy(shake_blur(sharp, rng), level(0.01), rng), sharp, None
    if category == "sharp":
        return noisy(sharp, level(0.005), rng), sharp, None
    raise ValueError(category)


def saved_as(image: np.ndarray, encoding: str) -> np.ndarray:
    """`image` saved as an 8-bit file and decoded again: "png" (only rounded to 8 bits) or "jpg:QUALITY"."""
    from tfdeblur import io

    extension, _, quality = encoding.partition(":")
    return io.decode_image(io.encode_image(image, "." + extension, quality=int(quality or 95)))


def encoding_arg(value: str) -> str:
    """argparse type of --encode: "png", or "jpg:Q" with Q in 1-100."""
    extension, _, quality = value.partition(":")
    if extension == "png" and not quality:
        return value
    if extension == "jpg" and quality.isdigit() and 1 <= int(quality) <= 100:
        return value
    raise argparse.ArgumentTypeError(f"expected png or jpg:QUALITY (1-100), got {value!r}")


def true_kernel_finish(blurry: np.ndarray, kernel: np.ndarray, options: dict, lam: float | None = None) -> np.ndarray:
    """The blind method's finish (clipped-light handling, options, and the prior weight `lam` it used, else the
    weight of an unrefined kernel) by the true kernel."""
    from tfdeblur.models.blind import pipeline
    from tfdeblur.models.blind.options import BlindOptions
    from tfdeblur.physics.degradations import DISPLAY_GAMMA

    blind = BlindOptions(**dict(options.get("options") or {}))
    if options.get("linear_light"):
        blind.clipped_gamma = DISPLAY_GAMMA
    clipped = blind.clipped and bool(pipeline.clipped_pixels(blurry).any())
    lam = pipeline.finish_lam(blurry, blind) if lam is None else lam
    return pipeline.finish(blurry, kernel, None, blind, lam, clipped)


def side_by_side(path: Path, blurry, result, kernel_true, kernel_found, scale: float = 1.0) -> None:
    from tfdeblur import io

    def kernel_tile(k, height, width):
        tile = np.zeros((height, width, 3), np.float32)
        if k is None:
            return tile
        k = np.asarray(k, np.float32) / max(float(np.max(k)), 1e-12)
        scale = max(1, min(height, width) // (2 * max(k.shape)))
        big = cv2.resize(k, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)[:height, :width]
        tile[:big.shape[0], :big.shape[1]] = big[..., None]
        return tile

    h = blurry.shape[0]
    side = h - h // 2  # the two tiles stack to the photo's height, odd or even
    kernels = np.concatenate([kernel_tile(kernel_true, h // 2, side), kernel_tile(kernel_found, side, side)], axis=0)
    picture = np.concatenate([as_rgb(blurry), as_rgb(result), kernels], axis=1)
    if scale != 1.0:
        picture = cv2.resize(picture, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    io.write_image(path, picture)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--category", choices=CATEGORIES, required=True)
    parser.add_argument("--split", default="test", choices=("train", "val", "test"))
    parser.add_argument("--photos", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bsds500", type=Path, default=Path(os.environ.get("TFDEBLUR_BSDS500", DEFAULT_BSDS)))
    parser.add_argument("--levin-kernels", type=Path, default=DEFAULT_LEVIN)
    parser.add_argument("--method", default="blind")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="an option of the method (value parsed as JSON when it can be)")
    parser.add_argument("--out", type=Path, help="folder for the side-by-side PNGs")
    parser.add_argument("--picture-scale", type=float, default=1.0,
                        help="scale of the side-by-side PNGs (e.g. 0.5 for the ones committed to benchmarks/)")
    parser.add_argument("--noise", type=float, help="noise level of every case, replacing the category's")
    parser.add_argument("--encode", type=encoding_arg, metavar="png|jpg:QUALITY",
                        help="save every blurry case as an 8-bit file (png, or jpg:90 for a JPEG of quality 90) and "
                             "deblur what it decodes to, as a photo's file would be")
    parser.add_argument("--true-kernel", action="store_true",
                        help="also deblur each photo by the blind method's finish with the true kernel (the bound an "
                             "estimate can reach; categories with one kernel, method blind)")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="run only these photos of the set (e.g. 69020.jpg); each keeps its blur")
    args = parser.parse_args(argv)
    if args.noise is not None and not 0.0 <= args.noise <= 1.0:
        parser.error(f"--noise must be in [0, 1], got {args.noise}")
    if args.true_kernel and args.method != "blind":
        parser.error("--true-kernel measures the blind method's finish: use it with --method blind")

    from tfdeblur import io, methods, metrics

    options = {"progress": False} if args.method in ("blind", "selfdeblur") else {}
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for index, path in enumerate(photos(args.bsds500, args.split, args.photos, args.seed)):
        if args.only and path.name not in args.only:
            continue
        rng = np.random.default_rng([args.seed, index, CATEGORIES.index(args.category)])
        sharp = capture_crop(path, rng) if args.category == "captures" else prepare(path)
        blurry, reference, kernel = make_case(args.category, sharp, rng, args.levin_kernels, args.noise)
        if args.encode:
            blurry = saved_as(blurry, args.encode)
        tick = time.perf_counter()
        result = methods.run(blurry, method=args.method, **options)
        seconds = time.perf_counter() - tick

        def score(x):
            return metrics.aligned_psnr(x, reference, MAX_SHIFT, MAX_SHIFT, 1.0)

        row = dict(photo=path.name, kernel_px=None if kernel is None else int(max(kernel.shape)),
                   blurry_psnr=round(score(blurry), 2), result_psnr=round(score(result.image), 2),
                   seconds=round(seconds, 1),
                   kernel_found=None if result.kernel is None else list(np.shape(result.kernel)),
                   info={k: v for k, v in (result.info or {}).items()
                         if k in ("model", "reason", "warning", "estimation_scale", "stages", "checks", "regions",
                                  "retried")})
        if (result.info or {}).get("coarse"):
            row["info"]["coarse_extent"] = result.info["coarse"]["kernel_size"][0]
        row["gain_db"] = round(row["result_psnr"] - row["blurry_psnr"], 2)
        if kernel is not None and (result.info or {}).get("model") == "uniform":
            row["kernel_error"] = round(metrics.kernel_error(result.kernel, kernel), 3)
        if args.true_kernel and kernel is not None:
            used = (result.info or {}).get("finish_reg") if row["info"].get("model") != "none" else None
            bound = true_kernel_finish(blurry, kernel, options, used)
            row["true_kernel_gain_db"] = round(score(bound) - row["blurry_psnr"], 2)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
        if args.out and result.kernel is not None:
            np.save(args.out / f"{args.category}_{path.stem}_kernel.npy", result.kernel)
            if kernel is not None:
                np.save(args.out / f"{args.category}_{path.stem}_true_kernel.npy", kernel)
        if args.out:
            grid = (result.info or {}).get("kernel_grid")  # a kernel per region: shown as the grid
            found = result.kernel if grid is None else io.kernel_mosaic(grid)
            side_by_side(args.out / f"{args.category}_{path.stem}.png", blurry, result.image, kernel, found,
                         args.picture_scale)
    if not rows:
        parser.error(f"none of --only {' '.join(args.only)} is among the set's photos")
    gains = [r["gain_db"] for r in rows]
    bounds = [r["true_kernel_gain_db"] for r in rows if "true_kernel_gain_db" in r]
    report = dict(category=args.category, split=args.split, noise=args.noise, encode=args.encode,
                  method=args.method, options=options, photos=len(rows), mean_gain_db=round(float(np.mean(gains)), 2),
                  min_gain_db=round(float(np.min(gains)), 2),
                  **({"mean_true_kernel_gain_db": round(float(np.mean(bounds)), 2)} if bounds else {}),
                  mean_result_psnr=round(float(np.mean([r["result_psnr"] for r in rows])), 2),
                  max_seconds=max(r["seconds"] for r in rows),
                  peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), rows=rows)
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
