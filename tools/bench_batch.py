"""Throughput of `tfdeblur batch` (Beam DirectRunner) against a loop of `tfdeblur deblur`; prints JSON.

The photos: the first N BSDS500 test photos, blurred by one linear motion with noise (PNG, 8 bit). Every
run is a fresh Python process that imports `tfdeblur.cli` and then does all the work, so TensorFlow's
import, model loading and tracing count in every mode alike:
- loop: `tfdeblur deblur PHOTO -o OUT ...` once per photo, in one process (via `cli.main`);
- batch: `tfdeblur batch 'DIR/*.png' -o OUTDIR ...` on the DirectRunner (in process);
- batch_2proc: the same with `--direct_num_workers=2 --direct_running_mode=multi_processing`.
The batch outputs are compared byte for byte with the loop's; `cpu_seconds` is the CPU time of the run's
process and the worker processes it waited for.

    flock /tmp/tfdeblur-cpu.lock python tools/bench_batch.py --images 20 --methods wiener,ircnet --repeats 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

BSDS_TEST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bsds500" / "images" / "test"
MODES = {
    "loop": None,
    "batch": [],
    "batch_2proc": ["--direct_num_workers=2", "--direct_running_mode=multi_processing"],
}
# Run in a child process: time from the first tfdeblur call to the last output written.
CHILD = """
import json, resource, sys, time
from pathlib import Path
from tfdeblur.cli import main

def cpu():
    self, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return self.ru_utime + self.ru_stime + children.ru_utime + children.ru_stime

mode, photos, out, method_args, extra = json.loads(sys.argv[1])
start, start_cpu = time.perf_counter(), cpu()
if mode == "loop":
    codes = [main(["deblur", p, "-o", str(Path(out) / Path(p).name), *method_args]) for p in photos]
else:
    codes = [main(["batch", str(Path(photos[0]).parent / "*.png"), "-o", out, *method_args, *extra])]
print(json.dumps({"seconds": time.perf_counter() - start, "cpu_seconds": round(cpu() - start_cpu, 2),
                  "ok": all(c == 0 for c in codes)}))
"""


def make_photos(folder: Path, count: int, kernel_spec: str) -> tuple[list[str], Path]:
    from tfdeblur import io, physics

    files = sorted(BSDS_TEST.glob("*.jpg"))[:count]
    if len(files) < count:
        sys.exit(f"need {count} photos in {BSDS_TEST}, found {len(files)}")
    kernel = physics.kernel_from_spec(kernel_spec)
    np.save(folder / "kernel.npy", kernel)
    (folder / "photos").mkdir()
    paths = []
    for index, path in enumerate(files):
        blurry = physics.degrade(io.read_image(path), kernel, noise_sigma=0.01, seed=index)
        paths.append(str(io.write_image(folder / "photos" / f"{path.stem}.png", blurry)))
    return paths, folder / "kernel.npy"


def run_mode(mode: str, photos: list[str], out: Path, method_args: list[str]) -> dict:
    out.mkdir(parents=True)
    payload = json.dumps([mode, photos, str(out), method_args, MODES[mode] or []])
    done = subprocess.run([sys.executable, "-c", CHILD, payload], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{mode} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best_of(runs: list[dict], count: int) -> dict:
    """The fastest of the repeats (the least disturbed by anything else on the machine), and every time."""
    best = min(runs, key=lambda r: r["seconds"])
    return {"seconds": round(best["seconds"], 2), "cpu_seconds": best["cpu_seconds"],
            "images_per_s": round(count / best["seconds"], 3),
            "all_seconds": [round(r["seconds"], 2) for r in runs],
            "ok": all(r["ok"] for r in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--kernel", default="motion:15,30")
    parser.add_argument("--methods", default="wiener,ircnet", help="comma-separated; kernel given to all")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--repeats", type=int, default=2, help="runs per mode; the fastest is reported")
    args = parser.parse_args()

    import apache_beam
    import tensorflow as tf

    report = {"images": args.images, "photos": "BSDS500 test (481x321 / 321x481 RGB)", "kernel": args.kernel,
              "noise": 0.01, "cpus": os.cpu_count(), "tensorflow": tf.__version__,
              "apache_beam": apache_beam.__version__, "load_average_before": os.getloadavg(), "methods": {}}
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        tmp = Path(tmp)
        photos, kernel = make_photos(tmp, args.images, args.kernel)
        for method in args.methods.split(","):
            method_args = ["--method", method, "--kernel", str(kernel)]
            results = {}
            runs = {mode: [] for mode in args.modes.split(",")}
            for repeat in range(args.repeats):  # modes interleaved, so a disturbance hits them alike
                for mode in runs:
                    runs[mode].append(run_mode(mode, photos, tmp / method / f"{mode}{repeat}", method_args))
            for mode, mode_runs in runs.items():
                results[mode] = best_of(mode_runs, len(photos))
                if mode != "loop" and "loop" in runs:
                    results[mode]["identical_to_loop"] = all(
                        (tmp / method / f"{mode}0" / Path(p).name).read_bytes()
                        == (tmp / method / "loop0" / Path(p).name).read_bytes() for p in photos)
            report["methods"][method] = results
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    start = time.time()
    main()
    print(f"# {time.time() - start:.0f} s", file=sys.stderr)
