"""One photo per process, as a shell loop would run it: `tfdeblur deblur` against a bare `import tensorflow`.

Every call is a fresh process (the installed `tfdeblur` console script, or `python -m tfdeblur.cli`). In one
run it times `python -c "import tensorflow"` and single-photo `tfdeblur deblur` calls of wiener and ircnet
with the true kernel, the blind default and idc, on a 255x255 real capture (Levin's im1, kernel 1) and on a
~1 megapixel colour photo (a BSDS500 test photo upscaled 2.5x, blurred by the same real kernel with noise
0.01 by `tfdeblur blur`). Calls go round robin, `--repeats` times, and each case reports the median wall
time, its ratio to the bare import's median, and the peak resident memory of its processes. `warm_s` is the
same command run again inside one process after a first call (`cli.main` twice): what a long-lived caller
(batch, the app) pays per photo. Prints one JSON object; run it alone, under the shared CPU lock:

    flock /tmp/tfdeblur-cpu.lock python tools/bench_cold_start.py --out /tmp/cold_start
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
WARM = """
import sys, time
from tfdeblur.cli import main
argv = sys.argv[1:]
assert main(argv) == 0
start = time.perf_counter()
assert main(argv) == 0
print(time.perf_counter() - start)
"""


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "tfdeblur"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tfdeblur.cli"]


def _timed(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one child process; fails loudly if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {err.strip()[-800:]}")
    return seconds, usage.ru_maxrss / 1024, out


def _inputs(work: Path, levin: Path, photo: Path) -> dict[str, tuple[Path, Path]]:
    """{size name: (blurry image, true kernel)}; the 1 MP photo is made here with `tfdeblur blur`."""
    import cv2
    import numpy as np

    from tfdeblur import io

    kernel = levin / "kernels" / "kernel1_conv.npy"
    sharp = io.read_image(photo)
    sharp = np.clip(cv2.resize(sharp, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC), 0, 1)
    io.write_image(work / "sharp_1mp.png", sharp.astype(np.float32))
    k32 = work / "kernel1.npy"
    np.save(k32, np.load(kernel).astype(np.float32))
    _timed([*_cli(), "blur", str(work / "sharp_1mp.png"), "-o", str(work / "blurry_1mp.png"), "--kernel", str(k32),
            "--noise", "0.01", "--seed", "0"])
    return {"255x255": (levin / "blurry" / "im1_kernel1_img.png", k32), "1mp": (work / "blurry_1mp.png", k32)}


def _cases(inputs, methods) -> dict[str, list[str]]:
    """{case name: deblur arguments}."""
    cases = {}
    for size, (image, kernel) in inputs.items():
        for method in methods:
            args = ["deblur", str(image), "-o", f"{{work}}/{method}_{size}.png"]
            if method in ("wiener", "ircnet"):
                args += ["--method", method, "--kernel", str(kernel)]
            elif method != "blind":  # the default command: no --method
                args += ["--method", method]
            cases[f"{method}_{size}"] = args
    return cases


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="working folder (inputs, results)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per case (median)")
    parser.add_argument("--methods", default="wiener,ircnet,blind,idc")
    parser.add_argument("--sizes", default="255x255,1mp")
    parser.add_argument("--no-warm", action="store_true", help="skip the warm (second call) timings")
    parser.add_argument("--levin", type=Path, default=DATA / "levin09_im1")
    parser.add_argument("--photo", type=Path, default=DATA / "bsds500" / "images" / "test" / "100007.jpg")
    parser.add_argument("--json", help="also write the report to this file")
    args = parser.parse_args(argv)
    work = Path(args.out)
    work.mkdir(parents=True, exist_ok=True)
    inputs = {k: v for k, v in _inputs(work, args.levin, args.photo).items() if k in args.sizes.split(",")}
    cases = {name: [a.format(work=work) for a in argv_]
             for name, argv_ in _cases(inputs, args.methods.split(",")).items()}
    commands = {"import_tensorflow": [sys.executable, "-c", "import tensorflow"]}
    commands.update({name: [*_cli(), *argv_] for name, argv_ in cases.items()})
    load = os.getloadavg()
    busy = subprocess.run(["ps", "-eo", "pcpu=,args=", "--sort=-pcpu"], capture_output=True, text=True).stdout
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.repeats):  # round robin: a slow drift of the machine touches every case alike
        for name, command in commands.items():
            seconds, rss, _ = _timed(command)
            runs[name].append((seconds, rss))
            print(f"{name}: {seconds:.2f} s", file=sys.stderr)
    base = statistics.median(s for s, _ in runs["import_tensorflow"])
    report = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cpus": os.cpu_count(),
              "load_before": [round(x, 2) for x in load], "busiest_before": busy.splitlines()[:3],
              "repeats": args.repeats,
              "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                       cwd=Path(__file__).parent).stdout.strip(),
              "command": " ".join(_cli()) + " deblur IN -o OUT [--method M --kernel K]", "cases": {}}
    for name, measured in runs.items():
        median = statistics.median(s for s, _ in measured)
        entry = {"seconds": round(median, 2), "ratio": round(median / base, 2),
                 "runs": [round(s, 2) for s, _ in measured], "peak_rss_mb": round(max(r for _, r in measured))}
        if name in cases and not args.no_warm:
            entry["warm_s"] = round(float(_timed([sys.executable, "-c", WARM, *cases[name]])[2].split()[-1]), 2)
        report["cases"][name] = entry
    text = json.dumps(report, indent=1)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print(text)
    return report


if __name__ == "__main__":
    main()
