"""`tfdeblur evaluate`: run a method over a dataset and report PSNR/SSIM per image and on average.

Datasets are registered by name in `DATASETS` (a function returning a list of `EvalSample`), so a
dataset (e.g. Levin, GOPRO) adds itself with one line. Protocols:

- "plain": PSNR/SSIM of the whole image against the sharp one;
- "levin": Levin et al.'s published protocol (CVPR 2009, `comp_upto_shift`, used by every paper on the
  set): 15 px border crop of the reference, best shift on a 0.25 px grid within +-10 px with bilinear
  interpolation (`metrics.aligned_psnr`), and, when the sample has its true kernel, the error ratio against
  the deconvolution with that kernel by the *same* non-blind method (`--reference auto`);
- "levin-integer": the same with integer shifts only (about 3 dB lower on deconvolved results; it is not
  comparable with published numbers).

Methods that also run non-blind (`MethodSpec.accepts_kernel`, e.g. ircnet) are given the sample's true
kernel when it has one, unless `blind=True`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from tfdeblur import io, methods, metrics, physics
from tfdeblur.data.samples import EvalSample
from tfdeblur.errors import InputError

PROTOCOLS = ("plain", "levin", "levin-integer")
# The non-blind method behind a blind method's `info["nonblind"]` finish (SelfDeblur-Delta style).
FINISHERS = {"irc": "ircnet", "wiener": "wiener"}
DEFAULT_REFERENCE = "ircnet"  # the package's non-blind engine
# What a method says about its choice, copied into each image's row (blind: the model chosen and why, the
# one-line summary the command line prints, the seconds of every stage, the trust check's measures, the
# noise and clipped share seen, the estimates made again after a refusal).
REPORTED_INFO = ("model", "reason", "summary", "warning", "kernel_size", "regions", "stages", "checks", "noise_sigma",
                 "clipped_share", "retried")


def folder_samples(data_dir: str, limit: int | None = None, max_pixels: int | None = io.DEFAULT_MAX_PIXELS,
                   **_) -> list[EvalSample]:
    """Pairs from `blur/` + `sharp/` folders (see `tfdeblur.data.pair_files`); kernels from a sibling
    `kernels/` folder holding `<image stem>.npy` or `.png`, when present. Images without a partner are
    named in a warning; a pair whose sizes or channels differ is an error, found before any method runs."""
    from tfdeblur.data.pairs import pair_files, unpaired_files
    from tfdeblur.errors import warn

    blurry_files, sharp_files = pair_files(data_dir)
    unpaired = unpaired_files(data_dir)
    if unpaired:
        shown = ", ".join(unpaired[:5]) + (f" and {len(unpaired) - 5} more" if len(unpaired) > 5 else "")
        warn(f"{len(unpaired)} image(s) without a blurry/sharp partner are left out: {shown}")
    samples = []
    for blurry_path, sharp_path in list(zip(blurry_files, sharp_files))[:limit]:
        kernel_dir = Path(blurry_path).parent.parent / "kernels"
        kernel_file = next((kernel_dir / f"{Path(blurry_path).stem}{ext}" for ext in (".npy", ".png")
                            if (kernel_dir / f"{Path(blurry_path).stem}{ext}").is_file()), None)
        blurry = io.read_image(blurry_path, max_pixels=max_pixels)
        sharp = io.read_image(sharp_path, max_pixels=max_pixels)
        if blurry.shape != sharp.shape:
            raise InputError(f"{blurry_path} is {'x'.join(map(str, blurry.shape))} but its sharp partner "
                             f"{sharp_path} is {'x'.join(map(str, sharp.shape))}; a pair must match in size "
                             "and channels")
        samples.append(EvalSample(Path(blurry_path).stem, blurry, sharp,
                                  io.read_kernel(kernel_file) if kernel_file else None))
    return samples


def synthetic_samples(data_dir: str, limit: int | None = None, kernel: str = "motion:15,30",
                      noise_sigma: float = 0.01, seed: int = 0, max_pixels: int | None = io.DEFAULT_MAX_PIXELS,
                      gray: bool = False, **_) -> list[EvalSample]:
    """Sharp photos from `data_dir` blurred ('valid', like a camera) with `kernel` and noise.

    `kernel` is a spec (`motion:15,30`, `disk:7`, a file), "trajectory" / "motion" for a different random
    kernel per image (31 px support), or `trajectory:LO-HI` / `motion:LO-HI` for random kernels whose
    extent (path extent, motion length) is uniform in [LO, HI] px; all drawn from `seed`, so the set is
    reproducible and disjoint from training seeds. `gray`: colour photos are reduced to their luma first.
    """
    from tfdeblur.data.files import list_images
    from tfdeblur.data.kernel_bank import draw_kernel_in_range, make_kernel, random_kernel_range
    from tfdeblur.models.selfdeblur.color import rgb_to_ycbcr

    in_range = random_kernel_range(kernel)
    rng = np.random.default_rng(seed)
    samples = []
    for index, path in enumerate(list_images(data_dir)[:limit]):
        if in_range:
            k = draw_kernel_in_range(*in_range, rng)
        elif kernel in ("trajectory", "motion"):
            k = make_kernel(kernel, 31, rng)
        else:
            k = physics.kernel_from_spec(kernel)
        image = io.read_image(path, max_pixels=max_pixels)
        # a 'valid' blur crops kernel - 1 px; what is left must still be at least the kernel's size
        need = tuple(2 * side - 1 for side in k.shape)
        if image.shape[0] < need[0] or image.shape[1] < need[1]:
            raise InputError(f"{path} is {image.shape[0]}x{image.shape[1]}, too small for its "
                             f"{k.shape[0]}x{k.shape[1]} blur kernel (at least {need[0]}x{need[1]}: the blur "
                             f"crops {k.shape[0] - 1}x{k.shape[1] - 1} px and the rest must hold the kernel)")
        if gray and image.ndim == 3:
            image = rgb_to_ycbcr(image)[..., 0].astype(np.float32)
        blurry, sharp = physics.degrade(image, k, noise_sigma=noise_sigma,
                                        mode="valid", seed=seed * 100_003 + index, return_target=True)
        samples.append(EvalSample(Path(path).stem, blurry, sharp, k))
    return samples


def _levin_samples(**kwargs) -> list[EvalSample]:
    from tfdeblur.data.levin import levin_samples  # imported only when asked for (it reads the builder)

    return levin_samples(**kwargs)


DATASETS: dict[str, Callable[..., list[EvalSample]]] = {
    "folder": folder_samples,
    "synthetic": synthetic_samples,
    "levin": _levin_samples,
}


def load_samples(dataset: str, **kwargs) -> list[EvalSample]:
    if dataset not in DATASETS:
        raise InputError(f"unknown dataset '{dataset}'; choose from {', '.join(sorted(DATASETS))}")
    samples = DATASETS[dataset](**kwargs)
    if not samples:
        raise InputError(f"dataset '{dataset}' has no images")
    return samples


def _step(protocol: str) -> float:
    return 1.0 if protocol == "levin-integer" else 0.25


def _scores(estimate, sharp, protocol):
    if protocol.startswith("levin"):
        step = _step(protocol)
        return metrics.aligned_psnr(estimate, sharp, step=step), metrics.aligned_ssim(estimate, sharp, step=step)
    return metrics.psnr(estimate, sharp), metrics.ssim(estimate, sharp)


def reference_method(method: str, reference: str | None, result) -> str | None:
    """The non-blind method whose true-kernel result divides the error (Levin's error ratio).

    "auto": the method itself when it runs non-blind, else the non-blind solver that finished its
    estimate (`result.info["nonblind"]`), else the package's non-blind engine (ircnet).
    """
    if reference != "auto":
        return reference
    spec = methods.get(method)
    if spec.needs_kernel or spec.accepts_kernel:
        return method
    return FINISHERS.get(result.info.get("nonblind"), DEFAULT_REFERENCE)


def evaluate(method: str, samples: list[EvalSample], protocol: str = "plain", options: dict | None = None,
             reference: str | None = "auto", save_dir=None, progress: bool = True, blind: bool = False) -> dict:
    """Run `method` on every sample; returns the report (per image and mean).

    Args:
        method: a registered method name.
        samples: the cases (`load_samples`).
        protocol: "plain" or "levin".
        options: method options (e.g. {"iterations": 400}); blind methods that take `kernel_size` get the
            true kernel's size when it is known and the option is not given.
        reference: non-blind method run with the true kernel for Levin's error ratio: "auto" (the same
            non-blind method, see `reference_method`), a method name, or None to skip.
        save_dir: if given, each estimate is written there as `<name>.png` (and the kernel, if any).
        progress: show a progress bar.
        blind: do not give the true kernel to methods that would also run non-blind with it.
    """
    if protocol not in PROTOCOLS:
        raise InputError(f"unknown protocol '{protocol}'; choose from {', '.join(PROTOCOLS)}")
    spec = methods.get(method)
    if save_dir is not None:  # checked before the first method runs, not when its result is written
        save_dir = io.check_writable_folder(io.make_folder(save_dir))
    for sample in samples:  # before any method runs: a blurry image must hold its kernel
        if sample.kernel is not None and any(i < k for i, k in zip(sample.blurry.shape, sample.kernel.shape)):
            raise InputError(f"'{sample.name}' is {sample.blurry.shape[0]}x{sample.blurry.shape[1]}, smaller "
                             f"than its {sample.kernel.shape[0]}x{sample.kernel.shape[1]} blur kernel")
    rows = []
    iterator = samples
    if progress:
        from tqdm import tqdm

        iterator = tqdm(samples, desc=f"evaluate {method}", unit="image")
    for sample in iterator:
        if spec.needs_kernel and sample.kernel is None:
            raise InputError(f"method '{method}' needs the true kernel, and sample '{sample.name}' has none")
        nonblind = spec.needs_kernel or (spec.accepts_kernel and not blind and sample.kernel is not None)
        run_options = methods.options_for(spec, None if nonblind else sample.kernel, options or {})
        start = time.perf_counter()
        result = methods.run(sample.blurry, method=method, kernel=sample.kernel if nonblind else None,
                             **run_options)
        seconds = time.perf_counter() - start
        if result.image.shape != sample.sharp.shape:
            raise InputError(f"{method} returned {result.image.shape} for '{sample.name}', "
                             f"the reference is {sample.sharp.shape}")
        psnr, ssim = _scores(result.image, sample.sharp, protocol)
        blurry_psnr, blurry_ssim = _scores(sample.blurry, sample.sharp, protocol)
        row = {"name": sample.name, "psnr": psnr, "ssim": ssim, "blurry_psnr": blurry_psnr,
               "blurry_ssim": blurry_ssim, "seconds": seconds}
        if sample.kernel is not None and result.kernel is not None and not nonblind:
            row["kernel_error"] = metrics.kernel_error(result.kernel, sample.kernel)
        row.update({k: result.info[k] for k in REPORTED_INFO if k in (result.info or {})})
        ref_method = reference_method(method, reference, result)
        if protocol.startswith("levin") and ref_method and sample.kernel is not None:
            if ref_method == method and nonblind:
                baseline = result.image
            else:
                ref_options = run_options if ref_method == method else {}
                ref_options = {k: v for k, v in ref_options.items() if k != "kernel_size"}
                if result.info.get("finish_reg") is not None and ref_method in FINISHERS.values():
                    ref_options["reg"] = result.info["finish_reg"]  # the same finish: solver and weight
                baseline = methods.run(sample.blurry, method=ref_method, kernel=sample.kernel, **ref_options).image
            row["error_ratio"] = metrics.error_ratio(result.image, baseline, sample.sharp, step=_step(protocol))
            row["reference"] = ref_method
        rows.append(row)
        if save_dir is not None:
            io.write_image(save_dir / f"{sample.name}.png", result.image)
            if result.kernel is not None and not nonblind:
                io.write_kernel(save_dir / f"{sample.name}_kernel.png", result.kernel)
    keys = [k for k in rows[0] if k not in ("name", "reference") and isinstance(rows[0][k], (int, float))]
    mean = {k: float(np.mean([r[k] for r in rows if k in r])) for k in keys}
    rounded = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]
    return {"method": method, "protocol": protocol, "count": len(rows), "options": options or {},
            "mean": {k: round(v, 4) for k, v in mean.items()}, "images": rounded}
