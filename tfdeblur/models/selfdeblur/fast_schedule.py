"""SelfDeblur's fast schedule: coarse-to-fine kernel estimation on a pyramid, then a non-blind finish.

The paper schedule fits both generators for thousands of full-resolution steps. Most of that time
goes into the image; the kernel is usable long before. Here the kernel is estimated coarse to fine on a
bounded region of the photo (`region`), and the image is recovered at full resolution by the non-blind
ADMM+IRC solver (the paper's SelfDeblur-Delta variant), tile by tile, so memory does not grow with the
photo. Two kernel estimators are available, chosen by `FastOptions.estimator`:

- "l0" (the default): alternating L0-gradient latent images and least-squares kernels on the pyramid
  (`tfdeblur.solvers.kernel_estimation`); seconds per image;
- "network": each pyramid level fits SelfDeblur's two generators to the downscaled blurry luma for a
  short schedule, its kernel generator started from the previous level's kernel (`kernel_transfer`),
  stopping as soon as the kernel stops moving, then least-squares refinement rounds.

On Levin's eight real captures of im1 the first is both far faster and far better (README, "Blind
deblurring"), hence the default; the second is kept so the comparison can be re-run.
"""

from __future__ import annotations

import dataclasses
import math
import time

import cv2
import numpy as np
import tensorflow as tf

from tfdeblur.errors import InputError
from tfdeblur.models.selfdeblur import kernel_transfer as kt
from tfdeblur.solvers.kernel_estimation import KernelEstimationOptions

ESTIMATORS = ("l0", "network")
MIN_LEVEL_SIDE = 24  # below this the generator's 5 stride-2 levels and the SSIM window see almost nothing


@dataclasses.dataclass
class FastOptions:
    """Knobs of the fast schedule (defaults chosen on Levin's real captures; see the README).

    Args:
        estimator: "l0" (`solvers.kernel_estimation`) or "network" (SelfDeblur's generators per level).
        estimation: `KernelEstimationOptions` of the "l0" estimator, or a dict of its fields.
        scale: ("network", as the fields up to `refine_support`) ratio between the kernel sizes of
            neighbouring pyramid levels.
        coarsest_kernel: the coarsest level's kernel size (odd).
        finest_scale: the finest level fitted by SelfDeblur, as a fraction of the analysed region
            (1.0 = full resolution; below, the kernel is resampled up for the finish).
        max_steps: step cap per level.
        min_steps: steps every level runs before the convergence test.
        mse_steps: steps with the MSE loss at the coarsest level (later levels start from a kernel and
            use 1 - SSIM throughout: most of SelfDeblur's gain comes with that loss).
        window, tolerance: a level stops when ||k_t - k_{t-window}|| / ||k_t|| < tolerance.
        image_lr, kernel_lr: Adam rates (the kernel's is higher than the paper's 1e-4: short levels).
        decay_at, gamma: learning rates x gamma at this fraction of `max_steps`.
        channels: width of the image generator at every level (its 5 levels, no non-local blocks):
            the pyramid's images are small, the paper's 128 channels cost time for nothing there;
            None keeps the paper's generator. `generator_options` given to SelfDeblur take precedence.
        region: largest side of the region the kernel is estimated on (`region.select_region`).
        refine: rounds of (non-blind estimate, least-squares kernel update in the gradient domain) at
            full resolution on the region after the pyramid (`kernel_refine`); 0 disables it.
        refine_beta, refine_support, refine_lam: that update's ridge weight, its tap floor (fraction of
            the peak), and the prior weight of the estimate it fits the kernel to (a sharp one helps).
        finish: "irc" (ADMM+IRC, `tfdeblur.solvers.irc`) or "wiener".
        auto_second_pass: with kernel size "auto", estimate again at the trimmed size plus a margin.
        lam: the finish's prior weight (None: `lam_factor` x the non-blind default from the noise level).
        lam_factor: an estimated kernel's errors act as extra noise: on Levin's captures the finish
            scored 32.82 / 33.04 / 32.91 / 32.50 dB with 1, 2, 3, 5 x the non-blind default (1e-4 there).
        tile: the finish runs in overlapping tiles of this side when the image is larger.
    """

    estimator: str = "l0"
    estimation: KernelEstimationOptions | dict | None = None
    scale: float = 2.0
    coarsest_kernel: int = 5
    finest_scale: float = 1.0
    max_steps: int = 300
    min_steps: int = 60
    mse_steps: int = 100
    window: int = 20
    tolerance: float = 0.02
    image_lr: float = 0.01
    kernel_lr: float = 5e-4
    decay_at: float = 0.7
    gamma: float = 0.5
    channels: int | None = 64
    region: int = 256
    refine: int = 3
    refine_beta: float = 1e-3
    refine_lam: float = 1e-3
    refine_support: float = 0.05
    finish: str = "irc"
    auto_second_pass: bool = True
    lam: float | None = None
    lam_factor: float = 2.0
    tile: int = 512

    def __post_init__(self):
        if self.estimator not in ESTIMATORS:
            raise InputError(f"unknown kernel estimator '{self.estimator}'; choose from {', '.join(ESTIMATORS)}")
        if self.finish not in ("irc", "wiener"):
            raise InputError(f"unknown finish '{self.finish}'; choose from irc, wiener")
        if self.region < 32 or self.tile < 64 or self.lam_factor <= 0 or (self.lam is not None and self.lam <= 0):
            raise InputError("fast schedule: region >= 32, tile >= 64, lam_factor > 0 and lam > 0 are needed")
        if not isinstance(self.estimation, KernelEstimationOptions):
            self.estimation = KernelEstimationOptions(**dict(self.estimation or {}))


@dataclasses.dataclass
class Level:
    """One pyramid level: the scale of the analysed region and the kernel size fitted there."""

    scale: float
    shape: tuple[int, int]
    kernel_size: tuple[int, int]


def plan_levels(shape, kernel_size, options: FastOptions) -> list[Level]:
    """Pyramid levels, coarsest first, ending at `options.finest_scale` of `shape`."""
    kh, kw = kernel_size
    count = 1 + max(0, math.ceil(math.log(max(kh, kw) * options.finest_scale / options.coarsest_kernel)
                                 / math.log(options.scale) - 1e-9))
    levels = []
    for i in range(count - 1, -1, -1):
        s = options.finest_scale / options.scale**i
        size = (kt.odd(kh * s), kt.odd(kw * s))
        level_shape = (max(1, round(shape[0] * s)), max(1, round(shape[1] * s)))
        levels.append(Level(s, level_shape, size))
    # Levels too small to say anything about their kernel are left out; the finest one must fit.
    kept = [lv for lv in levels if min(lv.shape) >= max(MIN_LEVEL_SIDE, 2 * max(lv.kernel_size))]
    if not kept or kept[-1] is not levels[-1]:
        raise InputError(f"the {shape[0]}x{shape[1]} image is too small to estimate a {kh}x{kw} kernel (it "
                         f"needs at least {max(MIN_LEVEL_SIDE, 2 * max(kh, kw))} px a side); give a smaller "
                         "--kernel-size or a larger image")
    return kept


def downscale(image: np.ndarray, shape) -> np.ndarray:
    if tuple(image.shape[:2]) == tuple(shape):
        return image.astype(np.float32)
    return cv2.resize(image.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_AREA)


def kernel_change(history: list[np.ndarray], window: int) -> float:
    """Relative change of the kernel over the last `window` steps (inf until there are that many)."""
    if len(history) <= window:
        return math.inf
    new, old = history[-1], history[-1 - window]
    return float(np.linalg.norm(new - old) / max(np.linalg.norm(new), 1e-12))


def fit_level(luma: np.ndarray, level: Level, initial_kernel, seed: int, options: FastOptions,
              generator_options: dict | None = None, bar=None) -> tuple[np.ndarray, dict]:
    """Fit SelfDeblur on one level; returns its kernel and what happened (steps, loss, stop reason)."""
    from tfdeblur.models.selfdeblur.self_deblur import SelfDeblur

    decay = max(1, int(options.decay_at * options.max_steps))
    mse_steps = options.mse_steps if initial_kernel is None else 0
    solver = SelfDeblur(level.kernel_size, options.max_steps, seed, image_lr=options.image_lr,
                        kernel_lr=options.kernel_lr, milestones=(decay,), gamma=options.gamma,
                        ssim_start=mse_steps, progress=False, generator_options=generator_options)
    image_noise, kernel_noise = solver._build(luma.shape, seed)
    if initial_kernel is not None:
        kt.carry_kernel(solver.kernel_generator, kt.resize_kernel(initial_kernel, level.kernel_size))
    target = tf.constant(luma[None, :, :, None])
    steps = solver._make_step(target, image_noise, kernel_noise, seed, 0.0, (decay,))
    kernels, losses, reason = [], [], "max_steps"
    for step in range(options.max_steps):
        loss, _, k = steps[step >= mse_steps](tf.constant(step, tf.int64))
        losses.append(float(loss))
        if not math.isfinite(losses[-1]):
            raise FloatingPointError(f"SelfDeblur diverged at step {step} of level {level.shape}")
        kernels.append(k.numpy())
        if bar is not None:
            bar.update(1)
        if step + 1 >= max(options.min_steps, mse_steps + options.window) and \
                kernel_change(kernels, options.window) < options.tolerance:
            reason = "converged"
            break
    if bar is not None:
        bar.update(options.max_steps - len(losses))
    kernel = kt.normalize(solver.kernel_generator(kernel_noise)[0].numpy())
    return kernel, dict(shape=list(level.shape), kernel_size=list(level.kernel_size), steps=len(losses),
                        stop=reason, loss=round(losses[-1], 6))


def estimate_kernel(luma: np.ndarray, kernel_size, seed: int, options: FastOptions,
                    generator_options: dict | None = None, progress: bool = True) -> tuple[np.ndarray, dict]:
    """Coarse-to-fine kernel of a gray image (HxW float32): the kernel at `kernel_size` and a report."""
    from tqdm.auto import tqdm

    levels = plan_levels(luma.shape, kernel_size, options)
    if generator_options is None and options.channels:
        c = options.channels
        generator_options = dict(down_channels=(c,) * 5, up_channels=(c,) * 5, non_local_levels=())
    bar = tqdm(total=len(levels) * options.max_steps, disable=not progress, leave=False)
    kernel, report = None, []
    for i, level in enumerate(levels):
        bar.set_description(f"level {i + 1}/{len(levels)} ({level.shape[0]}x{level.shape[1]}, "
                            f"k={level.kernel_size[0]})")
        tick = time.perf_counter()
        kernel, info = fit_level(downscale(luma, level.shape), level, kernel, seed + i, options,
                                 generator_options, bar)
        kernel = kt.recentre(kernel)
        info["seconds"] = round(time.perf_counter() - tick, 1)
        report.append(info)
    bar.close()
    return kt.resize_kernel(kernel, kernel_size), dict(levels=report)
