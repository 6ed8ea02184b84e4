"""A shaking camera's motion, fitted to kernels measured in a few regions, gives the kernel anywhere.

The camera is modelled as translating and rotating in the image plane about the photo's centre (Whyte et
al. 2012 and Hirsch et al. 2011 use the same kind of motion density): during the exposure it spends a
share w[a, ty, tx] of the time at angle a and shift (ty, tx), so the kernel at pixel p is

    K_p = sum_a shift(w[a], D(a, p)),     D(a, p) = R_a (p - c) - (p - c),

each angle's slice of w shifted by how far that rotation moves p. The slices are fitted to the regions'
kernels by non-negative least squares with an l1 weight (a camera path is a thin curve in this space),
solved by accelerated projected gradient (FISTA). Shifts are bilinear on a padded support, so the fit's
adjoint is exact.

A region's kernel is known only up to a shift: each measured kernel is re-aligned to the fitted one by its
centre of mass between rounds, so only the kernels' shapes, not their positions, drive the fit.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from tfdeblur.physics.kernel_support import pad_kernel


@dataclasses.dataclass
class CameraMotion:
    """The fitted motion density: `weights[a]` is the kernel of angle `angles[a]` (radians) at the centre."""

    angles: np.ndarray
    weights: np.ndarray
    centre: tuple
    residual: float

    def kernel_at(self, point) -> np.ndarray:
        """The kernel at pixel `point` = (row, col) (on the weights' support, summing to 1)."""
        out = sum(_shift(w, *displacement(a, point, self.centre)) for a, w in zip(self.angles, self.weights))
        out = np.maximum(out, 0.0)
        return out / max(out.sum(), 1e-12)


def displacement(angle: float, point, centre) -> tuple[float, float]:
    """(dy, dx): how far a rotation by `angle` (radians) about `centre` moves `point` (rows, cols)."""
    y, x = point[0] - centre[0], point[1] - centre[1]
    cos, sin = math.cos(angle), math.sin(angle)
    return (sin * x + cos * y - y, cos * x - sin * y - x)


def _shift(image: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """`image` moved by (dy, dx) px, bilinear, on a periodic support (kept wide enough to never wrap)."""
    iy, ix = math.floor(dy), math.floor(dx)
    fy, fx = dy - iy, dx - ix
    out = (1 - fy) * (1 - fx) * np.roll(image, (iy, ix), (0, 1))
    out += fy * (1 - fx) * np.roll(image, (iy + 1, ix), (0, 1))
    out += (1 - fy) * fx * np.roll(image, (iy, ix + 1), (0, 1))
    out += fy * fx * np.roll(image, (iy + 1, ix + 1), (0, 1))
    return out


def _shift_adjoint(image: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """The adjoint of `_shift`: the bilinear shift by (-dy, -dx) puts the same weights on the mirrored rolls."""
    return _shift(image, -dy, -dx)


def _centroid(k: np.ndarray) -> np.ndarray:
    rows, cols = np.indices(k.shape)
    return np.array([(rows * k).sum(), (cols * k).sum()]) / max(k.sum(), 1e-12)


def _moved(k: np.ndarray, target: np.ndarray) -> np.ndarray:
    """`k` shifted by whole pixels so its centre of mass is nearest `target`."""
    dy, dx = np.round(target - _centroid(k)).astype(int)
    return np.roll(k, (dy, dx), (0, 1))


def fit_camera_motion(kernels, points, centre, max_degrees: float = 2.0, sparsity: float = 1e-2,
                      iterations: int = 400, realign_every: int = 50) -> CameraMotion:
    """Fit the motion density to `kernels` (each summing to 1) measured at `points` (row, col).

    The angles step by about one pixel of arc at the farthest point, within +-`max_degrees`.
    """
    reach = max(math.hypot(p[0] - centre[0], p[1] - centre[1]) for p in points)
    limit = math.radians(max_degrees)
    count = 2 * max(1, math.ceil(limit * reach)) + 1
    angles = np.linspace(-limit, limit, count)
    arc = int(math.ceil(limit * reach))
    side = max(max(np.shape(k)) for k in kernels) + 2 * arc + 4
    side += 1 - side % 2
    measured = [k / max(k.sum(), 1e-12) for k in (pad_kernel(k, side) for k in kernels)]
    moves = [[displacement(a, p, centre) for a in angles] for p in points]

    def forward(w):
        return [sum(_shift(w[j], *moves[i][j]) for j in range(count)) for i in range(len(points))]

    def adjoint(residuals):
        return np.stack([sum(_shift_adjoint(r, *moves[i][j]) for i, r in enumerate(residuals))
                         for j in range(count)])

    # The step: 1 / the operator's largest eigenvalue (power iteration on A^T A).
    probe = np.random.default_rng(0).random((count, side, side))
    for _ in range(20):
        probe = adjoint(forward(probe))
        norm = np.linalg.norm(probe)
        probe /= norm
    step = 1.0 / norm
    w = np.repeat(np.mean(measured, axis=0)[None], count, axis=0) / count
    z, t = w.copy(), 1.0
    for iteration in range(iterations):
        residuals = [f - m for f, m in zip(forward(z), measured)]
        w_next = np.maximum(z - step * (adjoint(residuals) + sparsity), 0.0)
        t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
        z = w_next + (t - 1) / t_next * (w_next - w)
        w, t = w_next, t_next
        if realign_every and (iteration + 1) % realign_every == 0:
            fitted = forward(w)
            measured = [_moved(m, _centroid(f)) for m, f in zip(measured, fitted)]
            z, t = w.copy(), 1.0
    fitted = forward(w)
    residual = float(np.mean([np.abs(f / max(f.sum(), 1e-12) - m).sum() for f, m in zip(fitted, measured)]))
    return CameraMotion(angles, w, tuple(centre), residual)
