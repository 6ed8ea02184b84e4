#!/usr/bin/env python
"""Plot the learning curves of resumable training runs (their `curve.csv`) against CPU hours, as a PNG.

Each argument is a run's resume folder (`trainer.resume_dir`, e.g. saved_models/idc/camera/resume) or its
`curve.csv`. The y axis is the validation gain over the blurry inputs in dB (`--metric val_gain_db`, the
default), the validation PSNR or loss; the x axis the run's cumulative CPU hours (over all sessions) or
its step. Session boundaries are marked, so one sees what each session added. Needs matplotlib
(`pip install tfdeblur[plot]`). Prints a JSON summary (last point of each run).

Examples:
    python tools/plot_curves.py saved_models/idc/camera/resume -o idc_camera_curve.png
    python tools/plot_curves.py saved_models/ircnet/motionnet_long/resume --metric val_loss --x step -o mn.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tfdeblur import io
from tfdeblur.errors import InputError
from tfdeblur.resume import CURVE_FILE, read_curve

HIGHER_IS_BETTER = ("val_gain_db", "val_psnr")
METRICS = {"val_gain_db": "validation gain over the blurry input (dB)", "val_psnr": "validation PSNR (dB)",
           "val_loss": "validation loss", "loss": "training loss"}
X_AXES = {"cpu_hours": "CPU hours (all sessions)", "step": "step"}


def _curve(path: str) -> tuple[str, list[dict]]:
    """(label, rows) of one run; the label names the run folder above `resume/`."""
    p = Path(path)
    folder = p.parent if p.name == CURVE_FILE else p
    if not (folder / CURVE_FILE).is_file():
        raise InputError(f"{path}: no {CURVE_FILE} (give a run's resume folder or its {CURVE_FILE})")
    rows = read_curve(folder)
    if not rows:
        raise InputError(f"{folder / CURVE_FILE} has no rows yet")
    label = folder.parent.name if folder.name == "resume" else folder.name
    return label, rows


def _series(rows: list[dict], metric: str, x_axis: str):
    xs, ys, sessions = [], [], []
    for row in rows:
        value = row.get(metric)
        if value in ("", None):
            continue
        xs.append(row["cpu_seconds"] / 3600 if x_axis == "cpu_hours" else row["step"])
        ys.append(float(value))
        sessions.append(row.get("session"))
    return xs, ys, sessions


def plot(runs: list[tuple[str, list[dict]]], metric: str, x_axis: str, output: str, chain: bool = False) -> list[dict]:
    try:
        import matplotlib
    except ImportError:
        raise InputError("plotting needs matplotlib: pip install 'tfdeblur[plot]'") from None

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 4), dpi=120)
    summary = []
    offset = 0.0
    for label, rows in runs:
        xs, ys, sessions = _series(rows, metric, x_axis)
        if not xs:
            raise InputError(f"run '{label}' has no '{metric}' values")
        xs = [x + offset for x in xs]
        if chain:  # the next run started from this one's weights: its axis continues from here
            last = rows[-1]
            offset += last["cpu_seconds"] / 3600 if x_axis == "cpu_hours" else last["step"]
        line, = axes.plot(xs, ys, marker=".", markersize=3, linewidth=1.2, label=label)
        # A vertical tick where a new session starts: the resume points.
        for i in range(1, len(xs)):
            if sessions[i] != sessions[i - 1]:
                axes.axvline(xs[i - 1], color=line.get_color(), alpha=0.25, linewidth=0.8, linestyle="--")
        last = rows[-1]
        summary.append({"run": label, "step": int(last["step"]), "cpu_hours": round(last["cpu_seconds"] / 3600, 3),
                        "sessions": int(last.get("session") or 0), metric: ys[-1],
                        "best": max(ys) if metric in HIGHER_IS_BETTER else min(ys), "x_end": round(xs[-1], 3)})
    if metric == "val_gain_db":
        axes.axhline(0.0, color="black", linewidth=0.6)
    axes.set_xlabel(X_AXES[x_axis])
    axes.set_ylabel(METRICS[metric])
    axes.grid(alpha=0.3)
    axes.legend(loc="best", fontsize=8)
    axes.set_title("learning curves (dashed: a new session starts)", fontsize=9)
    figure.tight_layout()
    data = _png_bytes(figure)
    pyplot.close(figure)
    io.write_bytes_atomic(output, data)
    return summary


def _png_bytes(figure) -> bytes:
    import io as stdlib_io

    buffer = stdlib_io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="resume folders or curve.csv files")
    parser.add_argument("--metric", choices=sorted(METRICS), default="val_gain_db")
    parser.add_argument("--x", choices=sorted(X_AXES), default="cpu_hours")
    parser.add_argument("--chain", action="store_true",
                        help="each run continues the one before it (it started from that one's weights, e.g. "
                             "model.init_from): its axis starts where the one before ended")
    parser.add_argument("-o", "--output", required=True, help="PNG to write")
    args = parser.parse_args(argv)
    try:
        io.check_output_path(args.output, extensions=(".png",))
        runs = [_curve(path) for path in args.runs]
        summary = plot(runs, args.metric, args.x, args.output, chain=args.chain)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"output": args.output, "metric": args.metric, "runs": summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
