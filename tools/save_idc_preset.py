#!/usr/bin/env python
"""Cut an IDC preset from a resumable run's state folder: model.keras (no optimizer) and metadata.json.

The weights are the state's latest saved step, so a preset can be shipped while the run goes on; the
metadata says which step, how many CPU hours over how many sessions, and the held-out scores of
`tfdeblur evaluate` reports given with --score NAME=REPORT.json.

    python tools/save_idc_preset.py runs/idc_camera/resume -o saved_models/idc/camera \\
        --description "IDC ..." --score bsds500_test_50_trajectory7-13_noise2=report.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SCORE_KEYS = ("psnr", "ssim", "blurry_psnr", "blurry_ssim")


def read_score(spec: str) -> tuple[str, dict]:
    """NAME=REPORT.json -> (NAME, the report's mean PSNR/SSIM and its blurry inputs', count, improved)."""
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        raise ValueError(f"--score takes NAME=REPORT.json, got '{spec}'")
    report = json.loads(Path(path).read_text())
    mean = report["mean"]
    score = {key: mean[key] for key in SCORE_KEYS}
    images = report.get("images", [])
    score["count"] = report.get("count", len(images))
    score["improved"] = sum(1 for i in images if i["psnr"] > i["blurry_psnr"])
    return name, score


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("resume_dir", help="the run's state folder (state.json, weights.weights.h5)")
    parser.add_argument("-o", "--output", required=True, help="the preset folder to write")
    parser.add_argument("--description", required=True)
    parser.add_argument("--trained-on", default="", help="the data; the step count and CPU hours are added")
    parser.add_argument("--score", action="append", default=[], metavar="NAME=REPORT.json",
                        help="a held-out score: the mean of a `tfdeblur evaluate -o` report (repeatable)")
    parser.add_argument("--card", default="MODEL_CARD.md", help="the model card's file name in the folder")
    args = parser.parse_args(argv)

    from tfdeblur.errors import InputError
    from tfdeblur.models.idc.training import model_from_resume
    from tfdeblur.training.resume import read_state

    try:
        scores = dict(read_score(spec) for spec in args.score)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"save_idc_preset: bad --score: {error}", file=sys.stderr)
        return 2
    output = Path(args.output).resolve()
    if Path(args.resume_dir).resolve() in (output, *output.parents):
        print("save_idc_preset: the preset folder must not be inside the resume folder", file=sys.stderr)
        return 2
    if output.exists() and not output.is_dir():
        print(f"save_idc_preset: {args.output} is a file, not a preset folder", file=sys.stderr)
        return 2
    try:
        model = model_from_resume(args.resume_dir)
        state = read_state(args.resume_dir)
    except (InputError, OSError, ValueError) as error:  # also a corrupt state.json or weights file
        print(f"save_idc_preset: {args.resume_dir}: {error}".splitlines()[0], file=sys.stderr)
        return 2
    run = (f"{state.step:,} of {state.total_steps:,} steps of the resumable run '{state.config['name']}' "
           f"({state.cpu_seconds / 3600:.2f} CPU hours over {state.sessions} process starts)")
    model.save_to_preset(args.output, description=args.description,
                         trained_on="; ".join(filter(None, [args.trained_on, run])),
                         step=state.step, scores=scores, card=args.card)
    print(json.dumps({"preset": str(args.output), "step": state.step, "scores": scores}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
