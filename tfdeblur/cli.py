"""The `tfdeblur` command line: wiring only (arguments -> library calls -> files).

Every error a user can cause is reported as one line, `tfdeblur: error: ...`, with exit code 2 and no
output file left behind; anything else is an internal error (exit 1; TFDEBLUR_DEBUG=1 shows the traceback).
TensorFlow is imported only by the commands that need it, so `--help` is instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from tfdeblur import __version__, cli_args
from tfdeblur.errors import InputError

EXIT_USAGE = 2
EXIT_INTERNAL = 1


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (argparse's default prints the whole usage block first)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _quiet_tensorflow() -> None:
    """Import TensorFlow with its C++ start-up chatter (CUDA probing, oneDNN notes) silenced.

    That output is written straight to file descriptor 2 before any Python logging is set up, so the
    descriptor itself is pointed at /dev/null for the duration of the import.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ.get("TFDEBLUR_DEBUG") or "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA probe logs on first device query
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _cmd_blur(args) -> int:
    from tfdeblur import cli_checks, io, physics

    io.check_image_file(args.input, args.max_pixels)
    output = io.check_output_path(args.output)
    if args.save_kernel:
        io.check_output_path(args.save_kernel, extensions=io.IMAGE_EXTENSIONS + (".npy",))
    cli_checks.refuse_overwriting_inputs([args.input], output, args.save_kernel)
    kernel = physics.kernel_from_spec(args.kernel)
    image, depth = io.read_image(args.input, return_bit_depth=True, max_pixels=args.max_pixels)
    image = io.validate_image(image, name=args.input, min_size=kernel.shape)
    blurry = physics.degrade(image, kernel, noise_sigma=args.noise, poisson_peak=args.poisson,
                             gain=args.saturate or 1.0, jpeg_quality=args.jpeg, mode=args.mode,
                             seed=args.seed)
    io.write_image(output, blurry, bit_depth=depth)
    if args.save_kernel:
        io.write_kernel(args.save_kernel, kernel)
    print(f"wrote {output} ({blurry.shape[1]}x{blurry.shape[0]}, kernel {kernel.shape[0]}x{kernel.shape[1]})")
    return 0


def _method_options(args) -> dict:
    names = ("kernel_size", "iterations", "model", "tile", "seed", "reg", "nonblind", "log_dir", "schedule",
             "checkpoint_dir")
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def _deblur_kernel(args, spec, options):
    """The kernel to pass the method (None for blind runs); warns when a blind method is given one."""
    from tfdeblur import methods, physics
    from tfdeblur.errors import warn

    if not args.kernel:
        kernel = methods.preset_kernel(spec, options)
        if spec.needs_kernel and kernel is None:
            raise InputError(f"method '{spec.name}' is non-blind: give the blur kernel with --kernel "
                             "(a file or a spec such as motion:15,30)")
        return kernel
    kernel = physics.kernel_from_spec(args.kernel, normalize=args.normalize_kernel or None)
    if spec.needs_kernel or spec.accepts_kernel:
        return kernel
    sized = methods.options_for(spec, kernel, options)
    if "kernel_size" in sized and "kernel_size" not in options:
        options["kernel_size"] = sized["kernel_size"]
        warn(f"method '{spec.name}' is blind: --kernel only sets the kernel size it estimates "
             f"({options['kernel_size']})")
    else:
        warn(f"method '{spec.name}' is blind and ignores --kernel")
    return None


def _cmd_deblur(args) -> int:
    from tfdeblur import cli_checks, io, methods

    spec = methods.get(args.method)
    options = _method_options(args)
    cli_checks.check_method_options(spec, options)
    # Everything that can be checked without decoding pixels is checked before any work: every input's
    # header (size limit), the outputs, the kernel. Then images go through one at a time.
    for path in args.inputs:
        io.check_image_file(path, args.max_pixels)
    outputs, new_folder = cli_checks.plan_outputs(args.inputs, args.output)
    if args.save_kernel and len(args.inputs) > 1:
        raise InputError("--save-kernel takes one input image")
    kernel_files = []  # --save-kernel K.png also writes K.npy (exact); K.npy alone is exact already
    if args.save_kernel:
        io.check_output_path(args.save_kernel, extensions=io.IMAGE_EXTENSIONS + (".npy",))
        kernel_files = list(dict.fromkeys([Path(args.save_kernel), Path(args.save_kernel).with_suffix(".npy")]))
        cli_checks.refuse_overwriting_inputs(args.inputs + [str(outputs[0])], *kernel_files)
    kernel = _deblur_kernel(args, spec, options)
    min_size = kernel.shape if kernel is not None else None
    with cli_checks.OutputFolder(new_folder):
        for path, output in zip(args.inputs, outputs):
            image, depth = io.read_image(path, return_bit_depth=True, max_pixels=args.max_pixels)
            image = io.validate_image(image, name=path, min_size=min_size)
            result = methods.run(image, method=args.method, kernel=kernel, **options)
            del image
            if (result.info or {}).get("kernel_size_tried"):  # the fast schedule says what size it found
                size, tried = result.info["kernel_size"], result.info["kernel_size_tried"]
                print(f"{path}: estimated kernel {size[0]}x{size[1]} (searched {tried[0]}x{tried[1]}, "
                      f"{result.info['seconds']:.0f} s)", file=sys.stderr)
            io.write_image(output, result.image, bit_depth=depth)
            for kernel_file in kernel_files if result.kernel is not None else []:
                io.write_kernel(kernel_file, result.kernel)
            print(f"{path} -> {output}")
    return 0


def _cmd_batch(args) -> int:
    from tfdeblur import cli_checks, methods
    from tfdeblur.beam import import_beam

    import_beam()  # a one-line error if the extra is missing
    from tfdeblur.beam.options import check_pipeline_args
    from tfdeblur.beam.pipeline import run_batch

    runner = ["--runner", args.runner] if args.runner else []
    pipeline_args = check_pipeline_args(args.pipeline_args + runner)
    spec = methods.get(args.method)
    options = _method_options(args)
    cli_checks.check_method_options(spec, options)
    kernel = _deblur_kernel(args, spec, options)  # as deblur: specs, files, a preset's own kernel
    summary = run_batch(args.pattern, args.output, args.method, kernel, options, pipeline_args,
                        share_model=args.share_model, max_pixels=args.max_pixels)
    print(json.dumps(summary))
    if summary["failed"]:
        print(f"tfdeblur: {summary['failed']} file(s) failed, listed in {summary['failed_list']}",
              file=sys.stderr)
    return 0


def _cmd_demo(args) -> int:
    from tfdeblur.demo import run_demo

    if Path(args.output).exists() and not Path(args.output).is_dir():
        raise InputError(f"-o {args.output} is a file; the demo writes a folder")
    report = run_demo(Path(args.output), names=args.methods.split(",") if args.methods else None)
    print(json.dumps(report, indent=1))
    return 0


def _cmd_evaluate(args) -> int:
    from tfdeblur import evaluation, io

    if args.output:
        io.check_output_path(args.output, extensions=(".json",))
    if args.reference and args.reference not in ("none", "auto"):
        from tfdeblur import methods

        spec = methods.get(args.reference)
        if not (spec.needs_kernel or spec.accepts_kernel):
            raise InputError(f"--reference must be a non-blind method, not '{args.reference}'")
    dataset_args = {"data_dir": args.data_dir, "limit": args.limit, "seed": args.data_seed,
                    "max_pixels": args.max_pixels}
    if args.dataset == "synthetic":
        dataset_args.update(kernel=args.blur, noise_sigma=args.noise)
    if args.split:
        dataset_args["split"] = args.split
    if args.dataset in ("folder", "synthetic") and not args.data_dir:
        raise InputError(f"--dataset {args.dataset} needs --data-dir")
    samples = evaluation.load_samples(args.dataset, **dataset_args)
    report = evaluation.evaluate(args.method, samples, protocol=args.protocol, options=_method_options(args),
                                 reference=None if args.reference == "none" else args.reference,
                                 save_dir=args.save_images, blind=args.blind)
    report["dataset"] = args.dataset
    text = json.dumps(report, indent=1)
    if args.output:
        io.write_text(args.output, text + "\n")
    print(text)
    return 0


def _cmd_train(args) -> int:
    from tfdeblur import config as config_lib

    config = config_lib.load(args.config, args.set)
    if args.dry_run:
        import yaml

        print(yaml.safe_dump(config_lib.to_dict(config), sort_keys=False), end="")
        return 0
    from tfdeblur.train import TrainingInterrupted, train

    report = {"run_dir": str(config.run_dir()), "model": str(config.run_dir() / "model.keras")}
    try:
        train(config)
    except TrainingInterrupted as stopped:  # resumable run: the state is saved, the same command continues
        print(f"tfdeblur: {stopped}", file=sys.stderr)
        print(json.dumps({**report, "finished": False, "step": stopped.step, "total_steps": stopped.total,
                          "resume_dir": str(stopped.resume_dir)}))
        return 128 + stopped.signum if stopped.signum else 0
    print(json.dumps(report))
    return 0


def _cmd_export(args) -> int:
    from tfdeblur import export, presets

    if not (args.saved_model or args.tflite):
        raise InputError("nothing to export: give --saved-model DIR and/or --tflite FILE")
    if args.tflite:
        if not args.tflite.endswith(".tflite"):
            raise InputError("--tflite must name a .tflite file")
        if Path(args.tflite).is_dir():
            raise InputError(f"--tflite {args.tflite} is a folder; give a .tflite file name")
    # Every argument is checked before anything is written, so a bad one never leaves a partial export.
    if args.saved_model:
        export.check_saved_model_target(args.saved_model, args.version, overwrite=args.overwrite)
    family = args.family or presets.family_of(args.model)
    model = presets.load(args.model, family)
    export.check_exportable(model, args.model)
    written = {}
    if args.saved_model:
        written["saved_model"] = str(export.export_saved_model(model, args.saved_model, args.version,
                                                               overwrite=args.overwrite))
    if args.tflite:
        height, width = args.tflite_size
        written["tflite"] = str(export.export_tflite(model, args.tflite, height, width,
                                                     quantization=args.quantization))
    print(json.dumps(written))
    return 0


def _takes(option: str) -> str:
    from tfdeblur.cli_checks import OPTION_METHODS

    return ", ".join(OPTION_METHODS[option])


def _add_max_pixels(p) -> None:
    from tfdeblur.io import DEFAULT_MAX_PIXELS

    p.add_argument("--max-pixels", type=cli_args.positive_int, default=DEFAULT_MAX_PIXELS, metavar="N",
                   help="refuse images whose header declares more than N pixels (default "
                        f"{DEFAULT_MAX_PIXELS:,}; checked before decoding)")


def _add_method_options(p) -> None:
    p.add_argument("--kernel-size", type=cli_args.kernel_size_or_auto, metavar="N|auto",
                   help="kernel size to estimate (blind methods); selfdeblur's fast schedule: auto (default), "
                        "a generous size trimmed to the blur found")
    p.add_argument("--schedule", choices=("fast", "paper"),
                   help="selfdeblur: fast (default; kernel coarse to fine on a pyramid, non-blind finish, "
                        "seconds to a minute on a CPU) or paper (the official 5000 network steps, ~1.6 s each)")
    p.add_argument("--iterations", type=cli_args.positive_int,
                   help=f"optimisation steps ({_takes('iterations')}; selfdeblur: with --schedule paper)")
    p.add_argument("--checkpoint-dir", metavar="DIR",
                   help=f"keep a long run's state in DIR every 100 steps; the same command resumes it "
                        f"({_takes('checkpoint_dir')}, --schedule paper)")
    p.add_argument("--model", help=f"trained preset (family/name) or path to a .keras file ({_takes('model')})")
    p.add_argument("--tile", type=cli_args.positive_int,
                   help=f"process large images in overlapping tiles of this size ({_takes('tile')}; "
                        "they also tile large images by themselves)")
    p.add_argument("--seed", type=cli_args.non_negative_int, help=f"random seed ({_takes('seed')})")
    p.add_argument("--reg", type=cli_args.positive_float,
                   help=f"regularisation weight, > 0 ({_takes('reg')}; default from the noise level)")
    p.add_argument("--nonblind", choices=("wiener", "irc"),
                   help="selfdeblur: finish with this non-blind solver and the estimated kernel")
    p.add_argument("--log-dir", help="selfdeblur: TensorBoard logs (loss, image and kernel every 100 steps)")


def _methods_epilog() -> str:
    from tfdeblur.methods import REGISTRY, available

    width = max(len(name) for name in available())
    lines = [f"  {name:<{width}}  {REGISTRY[name].description}" for name in available()]
    return "methods (deblur --method):\n" + "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
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
    p.add_argument("--noise", type=cli_args.non_negative_float, default=0.0,
                   help="gaussian noise std on the [0,1] scale (>= 0)")
    p.add_argument("--poisson", type=cli_args.positive_float, default=None, metavar="PEAK",
                   help="shot noise, photons at 1 (> 0)")
    p.add_argument("--jpeg", type=cli_args.jpeg_quality, default=None, metavar="Q",
                   help="JPEG-compress at quality Q (1-100)")
    p.add_argument("--saturate", type=cli_args.saturation_gain, nargs="?", const=1.5, default=None,
                   metavar="GAIN", help="multiply by GAIN >= 1 (default 1.5) before clipping, saturating "
                                        "highlights")
    p.add_argument("--mode", choices=("same", "valid", "circular"), default="same",
                   help="boundary model: same (mirror-extended, keeps size), valid (crops), circular")
    p.add_argument("--save-kernel", metavar="FILE", help="also write the kernel (.npy exact, .png for viewing)")
    p.add_argument("--seed", type=cli_args.non_negative_int, default=0, help="noise seed")
    _add_max_pixels(p)
    p.set_defaults(func=_cmd_blur)

    p = sub.add_parser("deblur", help="deblur images", description="Deblur one or more images, one at a time.",
                       epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="blurry image(s)")
    p.add_argument("-o", "--output", required=True,
                   help="output file (one input) or folder (several inputs; results keep their names)")
    p.add_argument("--method", default=methods.DEFAULT_METHOD,
                   help=f"a method listed below (default {methods.DEFAULT_METHOD}, fast schedule: blind)")
    p.add_argument("--kernel", help="blur kernel for non-blind methods: motion:LEN,ANGLE | trajectory:SIZE,SEED "
                                    "| disk:R | gaussian:SIGMA | FILE(.npy/.png); a trained odcnn --model "
                                    "brings its own")
    p.add_argument("--normalize-kernel", action="store_true", help="rescale a .npy kernel to sum 1")
    p.add_argument("--save-kernel", metavar="FILE", help="write the kernel used or estimated (PNG + .npy)")
    _add_max_pixels(p)
    _add_method_options(p)
    p.set_defaults(func=_cmd_deblur)

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
    p.set_defaults(func=_cmd_batch, pipeline_args=[])

    p = sub.add_parser("evaluate", help="run a method over a dataset and print PSNR/SSIM as JSON",
                       description="Evaluate a method on a dataset; prints a JSON report (per image and mean).")
    p.add_argument("--method", required=True, help="method to evaluate")
    p.add_argument("--dataset", required=True,
                   help="folder (DIR with blur/ sharp/ [kernels/]), synthetic (sharp photos in DIR, blurred "
                        "here), or a registered dataset such as levin")
    p.add_argument("--data-dir", help="dataset folder (for TFDS datasets: where the prepared data or "
                                      "manual download lives)")
    p.add_argument("--split", help="dataset split, where the dataset has several")
    p.add_argument("--limit", type=cli_args.positive_int, help="evaluate only the first N images")
    p.add_argument("--protocol", choices=("plain", "levin", "levin-integer"), default="plain",
                   help="plain PSNR/SSIM; levin: Levin's published protocol (15 px border, best shift on a "
                        "0.25 px grid within 10 px, bilinear; error ratio); levin-integer: integer shifts only")
    p.add_argument("--reference", default="auto",
                   help="non-blind method run with the true kernel for the error ratio: auto (the same "
                        "non-blind method or finisher; default), a method name, or 'none' to skip")
    p.add_argument("--blind", action="store_true",
                   help="do not give the dataset's true kernels to methods that also run non-blind (ircnet)")
    p.add_argument("--blur", default="motion:15,30",
                   help="synthetic dataset: kernel spec, or 'trajectory'/'motion' for a random one per image")
    p.add_argument("--noise", type=cli_args.non_negative_float, default=0.01, help="synthetic dataset: noise std")
    p.add_argument("--data-seed", type=cli_args.non_negative_int, default=0,
                   help="synthetic dataset: seed of kernels and noise")
    p.add_argument("--save-images", metavar="DIR", help="also write every estimate (and kernel) to DIR")
    p.add_argument("-o", "--output", help="also write the JSON report to this .json file")
    _add_max_pixels(p)
    _add_method_options(p)
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("train", help="train a model from a YAML config",
                       description="Train with model.fit from a YAML experiment (see configs/).")
    p.add_argument("config", help="YAML experiment file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field, e.g. --set trainer.epochs=3 (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and stop")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("export", help="export a model for TF Serving (SavedModel) and/or TFLite",
                       description="Export a trained model: SavedModel in TF Serving's <dir>/<version>/ layout "
                                   "(uint8, encoded-bytes and float signatures) and/or TFLite.")
    p.add_argument("--model", required=True, help="preset (family/name) or .keras file")
    p.add_argument("--family", help="model family (needed when --model is a bare preset name)")
    p.add_argument("--saved-model", metavar="DIR", help="TF Serving base folder; writes DIR/<version>/")
    p.add_argument("--version", type=cli_args.positive_int, default=1,
                   help="TF Serving version number, >= 1 (default 1)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing version folder")
    p.add_argument("--tflite", metavar="FILE", help="TFLite file to write")
    p.add_argument("--tflite-size", type=cli_args.image_size, default="256x256", metavar="HxW",
                   help="fixed TFLite input size (default 256x256)")
    p.add_argument("--quantization", choices=("none", "float16", "dynamic"), default="none",
                   help="TFLite weight quantisation")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("demo", help="blur a bundled photo, deblur it with every method, compare",
                       description="The main job on embedded defaults: writes a side-by-side PNG and prints "
                                   "PSNR/SSIM per method as JSON.")
    p.add_argument("-o", "--output", default="demo_out", help="output folder (default demo_out)")
    p.add_argument("--methods", help="comma-separated subset of methods to run")
    p.set_defaults(func=_cmd_demo)
    return parser


def _memory_hint(args) -> str:
    """What to try after running out of memory: --tile only for methods that take it."""
    from tfdeblur.cli_checks import OPTION_METHODS

    if getattr(args, "method", None) in OPTION_METHODS["tile"]:
        return "try a smaller --tile, e.g. --tile 256"
    return "try a smaller image (crop or downscale it)"


def main(argv=None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not hasattr(args, "pipeline_args"):  # only `batch` passes options on (to Beam)
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if unknown:
        args.pipeline_args = unknown
    try:
        _quiet_tensorflow()
        return args.func(args)
    except InputError as err:
        print(f"tfdeblur: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tfdeblur: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"tfdeblur: error: out of memory ({_memory_hint(args)})", file=sys.stderr)
        return EXIT_USAGE
    except Exception as err:  # a bug, not bad input: keep it to one line unless debugging
        if type(err).__name__ == "ResourceExhaustedError":  # TensorFlow's out of memory
            print(f"tfdeblur: error: out of memory ({_memory_hint(args)})", file=sys.stderr)
            return EXIT_USAGE
        if os.environ.get("TFDEBLUR_DEBUG"):
            raise
        message = str(err).strip().splitlines()[0] if str(err).strip() else ""
        print(f"tfdeblur: internal error: {type(err).__name__}: {message} "
              "(set TFDEBLUR_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
