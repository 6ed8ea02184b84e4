"""Should the estimated kernel be trusted? Two cheap tests on the estimation window.

1. Extent: a kernel whose mass sits within a few central pixels means the photo has no blur to remove.
   Shape: camera shake is a thin path; a large diffuse blob is what a failed estimate looks like.
2. Sparsity: natural sharp images have sparse gradients, and blur makes them less sparse; the normalised
   sparsity l1/l2 of the gradients (Krishnan, Tay & Fergus, CVPR 2011) rises with blur and with noise.
   Deconvolving by a kernel the photo was not blurred by adds ghosts and amplified noise, which raise it
   too. So the window deconvolved by the estimate must have a lower l1/l2 than the window itself; measured
   at half resolution, where noise weighs less against edges.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from tfdeblur.physics import estimate_noise_sigma
from tfdeblur.physics.kernel_support import within_reach

POINT_MASS = 0.8  # share of the kernel's mass within its central 3x3 above which it counts as a point
# Camera shake is a thin path: taps above 10% of the peak per pixel of extent are 1-3 for BSDS500-style
# trajectories of 45-75 px and Levin's kernels, <= 7 after resampling from half size; a failed estimate is a
# blob (a 39 px disk: 33; a gaussian of sigma 6: 17).
DIFFUSE_SPREAD = 12.0
DIFFUSE_MIN_EXTENT = 15  # small kernels are compact whatever they are
NOISE_FLOOR = 1e-3  # an 8-bit photo's quantisation keeps the residual above this whatever the noise
# The finish's prior leaves a residual even with the true kernel (0.003-0.004 on Levin's clean captures,
# noise 0.0017): `max_residual` counts in units of at least this, so clean photos are not refused by it.
RESIDUAL_FLOOR = 2.5e-3


@dataclasses.dataclass
class Verdict:
    trusted: bool
    reason: str
    measures: dict = dataclasses.field(default_factory=dict)
    deblurred: np.ndarray | None = None  # the window deconvolved by the kernel, where the check made it


def central_mass(kernel: np.ndarray) -> float:
    """Share of the kernel's mass within the 3x3 taps around its centre of mass."""
    k = np.asarray(kernel, np.float64)
    k = k / k.sum()
    rows, cols = np.indices(k.shape)
    cy, cx = int(round((rows * k).sum())), int(round((cols * k).sum()))
    return float(k[max(cy - 1, 0):cy + 2, max(cx - 1, 0):cx + 2].sum())


def kernel_spread(kernel: np.ndarray, floor: float = 0.1) -> tuple[int, float]:
    """(extent, taps above `floor` of the peak per pixel of extent) of a kernel (its largest side)."""
    k = np.asarray(kernel, np.float64)
    extent = int(max(k.shape))
    return extent, float((k >= floor * k.max()).sum()) / extent


def gradient_sparsity(image: np.ndarray, border: int) -> float:
    """l1/l2 of the horizontal and vertical differences of a gray image at half resolution, inside `border`."""
    a = np.asarray(image, np.float32)
    if border:
        a = a[border:-border, border:-border]
    a = cv2.resize(a, (max(1, a.shape[1] // 2), max(1, a.shape[0] // 2)), interpolation=cv2.INTER_AREA)
    g = np.concatenate([np.diff(a, axis=0).ravel(), np.diff(a, axis=1).ravel()]).astype(np.float64)
    return float(np.abs(g).sum() / max(np.sqrt((g * g).sum()), 1e-12) / np.sqrt(g.size))


def reblur_residual(blurry: np.ndarray, sharp: np.ndarray, kernel: np.ndarray, outliers=None) -> float:
    """RMS of `kernel` * `sharp` - `blurry` over the pixels whose blur `sharp` holds entirely and no
    `outliers` pixel (clipped lights) reaches.

    A deconvolution by the right kernel explains the photo down to its noise (1.7-1.9x the estimated noise
    on Levin's captures 4 and 8 with their true kernels); by a wrong one it cannot (25-75x for the kernel
    rotated, flipped or replaced by a disk), whatever its prior.
    """
    from tfdeblur.physics import blur

    kh, kw = kernel.shape
    reblurred = np.asarray(blur(np.asarray(sharp, np.float32), kernel, mode="valid"))
    inside = (slice(kh // 2, kh // 2 + reblurred.shape[0]), slice(kw // 2, kw // 2 + reblurred.shape[1]))
    squares = (reblurred - np.asarray(blurry)[inside]) ** 2
    if outliers is not None and np.any(outliers):  # a kernel's reach around them: not the blur of the scene
        grown = within_reach(outliers, (kh, kw))[inside]
        if grown.all():
            return 0.0
        squares = squares[~grown]
    return float(np.sqrt(np.mean(squares)))


def check(crop: np.ndarray, kernel: np.ndarray, lam: float | None, options, outliers=None) -> Verdict:
    """The verdict on `kernel` estimated from the gray window `crop` (finish weight `lam`; `outliers`: the
    window's clipped pixels, left out of the reblur residual)."""
    from tfdeblur.solvers.irc import irc
    from tfdeblur.solvers.wiener import wiener

    mass = central_mass(kernel)
    measures = dict(central_mass=round(mass, 3))
    if mass >= POINT_MASS:
        return Verdict(False, f"no blur found (the kernel estimate is a point: {mass:.0%} of its mass in 3x3 px)",
                       measures)
    extent, spread = kernel_spread(kernel)
    measures["spread"] = round(spread, 2)
    if extent >= DIFFUSE_MIN_EXTENT and spread > DIFFUSE_SPREAD:
        return Verdict(False, f"the kernel estimate is diffuse ({spread:.0f} taps per px of its {extent} px "
                       "extent), unlike a camera shake", measures)
    border = max(kernel.shape)
    if min(crop.shape) <= 2 * border + 8:
        return Verdict(True, "the window is too small to check the estimate", measures)
    sharp = irc(crop, kernel, lam=lam) if options.finish == "irc" else wiener(crop, kernel)
    before, after = gradient_sparsity(crop, border), gradient_sparsity(sharp, border)
    noise, misfit = estimate_noise_sigma(crop), reblur_residual(crop, sharp, kernel, outliers)
    residual = misfit / max(noise, NOISE_FLOOR)
    measures.update(sparsity_before=round(before, 4), sparsity_after=round(after, 4),
                    residual_over_noise=round(residual, 2))
    if misfit > options.max_residual * max(noise, RESIDUAL_FLOOR):
        return Verdict(False, f"the estimate does not explain the photo (reblur residual {residual:.1f}x the "
                       "noise): a failed estimate or a blur too unlike one kernel", measures, sharp)
    if after > before * (1.0 - options.weak_sharpening) and residual > options.weak_residual:
        return Verdict(False, f"the estimate barely sharpens the photo (gradient sparsity {before:.3f} -> "
                       f"{after:.3f}) and does not explain it (reblur residual {residual:.1f}x the noise)",
                       measures, sharp)
    if after >= before * (1.0 - options.sparsity_margin):
        return Verdict(False, f"the estimate does not sharpen the photo (gradient sparsity {before:.3f} -> "
                       f"{after:.3f}): blur too weak or too unlike one kernel", measures, sharp)
    return Verdict(True, "the estimate sharpens the photo", measures, sharp)
