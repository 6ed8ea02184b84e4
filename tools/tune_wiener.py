"""Tune the default Wiener regularisation: reg = c * sigma^2 (floored), per prior. Prints JSON.

Sharp BSDS500 train images are blurred ('valid', as a camera would) with linear-motion and camera-shake
kernels, noise of several levels is added, and for every candidate c the mean PSNR over all cases is
computed. The best c is what `tfdeblur.solvers.wiener.REG_PER_VARIANCE` should hold.

    python tools/tune_wiener.py --images ../shared/data/bsds500/images/train --count 12
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from tfdeblur import io, metrics, physics
from tfdeblur.solvers.wiener import wiener


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default="../shared/data/bsds500/images/train")
    parser.add_argument("--count", type=int, default=12)
    parser.add_argument("--sigmas", default="0.005,0.01,0.02")
    args = parser.parse_args(argv)
    files = sorted(Path(args.images).glob("*.jpg"))[: args.count]
    if not files:
        sys.exit(f"no images in {args.images}")
    sigmas = [float(s) for s in args.sigmas.split(",")]
    candidates = [3, 10, 30, 100, 200, 400, 800, 1600, 3200]
    rng = np.random.default_rng(0)
    scores = {prior: {c: [] for c in candidates} for prior in ("gradient", "identity")}
    for i, path in enumerate(files):
        sharp = io.read_image(path)
        if i % 2:
            sharp = sharp.mean(axis=2)
        kernel = (physics.motion_kernel(rng.uniform(7, 25), rng.uniform(0, 180)) if i % 3
                  else physics.trajectory_kernel(25, seed=i))
        for sigma in sigmas:
            blurry, target = physics.degrade(sharp, kernel, noise_sigma=sigma, mode="valid", seed=i,
                                             return_target=True)
            for prior in scores:
                for c in candidates:
                    restored = wiener(blurry, kernel, reg=c * sigma**2, prior=prior)
                    scores[prior][c].append(metrics.psnr(restored, target))
    result = {}
    for prior, table in scores.items():
        means = {c: float(np.mean(v)) for c, v in table.items()}
        best = max(means, key=means.get)
        result[prior] = {"best_c": best, "mean_psnr_by_c": {str(c): round(m, 3) for c, m in means.items()}}
    result["cases"] = len(files) * len(sigmas)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
