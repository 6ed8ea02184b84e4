"""Should the estimated kernel be trusted? Two cheap tests on the estimation window.

1. Extent: a kernel whose mass sits within a few central pixels means the photo has no blur to remove.
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

POINT_MASS = 0.8  # share of the kernel's mass within its central 3x3 above which it counts as a point


@dataclasses.dataclass
class Verdict:
    trusted: bool
    reason: str
    measures: dict = dataclasses.field(default_factory=dict)


def central_mass(kernel: np.ndarray) -> float:
    """Share of the kernel's mass within the 3x3 taps around its centre of mass."""
    k = np.asarray(kernel, np.float64)
    k = k / k.sum()
    rows, cols = np.indices(k.shape)
    cy, cx = int(round((rows * k).sum())), int(round((cols * k).sum()))
    return float(k[max(cy - 1, 0):cy + 2, max(cx - 1, 0):cx + 2].sum())


def gradient_sparsity(image: np.ndarray, border: int) -> float:
    """l1/l2 of the horizontal and vertical differences of a gray image at half resolution, inside `border`."""
    a = np.asarray(image, np.float32)
    if border:
        a = a[border:-border, border:-border]
    a = cv2.resize(a, (max(1, a.shape[1] // 2), max(1, a.shape[0] // 2)), interpolation=cv2.INTER_AREA)
    g = np.concatenate([np.diff(a, axis=0).ravel(), np.diff(a, axis=1).ravel()]).astype(np.float64)
    return float(np.abs(g).sum() / max(np.sqrt((g * g).sum()), 1e-12) / np.sqrt(g.size))


def check(crop: np.ndarray, kernel: np.ndarray, lam: float | None, options) -> Verdict:
    """The verdict on `kernel` estimated from the gray window `crop` (finish weight `lam`)."""
    from tfdeblur.solvers.irc import irc
    from tfdeblur.solvers.wiener import wiener

    mass = central_mass(kernel)
    measures = dict(central_mass=round(mass, 3))
    if mass >= POINT_MASS:
        return Verdict(False, f"no blur found (the kernel estimate is a point: {mass:.0%} of its mass in 3x3 px)",
                       measures)
    border = max(kernel.shape)
    if min(crop.shape) <= 2 * border + 8:
        return Verdict(True, "the window is too small to check the estimate", measures)
    sharp = irc(crop, kernel, lam=lam) if options.finish == "irc" else wiener(crop, kernel)
    before, after = gradient_sparsity(crop, border), gradient_sparsity(sharp, border)
    measures.update(sparsity_before=round(before, 4), sparsity_after=round(after, 4))
    if after >= before * (1.0 - options.sparsity_margin):
        return Verdict(False, f"the estimate does not sharpen the photo (gradient sparsity {before:.3f} -> "
                       f"{after:.3f}): blur too weak or too unlike one kernel", measures)
    return Verdict(True, "the estimate sharpens the photo", measures)
