"""The fast blind pipeline around `fast_schedule`: region, kernel size, kernel estimation, finish.

Memory: the estimation sees at most `region` x `region` pixels (plus the kernel's margin) and the finish
works on tiles of at most `tile` x `tile` pixels, so the peak does not grow with the photo beyond the
photo itself and its result (two float32 copies, plus the luma).
"""

from __future__ import annotations

import time

import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.models.selfdeblur import kernel_transfer as kt
from tfdeblur.models.selfdeblur.fast_schedule import FastOptions, estimate_kernel
from tfdeblur.models.selfdeblur.region import select_region

# kernel_size="auto": a generous size relative to the analysed region, trimmed after the estimation.
AUTO_FRACTION = 0.12
AUTO_MIN, AUTO_MAX = 7, 63
AUTO_MARGIN = 2  # taps added on each side of the trimmed first estimate for the second pass
# Under this side the automatic size is unreliable: on 8 BSDS500 test crops of 200x200 (9 px motion and
# 13 px camera shake, noise 0.01) the fast schedule with `auto` scored 26.80 dB against 28.54 for the
# blurry inputs, worse in 4 of 8 (README, "fast schedule"); with the true size a 160 px crop gained 5 dB.
RELIABLE_AUTO_SIDE = 256


def auto_kernel_size(shape) -> int:
    """The kernel size tried when none is given: about an eighth of the region's shorter side."""
    return int(np.clip(kt.odd(AUTO_FRACTION * min(shape)), AUTO_MIN, AUTO_MAX))


def finish_lam(blurry: np.ndarray, options: FastOptions) -> float | None:
    """The IRC finish's prior weight: `options.lam`, else `lam_factor` x the non-blind default for the
    noise level of the luma (one weight for every tile and channel)."""
    from tfdeblur.physics import estimate_noise_sigma
    from tfdeblur.solvers.irc import default_lam

    if options.lam is not None or options.finish != "irc":
        return options.lam
    luma = blurry if blurry.ndim == 2 else blurry.mean(axis=2)
    return options.lam_factor * default_lam(estimate_noise_sigma(luma))


def nonblind(blurry: np.ndarray, kernel: np.ndarray, options: FastOptions) -> np.ndarray:
    """Deconvolve every channel of `blurry` (HxW or HxWxC) by `kernel`, in tiles when it is large."""
    from tfdeblur.solvers.irc import irc
    from tfdeblur.solvers.wiener import wiener
    from tfdeblur.tiling import tiled_apply

    lam = finish_lam(blurry, options)
    solve = (lambda y: irc(y, kernel, lam=lam)) if options.finish == "irc" else (lambda y: wiener(y, kernel))
    planes = blurry[..., None] if blurry.ndim == 2 else blurry
    # The overlap must hold the kernel's reach twice: a tile's border pixels lack their blur's context.
    overlap = max(32, 2 * max(kernel.shape))
    tile = max(options.tile, 4 * overlap)
    out = tiled_apply(lambda batch: solve(batch[0])[None], planes, tile=tile, overlap=overlap)
    return np.clip(out.reshape(blurry.shape), 0.0, 1.0).astype(np.float32)


def refine(crop: np.ndarray, kernel: np.ndarray, options: FastOptions, progress: bool) -> np.ndarray:
    """Alternate the non-blind solver and a least-squares kernel update on the region at full resolution.

    The pyramid's kernel is resampled from a coarser grid and blurred by it; a couple of these classical
    rounds sharpen it far more cheaply than more network steps would (Levin captures: see the README).
    """
    from tqdm.auto import tqdm

    from tfdeblur.models.selfdeblur.kernel_refine import refine_kernel
    from tfdeblur.solvers.irc import irc

    for _ in tqdm(range(options.refine), desc="kernel refinement", disable=not progress, leave=False):
        sharp = irc(crop, kernel, lam=options.refine_lam)
        kernel = kt.recentre(refine_kernel(crop, sharp, kernel, beta=options.refine_beta,
                                           support=options.refine_support))
    return kernel


def estimate_l0(crop: np.ndarray, size, options: FastOptions, progress: bool):
    """The "l0" estimator (`solvers.kernel_estimation`) with a progress bar naming the pyramid level."""
    from tqdm.auto import tqdm

    from tfdeblur.solvers.kernel_estimation import estimate_kernel as estimate

    bars = []  # opened at the first level, after the estimator has checked its input

    def show(index, count, shape, level_size):
        if not bars:
            bars.append(tqdm(total=count, desc="kernel estimation", disable=not progress, leave=False))
        bars[0].n = index
        bars[0].set_description(f"kernel: level {index + 1}/{count} ({shape[0]}x{shape[1]}, k={level_size[0]})")

    try:
        return estimate(crop, size, options.estimation, show)
    finally:
        for bar in bars:
            bar.close()


def _second_pass(crop, trimmed, size, options: FastOptions, progress: bool):
    """Estimate again at the size the first, generous estimate was trimmed to (plus a margin).

    A support much larger than the blur lets the L0 pyramid put mass where there is none: on Levin's
    captures (size 31 for kernels of 13-27 px) one of eight estimates failed that the true size gets right.
    """
    side = min(max(trimmed.shape) + 2 * AUTO_MARGIN, max(size))
    side = side if side % 2 else side + 1
    if side >= max(size):
        return trimmed, None
    kernel, report = estimate_l0(crop, (side, side), options, progress)
    return kt.trim_kernel(kernel), dict(kernel_size=[side, side], levels=report["levels"])


def run_fast(blurry: np.ndarray, luma: np.ndarray, kernel_size, seed: int, options: FastOptions,
             generator_options: dict | None = None, progress: bool = True):
    """Blind deblurring with the fast schedule.

    Args:
        blurry: the validated image, HxW or HxWxC float32 in [0, 1].
        luma: its HxW luma (the kernel is estimated on it).
        kernel_size: (kh, kw) or "auto".
    Returns:
        (image, kernel, info): image with `blurry`'s shape, kernel summing to 1, info with the kernel
        size found, the region analysed and the seconds and steps of every stage.
    """
    start = time.perf_counter()
    top, left, h, w = select_region(luma, options.region)
    crop = luma[top:top + h, left:left + w]
    auto = kernel_size == "auto"
    size = (auto_kernel_size(crop.shape),) * 2 if auto else tuple(kernel_size)
    if size[0] > h or size[1] > w:
        raise InputError(f"kernel size {size[0]}x{size[1]} is larger than the {h}x{w} image")
    if options.estimator == "l0":
        kernel, report = estimate_l0(crop, size, options, progress)
        pyramid = time.perf_counter()
    else:
        kernel, report = estimate_kernel(crop, size, seed, options, generator_options, progress)
        pyramid = time.perf_counter()
        kernel = refine(crop, kernel, options, progress)
    if auto:
        kernel = kt.trim_kernel(kernel)
        if options.estimator == "l0" and options.auto_second_pass:
            kernel, second = _second_pass(crop, kernel, size, options, progress)
            report = dict(report, second_pass=second)
    estimated = time.perf_counter()
    if progress:
        from tqdm.auto import tqdm

        with tqdm(total=1, desc="finish (non-blind " + options.finish + ")", leave=False) as bar:
            image = nonblind(blurry, kernel, options)
            bar.update(1)
    else:
        image = nonblind(blurry, kernel, options)
    done = time.perf_counter()
    info = dict(schedule="fast", estimator=options.estimator, kernel_size=list(kernel.shape),
                kernel_size_tried=list(size), region=[top, left, h, w], levels=report["levels"],
                pyramid_seconds=round(pyramid - start, 1), refine_seconds=round(estimated - pyramid, 1),
                estimate_seconds=round(estimated - start, 1), finish_seconds=round(done - estimated, 1),
                seconds=round(done - start, 1))
    if auto and min(h, w) < RELIABLE_AUTO_SIDE:
        info["warning"] = (f"the automatic kernel size is unreliable on a {h}x{w} image (under "
                           f"{RELIABLE_AUTO_SIDE} px a side): give --kernel-size if you know the blur's extent")
    return image, kernel, info
