"""Blur kernel generators: linear motion, random camera shake, defocus disk, gaussian.

All generators return float32 numpy arrays with odd sizes, non-negative entries summing to 1, and the
kernel centred at index ((kh - 1) // 2, (kw - 1) // 2), the convention of `tfdeblur.physics.blur`.

Angles are in degrees, counter-clockwise from the image x axis as the image is displayed (rows grow
downwards), so a 90 degree motion is vertical. Linear motion is symmetric: angle and angle + 180 give the
same kernel.
"""

from __future__ import annotations

import math

import numpy as np

from tfdeblur.errors import InputError


def embed_kernel(kernel, size: int, dtype=np.float32) -> np.ndarray:
    """`kernel` on a size x size grid, its centre ((k - 1) // 2) on the grid's ((size - 1) // 2), as every
    blur in tfdeblur centres it (also for even sizes); InputError if it does not fit."""
    kernel = np.asarray(kernel)
    kh, kw = kernel.shape
    if kh > size or kw > size:
        raise InputError(f"kernel {kh}x{kw} is larger than {size}x{size}")
    top, left = (size - 1) // 2 - (kh - 1) // 2, (size - 1) // 2 - (kw - 1) // 2
    out = np.zeros((size, size), dtype)
    out[top:top + kh, left:left + kw] = kernel
    return out


def _require_odd_size(size, needed: int, what: str) -> int:
    if size is None:
        return needed
    size = int(size)
    if size % 2 == 0 or size < 1:
        raise InputError(f"{what} kernel size must be a positive odd number, got {size}")
    if size < needed:
        raise InputError(f"{what} kernel needs at least {needed}x{needed} pixels, got size {size}")
    return size


def _accumulate_bilinear(rows: np.ndarray, cols: np.ndarray, size: int) -> np.ndarray:
    """Splat path samples bilinearly onto the pixel grid (sub-pixel positions, smooth kernels)."""
    centre = (size - 1) // 2
    rows = rows + centre
    cols = cols + centre
    r0 = np.floor(rows).astype(np.int64)
    c0 = np.floor(cols).astype(np.int64)
    fr = rows - r0
    fc = cols - c0
    kernel = np.zeros((size + 1, size + 1), np.float64)
    for dr, wr in ((0, 1.0 - fr), (1, fr)):
        for dc, wc in ((0, 1.0 - fc), (1, fc)):
            np.add.at(kernel, (r0 + dr, c0 + dc), wr * wc)
    return kernel[:size, :size]


def motion_kernel(length: float, angle_deg: float, size: int | None = None) -> np.ndarray:
    """Linear (constant-velocity) motion blur, drawn as an anti-aliased line.

    A pixel at distance `a` along the motion and `b` across it from the centre gets weight
    overlap([a - 1/2, a + 1/2], [-length/2, length/2]) * max(0, 1 - |b|): the pixel's share of the
    segment's length, times a one-pixel tent across the line. So the kernel varies continuously with
    sub-pixel length and any angle, a horizontal or vertical motion of odd length L covers exactly L pixels
    with equal weight, and length <= 1 is the identity.

    Args:
        length: motion length in pixels (>= 0; values up to 1 give the identity).
        angle_deg: direction, degrees counter-clockwise from the x axis.
        size: odd output size; default the smallest odd size that holds the line.

    Returns:
        float32 (size, size) kernel summing to 1.

    Example:
    >>> k = motion_kernel(5, 0)
    >>> k.shape, float(k.sum())
    ((5, 5), 1.0)
    """
    length = float(length)
    if not math.isfinite(length) or length < 0:
        raise InputError(f"motion length must be a finite number >= 0, got {length}")
    if not math.isfinite(float(angle_deg)):
        raise InputError(f"motion angle must be finite, got {angle_deg}")
    theta = math.radians(float(angle_deg))
    along_dir = (-math.sin(theta), math.cos(theta))  # (row, col); rows grow downwards
    reach = int(math.ceil(length / 2 + 1))
    rows, cols = np.mgrid[-reach:reach + 1, -reach:reach + 1].astype(np.float64)
    along = rows * along_dir[0] + cols * along_dir[1]
    across = rows * along_dir[1] - cols * along_dir[0]
    overlap = np.clip(np.minimum(along + 0.5, length / 2) - np.maximum(along - 0.5, -length / 2), 0.0, None)
    kernel = overlap * np.clip(1.0 - np.abs(across), 0.0, None)
    if kernel.sum() <= 1e-12 or length <= 1.0:
        kernel = np.zeros_like(kernel)
        kernel[reach, reach] = 1.0
    kernel[kernel < 1e-9 * kernel.max()] = 0.0
    nonzero_r, nonzero_c = np.nonzero(kernel)
    half = int(max(np.abs(nonzero_r - reach).max(), np.abs(nonzero_c - reach).max()))
    size = _require_odd_size(size, 2 * half + 1, "motion")
    kernel = kernel[reach - half:reach + half + 1, reach - half:reach + half + 1]
    pad = (size - kernel.shape[0]) // 2
    kernel = np.pad(kernel, pad)
    return (kernel / kernel.sum()).astype(np.float32)


def trajectory_kernel(size: int, seed: int | None = None, extent: float | None = None,
                      samples: int = 2000) -> np.ndarray:
    """Random camera-shake kernel: a random-walk trajectory with inertia, rasterised sub-pixel.

    The camera's velocity follows a damped random walk with occasional impulsive jerks and a weak pull
    back towards the start, which gives the curved, partly overlapping paths of real hand shake
    (in the spirit of Boracchi & Foi, "Modeling the performance of image restoration from motion blur",
    TIP 2012). The path is centred on its centroid (so blurring does not shift the image on average),
    scaled to span `extent` pixels, sampled uniformly in time and splatted bilinearly.

    Args:
        size: odd kernel size.
        seed: integer seed; the same seed always gives the same kernel.
        extent: largest path extent in pixels; default random in [0.3, 1] x (size - 2).
        samples: time samples along the exposure.

    Returns:
        float32 (size, size) kernel summing to 1.

    Example:
    >>> k = trajectory_kernel(21, seed=3)
    >>> k.shape, bool(abs(k.sum() - 1) < 1e-6)
    ((21, 21), True)
    """
    size = int(size)
    if size < 3 or size % 2 == 0:
        raise InputError(f"trajectory kernel size must be an odd number >= 3, got {size}")
    rng = np.random.default_rng(seed)
    steps = 64
    position = np.zeros(2)
    velocity = rng.normal(size=2)
    velocity /= np.linalg.norm(velocity) + 1e-12
    path = [position.copy()]
    jerk_probability = rng.uniform(0.0, 0.08)
    for _ in range(steps):
        velocity = 0.85 * velocity + rng.normal(scale=0.35, size=2) - 0.02 * position
        if rng.random() < jerk_probability:
            velocity += rng.normal(scale=1.5, size=2)
        position = position + velocity
        path.append(position.copy())
    path = np.asarray(path)
    # Uniform time samples along the piecewise-linear path.
    t = np.linspace(0.0, steps, samples)
    points = np.stack([np.interp(t, np.arange(steps + 1), path[:, i]) for i in range(2)], axis=1)
    points -= points.mean(axis=0)
    span = np.abs(points).max()
    max_extent = size - 2.0
    if extent is None:
        extent = rng.uniform(0.3, 1.0) * max_extent
    extent = float(np.clip(extent, 0.0, max_extent))
    if span > 0:
        # Scale so the path fits in the kernel with a one-pixel margin for the splat.
        points *= min(extent / (2 * span), ((size - 1) / 2 - 1) / span)
    kernel = _accumulate_bilinear(points[:, 0], points[:, 1], size)
    return (kernel / kernel.sum()).astype(np.float32)


def disk_kernel(radius: float, size: int | None = None) -> np.ndarray:
    """Defocus (pillbox) kernel: the area of each pixel inside a disk of `radius`, anti-aliased.

    Args:
        radius: disk radius in pixels (> 0; radius < 0.5 is close to the identity).
        size: odd output size, default the smallest that holds the disk (2 * ceil(radius + 0.5) - 1).

    Example:
    >>> disk_kernel(7).shape
    (15, 15)
    """
    radius = float(radius)
    if not math.isfinite(radius) or radius <= 0:
        raise InputError(f"disk radius must be > 0, got {radius}")
    half = max(int(math.ceil(radius + 0.5)) - 1, 0)
    size = _require_odd_size(size, 2 * half + 1, "disk")
    centre = (size - 1) // 2
    sub = 16  # sub-samples per pixel side for the coverage integral
    offsets = (np.arange(sub) + 0.5) / sub - 0.5
    grid = np.arange(size) - centre
    fine = (grid[:, None] + offsets[None, :]).reshape(-1)
    inside = (fine[:, None] ** 2 + fine[None, :] ** 2) <= radius**2
    kernel = inside.reshape(size, sub, size, sub).mean(axis=(1, 3))
    if kernel.sum() == 0:  # radius so small that no sub-sample lands inside
        kernel[centre, centre] = 1.0
    return (kernel / kernel.sum()).astype(np.float32)


def gaussian_kernel(sigma: float, size: int | None = None) -> np.ndarray:
    """Isotropic gaussian kernel sampled at pixel centres, size 2 * ceil(3 sigma) + 1 by default.

    Example:
    >>> gaussian_kernel(1.0).shape
    (7, 7)
    """
    sigma = float(sigma)
    if not math.isfinite(sigma) or sigma < 0:
        raise InputError(f"gaussian sigma must be >= 0, got {sigma}")
    half = int(math.ceil(3 * sigma))
    size = _require_odd_size(size, 2 * half + 1, "gaussian")
    if sigma == 0:
        kernel = np.zeros((size, size))
        kernel[(size - 1) // 2, (size - 1) // 2] = 1.0
        return kernel.astype(np.float32)
    x = np.arange(size) - (size - 1) // 2
    g = np.exp(-(x**2) / (2 * sigma**2))
    kernel = np.outer(g, g)
    return (kernel / kernel.sum()).astype(np.float32)


# Largest kernel a spec may ask for: a side of 1001 px already blurs away any photo, and a typo such as
# motion:1e9,0 must be an input error, not an attempt to allocate 10^18 floats.
MAX_SPEC_KERNEL_SIZE = 1001
SPEC_KINDS = ("motion", "trajectory", "disk", "gaussian")


def _numbers(spec: str, text: str, count: int) -> list[float]:
    parts = [p for p in text.split(",") if p.strip()]
    if len(parts) != count:
        raise InputError(f"kernel spec '{spec}': expected {count} comma-separated number(s)")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"kernel spec '{spec}': not a number in '{text}'") from None
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"kernel spec '{spec}': numbers must be finite")
    return values


def _integer(spec: str, value: float, what: str) -> int:
    if value != int(value):
        raise InputError(f"kernel spec '{spec}': {what} must be a whole number, got {value:g}")
    return int(value)


def _check_spec_size(spec: str, kind: str, a: list[float]) -> None:
    """Refuse specs whose kernel would exceed MAX_SPEC_KERNEL_SIZE before building it."""
    side = {"motion": lambda: a[0] + 3, "trajectory": lambda: a[0], "disk": lambda: 2 * a[0] + 1,
            "gaussian": lambda: 6 * a[0] + 1}[kind]()
    if side > MAX_SPEC_KERNEL_SIZE:
        raise InputError(f"kernel spec '{spec}' asks for a kernel over {MAX_SPEC_KERNEL_SIZE} px wide")


def is_kernel_spec(text: str) -> bool:
    """True if `text` names a generated kernel (`motion:...`, `disk:...`, ...) rather than a file."""
    kind, sep, _ = str(text).partition(":")
    return bool(sep) and kind in SPEC_KINDS


def kernel_from_spec(spec: str, normalize: bool | None = None) -> np.ndarray:
    """Build a kernel from a CLI spec or read it from a file.

    Specs: `motion:LEN,ANGLE`, `trajectory:SIZE,SEED` (SIZE odd, SEED >= 0, both whole numbers), `disk:R`,
    `gaussian:SIGMA`; anything else is a path to a `.npy` or image kernel (see `tfdeblur.io.read_kernel`,
    which `normalize` is passed to).
    """
    kind, sep, args = spec.partition(":")
    generators = {
        "motion": (2, lambda a: motion_kernel(a[0], a[1])),
        "trajectory": (2, lambda a: trajectory_kernel(_integer(spec, a[0], "SIZE"),
                                                      seed=_integer(spec, a[1], "SEED"))),
        "disk": (1, lambda a: disk_kernel(a[0])),
        "gaussian": (1, lambda a: gaussian_kernel(a[0])),
    }
    if is_kernel_spec(spec):
        count, make = generators[kind]
        values = _numbers(spec, args, count)
        _check_spec_size(spec, kind, values)
        if kind == "trajectory" and values[1] < 0:
            raise InputError(f"kernel spec '{spec}': SEED must be >= 0")
        return make(values)
    from tfdeblur.io import read_kernel

    return read_kernel(spec, normalize=normalize)
