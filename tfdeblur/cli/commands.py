"""What each `tfdeblur` subcommand does: wiring only (arguments -> library calls -> files).

Each `_cmd_*` function takes the parsed arguments and returns the exit code; errors a user can cause are
raised as `InputError` and reported by `tfdeblur.cli.run.main`. TensorFlow and the methods are imported
inside the functions, only by the commands that use them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tfdeblur.cli import checks
from tfdeblur.errors import InputError


def _cmd_blur(args) -> int:
    from tfdeblur import io, physics

    io.check_image_file(args.input, args.max_pixels)
    output = io.check_output_path(args.output)
    if args.save_kernel:
        io.check_output_path(args.save_kernel, extensions=io.IMAGE_EXTENSIONS + (".npy",))
    checks.refuse_overwriting_inputs([args.input, *checks.kernel_inputs(args.kernel)], output, args.save_kernel)
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
             "checkpoint_dir", "regions", "linear_light")
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
    from tfdeblur import io, methods

    spec = methods.get(args.method)
    options = _method_options(args)
    checks.check_method_options(spec, options)
    if "checkpoint_dir" in options:
        checks.check_checkpoint_dir(options["checkpoint_dir"])
    # Everything that can be checked without decoding pixels is checked before any work: every input's
    # header (size limit), the outputs, the kernel. Then images go through one at a time.
    headers = [io.check_image_file(path, args.max_pixels) for path in args.inputs]
    outputs, new_folder = checks.plan_outputs(args.inputs, args.output)
    if args.save_kernel and len(args.inputs) > 1:
        raise InputError("--save-kernel takes one input image")
    if args.save_kernel:
        io.check_output_path(args.save_kernel, extensions=io.IMAGE_EXTENSIONS + (".npy",))
    kernel_files = checks.save_kernel_files(args.save_kernel)  # K.png also writes K.npy (exact values)
    # No output (results, K, the K.npy beside K.png) may replace an input: the images or the --kernel file.
    checks.refuse_overwriting_inputs(args.inputs + checks.kernel_inputs(args.kernel), *outputs,
                                         *kernel_files, labels=kernel_files)
    kernel = _deblur_kernel(args, spec, options)
    if args.save_kernel and kernel is None and not spec.estimates_kernel:
        raise InputError(f"method '{spec.name}' estimates no blur kernel without --kernel, so --save-kernel "
                         "would write nothing; leave it out or give --kernel")
    need = checks.min_image_size(spec, kernel)
    for path, header in zip(args.inputs, headers):
        checks.check_image_size(path, header, need)
    min_size = need[0] if need else None
    with checks.OutputFolder(new_folder):
        for path, output in zip(args.inputs, outputs):
            image, depth = io.read_image(path, return_bit_depth=True, max_pixels=args.max_pixels)
            image = io.validate_image(image, name=path, min_size=min_size)
            result = methods.run(image, method=args.method, kernel=kernel, **options)
            del image
            if (result.info or {}).get("summary"):  # the blind method says what it found and why
                stages = ", ".join(f"{k} {v:.0f} s" for k, v in result.info.get("stages", {}).items())
                print(f"{path}: {result.info['summary']} ({stages})", file=sys.stderr)
            if (result.info or {}).get("median_motion"):  # blind ircnet says what motion it removed
                length, angle = result.info["median_motion"]
                measured = result.info.get("measured_motion")
                scale = result.info.get("field_scale")
                how = ("Motion-Net, corrected by the photo's measured motion" if measured else
                       f"Motion-Net, lengths x{scale:g} by the reblur residual" if scale else "Motion-Net")
                print(f"{path}: motion field median {length:.1f} px at {angle:.0f} deg ({how})", file=sys.stderr)
            if (result.info or {}).get("warning"):
                print(f"{path}: warning: {result.info['warning']}", file=sys.stderr)
            io.write_image(output, result.image, bit_depth=depth)
            grid = (result.info or {}).get("kernel_grid")  # blur that varies: a kernel per region
            for kernel_file in kernel_files if result.kernel is not None else []:
                if grid is None:
                    io.write_kernel(kernel_file, result.kernel)
                else:
                    io.write_kernel_grid(kernel_file, grid)
            print(f"{path} -> {output}")
    return 0


def _cmd_batch(args) -> int:
    from tfdeblur import methods
    from tfdeblur.beam import import_beam

    import_beam()  # a one-line error if the extra is missing
    from tfdeblur.beam.options import check_pipeline_args
    from tfdeblur.beam.pipeline import run_batch

    runner = ["--runner", args.runner] if args.runner else []
    pipeline_args = check_pipeline_args(args.pipeline_args + runner)
    spec = methods.get(args.method)
    options = _method_options(args)
    checks.check_method_options(spec, options)
    kernel = _deblur_kernel(args, spec, options)  # as deblur: specs, files, a preset's own kernel
    need = checks.min_image_size(spec, kernel)
    summary = run_batch(args.pattern, args.output, args.method, kernel, options, pipeline_args,
                        share_model=args.share_model, max_pixels=args.max_pixels,
                        min_size=need[0] if need else None)
    print(json.dumps(summary))
    if summary["failed"]:
        print(f"tfdeblur: {summary['failed']} file(s) failed, listed in {summary['failed_list']}",
              file=sys.stderr)
    return 0


def _cmd_demo(args) -> int:
    from tfdeblur.tasks.demo import run_demo

    if Path(args.output).exists() and not Path(args.output).is_dir():
        raise InputError(f"-o {args.output} is a file; the demo writes a folder")
    report = run_demo(Path(args.output), names=args.methods.split(",") if args.methods else None)
    print(json.dumps(report, indent=1))
    return 0


def _cmd_app(args) -> int:
    from tfdeblur.app import import_gradio

    import_gradio()  # a one-line error if the extra is missing
    from tfdeblur.app.page import serve

    return serve(args.host, args.port, max_pixels=args.max_pixels)


def _cmd_evaluate(args) -> int:
    from tfdeblur import io
    from tfdeblur.tasks import evaluate

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
        dataset_args.update(kernel=args.blur, noise_sigma=args.noise, gray=args.gray)
    if args.split:
        dataset_args["split"] = args.split
    if args.dataset in ("folder", "synthetic") and not args.data_dir:
        raise InputError(f"--dataset {args.dataset} needs --data-dir")
    samples = evaluate.load_samples(args.dataset, **dataset_args)
    report = evaluate.evaluate(args.method, samples, protocol=args.protocol, options=_method_options(args),
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
    from tfdeblur import families

    config = families.load_config(args.config, args.set)
    if args.dry_run:
        import yaml

        print(yaml.safe_dump(config_lib.to_dict(config), sort_keys=False), end="")
        return 0
    from tfdeblur.training.run import TrainingInterrupted, train

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
    from tfdeblur import families, presets
    from tfdeblur.tasks import export

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
    model = families.load_preset(args.model, family)
    export.check_exportable(model, args.model)
    written = {}
    if args.saved_model:
        written["saved_model"] = str(export.export_saved_model(model, args.saved_model, args.version,
                                                               overwrite=args.overwrite,
                                                               max_pixels=args.max_pixels))
    if args.tflite:
        height, width = args.tflite_size
        written["tflite"] = str(export.export_tflite(model, args.tflite, height, width,
                                                     quantization=args.quantization))
    print(json.dumps(written))
    return 0




# The function each subcommand runs (`args.func`), given to `tfdeblur.cli.parser.build_parser`.
COMMANDS = {"blur": _cmd_blur, "deblur": _cmd_deblur, "batch": _cmd_batch, "evaluate": _cmd_evaluate,
            "train": _cmd_train, "export": _cmd_export, "demo": _cmd_demo, "app": _cmd_app}
