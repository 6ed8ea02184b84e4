"""Benchmark of the ircnet family; prints JSON.

Uniform table (the paper's Table 1 experiment): grayscale BSDS500 test photos, each blurred ('valid': the
photo is a crop of a larger scene) with the 8 Levin et al. kernels and gaussian noise 0.01. The same ADMM
problem (Eq. 16: l1 gradient prior, 10 iterations) is solved with four x-updates:
- fft: closed form in the Fourier domain, photo mirror-extended and edge-tapered first (boundaries handled);
- fft_nopad: closed form taking the photo as periodic;
- cg: conjugate gradients on the exact 'valid' least-squares problem (up to --cg-steps per x-update);
- irc: iterative residual compensation (T=2) with the 31x31 least-squares inverse filters of Eq. 13-14;
- irc_grid: the same with the filters solved on the solution grid and never cropped (the package default,
  compiled as one graph: `tfdeblur.solvers.irc_graph`);
- default: `tfdeblur.solvers.irc.irc` with its defaults (hyper-Laplacian prior on first and second
  differences, its own weight rule from the known noise level, 50 iterations): not the same problem.
PSNR over the whole photo (mean per kernel and overall) and seconds per image; IRC's seconds are split into
building the inverse filters and the ADMM iterations, as in the paper.

Non-uniform table: BSDS500 test crops blurred with smooth synthetic motion fields (camera translation,
rotation and zoom; lengths up to 35 px) by `tfdeblur.physics.nonuniform_blur`, noise 0.01, non-blind (the true
field is given): the blurry input, Wiener applied per tile with the tile's local kernel, the untrained IRC-Net
(bank initialisation = the classical algorithm unrolled), the trained IRC-Net preset, and the blind pipeline
preset (Motion-Net's field, with its motion error).

    flock /tmp/tfdeblur-cpu.lock python tools/bench_irc.py > bench_irc.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from tfdeblur import io, metrics, physics, presets  # noqa: E402
from tfdeblur.data import list_images  # noqa: E402
from tfdeblur.errors import InputError  # noqa: E402
from tfdeblur.solvers.irc import RHO_PER_LAM, admm_deconvolve, default_lam, irc  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
METHODS = {
    "fft": dict(x_update="fft", boundary="taper"),
    "fft_nopad": dict(x_update="fft", boundary="circular"),
    "cg": dict(x_update="cg"),
    "irc": dict(x_update="irc", filter_size=31),
    "irc_grid": dict(x_update="irc", filter_size="grid"),
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _gray(path) -> np.ndarray:
    return io.read_image(path).mean(axis=-1).astype(np.float32)


def uniform_table(files, kernels, noise, lam, rho, cg_steps, iterations, progress=True):
    per_kernel = {name: [[] for _ in kernels] for name in [*METHODS, "default"]}
    seconds = {name: [] for name in [*METHODS, "default"]}
    irc_setup, blurry_psnr = [], []
    # Warm-up (graph building, FFT plans) so the first measured case is not penalised.
    warm = physics.blur(_gray(files[0])[:64, :64], kernels[0], mode="valid")
    for options in METHODS.values():
        admm_deconvolve(warm[None, ..., None], kernels[0], lam, rho=rho, iterations=1, **options)
    irc(warm, kernels[0], noise_sigma=noise, iterations=1)
    total = len(files) * len(kernels)
    done = 0
    for index, path in enumerate(files):
        image = _gray(path)
        for k, kernel in enumerate(kernels):
            blurry, sharp = physics.degrade(
                image, kernel, noise_sigma=noise, mode="valid", seed=1000 * index + k, return_target=True
            )
            blurry_psnr.append(metrics.psnr(blurry, sharp))
            for name, options in METHODS.items():
                start = time.perf_counter()
                out, info = admm_deconvolve(
                    blurry[None, ..., None],
                    kernel,
                    lam,
                    rho=rho,
                    iterations=iterations,
                    cg_steps=cg_steps,
                    return_info=True,
                    **options,
                )
                out = np.clip(out.numpy()[0, ..., 0], 0.0, 1.0)
                seconds[name].append(time.perf_counter() - start)
                per_kernel[name][k].append(metrics.psnr(out, sharp))
                if name == "irc":
                    irc_setup.append(info["setup_seconds"])
            # the package's default solver (its own prior, weight rule from the known noise, iterations)
            start = time.perf_counter()
            out = irc(blurry, kernel, noise_sigma=noise)
            seconds["default"].append(time.perf_counter() - start)
            per_kernel["default"][k].append(metrics.psnr(out, sharp))
            done += 1
            if progress:
                print(f"\runiform {done}/{total}", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    table = {}
    for name in [*METHODS, "default"]:
        means = [float(np.mean(v)) for v in per_kernel[name]]
        table[name] = {
            "psnr_per_kernel": [round(m, 2) for m in means],
            "psnr_mean": round(float(np.mean(means)), 3),
            "seconds_per_image": round(float(np.mean(seconds[name])), 3),
        }
    table["irc"]["seconds_filters"] = round(float(np.mean(irc_setup)), 3)
    table["irc"]["seconds_admm"] = round(float(np.mean(seconds["irc"]) - np.mean(irc_setup)), 3)
    table["blurry"] = {"psnr_mean": round(float(np.mean(blurry_psnr)), 3)}
    return table


def _wiener_per_tile(blurry, motion, bank, noise, tile=32, context=24):
    """Wiener deconvolution of each tile with the kernel of the motion at its centre, blended with a
    raised-cosine window (tiles overlap by half)."""
    from tfdeblur.physics.nonuniform import interpolated_kernel
    from tfdeblur.solvers.wiener import wiener

    h, w = blurry.shape
    step = tile // 2
    out = np.zeros((h, w), np.float64)
    total = np.zeros((h, w), np.float64)
    ramp = np.hanning(tile + 2)[1:-1]
    window = np.outer(ramp, ramp) + 1e-6
    starts = lambda n: sorted(set(list(range(0, n - tile, step)) + [n - tile]))  # noqa: E731
    for r in starts(h):
        for c in starts(w):
            length, angle = motion[r + tile // 2, c + tile // 2]
            kernel = interpolated_kernel(float(length), float(angle), bank)
            r0, c0 = max(r - context, 0), max(c - context, 0)
            r1, c1 = min(r + tile + context, h), min(c + tile + context, w)
            restored = wiener(blurry[r0:r1, c0:c1], kernel, noise_sigma=noise)
            out[r : r + tile, c : c + tile] += (
                window * restored[r - r0 : r - r0 + tile, c - c0 : c - c0 + tile]
            )
            total[r : r + tile, c : c + tile] += window
    return np.clip(out / total, 0.0, 1.0).astype(np.float32)


# The blind pipeline three ways: Motion-Net's raw field (the network end to end), the field smoothed, and
# smoothed then corrected by the photo's measured motion or, where that is not trusted, scaled by the reblur
# residual (what `tfdeblur deblur --method ircnet` runs; its seconds include the scale's IRC-Net runs).
BLIND_ROWS = ("blind_raw", "blind_smoothed", "blind")


def _blind_fields(blind_net, blurry, batch):
    from tfdeblur.models.ircnet.method import blind_field

    return [
        ("blind_raw", lambda: blind_net.motion_net.motion_field(batch).numpy()[0]),
        ("blind_smoothed", lambda: blind_field(blind_net, blurry, refine=False)[0]),
        ("blind", lambda: blind_field(blind_net, blurry, refine=True)[0]),
    ]


def nonuniform_table(files, size, noise, trained, blind, lam, rho, seed=7):
    import tensorflow as tf

    from tfdeblur.models.ircnet import IRCNet
    from tfdeblur.models.ircnet.data import nonuniform_pairs
    from tfdeblur.physics.nonuniform import MotionBank

    bank = MotionBank()
    data = nonuniform_pairs(
        files,
        bank,
        size,
        1,
        channels=1,
        noise_sigma=(noise, noise),
        field="smooth",
        rotation=0.5,
        training=False,
        count=len(files),
        seed=seed,
    )
    nets = {"ircnet_untrained": IRCNet(lam=lam, rho=rho)}
    if trained:
        nets["ircnet_trained"] = presets.load_preset(trained, "ircnet")
    blind_net = presets.load_preset(blind, "ircnet") if blind else None
    rows = {name: [] for name in ["blurry", "wiener_per_tile", *nets, *(BLIND_ROWS if blind_net else [])]}
    seconds = {name: [] for name in rows}
    motion_errors = {name: [] for name in BLIND_ROWS}
    for inputs, sharp in data:
        sharp = sharp.numpy()[0, ..., 0]
        blurry = inputs["blurry"].numpy()[0, ..., 0]
        motion = inputs["motion"].numpy()[0]
        rows["blurry"].append(metrics.psnr(blurry, sharp))
        start = time.perf_counter()
        rows["wiener_per_tile"].append(metrics.psnr(_wiener_per_tile(blurry, motion, bank, noise), sharp))
        seconds["wiener_per_tile"].append(time.perf_counter() - start)
        for name, net in nets.items():
            start = time.perf_counter()
            out = np.clip(net(inputs).numpy()[0, ..., 0], 0.0, 1.0)
            seconds[name].append(time.perf_counter() - start)
            rows[name].append(metrics.psnr(out, sharp))
        if blind_net is not None:
            for name, field in _blind_fields(blind_net, blurry, inputs["blurry"]):
                start = time.perf_counter()
                estimate = field()
                out = blind_net.ircnet({"blurry": inputs["blurry"], "motion": estimate[None]}).numpy()[0, ..., 0]
                seconds[name].append(time.perf_counter() - start)
                rows[name].append(metrics.psnr(np.clip(out, 0.0, 1.0), sharp))
                angle_error = np.abs((estimate[..., 1] - motion[..., 1] + 90.0) % 180.0 - 90.0)
                moving = motion[..., 0] >= 5.0
                motion_errors[name].append((float(np.mean(np.abs(estimate[..., 0] - motion[..., 0]))),
                                            float(np.mean(angle_error[moving])) if np.any(moving) else 0.0))
        print(f"\rnon-uniform {len(rows['blurry'])}/{len(files)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    del tf
    table = {name: {"psnr_mean": round(float(np.mean(v)), 3)} for name, v in rows.items()}
    for name, v in seconds.items():
        if v:
            table[name]["seconds_per_image"] = round(float(np.mean(v)), 3)
    for name, values in motion_errors.items():
        if values:
            errors = np.array(values)
            table[name]["motion_length_error_px"] = round(float(errors[:, 0].mean()), 2)
            table[name]["motion_angle_error_deg_where_length_ge_5"] = round(float(errors[:, 1].mean()), 2)
    return table


def levin_table(data_dir, iteration_counts) -> dict:
    """The default non-blind solver on Levin's real captures with their true kernels, published protocol:
    PSNR per capture and mean, median / max seconds per capture after a warm-up, per iteration count."""
    from tfdeblur.data.levin import levin_samples

    samples = levin_samples(str(data_dir))
    irc(samples[0].blurry[..., 0], samples[0].kernel, iterations=1)  # trace the compiled solver once
    table = {}
    for count in iteration_counts:
        psnrs, seconds = {}, []
        for sample in samples:
            start = time.perf_counter()
            out = irc(sample.blurry[..., 0], sample.kernel, iterations=count)
            seconds.append(time.perf_counter() - start)
            psnrs[sample.name] = round(metrics.aligned_psnr(out, sample.sharp[..., 0]), 2)
        table[str(count)] = {"psnr": psnrs, "psnr_mean": round(float(np.mean(list(psnrs.values()))), 3),
                             "seconds_median": round(float(np.median(seconds)), 3),
                             "seconds_max": round(float(np.max(seconds)), 3)}
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10, help="BSDS500 photos for the uniform table")
    parser.add_argument("--nu-images", type=int, default=12, help="photos for the non-uniform table")
    parser.add_argument("--nu-size", type=int, default=160, help="side of the non-uniform crops")
    parser.add_argument("--split", default="test", help="BSDS500 split (train for tuning)")
    parser.add_argument("--noise", type=float, default=0.01)
    parser.add_argument(
        "--lam", type=float, default=None, help="prior weight (default: the solver's, from noise)"
    )
    parser.add_argument("--rho-per-lam", type=float, default=RHO_PER_LAM)
    parser.add_argument("--iterations", type=int, default=10, help="ADMM iterations")
    parser.add_argument("--cg-steps", type=int, default=30, help="most CG iterations per x-update")
    parser.add_argument("--trained", default="ircnet/nonblind", help="trained IRC-Net preset ('' to skip)")
    parser.add_argument("--blind", default="ircnet/blind", help="blind pipeline preset ('' to skip)")
    parser.add_argument("--skip-uniform", action="store_true")
    parser.add_argument("--skip-nonuniform", action="store_true")
    parser.add_argument("--levin", metavar="DIR", help="also run the default solver on a Levin folder "
                        "(blurry/, gt/, kernels/; e.g. ../shared/data/levin09_im1), published protocol")
    parser.add_argument("--levin-iterations", default="30,40,50", help="iteration counts for --levin")
    args = parser.parse_args(argv)

    files = list_images(SHARED / "bsds500" / "images" / args.split)
    kernels = [
        np.load(p).astype(np.float32) for p in sorted((SHARED / "levin09_im1" / "kernels").glob("*.npy"))
    ]
    lam = args.lam if args.lam is not None else default_lam(args.noise, "l1")  # Table 1: the l1 problem
    rho = args.rho_per_lam * lam
    report = {
        "settings": {
            "split": args.split,
            "noise_sigma": args.noise,
            "lam": lam,
            "rho": rho,
            "admm_iterations": args.iterations,
            "irc_inner_steps": 2,
            "irc_filter_size": 31,
            "cg_steps": args.cg_steps,
            "kernels": "levin09 1-8",
            "images": args.images,
        }
    }
    start = time.perf_counter()
    if not args.skip_uniform:
        report["uniform"] = uniform_table(
            files[: args.images], kernels, args.noise, lam, rho, args.cg_steps, args.iterations
        )
    if not args.skip_nonuniform:
        for name in ("trained", "blind"):
            value = getattr(args, name)
            if value:
                try:
                    presets.resolve(value, "ircnet")
                except InputError:
                    print(f"preset {value} not found: skipped", file=sys.stderr)
                    setattr(args, name, "")
        from tfdeblur.models.ircnet.config import IRCNetModelConfig

        defaults = IRCNetModelConfig()
        report["nonuniform"] = nonuniform_table(
            files[: args.nu_images],
            args.nu_size,
            args.noise,
            args.trained,
            args.blind,
            defaults.lam,
            defaults.rho,
        )
        report["settings"].update(
            nu_images=args.nu_images,
            nu_size=args.nu_size,
            nu_fields="smooth, lengths <= 35 px, rotation share 0.5",
            ircnet_lam=defaults.lam,
            ircnet_rho=defaults.rho,
        )
    if args.levin:
        report["levin"] = levin_table(args.levin, [int(c) for c in args.levin_iterations.split(",")])
    report["seconds_total"] = round(time.perf_counter() - start, 1)
    report["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
