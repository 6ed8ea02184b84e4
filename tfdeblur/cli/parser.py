"""The `tfdeblur` argument parser: every subcommand and option, with its help text.

Kept apart from `cli.commands` (wiring only), whose functions `cli.run` passes in, one per subcommand.
Building the parser imports the method registry (for the list of methods in the help) but not TensorFlow.
"""

from __future__ import annotations

import argparse
from typing import Callable

from tfdeblur import __version__
from tfdeblur.cli import arg_types

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (argparse's default prints the whole usage block first)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _takes(option: str) -> str:
    from tfdeblur.cli.checks import OPTION_METHODS

    return ", ".join(OPTION_METHODS[option])


def _add_max_pixels(p) -> None:
    from tfdeblur.io import DEFAULT_MAX_PIXELS

    p.add_argument("--max-pixels", type=arg_types.positive_int, default=DEFAULT_MAX_PIXELS, metavar="N",
                   help="refuse images whose header declares more than N pixels (default "
                        f"{DEFAULT_MAX_PIXELS:,}; checked before decoding)")


def _add_method_options(p) -> None:
    p.add_argument("--kernel-size", type=arg_types.kernel_size_or_auto, metavar="N|HxW|auto",
                   help="kernel size to estimate (blind methods): odd N for NxN or HxW (e.g. 15x9); blind: auto "
                        "(default, searched up to a sixth of the shorter side, trimmed to the blur found)")
    p.add_argument("--schedule", choices=("fast", "paper"),
                   help="selfdeblur: paper (the official 5000 network steps, ~1 s each); fast is the deprecated "
                        "spelling of --method blind")
    p.add_argument("--iterations", type=arg_types.positive_int,
                   help=f"optimisation steps ({_takes('iterations')}; selfdeblur: with --schedule paper)")
    p.add_argument("--checkpoint-dir", metavar="DIR",
                   help=f"keep a long run's state in DIR every 100 steps; the same command resumes it "
                        f"({_takes('checkpoint_dir')}, --schedule paper)")
    p.add_argument("--model", help=f"trained preset (family/name) or path to a .keras file ({_takes('model')})")
    p.add_argument("--tile", type=arg_types.positive_int,
                   help=f"process large images in overlapping tiles of this size ({_takes('tile')}; "
                        "they also tile large images by themselves)")
    p.add_argument("--seed", type=arg_types.non_negative_int, help=f"random seed ({_takes('seed')})")
    p.add_argument("--reg", type=arg_types.positive_float,
                   help=f"regularisation weight, > 0 ({_takes('reg')}; default from the noise level)")
    p.add_argument("--nonblind", choices=("wiener", "irc"),
                   help="blind, selfdeblur: finish with this non-blind solver and the estimated kernel")
    p.add_argument("--regions", choices=("auto", "on", "off"),
                   help=f"{_takes('regions')}: a kernel per region for blur that varies across the frame (a "
                        "rotating camera): auto (default) where the regions' kernels disagree")
    p.add_argument("--linear-light", action="store_const", const=True,
                   help=f"{_takes('linear_light')}: with clipped lights, deblur in linear light (gamma 2.2), as a "
                        "camera blurs (for real night photos; not for photos blurred after encoding)")
    p.add_argument("--log-dir", help="selfdeblur: TensorBoard logs (loss, image and kernel every 100 steps)")


def _methods_epilog() -> str:
    from tfdeblur.methods import REGISTRY, available

    width = max(len(name) for name in available())
    lines = [f"  {name:<{width}}  {REGISTRY[name].description}" for name in available()]
    return "methods (deblur --method):\n" + "\n".join(lines)


def build_parser(commands: dict[str, Callable]) -> argparse.ArgumentParser:
    """The `tfdeblur` parser; `commands` maps each subcommand to the function that runs it (`args.func`)."""
    from tfdeblur import methods

    epilog = _methods_epilog()
    parser = _Parser(prog="tfdeblur", description="Image deblurring with TensorFlow/Keras.", epilog=epilog,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"tfdeblur {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("blur", help="blur an image with a kernel (and noise, saturation, JPEG)",
                       description="Simulate a blurry photo: y = JPEG(clip(gain * x * k + noise)).")
    p.add_argument("input", help="sharp image (PNG/JPEG/TIFF/BMP, 8 or 16 bit)")
    p.add_argument("-o", "--output", required=True, help="blurry image to write")
    p.add_argument("--kernel", required=True,
                   help="motion:LEN,ANGLE | trajectory:SIZE,SEED | disk:R | gaussian:SIGMA | FILE(.npy/.png)")
    p.add_argument("--noise", type=arg_types.non_negative_float, default=0.0,
                   help="gaussian noise std on the [0,1] scale (>= 0)")
    p.add_argument("--poisson", type=arg_types.positive_float, default=None, metavar="PEAK",
                   help="shot noise, photons at 1 (> 0)")
    p.add_argument("--jpeg", type=arg_types.jpeg_quality, default=None, metavar="Q",
                   help="JPEG-compress at quality Q (1-100)")
    p.add_argument("--saturate", type=arg_types.saturation_gain, nargs="?", const=1.5, default=None,
                   metavar="GAIN", help="multiply by GAIN >= 1 (default 1.5) before clipping, saturating "
                                        "highlights")
    p.add_argument("--mode", choices=("same", "valid", "circular"), default="same",
                   help="boundary model: same (mirror-extended, keeps size), valid (crops), circular")
    p.add_argument("--save-kernel", metavar="FILE", help="also write the kernel (.npy exact, .png for viewing)")
    p.add_argument("--seed", type=arg_types.non_negative_int, default=0, help="noise seed")
    _add_max_pixels(p)
    p.set_defaults(func=commands["blur"])

    p = sub.add_parser("deblur", help="deblur images", description="Deblur one or more images, one at a time.",
                       epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="blurry image(s)")
    p.add_argument("-o", "--output", required=True,
                   help="output file (one input) or folder (several inputs; results keep their names)")
    p.add_argument("--method", default=methods.DEFAULT_METHOD,
                   help=f"a method listed below (default {methods.DEFAULT_METHOD})")
    p.add_argument("--kernel", help="blur kernel for non-blind methods: motion:LEN,ANGLE | trajectory:SIZE,SEED "
                                    "| disk:R | gaussian:SIGMA | FILE(.npy/.png); a trained odcnn --model "
                                    "brings its own")
    p.add_argument("--normalize-kernel", action="store_true", help="rescale a .npy kernel to sum 1")
    p.add_argument("--save-kernel", metavar="FILE", help="write the kernel used or estimated (PNG + .npy)")
    _add_max_pixels(p)
    _add_method_options(p)
    p.set_defaults(func=commands["deblur"])

    p = sub.add_parser("batch", help="deblur a photo collection on Apache Beam (extra: tfdeblur[beam])",
                       description="Deblur every image matching GLOB into OUTDIR with Beam's RunInference, "
                                   "keeping relative paths. Done outputs are skipped (rerun to resume); "
                                   "files that fail are listed in OUTDIR/_failed.jsonl. Other Beam pipeline "
                                   "options pass through, written as --name=value.")
    p.add_argument("pattern", metavar="GLOB",
                   help="input images, e.g. 'photos/**/*.jpg' (quote it; ** = any depth)")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder (created)")
    p.add_argument("--method", required=True, help="a method, as for deblur (see tfdeblur deblur --help)")
    p.add_argument("--kernel", help="blur kernel for non-blind methods: motion:LEN,ANGLE | "
                                    "trajectory:SIZE,SEED | disk:R | gaussian:SIGMA | FILE(.npy/.png)")
    p.add_argument("--normalize-kernel", action="store_true", help="rescale a .npy kernel to sum 1")
    p.add_argument("--runner",
                   help="Beam runner: DirectRunner (default), DataflowRunner, FlinkRunner, SparkRunner")
    p.add_argument("--share-model", action="store_true",
                   help="one model copy per machine, shared by the worker's processes (large presets)")
    _add_method_options(p)
    _add_max_pixels(p)
    p.set_defaults(func=commands["batch"], pipeline_args=[])

    p = sub.add_parser("evaluate", help="run a method over a dataset and print PSNR/SSIM as JSON",
                       description="Evaluate a method on a dataset; prints a JSON report (per image and mean).")
    p.add_argument("--method", required=True, help="method to evaluate")
    p.add_argument("--dataset", required=True,
                   help="folder (DIR with blur/ sharp/ [kernels/]), synthetic (sharp photos in DIR, blurred "
                        "here), or a registered dataset such as levin")
    p.add_argument("--data-dir", help="dataset folder (for TFDS datasets: where the prepared data or "
                                      "manual download lives)")
    p.add_argument("--split", help="dataset split, where the dataset has several")
    p.add_argument("--limit", type=arg_types.positive_int, help="evaluate only the first N images")
    p.add_argument("--protocol", choices=("plain", "levin", "levin-integer"), default="plain",
                   help="plain PSNR/SSIM; levin: Levin's published protocol (15 px border, best shift on a "
                        "0.25 px grid within 10 px, bilinear; error ratio); levin-integer: integer shifts only")
    p.add_argument("--reference", default="auto",
                   help="non-blind method run with the true kernel for the error ratio: auto (the same "
                        "non-blind method or finisher; default), a method name, or 'none' to skip")
    p.add_argument("--blind", action="store_true",
                   help="do not give the dataset's true kernels to methods that also run non-blind (ircnet)")
    p.add_argument("--blur", default="motion:15,30",
                   help="synthetic dataset: kernel spec, 'trajectory'/'motion' for a random one per image, or "
                        "trajectory:LO-HI / motion:LO-HI for random ones of that extent in px (e.g. "
                        "trajectory:7-13)")
    p.add_argument("--noise", type=arg_types.non_negative_float, default=0.01, help="synthetic dataset: noise std")
    p.add_argument("--gray", action="store_true", help="synthetic dataset: reduce colour photos to luma first")
    p.add_argument("--data-seed", type=arg_types.non_negative_int, default=0,
                   help="synthetic dataset: seed of kernels and noise")
    p.add_argument("--save-images", metavar="DIR", help="also write every estimate (and kernel) to DIR")
    p.add_argument("-o", "--output", help="also write the JSON report to this .json file")
    _add_max_pixels(p)
    _add_method_options(p)
    p.set_defaults(func=commands["evaluate"])

    p = sub.add_parser("train", help="train a model from a YAML config",
                       description="Train with model.fit from a YAML experiment (see configs/).")
    p.add_argument("config", help="YAML experiment file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field, e.g. --set trainer.epochs=3 (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and stop")
    p.set_defaults(func=commands["train"])

    p = sub.add_parser("export", help="export a model for TF Serving (SavedModel) and/or TFLite",
                       description="Export a trained model: SavedModel in TF Serving's <dir>/<version>/ layout "
                                   "(uint8, encoded-bytes and float signatures) and/or TFLite.")
    p.add_argument("--model", required=True, help="preset (family/name) or .keras file")
    p.add_argument("--family", help="model family (needed when --model is a bare preset name)")
    p.add_argument("--saved-model", metavar="DIR", help="TF Serving base folder; writes DIR/<version>/")
    p.add_argument("--version", type=arg_types.positive_int, default=1,
                   help="TF Serving version number, >= 1 (default 1)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing version folder")
    p.add_argument("--tflite", metavar="FILE", help="TFLite file to write")
    p.add_argument("--tflite-size", type=arg_types.image_size, default="256x256", metavar="HxW",
                   help="fixed TFLite input size (default 256x256)")
    p.add_argument("--quantization", choices=("none", "float16", "dynamic"), default="none",
                   help="TFLite weight quantisation")
    from tfdeblur.io import DEFAULT_MAX_PIXELS

    p.add_argument("--max-pixels", type=arg_types.positive_int, default=DEFAULT_MAX_PIXELS, metavar="N",
                   help="the SavedModel refuses images of more than N pixels (default "
                        f"{DEFAULT_MAX_PIXELS:,}; encoded images by their header, before decoding)")
    p.set_defaults(func=commands["export"])

    p = sub.add_parser("demo", help="blur a bundled photo, deblur it with every method, compare",
                       description="The main job on embedded defaults: writes a side-by-side PNG and prints "
                                   "PSNR/SSIM per method as JSON.")
    p.add_argument("-o", "--output", default="demo_out", help="output folder (default demo_out)")
    p.add_argument("--methods", help="comma-separated subset of methods to run")
    p.set_defaults(func=commands["demo"])

    p = sub.add_parser("app", help="a local web page for deblurring photos (extra: tfdeblur[app])",
                       description="Serve a web page (Gradio) for deblurring photos with the same methods, "
                                   "readers and limits as `tfdeblur deblur`; one job at a time. Uploads and "
                                   "results are deleted when it stops (Ctrl+C).")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--port", type=arg_types.positive_int, default=None,
                   help="port (default: the first free one from 7860)")
    _add_max_pixels(p)
    p.set_defaults(func=commands["app"])
    return parser
