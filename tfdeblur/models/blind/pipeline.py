"""The blind pipeline: where to look, how large a kernel, the L0 kernel estimate, a trust check, the finish.

Memory: the estimation sees at most `max_region` x `max_region` pixels (plus the kernel's margin) and the
finish works on tiles of at most `tile` x `tile` pixels, so the peak does not grow with the photo beyond
the photo itself and its result.
"""

from __future__ import annotations

import dataclasses
import sys
import time

import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.models.blind import trust
from tfdeblur.models.blind.finish import nonblind
from tfdeblur.models.blind.nonuniform import choose_grid, nonuniform_finish
from tfdeblur.models.blind.options import BlindOptions
from tfdeblur.models.blind.refinement import refine_with_finish
from tfdeblur.models.blind.region import select_region
from tfdeblur.physics.kernel_support import odd, trim_kernel

# With kernel size "auto" and a search wider than this, the blur's extent is first measured on the photo
# downscaled so that the search is this wide, then estimated at full resolution at the size found: one
# cheap coarse pass instead of a full-resolution pyramid on a generous support.
COARSE_KERNEL = 31
COARSE_FROM = 47  # searches up to this wide run at full resolution, at most COARSE_KERNEL wide
# Kernels are estimated at a scale where they span at most this many pixels, then resampled to full size:
# a 69 px shake at noise 0.01 spreads an edge's step over so many pixels that its gradients sink under the
# noise at full resolution (kernel error 1.6 on a BSDS500 val photo; 0.66 estimated at half size, where
# gradients are twice as strong and the noise half as strong).
MAX_ESTIMATION_KERNEL = 35
# Pixels at or above this (in any channel) are clipped: not the blur of the scene.
CLIP_LEVEL = 0.97
# Under this side kernel estimation is unreliable: on 8 BSDS500 test crops of 200x200 (9 px motion and
# 13 px camera shake, noise 0.01) the automatic size scored 26.80 dB against 28.54 for the blurry inputs;
# given the true size (trajectory 7-13 px, noise 0.00784, Levin's aligned PSNR), 5 of 20 test crops of
# 160x160 came out worse by 0.7-3.7 dB (mean +2.01 dB); at full size (481x321) none did (mean +4.07 dB).
# Levin-like 255x255 captures stay under it: clean ones deblur well (Levin's im1: 34.07 dB), but 2 of 8 noisy
# BSDS500 test captures (noise 0.005-0.01, Levin's kernels rotated) came out worse by 0.66 and 1.85 dB.
RELIABLE_SIDE = 256


def auto_kernel_size(shape, options: BlindOptions) -> int:
    """The support searched when no size is given: a fraction of the photo's shorter side.

    Searches that need no coarse pass stay at most `COARSE_KERNEL` wide: on small photos (Levin's 255 px
    captures) a full-resolution search wider than the blur lets the estimate put mass where there is none.
    """
    side = odd(options.auto_fraction * min(shape[:2]))
    side = side if side <= min(shape[:2]) // 2 else odd(min(shape[:2]) // 2 - 1)
    if side <= COARSE_FROM:
        side = min(side, COARSE_KERNEL)
    return int(np.clip(side, options.auto_min, options.auto_max))


def region_side(kernel_side: int, options: BlindOptions) -> int:
    """The estimation window grows with the kernel: a large blur needs several of its widths of context."""
    return int(min(max(options.region, options.region_kernel_widths * kernel_side), options.max_region))


def finish_lam(blurry: np.ndarray, options: BlindOptions, noise_sigma: float | None = None,
               refined: bool = False) -> float | None:
    """The IRC finish's prior weight: `options.lam`, else `lam_factor` (`refined_lam_factor` for a kernel
    the refinement sharpened at full size) x the non-blind default for the noise level of the luma (one
    weight for every tile and channel)."""
    from tfdeblur.physics import estimate_noise_sigma
    from tfdeblur.solvers.irc import default_lam

    if options.lam is not None or options.finish != "irc":
        return options.lam
    if noise_sigma is None:
        noise_sigma = estimate_noise_sigma(blurry if blurry.ndim == 2 else blurry.mean(axis=2))
    return (options.refined_lam_factor if refined else options.lam_factor) * default_lam(noise_sigma)


def estimate_l0(crop: np.ndarray, size, options: BlindOptions, progress: bool, outliers=None):
    """The L0 estimator (`solvers.kernel_estimation`) with a progress bar naming the pyramid level."""
    from tqdm.auto import tqdm

    from tfdeblur.solvers.kernel_estimation import estimate_kernel

    bars = []  # opened at the first level, after the estimator has checked its input

    def show(index, count, shape, level_size):
        if not bars:
            bars.append(tqdm(total=count, desc="kernel estimation", disable=not progress, leave=False))
        bars[0].n = index
        bars[0].set_description(f"kernel: level {index + 1}/{count} ({shape[0]}x{shape[1]}, k={level_size[0]})")

    try:
        return estimate_kernel(crop, size, options.estimation, show, outliers)
    finally:
        for bar in bars:
            bar.close()


def second_pass(crop, trimmed, size, options: BlindOptions, progress: bool, outliers=None):
    """Estimate again at the size the first, generous estimate was trimmed to (plus a margin).

    A support much larger than the blur lets the L0 pyramid put mass where there is none: on Levin's
    captures (size 31 for kernels of 13-27 px) one of eight estimates failed that the true size gets right.
    """
    side = min(max(trimmed.shape) + 2 * options.auto_margin, max(size))
    side = side if side % 2 else side + 1
    if side >= max(size):
        return trimmed, None
    kernel, report = estimate_l0(crop, (side, side), options, progress, outliers)
    return trim_kernel(kernel), dict(kernel_size=[side, side], levels=report["levels"])


def _downscaled_window(luma: np.ndarray, outliers, scale: float, options: BlindOptions):
    """(window, its outlier mask or None): the photo downscaled by `scale`, cropped to its most edge-rich
    window of at most `max_region` a side; a mask pixel is set where any of its source pixels is."""
    import cv2

    shape = (max(1, round(luma.shape[1] * scale)), max(1, round(luma.shape[0] * scale)))
    small = cv2.resize(luma, shape, interpolation=cv2.INTER_AREA)
    top, left, h, w = select_region(small, options.max_region)
    mask = None
    if outliers is not None:
        mask = cv2.resize(outliers.astype(np.float32), shape, interpolation=cv2.INTER_AREA) > 0
        mask = mask[top:top + h, left:left + w]
    return small[top:top + h, left:left + w], mask


def coarse_extent(luma: np.ndarray, size: int, options: BlindOptions, progress: bool, outliers=None):
    """(side, report): the kernel size to estimate at full resolution, measured on the downscaled photo;
    (None, None) when the search is already small enough to run at full resolution."""
    factor = COARSE_KERNEL / size
    if factor >= 1.0:
        return None, None
    window, window_outliers = _downscaled_window(luma, outliers, factor, options)
    kernel, report = estimate_l0(window, (COARSE_KERNEL,) * 2, options, progress, window_outliers)
    extent = max(trim_kernel(kernel).shape)
    side = min(odd((extent + 2) / factor) + 2 * options.auto_margin, size)
    return side, dict(scale=round(factor, 3), kernel_size=[extent, extent], levels=report["levels"])


def estimation_scale(size, max_kernel: int = MAX_ESTIMATION_KERNEL) -> float:
    """The scale a kernel of `size` is estimated at: where it spans at most `max_kernel` px (1: full size)."""
    return min(1.0, max_kernel / max(size))


def estimate_at_scale(luma: np.ndarray, size, options: BlindOptions, auto: bool, progress: bool,
                      outliers=None, widest: bool = False, max_kernel: int = MAX_ESTIMATION_KERNEL):
    """(kernel, report, (top, left, h, w) of the full-resolution window checked later).

    The L0 estimate is made on the photo downscaled so that the kernel spans at most `max_kernel` px, on as
    much of it as `max_region` allows (a large blur needs the data), then resampled back. With `auto`, the
    estimate is trimmed and made again at the trimmed size plus a margin (`second_pass`): a support much
    larger than the blur lets the L0 pyramid put mass where there is none.
    With `widest` (`size` is the whole automatic search), an estimate that fills it is neither estimated again
    nor refined, and `report["fills_search"]` is set: it cannot be told from a blur cut off by the search.
    """
    from tfdeblur.physics.kernel_support import resize_kernel

    window = select_region(luma, region_side(max(size), options))
    scale = estimation_scale(size, max_kernel)
    if scale >= 1.0:
        top, left, h, w = window
        crop, work_size = luma[top:top + h, left:left + w], tuple(size)
        crop_outliers = None if outliers is None else outliers[top:top + h, left:left + w]
    else:
        crop, crop_outliers = _downscaled_window(luma, outliers, scale, options)
        work_size = tuple(odd(s * scale) for s in size)
        # A large kernel downscaled still spans ~35 px of a small image: it needs a smoother start (a larger
        # first L0 weight) and smaller steps between pyramid levels (`BlindOptions.downscaled_estimation`).
        options = dataclasses.replace(options, estimation=options.estimation_downscaled)
    if work_size[0] > crop.shape[0] or work_size[1] > crop.shape[1]:
        raise InputError(f"kernel size {size[0]}x{size[1]} is larger than the {crop.shape[0]}x{crop.shape[1]} "
                         "image")
    kernel, report = estimate_l0(crop, work_size, options, progress, crop_outliers)
    fills = False
    if auto:
        kernel = trim_kernel(kernel)
        fills = widest and max(kernel.shape) >= max(work_size)
        if options.auto_second_pass and not fills:
            kernel, second = second_pass(crop, kernel, work_size, options, progress, crop_outliers)
            report = dict(report, second_pass=second)
    # Refined where it was estimated: at full resolution a large shake's gradients sink under the noise
    # (4 BSDS500 val photos with 53-77 px shakes, noise 0.01, before the noise gate of `refinement`: +1.71 /
    # refused / +2.63 / refused dB refined at full size, +5.23 / +1.24 / +5.10 / refused at the estimation
    # scale, +4.84 / +0.87 / +5.34 / refused unrefined). A point has nothing to refine.
    # A kernel refined at full size has smaller errors, so its finishes weigh the prior less
    # (`refined_lam_factor`); one resampled from a downscaled estimate keeps the resampling's smoothing and
    # `lam_factor` (1.5 x for those lost on 3 of 4 BSDS500 test photos with large shakes).
    tick, rounds = time.perf_counter(), 0
    factor = options.refined_lam_factor if scale >= 1.0 else options.lam_factor
    if not fills and options.refine_rounds and trust.central_mass(kernel) < trust.POINT_MASS:
        with _stage(progress, f"kernel refinement ({options.refine_rounds} rounds)"):
            kernel, rounds = refine_with_finish(crop, kernel, options, auto, crop_outliers, factor)
    report = dict(report, refine_seconds=time.perf_counter() - tick, refined=rounds > 0,
                  refined_at_full_size=rounds > 0 and scale >= 1.0)
    if scale < 1.0:
        full = tuple(odd(s / scale) for s in kernel.shape)
        kernel = trim_kernel(resize_kernel(kernel, full)) if auto else resize_kernel(kernel, size)
    return kernel, dict(report, scale=round(scale, 3), fills_search=fills), window


def clipped_pixels(blurry: np.ndarray) -> np.ndarray:
    """HxW bool: the pixels at the sensor's ceiling in any channel (clipped lights)."""
    channels = blurry if blurry.ndim == 2 else blurry.max(axis=2)
    return channels >= CLIP_LEVEL


def finish(blurry: np.ndarray, kernel: np.ndarray, grid, options: BlindOptions, lam: float | None,
           clipped: bool, progress: bool = False) -> np.ndarray:
    """The non-blind finish of `blurry` by `kernel` (or by the kernel `grid` of a non-uniform blur).

    With `clipped` lights (and `options.clipped_finish`), pixels at the sensor's ceiling count one-sided
    and, with `options.clipped_gamma`, the photo is deconvolved in linear light, where light adds up and a
    blurred light is a copy of the kernel.
    """
    from tfdeblur.physics import to_display, to_linear_light
    from tfdeblur.solvers.masked_deconvolution import clipped_weights

    weights, source = None, blurry
    if clipped and options.clipped_finish:
        weights = clipped_weights(blurry, CLIP_LEVEL)
        if options.finishes_in_linear_light:
            source = to_linear_light(blurry, options.clipped_gamma)
    if grid is None:
        image = nonblind(source, kernel, options, lam, weights)
    else:
        image = nonuniform_finish(source, grid, options, lam * options.nonuniform_lam_factor, weights, progress)
    return image if source is blurry else to_display(image, options.clipped_gamma)


def run_blind(blurry: np.ndarray, luma: np.ndarray, kernel_size="auto", options: BlindOptions | None = None,
              progress: bool = True):
    """Blind deblurring of one photo.

    Args:
        blurry: the validated image, HxW or HxWxC float32 in [0, 1].
        luma: its HxW luma (the kernel is estimated on it).
        kernel_size: (kh, kw) or "auto".
    Returns:
        (image, kernel, info): image with `blurry`'s shape, kernel summing to 1, info with the model chosen
        and why (`summary`, `reason`), the kernel size found, the region analysed and the seconds of every
        stage.
    """
    from tfdeblur.physics import estimate_noise_sigma

    options = options or BlindOptions()
    start = time.perf_counter()
    auto = kernel_size == "auto"
    size = (auto_kernel_size(luma.shape, options),) * 2 if auto else tuple(kernel_size)
    clipped = clipped_pixels(blurry)
    outliers = clipped if options.clipped and clipped.any() else None
    coarse = None
    noise = estimate_noise_sigma(luma)
    widest, first = size, None
    try:
        if auto:
            side, coarse = coarse_extent(luma, size[0], options, progress, outliers)
            size = size if side is None else (side, side)
    except FloatingPointError:  # no edge to estimate from: a flat, constant or pure-noise photo
        pass
    else:
        first = _estimate_or_vanished(luma, size, options, auto, progress, outliers, auto and size == widest)
    kernel, report, window, lam, verdict, check_seconds = _checked(blurry, luma, first, size, options, noise,
                                                                   outliers)
    retried = []
    # One estimate of a large shake is one draw: a refused one gets another at a finer scale.
    if auto and not verdict.trusted and report["scale"] < 1.0:
        for max_kernel in options.retry_estimation_kernels:
            if progress:
                print(f"kernel estimate refused ({verdict.reason}): estimating again where it spans at most "
                      f"{max_kernel} px", file=sys.stderr, flush=True)
            again = _estimate_or_vanished(luma, size, options, auto, progress, outliers, size == widest, max_kernel)
            *candidate, seconds = _checked(blurry, luma, again, size, options, noise, outliers)
            check_seconds += seconds
            again_report, again_verdict = candidate[1], candidate[4]
            retried.append(dict(max_kernel=max_kernel, scale=again_report["scale"], reason=again_verdict.reason))
            if again_verdict.trusted:
                kernel, report, window, lam, verdict = candidate
                break
    top, left, h, w = window
    report = dict(report, coarse=coarse)
    checked = time.perf_counter()
    estimated = checked - check_seconds
    grid, regions = None, None
    # One kernel may fail to sharpen a photo whose blur varies: with --regions on, the regions get their
    # chance unless the estimate found no blur at all.
    blur_found = "sparsity_after" in verdict.measures
    if options.finish == "irc" and (verdict.trusted and options.nonuniform != "off"
                                    or blur_found and options.nonuniform == "on"):
        grid, regions = choose_grid(luma, kernel, report["scale"], options, lam, progress, outliers)
    regional = time.perf_counter()
    linear = outliers is not None and options.finishes_in_linear_light
    if verdict.trusted and grid is None and _check_is_the_finish(blurry, (top, left, h, w), outliers, options,
                                                                 verdict):
        image = verdict.deblurred.reshape(blurry.shape)
    elif verdict.trusted or grid is not None:
        with _stage(progress, f"finish (non-blind {options.finish}{', per region' if grid else ''})"):
            image = finish(blurry, kernel, grid, options, lam, outliers is not None, progress)
    else:
        image = np.asarray(blurry, np.float32).copy()
    done = time.perf_counter()
    kh, kw = kernel.shape
    model = "nonuniform" if grid else "uniform" if verdict.trusted else "none"
    lights = (f", clipped lights on {clipped.mean():.2%} of the photo left out of the estimate"
              + (f" and finished in linear light (gamma {options.clipped_gamma:g})" if linear else "")
              if outliers is not None else "")
    if grid is not None:
        summary = (f"non-uniform blur: {regions['reason']}; camera motion fitted to {regions['own_kernels']} "
                   f"regions, a kernel per {grid.rows}x{grid.cols} regions, noise {noise:.3f}{lights}")
    elif verdict.trusted:
        again = (f", estimated again at {report['scale']:.2f}x the photo's size after a refused first estimate"
                 if retried else "")
        summary = f"uniform blur, kernel {kh}x{kw} (searched {size[0]}x{size[1]}{again}), noise {noise:.3f}{lights}"
    else:
        summary = f"returned unchanged: {verdict.reason}"
    info = dict(method="blind", model=model, reason=verdict.reason, summary=summary, kernel_size=[kh, kw],
                kernel_size_tried=list(size), region=[top, left, h, w], levels=report["levels"],
                estimation_scale=report["scale"], coarse=coarse, retried=retried,
                noise_sigma=round(noise, 4), clipped_share=round(float(clipped.mean()), 5),
                nonblind=options.finish, finish_reg=lam, refined=bool(report.get("refined")),
                checks=verdict.measures,
                regions=regions, kernel_grid=None if grid is None else grid.stacked(),
                stages=dict(estimate=round(estimated - start - report.get("refine_seconds", 0.0), 1),
                            refine=round(report.get("refine_seconds", 0.0), 1), check=round(checked - estimated, 1),
                            **({} if regions is None else dict(regions=round(regional - checked, 1))),
                            finish=round(done - regional, 1)),
                seconds=round(done - start, 1))
    warnings = []
    if min(luma.shape) < RELIABLE_SIDE and verdict.trusted:
        hint = "give --kernel-size if you know the blur's extent, and " if auto else ""
        warnings.append(f"kernel estimation is unreliable on a {luma.shape[0]}x{luma.shape[1]} image (under "
                        f"{RELIABLE_SIDE} px a side): {hint}compare the result with the input")
    if retried and verdict.trusted:
        # A second draw that passes the check is right less often than a first one (BSDS500 val and test,
        # 18 trusted retries: 11 gained +2.9 to +8.1 dB, 7 lost 0.03 to 5.5 dB).
        warnings.append("the first kernel estimate was refused and the one kept was estimated again at a finer "
                        "scale: it passed the check, but compare the result with the input")
    if warnings:
        info["warning"] = "; ".join(warnings)
    return image, kernel, info


class Vanished(float):
    """A downscaled kernel estimate that collapsed (the scale it was made at): one failed draw."""


def _estimate_or_vanished(luma, size, options: BlindOptions, auto: bool, progress: bool, outliers, widest: bool,
                          max_kernel: int = MAX_ESTIMATION_KERNEL):
    """`estimate_at_scale`'s result; None where it found no edge at full resolution; a `Vanished` where an
    estimate made on the downscaled photo collapsed. That one is a failed draw of a blur the coarse pass
    found (BSDS500 test photo 43033 with a 53 px shake, after a 25-27 px coarse extent), not a photo
    without edges: the retry gets its chance."""
    try:
        return estimate_at_scale(luma, size, options, auto, progress, outliers, widest=widest, max_kernel=max_kernel)
    except FloatingPointError:
        scale = estimation_scale(size, max_kernel)
        return Vanished(round(scale, 3)) if scale < 1.0 else None


def _checked(blurry, luma, estimate, size, options: BlindOptions, noise: float, outliers):
    """(kernel, report, window, finish weight, trust verdict, seconds of the check) of one estimate
    (`estimate_at_scale`'s result, None where it found no edge, or a `Vanished`)."""
    tick = time.perf_counter()
    if estimate is None or isinstance(estimate, Vanished):
        reason = ("no blur found (no edges to estimate a kernel from)" if estimate is None else
                  f"the kernel estimate vanished at {estimate:.2f}x the photo's size: a failed estimate")
        return (_point(), dict(levels=[], scale=1.0 if estimate is None else float(estimate)),
                (0, 0) + luma.shape[:2], finish_lam(blurry, options, noise), trust.Verdict(False, reason), 0.0)
    kernel, report, (top, left, h, w) = estimate
    lam = finish_lam(blurry, options, noise, refined=report.get("refined_at_full_size", False))
    if report.get("fills_search"):
        verdict = trust.Verdict(False, f"the kernel estimate fills the whole automatic search ({size[0]}x"
                                f"{size[1]}): a larger blur or a failed estimate (give --kernel-size if you "
                                "know the blur's extent)")
    elif options.check:
        window_outliers = None if outliers is None else outliers[top:top + h, left:left + w]
        verdict = trust.check(luma[top:top + h, left:left + w], kernel, lam, options, window_outliers)
    else:
        verdict = trust.Verdict(True, "not checked")
    return kernel, report, (top, left, h, w), lam, verdict, time.perf_counter() - tick


def _check_is_the_finish(blurry: np.ndarray, window, outliers, options: BlindOptions, verdict) -> bool:
    """Whether the trust check's deconvolution is the finish's, to the bit: a one-channel photo that is
    its own window and a single tile, IRC, no clipped lights (a 255 px capture: one IRC solve saved)."""
    one_channel = blurry.ndim == 2 or blurry.shape[2] == 1
    whole = tuple(window) == (0, 0) + blurry.shape[:2]
    return (verdict.deblurred is not None and one_channel and whole and outliers is None
            and options.finish == "irc" and max(blurry.shape[:2]) <= options.tile)


def _point() -> np.ndarray:
    kernel = np.zeros((3, 3), np.float32)
    kernel[1, 1] = 1.0
    return kernel


class _stage:
    """A one-step progress bar naming a stage (tqdm, on stderr)."""

    def __init__(self, progress: bool, name: str):
        self.progress, self.name, self.bar = progress, name, None

    def __enter__(self):
        if self.progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=1, desc=self.name, leave=False)
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.update(1)
            self.bar.close()
        return False
