"""Benchmark SelfDeblur on a Levin et al. image: speed, memory and quality along the optimisation.

Prints one JSON object: seconds per step (median after warm-up, and the mean), peak resident memory,
and every `--every` steps the aligned PSNR / SSIM (Levin protocol) of the estimate and the kernel
error against the true kernel. Run it under the shared CPU lock so timings are comparable:

    flock /tmp/tfdeblur-cpu.lock python tools/bench_selfdeblur.py --data ../shared/data/levin09_im1 \\
        --image 1 --kernel 1 --kernel-size 17 --steps 400

The data folder is laid out as `blurry/im{I}_kernel{K}_img.png`, `gt/im{I}.png`,
`kernels/kernel{K}_conv.npy` (the layout of `datasets/levin`'s manual folder).

`--step-time` measures only the speed of the paper-schedule step, for the default settings and each
variant in `--variants` (one subprocess each, one after the other, so environment variables and thread
settings apply), as ratios to the default measured in the same run, plus a `tf.profiler` trace of the
default's (or `--profile-variants`') MSE and SSIM steps summarised by op type and by network part
(`--profile-steps 0`: none):

    flock /tmp/tfdeblur-cpu.lock python tools/bench_selfdeblur.py --step-time --kernel 2 --kernel-size 17
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from tfdeblur import io, metrics  # noqa: E402
from tfdeblur.models.selfdeblur import SelfDeblur  # noqa: E402
from tfdeblur.models.selfdeblur.self_deblur import GRAY_SCHEDULE  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from profile_ops import summarise  # noqa: E402

# name -> settings of one --step-time measurement: SelfDeblur keywords, instance attributes, environment,
# TensorFlow thread counts (intra, inter), and a source folder to import tfdeblur from instead.
VARIANTS = {
    "default": {},
    "direct_blur": dict(attrs=dict(blur_method="direct")),  # the data term as before this option
    "xla": dict(kwargs=dict(jit_compile=True)),
    "bf16": dict(kwargs=dict(precision="mixed_bfloat16")),
    "bf16_xla": dict(kwargs=dict(precision="mixed_bfloat16", jit_compile=True)),
    "onednn_on": dict(env=dict(TF_ENABLE_ONEDNN_OPTS="1")),  # off by default on CPUs without AVX-512
    "inter_op_1": dict(threads=(2, 1)),
    "intra_op_1": dict(threads=(1, 2)),
}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/levin09_im1"))
    parser.add_argument("--image", type=int, default=1)
    parser.add_argument("--kernel", type=int, default=1)
    parser.add_argument("--kernel-size", type=int, default=17)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--every", type=int, default=100, help="quality is measured every N steps")
    parser.add_argument("--warmup", type=int, default=5, help="steps left out of the timing median")
    parser.add_argument("--precision", default="float32", choices=("float32", "mixed_bfloat16"))
    parser.add_argument("--jit", action="store_true", help="compile the step with XLA")
    parser.add_argument("--optimization", default="joint", choices=("joint", "alternating"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", help="folder for the estimated image/kernel (PNG + .npy) at the end")
    parser.add_argument("--checkpoint-dir", help="paper schedule: keep the run's state (and the quality curve) "
                        "there every --every steps; the same command resumes it (for 5000-step runs)")
    parser.add_argument("--log-dir", help="TensorBoard log folder")
    parser.add_argument("--step-time", action="store_true", help="time the step only (see above)")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"--step-time variants, from: {', '.join(VARIANTS)}")
    parser.add_argument("--timed-steps", type=int, default=30, help="--step-time steps per loss (median)")
    parser.add_argument("--profile-steps", type=int, default=5, help="--step-time steps traced per loss")
    parser.add_argument("--profile-variants", default="default", help="--step-time variants to trace")
    parser.add_argument("--rounds", type=int, default=1, help="--step-time: runs per variant, interleaved; "
                                                             "each variant reports its fastest round")
    parser.add_argument("--compare", action="append", default=[], metavar="NAME=DIR",
                        help="--step-time: also time the tfdeblur sources in DIR (e.g. an export of main) "
                             "with default settings, as variant NAME; repeatable")
    parser.add_argument("--_child", help=argparse.SUPPRESS)
    parser.add_argument("--schedule", default="paper", choices=("paper", "fast", "compare"),
                        help="fast: the blind method per capture and the mean (tools/bench_blind_levin.py); "
                             "compare: the blind method on the captures of the finished paper runs in "
                             "--paper-runs, side by side")
    parser.add_argument("--paper-runs", help="compare: folder of paper runs (one --checkpoint-dir each, "
                        "named im{I}_kernel{K}, with the report.json a finished run writes)")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_blind_levin

    bench_blind_levin.add_arguments(parser)
    args = parser.parse_args(argv)
    if args._child:
        result = _step_child(args, json.loads(args._child))
        print(json.dumps(result))
        return result
    if args.step_time:
        return _step_time(args)
    if args.schedule == "fast":
        return bench_blind_levin.run(args)
    if args.schedule == "compare":
        return _compare(args)

    data = Path(args.data)
    blurry = io.read_image(data / "blurry" / f"im{args.image}_kernel{args.kernel}_img.png")
    sharp = io.read_image(data / "gt" / f"im{args.image}.png")
    true_kernel = np.load(data / "kernels" / f"kernel{args.kernel}_conv.npy")
    curve = []
    saved_curve = Path(args.checkpoint_dir) / "curve.json" if args.checkpoint_dir else None
    if saved_curve is not None and saved_curve.exists():  # a resumed run: the quality measured before
        curve = json.loads(saved_curve.read_text())

    def measure(step, image, kernel):
        curve.append(dict(step=step, aligned_psnr=round(metrics.aligned_psnr(image, sharp), 3),
                          aligned_ssim=round(metrics.aligned_ssim(image, sharp), 4),
                          kernel_error=round(metrics.kernel_error(kernel, true_kernel), 4),
                          loss=round(solver.history.loss[step - 1], 6)))
        print(json.dumps(curve[-1]), file=sys.stderr, flush=True)
        if saved_curve is not None:
            io.write_text(saved_curve, json.dumps(curve) + "\n")

    solver = SelfDeblur(args.kernel_size, iterations=args.steps, seed=args.seed, optimization=args.optimization,
                        precision=args.precision, jit_compile=args.jit, log_every=args.every, callback=measure,
                        log_dir=args.log_dir, progress=False, checkpoint_dir=args.checkpoint_dir,
                        checkpoint_every=args.every)
    start = time.perf_counter()
    image, kernel = solver.run(blurry)
    total = time.perf_counter() - start
    times = solver.history.step_seconds
    # The loss switches to 1 - SSIM at step `ssim_start`: that step traces a second function.
    ssim_start = solver._schedule(False)[1]
    steady = [t for i, t in enumerate(times) if i >= args.warmup and i != ssim_start]
    report = dict(
        image=f"im{args.image}_kernel{args.kernel}", kernel_size=args.kernel_size, steps=args.steps,
        precision=args.precision, jit_compile=args.jit, optimization=args.optimization, seed=args.seed,
        generated_size=[blurry.shape[0] + args.kernel_size - 1, blurry.shape[1] + args.kernel_size - 1],
        seconds_per_step_median=round(statistics.median(steady), 4) if steady else None,
        seconds_per_step_mean=round(statistics.fmean(steady), 4) if steady else None,
        first_step_seconds=round(times[0], 2), total_seconds=round(total, 1),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        blurry_aligned_psnr=round(metrics.aligned_psnr(blurry, sharp), 3),
        final_aligned_psnr=round(metrics.aligned_psnr(image, sharp), 3),
        final_aligned_ssim=round(metrics.aligned_ssim(image, sharp), 4),
        final_kernel_error=round(metrics.kernel_error(kernel, true_kernel), 4),
        curve=curve,
    )
    if args.save:
        out = Path(args.save)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"im{args.image}_kernel{args.kernel}_{args.steps}steps"
        io.write_image(out / f"{stem}_x.png", image)
        io.write_kernel(out / f"{stem}_k.png", kernel)
        io.write_kernel(out / f"{stem}_k.npy", kernel)
        report["saved"] = str(out)
    if args.checkpoint_dir:  # what `--schedule compare` reads
        report["seconds_total_all_sessions"] = round(solver.history.seconds, 1)
        io.write_text(Path(args.checkpoint_dir) / "report.json", json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return report


def _compare(args) -> dict:
    """Fast vs paper schedule on the same captures: the paper side from finished runs' report.json."""
    import contextlib
    import io as text_io

    import bench_blind_levin

    keys = ("aligned_psnr", "aligned_ssim", "kernel_error", "seconds")
    paper = {}
    for report in sorted(Path(args.paper_runs).glob("im*_kernel*/report.json")):
        run = json.loads(report.read_text())
        paper[run["image"]] = dict(aligned_psnr=run["final_aligned_psnr"], aligned_ssim=run["final_aligned_ssim"],
                                   kernel_error=run["final_kernel_error"], steps=run["steps"],
                                   seconds=run.get("seconds_total_all_sessions", run["total_seconds"]),
                                   peak_rss_mb=run["peak_rss_mb"], kernel_size=run["kernel_size"],
                                   saved=run["saved"])
    if not paper:
        raise SystemExit(f"no finished paper run (im*_kernel*/report.json) in {args.paper_runs}")
    args.kernels = ",".join(name.split("kernel")[1] for name in paper)
    with contextlib.redirect_stdout(text_io.StringIO()):  # keep stdout for the one JSON object
        fast = bench_blind_levin.run(args)
    rows = []
    for row in fast["rows"]:
        other = paper[row["image"]]
        other.update(_paper_extras(args, row["image"], other, row))
        rows.append(dict(image=row["image"], blurry_psnr=row["blurry_psnr"],
                         fast={k: row[k] for k in keys + ("error_ratio", "peak_rss_mb")},
                         paper=other))
    mean = {side: {k: round(statistics.fmean(r[side][k] for r in rows), 4) for k in keys + ("error_ratio",)
                   if all(k in r[side] for r in rows)}
            for side in ("fast", "paper")}
    mean["paper"]["kernel_finish_psnr"] = round(statistics.fmean(r["paper"]["kernel_finish_psnr"] for r in rows), 4)
    report = dict(images=len(rows), rows=rows, mean=mean)
    print(json.dumps(report, indent=1))
    return report


def _paper_extras(args, name: str, run: dict, fast_row: dict) -> dict:
    """The paper run's error ratio (the reference: the fast schedule's finish with the true kernel, as for the
    fast side) and its kernel put through that finish (SelfDeblur-Delta with the package's solver). With
    `--save DIR`, also `DIR/compare_<capture>.png`: sharp | blurry | fast | paper | paper kernel + finish,
    each estimate with its kernel in the corner and its Levin-protocol PSNR."""
    from tfdeblur.models.blind import BlindOptions
    from tfdeblur.models.blind.pipeline import finish_lam
    from tfdeblur.solvers.irc import irc

    data = Path(args.data)
    image_index, kernel_index = name[2:].split("_kernel")
    sharp = io.read_image(data / "gt" / f"im{image_index}.png")
    blurry = io.read_image(data / "blurry" / f"{name}_img.png")
    true_kernel = np.load(data / "kernels" / f"kernel{kernel_index}_conv.npy")
    lam = finish_lam(blurry, BlindOptions(**json.loads(args.fast_options)))
    reference = irc(blurry, true_kernel / true_kernel.sum(), lam=lam)
    saved = Path(run["saved"]) / f"{name}_{run['steps']}steps"
    image = io.read_image(f"{saved}_x.png")  # 8-bit, as saved
    kernel = np.load(f"{saved}_k.npy")
    finish = irc(blurry, kernel / kernel.sum(), lam=lam)
    extras = dict(error_ratio=round(metrics.error_ratio(image, reference, sharp), 3),
                  kernel_finish_psnr=round(metrics.aligned_psnr(finish, sharp), 3),
                  kernel_finish_ssim=round(metrics.aligned_ssim(finish, sharp), 4))
    if args.save:
        from tfdeblur.tasks.demo import comparison_panel, with_kernel_inset

        def rgb(x):
            return np.repeat(np.clip(np.atleast_3d(x), 0, 1), 3, axis=2)

        out = Path(args.save)
        fast_image = io.read_image(out / f"{name}_fast_x.png")
        fast_kernel = np.load(out / f"{name}_fast_k.npy")
        tiles = [("sharp", rgb(sharp)), (f"blurry {fast_row['blurry_psnr']:.2f} dB", rgb(blurry)),
                 (f"fast {fast_row['aligned_psnr']:.2f} dB, {fast_row['seconds']:.0f} s",
                  with_kernel_inset(rgb(fast_image), fast_kernel)),
                 (f"paper {run['steps']} steps {run['aligned_psnr']:.2f} dB", with_kernel_inset(rgb(image), kernel)),
                 (f"paper kernel + finish {extras['kernel_finish_psnr']:.2f} dB",
                  with_kernel_inset(rgb(finish), kernel))]
        io.write_image(out / f"compare_{name}.png", comparison_panel(tiles, columns=5))
    return extras


def _machine() -> dict:
    """What else the machine is doing: load averages and the busiest processes."""
    ps = subprocess.run(["ps", "-eo", "pid,ni,pcpu,etime,args", "--sort=-pcpu"],
                        capture_output=True, text=True)
    return dict(load_average=[round(x, 2) for x in os.getloadavg()],
                top_processes=[line[:110] for line in ps.stdout.splitlines()[1:5]])


def _step_time(args) -> dict:
    sources = dict(item.split("=", 1) for item in args.compare)
    variants = [v for v in args.variants.split(",") if v] + list(sources)
    report = dict(image=f"im{args.image}_kernel{args.kernel}", kernel_size=args.kernel_size, seed=args.seed,
                  warmup=args.warmup, timed_steps=args.timed_steps, machine_before=_machine(), variants={})
    runs = {name: [] for name in variants}
    for _ in range(args.rounds):  # interleaved, so a burst of other load hits one round, not one variant
        for name in variants:
            spec = dict(VARIANTS.get(name, {}), name=name)
            if name in sources:
                spec["source"] = sources[name]
            runs[name].append(_run_child(args, spec))
            print(json.dumps({name: runs[name][-1]}), file=sys.stderr, flush=True)
    for name, results in runs.items():  # the least disturbed round
        timed = [r for r in results if "seconds_per_step" in r]
        best = min(timed, key=lambda r: r["seconds_per_step"]) if timed else results[-1]
        report["variants"][name] = dict(best, rounds=[r.get("seconds_per_step") for r in results])
    report["profile"] = {}
    for name in [v for v in args.profile_variants.split(",") if v] if args.profile_steps else []:
        spec = dict(VARIANTS.get(name, {}), name=name, profile=args.profile_steps)
        if name in sources:
            spec["source"] = sources[name]
        traced = _run_child(args, spec)
        report["profile"][name] = traced.get("profile", traced)
    reference = report["variants"].get("default", {})
    for result in report["variants"].values():
        for key in ("seconds_per_step", "cpu_seconds_per_step"):
            if reference.get(key) and key in result:
                ratio = key.replace("seconds_per_step", "ratio_to_default")
                result[ratio] = round(result[key] / reference[key], 3)
    report["machine_after"] = _machine()
    print(json.dumps(report, indent=1))
    return report


def _run_child(args, spec) -> dict:
    env = dict(os.environ, **spec.get("env", {}))
    if spec.get("source"):
        env["PYTHONPATH"] = os.pathsep.join([spec["source"], env.get("PYTHONPATH", "")])
    passed = [a for a in sys.argv[1:] if a != "--step-time"]
    out = subprocess.run([sys.executable, __file__, *passed, "--_child", json.dumps(spec)],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout)


def _step_child(args, spec) -> dict:
    """One measurement: warm-up, timed MSE steps, the switch to SSIM, timed SSIM steps (or traced ones)."""
    import tensorflow as tf

    if spec.get("threads"):
        tf.config.threading.set_intra_op_parallelism_threads(spec["threads"][0])
        tf.config.threading.set_inter_op_parallelism_threads(spec["threads"][1])
    import tfdeblur

    blurry = io.read_image(Path(args.data) / "blurry" / f"im{args.image}_kernel{args.kernel}_img.png")
    timed = spec.get("profile") or args.timed_steps
    phase = args.warmup + timed  # steps per loss; the SSIM phase's warm-up includes its trace
    logdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_selfdeblur_profile_{os.getpid()}"
    profiles = {}

    clocks = [(time.perf_counter(), time.process_time())]

    def trace(step, image, kernel):  # called after `step` steps
        clocks.append((time.perf_counter(), time.process_time()))
        if not spec.get("profile"):
            return
        if step % phase == args.warmup:
            tf.profiler.experimental.start(str(logdir / str(step)))
        elif step % phase == 0:
            tf.profiler.experimental.stop()
            loss = "mse" if step == phase else "ssim"
            profiles[loss] = summarise(logdir / str(step - timed), timed, group=_part)

    solver = SelfDeblur(args.kernel_size, iterations=2 * phase, seed=args.seed, ssim_start=phase,
                        progress=False, callback=trace, log_every=1,
                        **spec.get("kwargs", {}))
    for key, value in spec.get("attrs", {}).items():
        setattr(solver, key, value)
    start = time.perf_counter()
    solver.run(blurry)
    total = time.perf_counter() - start
    if spec.get("profile"):
        shutil.rmtree(logdir, ignore_errors=True)
        return dict(profile=profiles)
    times = solver.history.step_seconds
    mse, ssim = times[args.warmup:phase], times[phase + args.warmup:]
    # CPU seconds of the whole process per step (both cores): less sensitive to other load than wall time.
    cpu = [b[1] - a[1] for a, b in zip(clocks[:-1], clocks[1:])]
    ssim_start = GRAY_SCHEDULE["ssim_start"]  # the paper schedule: 1000 MSE steps of 5000
    mean_step = (ssim_start * statistics.median(mse) + (5000 - ssim_start) * statistics.median(ssim)) / 5000
    cpu_step = (ssim_start * statistics.median(cpu[args.warmup:phase])
                + (5000 - ssim_start) * statistics.median(cpu[phase + args.warmup:])) / 5000
    return dict(seconds_per_step=round(mean_step, 4), cpu_seconds_per_step=round(cpu_step, 4),
                mse_median=round(statistics.median(mse), 4),
                ssim_median=round(statistics.median(ssim), 4), first_step=round(times[0], 2),
                ssim_first_step=round(times[phase], 2),
                loop_overhead=round((solver.history.seconds - sum(times)) / len(times), 5),
                setup_seconds=round(total - solver.history.seconds, 1),
                final_loss=round(solver.history.loss[-1], 6), tfdeblur=str(Path(tfdeblur.__file__).parent),
                peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))


def _part(name: str, op_type: str) -> str:
    """Where an op belongs: pass (forward / backward) and network part, from its name scope."""
    if re.search(r"(^|/)adam", name, re.I) or "AssignVariable" in op_type or "ReadVariable" in op_type:
        return "optimizer and variables"
    backward = name.startswith("gradient_tape/") or "conv2d_valid_grad" in name
    if "conv2d_valid_grad" in name:  # the generators' convolution gradients, wherever they were created
        return "backward: generator convolutions (conv2d_valid)"
    match = re.search(r"/(non_local|skip|down|mid|merge_norm|up_1x1|up)_\d+(_\d+)?/"
                      r"|/(to_image)(_\d+)?/", name)
    if match:
        part = match.group(1) or match.group(3)
    elif "kernel_generator" in name:
        part = "kernel generator"
    elif "image_generator" in name:
        part = "image generator (resize, concat, slice)"
    elif re.search(r"fft|ssim|conv|Mean|Square", name + ":" + op_type, re.I):
        part = "data term and loss"
    else:
        part = "other"
    return f"{'backward' if backward else 'forward'}: {part}"


if __name__ == "__main__":
    main()
