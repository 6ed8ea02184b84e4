"""Blind kernel estimation, coarse to fine, by alternating an L0 latent image and a least-squares kernel.

At each level of an image pyramid (kernel sizes shrinking by `ratio` down to `coarsest`), a few
iterations of

1. x = the L0-gradient deconvolution of the blurry image by the current kernel (`l0_latent`);
2. keep only x's salient gradients: per direction quadrant, at least `edges_per_tap` x kernel size
   pixels, the threshold then relaxed by 1.1 per iteration (Cho & Lee 2009's edge selection);
3. k = argmin ||grad x (*) k - grad y||^2 + weight ||k||^2 over the kernel's support (conjugate gradients
   on the Fourier-domain normal equations), then taps under `tap_floor` of the peak and connected
   components holding less than `component_mass` of the kernel dropped, k >= 0, sum k = 1;

with the L0 weight divided by `lam_decay` per iteration, so the latent image gains detail as the
kernel improves. The kernel is resampled up between levels. This is Pan et al.'s L0 scheme (CVPR 2014,
without the intensity term) with a valid-region data term: the image is mirror-extended and edge-tapered
for the FFTs, and only gradients at least half a kernel inside the image enter the kernel's normal
equations, so the extension never biases the kernel.

References: Pan, Hu, Su, Yang, "Deblurring text images via L0-regularized intensity and gradient prior",
CVPR 2014; Cho & Lee, "Fast motion deblurring", SIGGRAPH Asia 2009; Xu, Lu, Xu, Jia, "Image smoothing
via L0 gradient minimization", SIGGRAPH Asia 2011.
"""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.physics import periodic
from tfdeblur.physics.boundaries import edge_taper
from tfdeblur.physics.fourier import inverse_real_fft2, real_fft2
from tfdeblur.physics.kernel_support import recentre_kernel, within_reach
from tfdeblur.solvers.l0_latent import l0_latent
from tfdeblur.solvers.numpy_conjugate_gradient import numpy_conjugate_gradient

MIN_KEPT_SHARE = 0.1  # outliers may leave out at most 90% of a level's equations


@dataclasses.dataclass
class KernelEstimationOptions:
    """Knobs of `estimate_kernel`; defaults chosen on Levin's real captures of im1 (README, "Blind").

    Args:
        ratio: kernel-size ratio between neighbouring pyramid levels.
        coarsest: kernel size at the coarsest level (odd, >= 3).
        min_level_side: if > 0, the coarsest level's image keeps at least this many pixels a side
            (coarser levels are skipped). Off by default: 64 found a 9 px motion with a 25 px support on
            a 200 px photo (kernel error 0.51 instead of 0.84) and gained 0.24 dB on Levin's captures with
            the auto size, but lost a 962x642 photo (22.6 instead of 34.5 dB; README, "fast schedule").
        iterations: latent/kernel alternations per level.
        finest_iterations: alternations at the finest level (the kernel keeps improving there as the
            L0 weight falls: 5 + 10 beat 5 by 0.4 dB on Levin's captures).
        lam, lam_decay, lam_min: L0 weight at the start, its divisor per iteration, its floor.
        weight: ridge weight of the kernel's least squares (on the gradients' scale: images in [0, 1]).
        cg_steps: conjugate-gradient steps of each kernel update.
        edges_per_tap: salient gradients kept per direction quadrant, per kernel tap along a side.
        threshold_decay: the edge threshold's divisor per iteration after the first of a level.
        tap_floor: taps below this fraction of the peak are zeroed after each update.
        component_mass: connected groups of taps holding less than this share are dropped.
        converged: a level stops once an alternation moves less than this share of the kernel's mass
            (sum |k_new - k_old|; kernels sum to 1), after at least two alternations; 0 runs them all. On
            Levin's 8 captures (true sizes): 0 -> 33.38 dB, 0.01 -> 33.36 dB with 10% fewer alternations
            (the finest level stopping after 4-13 of its 15 on 6 captures), 0.02 -> 33.17, 0.05 -> 32.88.
    """

    ratio: float = math.sqrt(0.5)
    coarsest: int = 5
    min_level_side: int = 0
    iterations: int = 5
    finest_iterations: int = 15
    lam: float = 4e-3
    lam_decay: float = 1.1
    lam_min: float = 1e-4
    weight: float = 2.0
    cg_steps: int = 20
    edges_per_tap: int = 20
    threshold_decay: float = 1.1
    tap_floor: float = 0.05
    component_mass: float = 0.1
    converged: float = 0.01

    def __post_init__(self):
        if not 0.0 < self.ratio < 1.0:
            raise InputError(f"pyramid ratio must be in (0, 1), got {self.ratio}")
        if self.min_level_side < 0:
            raise InputError(f"min_level_side must be >= 0, got {self.min_level_side}")
        if self.coarsest < 3 or min(self.iterations, self.finest_iterations, self.cg_steps) < 1:
            raise InputError("coarsest kernel >= 3, iterations, finest_iterations and cg_steps >= 1 are needed")
        if self.converged < 0:
            raise InputError(f"converged must be >= 0, got {self.converged}")
        if min(self.lam, self.lam_min, self.weight) <= 0 or self.lam_decay < 1.0:
            raise InputError("lam, lam_min and weight must be > 0 and lam_decay >= 1")


def _odd_up(value: float) -> int:
    n = int(math.ceil(value - 1e-9))
    return n if n % 2 else n + 1


def pyramid_sizes(kernel_size, ratio: float, coarsest: int) -> list[tuple[int, int]]:
    """Kernel sizes, coarsest first, ending at `kernel_size` = (kh, kw)."""
    sizes = [tuple(kernel_size)]
    while max(sizes[-1]) > coarsest:
        smaller = tuple(max(3, _odd_up(s * ratio)) for s in sizes[-1])
        if smaller == sizes[-1]:
            break
        sizes.append(smaller)
    return sizes[::-1]


def select_edges(latent: np.ndarray, size: int, mask: np.ndarray, threshold: float | None):
    """The latent image's salient gradients (others zeroed) and the squared-magnitude threshold used.

    With `threshold` None it is chosen so that each of the four gradient-direction quadrants keeps at
    least `size` pixels; otherwise the given one is used.
    """
    gx, gy = periodic.differences(latent)
    gx, gy = gx * mask, gy * mask
    magnitude = gx**2 + gy**2
    if threshold is None:
        quadrant = np.minimum((np.mod(np.arctan2(gy, gx), np.pi) / (np.pi / 4)).astype(int), 3)
        levels = []
        for q in range(4):
            values = magnitude[(quadrant == q) & (magnitude > 0)]
            if values.size:
                levels.append(np.partition(values, values.size - min(size, values.size))[-min(size, values.size)])
        threshold = float(min(levels)) if levels else 0.0
    keep = magnitude >= threshold
    return gx * keep, gy * keep, threshold


def kernel_least_squares(latent_grads, blurry_grads, size, weight: float, start: np.ndarray,
                         steps: int) -> np.ndarray:
    """argmin_k sum_d ||latent_d (*) k - blurry_d||^2 + weight ||k||^2 on a (kh, kw) support (CG)."""
    shape = latent_grads[0].shape  # real FFTs: half the work of complex ones, the same result to rounding
    specs = [real_fft2(g) for g in latent_grads]
    normal = sum(np.abs(s) ** 2 for s in specs)
    rhs = periodic.real_taps(sum(np.conj(s) * real_fft2(b) for s, b in zip(specs, blurry_grads)), size, shape)
    # The normal operator is a convolution by the gradients' autocorrelation, of which a kernel only meets the
    # lags within its extent: each CG step is then a small linear convolution, not two FFTs of the whole
    # level (the same operator; issue 32, the blind default's time).
    kh, kw = size
    lags = np.roll(inverse_real_fft2(normal, shape), (kh - 1, kw - 1), axis=(0, 1))[:2 * kh - 1, :2 * kw - 1]
    small = (3 * kh - 2, 3 * kw - 2)
    lag_spectrum = np.fft.rfft2(lags, small)

    def apply(k):
        full = np.fft.irfft2(lag_spectrum * np.fft.rfft2(k, small), small)
        return full[kh - 1:2 * kh - 1, kw - 1:2 * kw - 1] + weight * k

    return numpy_conjugate_gradient(apply, rhs, start, steps, stop=1e-20)


def clean_kernel(kernel: np.ndarray, tap_floor: float, component_mass: float) -> np.ndarray:
    """Non-negative, small taps and light isolated groups of taps removed, summing to 1."""
    k = np.maximum(np.asarray(kernel, np.float64), 0.0)
    if k.max() <= 0:
        raise FloatingPointError("the kernel estimate vanished")
    k[k < tap_floor * k.max()] = 0.0
    k /= k.sum()
    count, labels = cv2.connectedComponents((k > 0).astype(np.uint8), connectivity=8)
    for label in range(1, count):
        part = labels == label
        if k[part].sum() < component_mass:
            k[part] = 0.0
    if k.sum() <= 0:  # every group was light: keep the heaviest
        return clean_kernel(kernel, tap_floor, 0.0)
    return k / k.sum()


def resample(kernel: np.ndarray, size) -> np.ndarray:
    out = cv2.resize(np.asarray(kernel, np.float32), (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
    out = np.maximum(out.astype(np.float64), 0.0)
    return out / out.sum()


def initial_kernel(size) -> np.ndarray:
    """Two horizontal taps at the centre (Pan et al.'s start: a delta would be a fixed point)."""
    k = np.zeros(size)
    k[size[0] // 2, size[1] // 2 - 1:size[1] // 2 + 1] = 0.5
    return k


def _level_image(blurry: np.ndarray, factor: float) -> np.ndarray:
    if factor >= 1.0:
        return blurry
    h, w = blurry.shape
    shape = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(blurry.astype(np.float32), shape, interpolation=cv2.INTER_LINEAR).astype(np.float64)


def estimate_kernel(blurry: np.ndarray, kernel_size, options: KernelEstimationOptions | None = None,
                    progress=None, outliers: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Blur kernel of a gray image, coarse to fine.

    Args:
        blurry: HxW gray image in [0, 1] (at least twice the kernel size a side).
        kernel_size: int or (kh, kw), odd.
        options: `KernelEstimationOptions`.
        progress: optional callable(level_index, level_count, level_shape, kernel_size) called per level.
        outliers: optional HxW bool, pixels whose values are not the blur of the scene (clipped lights):
            latent edges within a kernel's reach of them are left out of the kernel's equations.

    Returns:
        (kernel float32 (kh, kw) summing to 1 as a convolution kernel, report with the levels).

    Example:
    >>> import numpy as np
    >>> from tfdeblur.physics import blur, motion_kernel
    >>> rng = np.random.default_rng(0)
    >>> sharp = (rng.random((16, 16)) > 0.5).repeat(8, 0).repeat(8, 1).astype("float32")
    >>> k, report = estimate_kernel(blur(sharp, motion_kernel(9, 30)), 9)
    >>> k.shape, round(float(k.sum()), 4)
    ((9, 9), 1.0)

    Reference: Pan et al., CVPR 2014 (see the module docstring).
    """
    options = options or KernelEstimationOptions()
    size = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else tuple(int(s) for s in kernel_size)
    if size[0] % 2 == 0 or size[1] % 2 == 0 or min(size) < 3:
        raise InputError(f"kernel size must be odd and >= 3, got {size[0]}x{size[1]}")
    y = np.asarray(blurry, np.float64)
    if y.ndim != 2:
        raise InputError(f"kernel estimation needs a gray HxW image, got shape {y.shape}")
    if min(y.shape) < 2 * max(size):
        raise InputError(f"the {y.shape[0]}x{y.shape[1]} image is too small to estimate a {size[0]}x{size[1]} "
                         f"kernel (it needs at least {2 * max(size)} px a side)")
    sizes = pyramid_sizes(size, options.ratio, options.coarsest)
    while len(sizes) > 1 and min(y.shape) * options.ratio ** (len(sizes) - 1) < options.min_level_side:
        sizes = sizes[1:]  # the coarsest level's image would be too small
    return _coarse_to_fine(y, sizes, None, options, progress, outliers)


def estimate_kernel_near(blurry: np.ndarray, start: np.ndarray, options: KernelEstimationOptions | None = None,
                         levels: int = 2, outliers: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """`estimate_kernel` over only the finest `levels` pyramid levels, started from `start` (odd-sized).

    For a region of a photo whose blur is close to a known kernel (a tile of a photo shaken with some
    rotation): the short pyramid lets the estimate move away from the start where the region's blur
    differs, at a fraction of a full estimate's cost.
    """
    options = options or KernelEstimationOptions()
    size = tuple(int(s) for s in np.shape(start))
    y = np.asarray(blurry, np.float64)
    if min(y.shape) < 2 * max(size):
        raise InputError(f"the {y.shape[0]}x{y.shape[1]} region is too small to refine a {size[0]}x{size[1]} "
                         "kernel")
    sizes = pyramid_sizes(size, options.ratio, options.coarsest)[-max(1, levels):]
    return _coarse_to_fine(y, sizes, start, options, None, outliers)


def _coarse_to_fine(y: np.ndarray, sizes, start: np.ndarray | None, options: KernelEstimationOptions,
                    progress, outliers: np.ndarray | None):
    """The pyramid: per level (kernel sizes `sizes`, coarsest first) the image downscaled to match, the
    kernel resampled up from the level before (the first from `start`, else Pan et al.'s two taps), then
    `_fit_level`. Returns (float32 kernel summing to 1, report with the levels)."""
    lam, kernel, report = options.lam, start, []
    for index, level_size in enumerate(sizes):
        level = _level_image(y, options.ratio ** (len(sizes) - 1 - index))
        if progress is not None:
            progress(index, len(sizes), level.shape, level_size)
        kernel = initial_kernel(level_size) if kernel is None else resample(kernel, level_size)
        count = options.finest_iterations if index == len(sizes) - 1 else options.iterations
        excluded = None
        if outliers is not None and np.any(outliers):
            excluded = cv2.resize(np.asarray(outliers, np.float32), (level.shape[1], level.shape[0]),
                                  interpolation=cv2.INTER_AREA) > 0
        kernel, lam, steps = _fit_level(level, kernel, lam, count, options, excluded)
        kernel = recentre_kernel(kernel)
        report.append(dict(shape=list(level.shape), kernel_size=list(level_size), steps=steps))
    kernel = clean_kernel(kernel, options.tap_floor, 0.0)
    return kernel.astype(np.float32), dict(levels=report)


def _fit_level(level: np.ndarray, kernel: np.ndarray, lam: float, iterations: int,
               options: KernelEstimationOptions, excluded: np.ndarray | None = None):
    pad = max(kernel.shape)
    h, w = level.shape
    reach = pad // 2 + 1
    mask = np.zeros((h + 2 * pad, w + 2 * pad))
    mask[pad + reach:pad + h - reach, pad + reach:pad + w - reach] = 1.0
    if excluded is not None:  # a kernel's reach around each outlier: its blur streak and the edges near it
        grown = within_reach(excluded, (2 * reach + 1, 2 * reach + 1))
        kept = mask[pad:pad + h, pad:pad + w] * (1.0 - grown)
        # On a coarse level of a photo with bright areas the reach can cover the whole image: then the
        # outliers are ignored at that level rather than leaving no equation (the estimate would vanish).
        if kept.sum() >= MIN_KEPT_SHARE * mask.sum():
            mask[pad:pad + h, pad:pad + w] = kept
    edges = max(options.edges_per_tap * max(kernel.shape), 10)
    threshold = None
    for step in range(1, iterations + 1):
        previous = kernel
        extended, _ = edge_taper(level[None, :, :, None], kernel.astype(np.float32), pad)
        extended = extended.numpy()[0, :, :, 0].astype(np.float64)
        latent = l0_latent(extended, kernel, lam)
        threshold = None if threshold is None else threshold / options.threshold_decay
        gx, gy, threshold = select_edges(latent, edges, mask, threshold)
        kernel = kernel_least_squares((gx, gy), periodic.differences(extended), kernel.shape, options.weight,
                                      kernel, options.cg_steps)
        kernel = clean_kernel(kernel, options.tap_floor, options.component_mass)
        lam = max(lam / options.lam_decay, options.lam_min)
        if options.converged > 0 and step >= 2 and np.abs(kernel - previous).sum() < options.converged:
            break
    return kernel, lam, step
