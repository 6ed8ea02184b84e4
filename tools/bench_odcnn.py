"""Benchmark ODCNN against Wiener on held-out BSDS500 photos, in the paper's four conditions; prints JSON.

Conditions (Xu et al. 2014, Table 1): each preset's kernel (disk radius 7, a linear motion), with and without
saturation; every blurry image also gets gaussian noise and JPEG compression:
y = JPEG(clip(gain * x * k + n)), 'valid' blur (a camera crop of a larger scene), target clip(gain * x).

Methods, all with the true kernel:
- blurry: the input itself;
- wiener: `tfdeblur.solvers.wiener` with its defaults (gradient prior, regularisation from the estimated
  noise);
- wiener_flat: classical Wiener (identity prior) with the flat noise-to-signal ratio that scores best on these
  very images (an oracle choice, the strongest Wiener baseline; the chosen value is reported);
- separable_inversion: the untrained ODCNN deconvolution sub-network (SVD of the Wiener pseudo-inverse);
- stage1: the deconvolution sub-network after training stage 1 (`saved_models/odcnn/<preset>/stage1.keras`);
- odcnn: the full trained preset (`saved_models/odcnn/<preset>/model.keras`).
PSNR/SSIM over the whole image (mean over images) and seconds per megapixel (image pixels, all channels).

    flock /tmp/tfdeblur-cpu.lock python tools/bench_odcnn.py --limit 30 > bench.json

`--nsr-sweep` instead measures the separable-inversion PSNR for a grid of pseudo-inverse noise-to-signal
ratios on training photos with the training degradation (random gain, noise, JPEG quality per image): the
measurement behind `ODCNN`'s default nsr.
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
from tfdeblur.models.odcnn import ODCNN, cropped_pseudo_inverse  # noqa: E402
from tfdeblur.models.odcnn.deblur import apply  # noqa: E402
from tfdeblur.solvers.wiener import wiener  # noqa: E402

BSDS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bsds500" / "images"
FLAT_NSR = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
SWEEP_NSR = (1e-4, 3e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _degraded(files, kernel, gain, noise, jpeg, seed):
    cases = []
    for index, path in enumerate(files):
        blurry, target = physics.degrade(io.read_image(path), kernel, noise_sigma=noise, gain=gain,
                                         jpeg_quality=jpeg, mode="valid", seed=seed + index,
                                         return_target=True)
        cases.append((blurry, target))
    return cases


def _score(fn, cases, warmup=True):
    """Mean PSNR/SSIM of fn(blurry) over the cases, and seconds per megapixel (first call excluded)."""
    if warmup:
        fn(cases[0][0])
    psnrs, ssims, seconds, pixels = [], [], 0.0, 0
    for blurry, target in cases:
        start = time.perf_counter()
        estimate = np.clip(fn(blurry), 0.0, 1.0)
        seconds += time.perf_counter() - start
        pixels += blurry.shape[0] * blurry.shape[1]
        psnrs.append(metrics.psnr(estimate, target))
        ssims.append(metrics.ssim(estimate, target))
    return {"psnr": round(float(np.mean(psnrs)), 3), "ssim": round(float(np.mean(ssims)), 4),
            "s_per_mpix": round(seconds / (pixels / 1e6), 3)}


def _network_fn(network):
    return lambda blurry: apply(network, blurry)


def _compiled_timing(network, cases, count: int = 6) -> dict:
    """Seconds per megapixel of the whole-image forward pass: eager Keras call, tf.function, and XLA
    (tf.function(jit_compile=True)); each variant is warmed up on every image shape first."""
    import tensorflow as tf

    images = [tf.constant(blurry[None]) for blurry, _ in cases[:count]]
    pixels = sum(int(i.shape[1]) * int(i.shape[2]) for i in images) / 1e6
    variants = {"eager": lambda x: network(x, training=False),
                "tf_function": tf.function(lambda x: network(x, training=False), reduce_retracing=False),
                "xla": tf.function(lambda x: network(x, training=False), jit_compile=True)}
    timing = {}
    for name, fn in variants.items():
        for shape in {tuple(i.shape) for i in images}:
            fn(tf.zeros(shape)).numpy()
        start = time.perf_counter()
        for image in images:
            fn(image).numpy()
        timing[name] = round((time.perf_counter() - start) / pixels, 3)
    return timing


def _preset_models(name):
    folder = presets.resolve(f"odcnn/{name}", "odcnn").parent
    full = presets.load_preset(str(folder / "model.keras"), "odcnn")
    stage1 = folder / "stage1.keras"
    return full, (presets.load_preset(str(stage1), "odcnn") if stage1.is_file() else None)


def bench(args) -> dict:
    files = list_images(args.data)[:args.limit]
    report = {"data": str(args.data), "images": len(files), "noise_sigma": args.noise,
              "jpeg_quality": args.jpeg, "saturation_gain": args.gain, "conditions": {}}
    for name in args.presets.split(","):
        full, stage1 = _preset_models(name)
        kernel = full.kernel_array
        inversion = ODCNN(kernel, rank=full.rank, filter_size=full.filter_size, nsr=full.nsr,
                          activation=full.activation, preserve_dc=full.preserve_dc, outlier_rejection=False,
                          channels=full.channels)
        for saturated in (False, True):
            gain = args.gain if saturated else 1.0
            cases = _degraded(files, kernel, gain, args.noise, args.jpeg, args.seed)
            rows = {"blurry": _score(lambda y: y, cases, warmup=False),
                    "wiener": _score(lambda y, k=kernel: wiener(y, k), cases)}
            flat = {nsr: _score(lambda y, r=nsr, k=kernel: wiener(y, k, reg=r, prior="identity"), cases,
                                warmup=False)
                    for nsr in FLAT_NSR}
            best = max(flat, key=lambda nsr: flat[nsr]["psnr"])
            rows["wiener_flat"] = {**flat[best], "nsr": best}
            rows["separable_inversion"] = _score(_network_fn(inversion), cases)
            if stage1 is not None:
                rows["stage1"] = _score(_network_fn(stage1), cases)
            rows["odcnn"] = _score(_network_fn(full), cases)
            if not saturated:
                report.setdefault("odcnn_forward_s_per_mpix", {})[name] = _compiled_timing(full, cases)
            key = f"{name}{'_saturated' if saturated else ''}"
            report["conditions"][key] = {"kernel": list(kernel.shape), "gain": gain, "methods": rows}
            print(f"{key}: " + ", ".join(f"{m} {r['psnr']:.2f}" for m, r in rows.items()), file=sys.stderr)
    report["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    return report


def nsr_sweep(args) -> dict:
    """Separable-inversion PSNR per pseudo-inverse nsr on training photos with the training degradation."""
    files = list_images(args.data)[:args.limit]
    rng = np.random.default_rng(args.seed)
    report = {"data": str(args.data), "images": len(files), "gain_range": args.gain_range,
              "noise_range": args.noise_range, "jpeg_range": args.jpeg_range, "kernels": {}}
    for spec in args.kernels.split(";"):
        kernel = physics.kernel_from_spec(spec)
        cases = []
        for index, path in enumerate(files):
            gain = rng.uniform(*args.gain_range)
            noise = rng.uniform(*args.noise_range)
            quality = int(rng.integers(args.jpeg_range[0], args.jpeg_range[1] + 1))
            cases.extend(_degraded([path], kernel, gain, noise, quality, args.seed + index))
        rows = {}
        for nsr in SWEEP_NSR:
            network = ODCNN(kernel, nsr=nsr, outlier_rejection=False, channels=3)
            raw = ODCNN(kernel, nsr=nsr, outlier_rejection=False, channels=3, preserve_dc=False)
            full = cropped_pseudo_inverse(kernel, size=network.filter_size, nsr=nsr)
            rows[str(nsr)] = {
                "separable_inversion": _score(_network_fn(network), cases, warmup=False)["psnr"],
                "separable_inversion_no_dc_fix": _score(_network_fn(raw), cases, warmup=False)["psnr"],
                "full_pseudo_inverse": _score(lambda y, f=full: physics.blur(y, f, mode="same"), cases,
                                              warmup=False)["psnr"],
            }
        best = max(rows, key=lambda nsr: rows[nsr]["separable_inversion"])
        report["kernels"][spec] = {"psnr_by_nsr": rows, "best_nsr": float(best),
                                   "blurry": _score(lambda y: y, cases, warmup=False)["psnr"]}
        print(f"{spec}: best nsr {best} -> {rows[best]}", file=sys.stderr)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None,
                        help="sharp photos (default: BSDS500 test, or train for --nsr-sweep)")
    parser.add_argument("--limit", type=int, default=30, help="number of photos")
    parser.add_argument("--presets", default="disk7,motion15", help="comma-separated odcnn presets")
    parser.add_argument("--noise", type=float, default=0.01, help="gaussian noise std")
    parser.add_argument("--jpeg", type=int, default=90, help="JPEG quality")
    parser.add_argument("--gain", type=float, default=1.5, help="exposure gain of the saturated conditions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nsr-sweep", action="store_true",
                        help="measure the best pseudo-inverse nsr instead")
    parser.add_argument("--kernels", default="disk:7;motion:15,30",
                        help="kernels of --nsr-sweep (';'-separated)")
    parser.add_argument("--gain-range", type=float, nargs=2, default=[1.0, 1.5])
    parser.add_argument("--noise-range", type=float, nargs=2, default=[0.005, 0.015])
    parser.add_argument("--jpeg-range", type=int, nargs=2, default=[75, 95])
    args = parser.parse_args(argv)
    if args.data is None:
        args.data = BSDS / ("train" if args.nsr_sweep else "test")
    report = nsr_sweep(args) if args.nsr_sweep else bench(args)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
