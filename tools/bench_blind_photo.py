"""The default command on a photo, as a new user would run it: PSNR gain, seconds and peak memory.

A sharp photo is upscaled (default 2x: a BSDS500 test photo becomes 962x642), blurred by a camera-shake
kernel (`physics.trajectory_kernel`, default 21 px) with gaussian noise (0.01) and saved as 8-bit PNG
by `tfdeblur blur`; then `tfdeblur deblur blurry.png -o out.png` runs with no other option, in a child
process whose wall time and peak resident memory (`getrusage(RUSAGE_CHILDREN)`) are measured. Prints
one JSON object: PSNR / SSIM of the blurry input and of the result against the sharp photo (plain, and
aligned by the Levin protocol: a blind kernel is known only up to a shift, and the result stays in the
blurry photo's frame, which a camera-shake kernel moves off the sharp one), the kernel found and
its error, seconds, peak RSS. Run it under the shared CPU lock:

    flock /tmp/tfdeblur-cpu.lock python tools/bench_blind_photo.py \\
        --photo ../shared/data/bsds500/images/test/100007.jpg --out /tmp/blind_photo
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from tfdeblur import io, metrics, physics  # noqa: E402


def _cli(*args) -> list[str]:
    return [sys.executable, "-m", "tfdeblur.cli", *map(str, args)]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photo", required=True, help="a sharp photo")
    parser.add_argument("--out", required=True, help="working folder (sharp, blurry, result, kernels)")
    parser.add_argument("--scale", type=float, default=2.0, help="upscaling of the photo (cubic)")
    parser.add_argument("--kernel-size", type=int, default=21, help="camera-shake kernel size")
    parser.add_argument("--kernel-seed", type=int, default=0)
    parser.add_argument("--noise", type=float, default=0.01)
    parser.add_argument("--extra", default="", help="options added to the deblur command (default: none)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    photo = io.read_image(args.photo)
    sharp = cv2.resize(photo, None, fx=args.scale, fy=args.scale, interpolation=cv2.INTER_CUBIC)
    sharp = np.clip(sharp, 0.0, 1.0).astype(np.float32)
    io.write_image(out / "sharp.png", sharp)
    kernel = physics.trajectory_kernel(args.kernel_size, seed=args.kernel_seed)
    np.save(out / "true_kernel.npy", kernel)
    subprocess.run(_cli("blur", out / "sharp.png", "-o", out / "blurry.png", "--kernel", out / "true_kernel.npy",
                        "--noise", args.noise, "--seed", 0), check=True, capture_output=True)
    for stale in ("deblurred.png", "kernel.png", "kernel.npy"):
        (out / stale).unlink(missing_ok=True)
    command = _cli("deblur", out / "blurry.png", "-o", out / "deblurred.png", "--save-kernel", out / "kernel.png",
                   *args.extra.split())
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"deblur failed ({run.returncode}): {run.stderr.strip()[-500:]}")
    peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    sharp8 = io.read_image(out / "sharp.png")
    blurry = io.read_image(out / "blurry.png")
    result = io.read_image(out / "deblurred.png")
    found = np.load(out / "kernel.npy")
    report = dict(
        photo=str(args.photo), size=list(sharp8.shape), kernel=f"trajectory {args.kernel_size} px seed "
        f"{args.kernel_seed}", noise=args.noise, command="tfdeblur deblur blurry.png -o deblurred.png "
        + " ".join(["--save-kernel kernel.png", *args.extra.split()]),
        blurry_psnr=round(metrics.psnr(blurry, sharp8), 3), psnr=round(metrics.psnr(result, sharp8), 3),
        blurry_aligned_psnr=round(metrics.aligned_psnr(blurry, sharp8), 3),
        aligned_psnr=round(metrics.aligned_psnr(result, sharp8), 3),
        blurry_ssim=round(metrics.ssim(blurry, sharp8), 4), ssim=round(metrics.ssim(result, sharp8), 4),
        blurry_aligned_ssim=round(metrics.aligned_ssim(blurry, sharp8), 4),
        aligned_ssim=round(metrics.aligned_ssim(result, sharp8), 4),
        kernel_found=list(found.shape), kernel_error=round(metrics.kernel_error(found, kernel), 4),
        seconds=round(seconds, 1), peak_rss_mb=round(peak_rss_mb, 1),
        stderr_tail=[line for line in run.stderr.strip().splitlines() if "estimated kernel" in line][-1:],
    )
    report["psnr_gain"] = round(report["psnr"] - report["blurry_psnr"], 3)
    report["aligned_psnr_gain"] = round(report["aligned_psnr"] - report["blurry_aligned_psnr"], 3)
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
