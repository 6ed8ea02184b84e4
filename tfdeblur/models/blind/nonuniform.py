"""Blur that varies across the frame: kernels per region, a camera motion through them, a blended finish.

A shaking camera also rotates (Koehler et al. 2012 recorded it), so the blur of a photo's corners differs
from its centre's. The photo is cut into a grid of regions; each region's kernel is estimated on a window
around it, started from the photo's kernel (`solvers.kernel_estimation.estimate_kernel_near`); a region whose
kernel does not deblur its window sharper than the photo's kernel is left out. A camera motion (rotation
and translation, `camera_motion`) fitted to the kept kernels then gives the kernel anywhere: the finish
deconvolves a window around every cell of a finer grid by the kernel at its centre and blends them with
bilinear weights centred on the cells, which sum to one (Hirsch et al.'s efficient filter flow, CVPR 2010,
read as per-region deconvolution). The finer grid matters: with the true kernels on a 768x512 BSDS500 val
photo shaken by 1.5 deg and 12 px, cells of 256 / 128 / 64 px gave -0.5 / +2.5 / +5.2 dB in 52 / 85 / 166 s.

Estimated kernels are centred on their centre of mass (a kernel per region is known only up to a shift);
the camera motion re-aligns them, so neighbouring cells' results line up.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tfdeblur.models.blind import trust
from tfdeblur.models.blind.camera_motion import fit_camera_motion
from tfdeblur.models.blind.finish import nonblind
from tfdeblur.models.blind.options import BlindOptions
from tfdeblur.physics.kernel_support import odd, pad_kernel, recentre_kernel, resize_kernel, trim_kernel

MIN_OWN_KERNELS = 3  # a camera motion needs a few regions' kernels to pin its rotation


@dataclasses.dataclass
class KernelGrid:
    """Kernels on a rows x cols grid of cells over an image of `shape` (row-major lists)."""

    rows: int
    cols: int
    shape: tuple
    kernels: list
    centres: list
    reliable: list
    scores: list = dataclasses.field(default_factory=list)

    def stacked(self) -> np.ndarray:
        """The kernels as one (rows, cols, side, side) float32 array, each centred on a common support."""
        side = max(max(k.shape) for k in self.kernels)
        flat = np.stack([pad_kernel(k, side) for k in self.kernels]).astype(np.float32)
        return flat.reshape(self.rows, self.cols, side, side)

    def cell_bounds(self, index: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) of cell `index`."""
        r, c = divmod(index, self.cols)
        h, w = self.shape[:2]
        return (r * h // self.rows, c * w // self.cols, (r + 1) * h // self.rows, (c + 1) * w // self.cols)


def grid_shape(shape, kernel_side: int, options: BlindOptions) -> tuple[int, int]:
    """Cells of about `options.cell` px a side, each at least `cell_kernel_widths` kernels wide."""
    side = max(options.cell, options.cell_kernel_widths * kernel_side)
    return tuple(max(1, int(round(n / side))) for n in shape[:2])


def _window(bounds, margin: int, shape) -> tuple[int, int, int, int]:
    top, left, bottom, right = bounds
    return (max(0, top - margin), max(0, left - margin), min(shape[0], bottom + margin),
            min(shape[1], right + margin))


def _score(crop: np.ndarray, kernel: np.ndarray, lam: float | None) -> float:
    """How sharp `crop` deconvolved by `kernel` is: its gradients' l1/l2 (lower is sharper)."""
    from tfdeblur.solvers.irc import irc

    return trust.gradient_sparsity(irc(crop, kernel, lam=lam), max(kernel.shape))


def estimate_grid(luma: np.ndarray, kernel: np.ndarray, scale: float, options: BlindOptions, lam: float | None,
                  progress: bool = False, outliers: np.ndarray | None = None) -> KernelGrid | None:
    """Per-cell kernels refined from the photo's `kernel` (estimated at `scale`), or None when the photo
    is too small for two cells."""
    import cv2
    from tqdm.auto import tqdm

    from tfdeblur.solvers.kernel_estimation import estimate_kernel_near

    rows, cols = grid_shape(luma.shape, max(kernel.shape), options)
    if rows * cols < 2:
        return None
    # A rotating camera widens the blur away from the centre: the cells get room to grow.
    side = odd(max(kernel.shape) * options.cell_support_growth)
    start = recentre_kernel(pad_kernel(kernel, side))
    grid = KernelGrid(rows, cols, luma.shape[:2], [], [], [])
    margin = max(side, 16)
    for index in tqdm(range(rows * cols), desc="kernels per region", disable=not progress, leave=False):
        bounds = grid.cell_bounds(index)
        grid.centres.append(((bounds[0] + bounds[2]) // 2, (bounds[1] + bounds[3]) // 2))
        top, left, bottom, right = _window(bounds, margin, luma.shape)
        crop = luma[top:bottom, left:right]
        mask = None if outliers is None else outliers[top:bottom, left:right]
        work_side = odd(side * scale)
        if scale < 1.0:
            size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
            small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
            small_mask = None if mask is None else cv2.resize(mask.astype(np.float32), size) > 0
        else:
            small, small_mask = crop, mask
        try:
            local, _ = estimate_kernel_near(small, resize_kernel(start, (work_side, work_side)), options.estimation,
                                     options.cell_levels, small_mask)
        except (FloatingPointError, ValueError):  # no edges in the cell: the photo's kernel stays
            grid.kernels.append(kernel.astype(np.float32))
            grid.reliable.append(False)
            grid.scores.append(None)
            continue
        if scale < 1.0:
            local = resize_kernel(local, (side, side))
        local = trim_kernel(recentre_kernel(local))
        # Sharper than with the photo's kernel, and sharper than the window itself.
        before, after = _score(crop, kernel, lam), _score(crop, local, lam)
        blurry = trust.gradient_sparsity(crop, max(local.shape))
        better = after < min(before, blurry) * (1.0 - options.cell_margin)
        grid.kernels.append((local if better else kernel).astype(np.float32))
        grid.reliable.append(bool(better))
        grid.scores.append([round(before, 4), round(after, 4)])
    return grid


def disagreement(grid: KernelGrid) -> float:
    """The largest l1 distance between two cells' kernels (kernels sum to 1: 0 same, 2 disjoint)."""
    side = max(max(k.shape) for k in grid.kernels)
    ks = [recentre_kernel(pad_kernel(k, side)) for k in grid.kernels]
    return float(max((np.abs(a - b).sum() for i, a in enumerate(ks) for b in ks[i + 1:]), default=0.0))


def _tents(length: int, centres: list[int]) -> np.ndarray:
    """(len(centres), length) weights summing to 1: linear between neighbouring centres, flat outside."""
    u = np.arange(length, dtype=np.float64)
    if len(centres) == 1:
        return np.ones((1, length))
    out = np.zeros((len(centres), length))
    for i, c in enumerate(centres):
        left = centres[i - 1] if i > 0 else None
        right = centres[i + 1] if i + 1 < len(centres) else None
        w = np.ones(length)
        if left is not None:
            w = np.where(u < c, np.clip((u - left) / (c - left), 0.0, 1.0), w)
        if right is not None:
            w = np.where(u > c, np.clip((right - u) / (right - c), 0.0, 1.0), w)
        out[i] = w
    return out


def nonuniform_finish(blurry: np.ndarray, grid: KernelGrid, options: BlindOptions, lam: float | None,
                      weights: np.ndarray | None = None, progress: bool = False) -> np.ndarray:
    """Each cell's window deconvolved by its kernel, blended with bilinear weights centred on the cells."""
    from tqdm.auto import tqdm


    h, w = blurry.shape[:2]
    row_centres = sorted({c[0] for c in grid.centres})
    col_centres = sorted({c[1] for c in grid.centres})
    wy, wx = _tents(h, row_centres), _tents(w, col_centres)
    out = np.zeros(blurry.shape, np.float64)
    for index in tqdm(range(grid.rows * grid.cols), desc="finish per region", disable=not progress, leave=False):
        r, c = divmod(index, grid.cols)
        rows_used, cols_used = np.nonzero(wy[r] > 0)[0], np.nonzero(wx[c] > 0)[0]
        kernel = grid.kernels[index]
        reach = 2 * max(kernel.shape)  # the deconvolution's borders lack their blur's context
        top, left = max(0, rows_used[0] - reach), max(0, cols_used[0] - reach)
        bottom, right = min(h, rows_used[-1] + 1 + reach), min(w, cols_used[-1] + 1 + reach)
        crop_weights = None if weights is None else weights[top:bottom, left:right]
        sharp = nonblind(blurry[top:bottom, left:right], kernel, options, lam, crop_weights)
        blend = np.outer(wy[r, top:bottom], wx[c, left:right])
        out[top:bottom, left:right] += (blend[..., None] if blurry.ndim == 3 else blend) * sharp
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def motion_grid(motion, shape, cell: int) -> KernelGrid:
    """Kernels of the fitted camera `motion` on a grid of cells of about `cell` px over `shape`."""
    rows, cols = (max(1, int(round(n / cell))) for n in shape[:2])
    grid = KernelGrid(rows, cols, tuple(shape[:2]), [], [], [True] * (rows * cols))
    for index in range(rows * cols):
        top, left, bottom, right = grid.cell_bounds(index)
        centre = ((top + bottom) // 2, (left + right) // 2)
        grid.centres.append(centre)
        grid.kernels.append(trim_kernel(motion.kernel_at(centre)).astype(np.float32))
    return grid


def choose_grid(luma: np.ndarray, kernel: np.ndarray, scale: float, options: BlindOptions, lam: float | None,
                progress: bool = False, outliers: np.ndarray | None = None):
    """(the finish's kernel grid, or None for one kernel; what was measured and why, for `info`)."""
    grid = estimate_grid(luma, kernel, scale, options, lam, progress, outliers)
    if grid is None:
        return None, dict(reason="the photo holds a single region")
    own = [i for i, ok in enumerate(grid.reliable) if ok]
    report = dict(regions=[grid.rows, grid.cols], own_kernels=len(own))
    if len(own) < MIN_OWN_KERNELS:
        return None, dict(report, reason=f"{len(own)} of {len(grid.kernels)} regions sharpen with a kernel of "
                          "their own")
    spread = disagreement(KernelGrid(grid.rows, grid.cols, grid.shape, [grid.kernels[i] for i in own],
                                     [grid.centres[i] for i in own], [True] * len(own)))
    report["disagreement"] = round(spread, 3)
    if options.nonuniform == "auto" and spread < options.nonuniform_from:
        return None, dict(report, reason=f"the regions' kernels agree (l1 distance {spread:.2f})")
    centre = ((luma.shape[0] - 1) / 2, (luma.shape[1] - 1) / 2)
    motion = fit_camera_motion([grid.kernels[i] for i in own], [grid.centres[i] for i in own], centre,
                               options.max_rotation)
    fine = motion_grid(motion, luma.shape, options.finish_cell)
    return fine, dict(report, reason=f"the regions' kernels differ (l1 distance {spread:.2f})",
                      motion_residual=round(motion.residual, 3), finish_regions=[fine.rows, fine.cols])

