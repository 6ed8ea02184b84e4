#!/usr/bin/env python
"""Plot the learning curves of resumable training runs (their `curve.csv`) against CPU hours, as a PNG.

Each argument is a run's resume folder (`trainer.resume_dir`, e.g. runs/idc_camera/resume) or its
`curve.csv`. The y axis is the validation gain over the blurry inputs in dB (`--metric val_gain_db`, the
default), the validation PSNR or loss; the x axis the run's cumulative CPU hours (over all sessions) or
its step. Session boundaries are marked, so one sees what each session added. Needs matplotlib
(`pip install tfdeblur[plot]`). Prints a JSON summary (last point of each run).

`--fit-from-step N` fits `metric = a + b ln(x)` by least squares to each run's points from step N on (x on
the plotted axis, so with `--chain` the CPU hours since the first run began), draws it dashed, and with
`--target T` reports the x where the fit reaches T: how much more compute the run's trend asks for.
`--branch` is for runs that all started from the first one's last weights (e.g. two `model.init_from`
continuations of one preset): their axes start where the first run ended, only the first run is fitted, its
fit is drawn across the whole plot, and each later run reports how far above that trend its points lie
(`vs_trend_db`: mean and best residual), i.e. whether the continuation beat more of the same. A learning
curve of this kind is roughly linear in log-compute once the first fast gains are over; the extrapolation is a
trend, not a promise, and says so only for the span it was fitted on.

Examples:
    python tools/plot_curves.py runs/idc_camera/resume -o idc_camera_curve.png
    python tools/plot_curves.py runs/ircnet_motionnet_long/resume --metric val_loss --x step -o mn.png
    python tools/plot_curves.py runs/idc_camera/resume --fit-from-step 950 --target 1.0 -o fit.png
    python tools/plot_curves.py runs/idc_camera/resume runs/idc_camera_wide/resume \
        runs/idc_camera_long/resume --branch --fit-from-step 950 -o branches.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from tfdeblur import io
from tfdeblur.errors import InputError
from tfdeblur.training.resume import CURVE_FILE, read_curve

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


def _x(row: dict, x_axis: str) -> float:
    return row["cpu_seconds"] / 3600 if x_axis == "cpu_hours" else row["step"]


def _series(rows: list[dict], metric: str, x_axis: str):
    xs, ys, sessions, steps = [], [], [], []
    for row in rows:
        value = row.get(metric)
        if value in ("", None):
            continue
        xs.append(_x(row, x_axis))
        ys.append(float(value))
        sessions.append(row.get("session"))
        steps.append(int(row["step"]))
    return xs, ys, sessions, steps


def log_fit(xs, ys, target: float | None = None) -> dict:
    """Least-squares `y = a + b ln(x)` over the points; with `target`, the x where the fit reaches it.

    `x_at_target` is None when the fit never gets there (a flat trend, or one moving away from the target).
    """
    x = np.asarray(xs, np.float64)
    y = np.asarray(ys, np.float64)
    if len(x) < 3 or np.any(x <= 0) or np.ptp(np.log(x)) == 0:
        raise InputError(f"a log fit needs at least 3 points at distinct positive x, got {len(x)}")
    b, a = np.polyfit(np.log(x), y, 1)
    residual = y - (a + b * np.log(x))
    fit = {"a": round(float(a), 4), "b_per_e_fold": round(float(b), 4), "points": int(len(x)),
           "x_from": round(float(x.min()), 3), "x_to": round(float(x.max()), 3),
           "rms_residual": round(float(np.sqrt(np.mean(residual ** 2))), 4)}
    if target is not None:
        # Only a trend moving towards the target reaches it (ahead, or already behind the last point).
        toward = b != 0 and (target - (a + b * np.log(x.max()))) * b >= 0
        exponent = (target - a) / b if b != 0 else np.inf
        fit["target"] = target
        fit["x_at_target"] = round(float(np.exp(exponent)), 1) if toward and exponent < 700 else None
    return fit


def _trend(fit: dict, x) -> np.ndarray:
    return fit["a"] + fit["b_per_e_fold"] * np.log(x)


def plot(runs: list[tuple[str, list[dict]]], metric: str, x_axis: str, output: str, chain: bool = False,
         fit_from_step: int | None = None, target: float | None = None, branch: bool = False) -> list[dict]:
    try:
        import matplotlib
    except ImportError:
        raise InputError("plotting needs matplotlib: pip install 'tfdeblur[plot]'") from None

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 4), dpi=120)
    summary = []
    offset = 0.0
    trunk_end = _x(runs[0][1][-1], x_axis)
    x_max = max([trunk_end] + [trunk_end + _x(rows[-1], x_axis) for _, rows in runs[1:]]) if branch else None
    for index, (label, rows) in enumerate(runs):
        xs, ys, sessions, steps = _series(rows, metric, x_axis)
        if not xs:
            raise InputError(f"run '{label}' has no '{metric}' values")
        xs = [x + offset for x in xs]
        fit = None
        if fit_from_step is not None and not (branch and index > 0):
            chosen = [(x, y) for x, y, step in zip(xs, ys, steps) if step >= fit_from_step]
            fit = log_fit([x for x, _ in chosen], [y for _, y in chosen], target)
        if chain or (branch and index == 0):  # the next run started from this one's weights: its axis continues
            offset += _x(rows[-1], x_axis)
        line, = axes.plot(xs, ys, marker=".", markersize=3, linewidth=1.2, label=label)
        if fit is not None:
            grid = np.geomspace(fit["x_from"], x_max if branch else fit["x_to"], 50)
            axes.plot(grid, _trend(fit, grid), color=line.get_color(), linestyle=":",
                      linewidth=1.5, label=f"{label}: {fit['a']:+.2f} {fit['b_per_e_fold']:+.3f} ln x")
        # A vertical tick where a new session starts: the resume points.
        for i in range(1, len(xs)):
            if sessions[i] != sessions[i - 1]:
                axes.axvline(xs[i - 1], color=line.get_color(), alpha=0.25, linewidth=0.8, linestyle="--")
        last = rows[-1]
        summary.append({"run": label, "step": int(last["step"]), "cpu_hours": round(last["cpu_seconds"] / 3600, 3),
                        "sessions": int(last.get("session") or 0), metric: ys[-1],
                        "best": max(ys) if metric in HIGHER_IS_BETTER else min(ys), "x_end": round(xs[-1], 3)})
        if fit is not None:
            summary[-1]["log_fit"] = fit
        trunk_fit = summary[0].get("log_fit") if branch and index > 0 else None
        if trunk_fit is not None:  # a branch against the first run's trend
            residual = np.asarray(ys) - _trend(trunk_fit, np.asarray(xs))
            best = residual.max() if metric in HIGHER_IS_BETTER else residual.min()
            summary[-1]["vs_trend_db"] = {"mean": round(float(residual.mean()), 4), "best": round(float(best), 4),
                                          "last": round(float(residual[-1]), 4)}
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
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--chain", action="store_true",
                       help="each run continues the one before it (it started from that one's weights, e.g. "
                            "model.init_from): its axis starts where the one before ended")
    start.add_argument("--branch", action="store_true",
                       help="every later run started from the first one's last weights: their axes start where "
                            "it ended, and with --fit-from-step they are measured against its fitted trend")
    parser.add_argument("--fit-from-step", type=int, metavar="N",
                        help="fit metric = a + b ln(x) to each run's points from step N on (dotted line, JSON)")
    parser.add_argument("--target", type=float, help="with --fit-from-step: report the x where the fit reaches this")
    parser.add_argument("-o", "--output", required=True, help="PNG to write")
    args = parser.parse_args(argv)
    if args.target is not None and args.fit_from_step is None:
        parser.error("--target needs --fit-from-step")
    if args.fit_from_step is not None and args.fit_from_step < 0:
        parser.error("--fit-from-step must be >= 0")
    try:
        io.check_output_path(args.output, extensions=(".png",))
        runs = [_curve(path) for path in args.runs]
        summary = plot(runs, args.metric, args.x, args.output, chain=args.chain, fit_from_step=args.fit_from_step,
                       target=args.target, branch=args.branch)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"output": args.output, "metric": args.metric, "runs": summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
