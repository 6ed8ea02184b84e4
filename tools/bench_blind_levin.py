"""The blind method on Levin et al.'s captures: one JSON line per image, then the mean.

Run directly (or through `tools/bench_selfdeblur.py --schedule fast|compare`), under the shared CPU lock:

    flock /tmp/tfdeblur-cpu.lock python tools/bench_blind_levin.py \\
        --data ../shared/data/levin09_im1 --kernels 1,2,3,4,5,6,7,8 --fast-kernel-size auto

Per image: Levin-protocol PSNR / SSIM (`metrics.aligned_psnr`, 0.25 px shifts), the error ratio against
the same non-blind finish (`irc`, the same prior weight) with the true kernel, the kernel error, the kernel
size found, seconds (estimation, finish, total) and the process's peak RSS so far.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from tfdeblur import io, metrics  # noqa: E402
from tfdeblur.models.blind import BlindOptions, deblur_method  # noqa: E402
from tfdeblur.models.blind.pipeline import finish_lam  # noqa: E402
from tfdeblur.solvers.irc import irc  # noqa: E402


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kernels", default="1,2,3,4,5,6,7,8", help="blind: captures to run")
    parser.add_argument("--fast-kernel-size", default="true",
                        help="blind: 'true' (each true kernel's size), 'auto', or a number")
    parser.add_argument("--fast-options", default="{}", help="blind: JSON of BlindOptions fields")


def run(args) -> dict:
    data = Path(args.data)
    sharp = io.read_image(data / "gt" / f"im{args.image}.png")
    options = json.loads(args.fast_options)
    rows = []
    for k in [int(v) for v in args.kernels.split(",")]:
        blurry = io.read_image(data / "blurry" / f"im{args.image}_kernel{k}_img.png")
        true_kernel = np.load(data / "kernels" / f"kernel{k}_conv.npy")
        true_kernel = true_kernel / true_kernel.sum()
        size = {"true": max(true_kernel.shape), "auto": "auto"}.get(args.fast_kernel_size)
        size = int(args.fast_kernel_size) if size is None else size
        start = time.perf_counter()
        result = deblur_method(blurry, kernel_size=size, options=options, progress=False)
        image, kernel, info = result.image, result.kernel, result.info
        seconds = time.perf_counter() - start
        # The error ratio's reference: the same finish (solver and the weight the method used) with the true
        # kernel; a refused estimate has no finish, and gets the weight of an unrefined kernel.
        lam = info["finish_reg"] if info["model"] != "none" else finish_lam(blurry, BlindOptions(**options))
        reference = irc(blurry, true_kernel, lam=lam)
        rows.append(dict(
            image=f"im{args.image}_kernel{k}", kernel_size=size, kernel_size_found=info["kernel_size"],
            aligned_psnr=round(metrics.aligned_psnr(image, sharp), 3),
            aligned_ssim=round(metrics.aligned_ssim(image, sharp), 4),
            error_ratio=round(metrics.error_ratio(image, reference, sharp), 3),
            true_kernel_psnr=round(metrics.aligned_psnr(reference, sharp), 3),
            kernel_error=round(metrics.kernel_error(kernel, true_kernel), 4),
            blurry_psnr=round(metrics.aligned_psnr(blurry, sharp), 3),
            seconds=round(seconds, 1), stages=info["stages"], model=info["model"], reason=info["reason"],
            checks=info["checks"],
            levels=[[lv["shape"][0], lv["kernel_size"][0], lv["steps"]] for lv in info["levels"]],
            peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)))
        if getattr(args, "save", None):  # what `--schedule compare --save` puts in its panels
            Path(args.save).mkdir(parents=True, exist_ok=True)
            io.write_image(Path(args.save) / f"{rows[-1]['image']}_fast_x.png", np.clip(image, 0, 1))
            np.save(Path(args.save) / f"{rows[-1]['image']}_fast_k.npy", kernel)
        print(json.dumps(rows[-1]), flush=True)
    keys = ("aligned_psnr", "aligned_ssim", "error_ratio", "true_kernel_psnr", "kernel_error", "blurry_psnr",
            "seconds")
    mean = {key: round(statistics.fmean(r[key] for r in rows), 4) for key in keys}
    summary = dict(method="blind", images=len(rows), options=options, seed=args.seed, mean=mean, rows=rows,
                   max_seconds=max(r["seconds"] for r in rows),
                   peak_rss_mb=max(r["peak_rss_mb"] for r in rows))
    print(json.dumps({key: value for key, value in summary.items() if key != "rows"}), flush=True)
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/levin09_im1"))
    parser.add_argument("--image", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    add_arguments(parser)
    run(parser.parse_args())
