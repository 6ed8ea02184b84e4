"""Benchmark SelfDeblur on a Levin et al. image: speed, memory and quality along the optimisation.

Prints one JSON object: seconds per step (median after warm-up, and the mean), peak resident memory,
and every `--every` steps the aligned PSNR / SSIM (Levin protocol) of the estimate and the kernel
error against the true kernel. Run it under the shared CPU lock so timings are comparable:

    flock /tmp/tfdeblur-cpu.lock python tools/bench_selfdeblur.py --data ../shared/data/levin09_im1 \\
        --image 1 --kernel 1 --kernel-size 17 --steps 400

The data folder is laid out as `blurry/im{I}_kernel{K}_img.png`, `gt/im{I}.png`,
`kernels/kernel{K}_conv.npy` (the layout of `datasets/levin`'s manual folder).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from tfdeblur import io, metrics  # noqa: E402
from tfdeblur.models.selfdeblur import SelfDeblur  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/levin09_im1"))
    parser.add_argument("--image", type=int, default=1)
    parser.add_argument("--kernel", type=int, default=1)
    parser.add_argument("--kernel-size", type=int, default=17)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--every", type=int, default=100, help="quality is measured every N steps")
    parser.add_argument("--warmup", type=int, default=5, help="steps left out of the timing median")
    parser.add_argument("--precision", default="float32", choices=("float32", "mixed_bfloat16"))
    parser.add_argument("--jit", action="store_true", help="compile the step with XLA")
    parser.add_argument("--optimization", default="joint", choices=("joint", "alternating"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", help="folder for the estimated image/kernel (PNG + .npy) at the end")
    parser.add_argument("--log-dir", help="TensorBoard log folder")
    parser.add_argument("--schedule", default="paper", choices=("paper", "fast"),
                        help="fast: per-capture JSON lines and the mean (tools/bench_selfdeblur_fast.py)")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_selfdeblur_fast

    bench_selfdeblur_fast.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.schedule == "fast":
        return bench_selfdeblur_fast.run(args)

    data = Path(args.data)
    blurry = io.read_image(data / "blurry" / f"im{args.image}_kernel{args.kernel}_img.png")
    sharp = io.read_image(data / "gt" / f"im{args.image}.png")
    true_kernel = np.load(data / "kernels" / f"kernel{args.kernel}_conv.npy")
    curve = []

    def measure(step, image, kernel):
        curve.append(dict(step=step, aligned_psnr=round(metrics.aligned_psnr(image, sharp), 3),
                          aligned_ssim=round(metrics.aligned_ssim(image, sharp), 4),
                          kernel_error=round(metrics.kernel_error(kernel, true_kernel), 4),
                          loss=round(solver.history.loss[step - 1], 6)))
        print(json.dumps(curve[-1]), file=sys.stderr, flush=True)

    solver = SelfDeblur(args.kernel_size, iterations=args.steps, seed=args.seed, optimization=args.optimization,
                        precision=args.precision, jit_compile=args.jit, log_every=args.every, callback=measure,
                        log_dir=args.log_dir, progress=False)
    start = time.perf_counter()
    image, kernel = solver.run(blurry)
    total = time.perf_counter() - start
    times = solver.history.step_seconds
    # The loss switches to 1 - SSIM at step `ssim_start`: that step traces a second function.
    ssim_start = solver._schedule(False)[1]
    steady = [t for i, t in enumerate(times) if i >= args.warmup and i != ssim_start]
    report = dict(
        image=f"im{args.image}_kernel{args.kernel}", kernel_size=args.kernel_size, steps=args.steps,
        precision=args.precision, jit_compile=args.jit, optimization=args.optimization, seed=args.seed,
        generated_size=[blurry.shape[0] + args.kernel_size - 1, blurry.shape[1] + args.kernel_size - 1],
        seconds_per_step_median=round(statistics.median(steady), 4) if steady else None,
        seconds_per_step_mean=round(statistics.fmean(steady), 4) if steady else None,
        first_step_seconds=round(times[0], 2), total_seconds=round(total, 1),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        blurry_aligned_psnr=round(metrics.aligned_psnr(blurry, sharp), 3),
        final_aligned_psnr=round(metrics.aligned_psnr(image, sharp), 3),
        final_aligned_ssim=round(metrics.aligned_ssim(image, sharp), 4),
        final_kernel_error=round(metrics.kernel_error(kernel, true_kernel), 4),
        curve=curve,
    )
    if args.save:
        out = Path(args.save)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"im{args.image}_kernel{args.kernel}_{args.steps}steps"
        io.write_image(out / f"{stem}_x.png", image)
        io.write_kernel(out / f"{stem}_k.png", kernel)
        io.write_kernel(out / f"{stem}_k.npy", kernel)
        report["saved"] = str(out)
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
