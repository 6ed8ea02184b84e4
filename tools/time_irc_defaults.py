"""Interleaved timing of the IRC solver: the previous default (blurry start, 40 x 2) against the current one
(Wiener start, 20 x 12) on Levin im1's 8 captures, 3 rounds, medians and their ratio, as one JSON line.

    flock /tmp/tfdeblur-cpu.lock python tools/time_irc_defaults.py --data ../shared/data/levin09_im1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from tfdeblur import io  # noqa: E402
from tfdeblur.solvers.irc import irc  # noqa: E402

CONFIGS = {"previous (blurry start, 40 x 2)": dict(start="blurry", iterations=40, inner=2),
           "default (wiener start, 20 x 12)": {}}


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/levin09_im1"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = Path(args.data)
    blurry = [io.read_image(data / "blurry" / f"im1_kernel{k}_img.png") for k in range(1, 9)]
    kernels = [np.load(data / "kernels" / f"kernel{k}_conv.npy") for k in range(1, 9)]
    kernels = [k / k.sum() for k in kernels]
    for options in CONFIGS.values():  # trace both compiled solvers first
        irc(blurry[0], kernels[0], **options)
    times = {name: [] for name in CONFIGS}
    for _ in range(args.rounds):
        for y, k in zip(blurry, kernels):
            for name, options in CONFIGS.items():  # interleaved: a burst of other load hits both
                start = time.perf_counter()
                irc(y, k, **options)
                times[name].append(time.perf_counter() - start)
    medians = {name: round(statistics.median(values), 3) for name, values in times.items()}
    old, new = medians.values()
    report = dict(median_seconds=medians, ratio=round(new / old, 3), load_average=os.getloadavg())
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
