"""Non-blind deconvolution by ADMM with a sparse gradient prior; x-update by iterative residual compensation.

Solves (Eboli et al. 2018, Eq. 1)

    min_x 1/2 ||k * x - y||^2 + lam * sum_i ||g_i * x||_l,   g_1, g_2 = horizontal/vertical differences,

with ADMM on the splitting z_i = g_i * x (Eq. 2-4, 15): z-update by soft (l = 1) or hard (l = 0)
thresholding, x-update = the least-squares problem of Eq. 5,

    min_x (1/rho) ||k * x - y||^2 + sum_i ||g_i * x + beta_i - z_i||^2,

and the dual update beta_i += g_i * x - z_i. The x-update is solved by one of:

- "irc": iterative residual compensation (Alg. 2.1), x <- x + tau * sum_i d_i * (z_i - k_i * x), with the
  finite-support least-squares inverse filters d_i of Eq. 13-14 (`tfdeblur.solvers.least_squares_filters`);
- "cg": conjugate gradients on the same objective (the accurate, slow reference);
- "fft": the closed form of the periodic model in the Fourier domain (fast, but a photo is not periodic).

Boundaries. A photo is the 'valid' part of the blur of a larger scene, so by default ("valid") the unknown
x lives on the photo's grid extended by the kernel's size, the data term compares only the photo's pixels
(`Blur(k, mode="valid")`), and the output is the centre crop: nothing is assumed about the unseen border,
which is what lets "irc" and "cg" restore the edges without ringing. "fft" cannot use that model; with
boundary="taper" the photo is mirror-extended and edge-tapered first (like `tfdeblur.solvers.wiener`),
with boundary="circular" it is taken as periodic (the paper's "FFT nopad").
"""

from __future__ import annotations

import math
import time

import numpy as np
import tensorflow as tf

from tfdeblur.errors import InputError
from tfdeblur.physics.blur import Blur, convolve, convolve_adjoint, same_pads
from tfdeblur.physics.boundaries import edge_taper
from tfdeblur.physics.degradations import estimate_noise_sigma
from tfdeblur.physics.fourier import image_from_spectrum, image_spectrum, otf
from tfdeblur.solvers.conjugate_gradient import conjugate_gradient
from tfdeblur.solvers.least_squares_filters import irc_step_size, least_squares_inverse_filters
from tfdeblur.solvers.priors import PRIORS, check_exponent, derivative_filters, shrink
from tfdeblur.solvers.tikhonov import FourierTikhonov

X_UPDATES = ("irc", "cg", "fft")
STARTS = ("blurry", "wiener")
BOUNDARIES = ("valid", "taper", "circular")
# lam = LAM_PER_VARIANCE[prior] * sigma^2, floored at MIN_LAM; rho = RHO_PER_LAM * lam. l1: chosen on BSDS500
# *train* photos (3 photos x Levin kernels 1, 4, 7, sigma 0.01, 10 iterations: lam 1e-3 beat 3e-4 and 3e-3;
# rho/lam = 30 best for IRC). hl (|v|^0.8 weighs small gradients more): the best of 3e-5 ... 3e-3 on 2 train
# photos x kernels 1, 4, 7 was 3 sigma^2 at sigma 0.01 and 0.02 in all 12 cases, and the floor 1e-4 at sigma
# 0.003 (6/6) and on Levin's real captures (sigma ~0.0017; optimum 7e-5 to 1.4e-4 per kernel, within 0.05 dB
# of a fixed 1e-4). Too small a weight costs far more than too large (-6 dB vs -1 dB at sigma 0.02).
LAM_PER_VARIANCE = {"l1": 10.0, "l0": 10.0, "hl": 3.0}
MIN_LAM = 1e-4
RHO_PER_LAM = 30.0
# The defaults of `irc` and `--method ircnet --kernel`, chosen on Levin's eight real captures of im1 with
# their true kernels (published protocol; the README has the sweep): a hyper-Laplacian prior on first and
# second differences (Levin et al.'s sparse deconvolution prior) beat l1 on first differences by 0.3-0.4 dB,
# and the sparse ADMM keeps gaining with IRC steps: from the blurry image, 40 iterations x 2 steps 34.74 dB,
# 30 x 8 34.94, 80 x 3 34.96 (exact CG x-updates: 34.35, the inexact IRC steps help); started from the
# Wiener deconvolution, 40 x 2 34.84, 20 x 10 35.02, 20 x 12 35.05 dB in 0.74x the time of 40 x 2 (the
# README's ircnet section has the sweep, measured in one run).
DEFAULT_PRIOR = "hl"
DEFAULT_DERIVATIVES = "second"
DEFAULT_ITERATIONS = 20
DEFAULT_INNER = 12
DEFAULT_START = "wiener"


def default_lam(noise_sigma: float, prior: str = "hl") -> float:
    """The prior weight used when none is given, from the noise standard deviation."""
    return max(LAM_PER_VARIANCE[prior] * float(noise_sigma) ** 2, MIN_LAM)


class _Problem:
    """The x-update's operators on the solution grid for one kernel."""

    def __init__(self, y, kernel, rho: float, boundary: str, derivatives: str = "first", start=None):
        self.kernel = tf.constant(kernel, tf.float32)
        self.rho = rho
        self.boundary = boundary
        self.prior_filters, self.prior_weights = derivative_filters(derivatives)
        self.priors = [np.asarray(g, np.float32) for g in self.prior_filters]  # numpy: static taps
        kh, kw = kernel.shape
        h, w = int(y.shape[1]), int(y.shape[2])
        if boundary == "valid":
            self.pads = same_pads(kh, kw)
            self.y = y
            x0 = y if start is None else start
            self.x0 = tf.pad(x0, [[0, 0], list(self.pads[0]), list(self.pads[1]), [0, 0]], mode="SYMMETRIC")
            self.crop = (self.pads[0][0], self.pads[1][0], h, w)
        elif boundary == "taper":
            self.y, (pad_h, pad_w) = edge_taper(y, kernel, max(kh, kw))
            self.x0 = self.y
            self.crop = (pad_h, pad_w, h, w)
        else:
            self.y = self.x0 = y
            self.crop = (0, 0, h, w)
        self.grid = (int(self.x0.shape[1]), int(self.x0.shape[2]))
        # The data term's operator on the solution grid: 'valid' (the photo's pixels only) or periodic.
        self.physics = Blur(self.kernel, mode="valid" if boundary == "valid" else "circular")

    def blur(self, x):
        return self.physics(x)

    def blur_adjoint(self, r):
        return self.physics.adjoint(r)

    def place(self, r):
        """Zero-extend a data residual onto the solution grid (where d_0 acts on it)."""
        if self.boundary != "valid":
            return r
        return tf.pad(r, [[0, 0], list(self.pads[0]), list(self.pads[1]), [0, 0]])

    def prior(self, x):
        return [convolve(x, g, mode="circular") for g in self.priors]

    def prior_adjoint(self, vs):
        return tf.add_n([convolve_adjoint(v, g, mode="circular") for v, g in zip(vs, self.priors)])

    def normal(self, x):
        return self.blur_adjoint(self.blur(x)) / self.rho + self.prior_adjoint(self.prior(x))

    def output(self, x):
        top, left, h, w = self.crop
        return x[:, top : top + h, left : left + w, :]


# Candidate supports for filter_size="auto": a fixed 31x31 support cannot invert strong blur at a small rho
# (Levin's 27 px kernel 4 at rho 3e-3: contraction 1.000, IRC stands still), larger ones can.
AUTO_FILTER_SIZES = (31, 47, 63, 95, 127)


def _inverse_filters(system, filter_size, grid):
    """(filters, tau, contraction) at `filter_size`, or for "auto" the candidate size (up to the solution
    grid) with the smallest contraction factor."""
    smallest = AUTO_FILTER_SIZES[0] if filter_size == "auto" else int(filter_size)
    if smallest > min(grid):
        raise InputError(f"the solution grid ({grid[0]}x{grid[1]}: the image extended by the kernel) is smaller "
                         f"than the {smallest}x{smallest} IRC inverse filters: use a larger image, a smaller "
                         "filter_size, or filter_size='grid'")
    if filter_size != "auto":
        filters = least_squares_inverse_filters(system, int(filter_size))
        return (filters, *irc_step_size(system, filters))
    largest = max(max(np.shape(k)) for k in system)
    sizes = [s for s in AUTO_FILTER_SIZES if s >= 2 * largest - 1 and s <= min(grid)] or [AUTO_FILTER_SIZES[0]]
    best = None
    for size in sizes:
        filters = least_squares_inverse_filters(system, size)
        tau, radius = irc_step_size(system, filters)
        if best is None or radius < best[2] - 1e-3:
            best = (filters, tau, radius)
        if radius < 0.3:  # good enough: larger supports cost setup time for little gain
            break
    return best


class _IRCUpdate:
    """Alg. 2.1 with the inverse filters' spectra on the solution grid (one inverse FFT per step)."""

    def __init__(self, problem: _Problem, kernel: np.ndarray, filter_size, steps: int):
        self.problem = problem
        self.steps = steps
        system = [kernel / math.sqrt(problem.rho)] + problem.prior_filters
        if filter_size == "grid":
            # Eq. 14 solved on the solution grid itself and never cropped: the filters are applied in the
            # Fourier domain anyway, so a full support costs nothing per step.
            spectra = [otf(np.asarray(k, np.float32), problem.grid) for k in system]
            energy = tf.add_n([tf.abs(k) ** 2 for k in spectra])
            self.tau, self.radius, self.filter_size = 1.0, 0.0, "grid"
            self.spectra = [tf.math.conj(k) / tf.cast(energy, tf.complex64) for k in spectra]
            self.spectra[0] = self.spectra[0] / math.sqrt(problem.rho)
            return
        filters, self.tau, self.radius = _inverse_filters(system, filter_size, problem.grid)
        self.filter_size = int(filters.shape[-1])
        filters = filters * self.tau
        filters[0] /= math.sqrt(problem.rho)  # d_0 acts on y - k * x rather than (y - k * x) / sqrt(rho)
        self.spectra = [otf(f, problem.grid) for f in filters.astype(np.float32)]

    def _prior_gain(self):
        """sum_i D_i G_i over the prior filters: their residuals' part of the correction is then
        sum_i D_i T_i - (sum_i D_i G_i) X, so each step needs one FFT of x instead of one per filter."""
        grid = self.problem.grid
        return tf.add_n([s * otf(g, grid) for s, g in zip(self.spectra[1:], self.problem.priors)])

    def __call__(self, x, targets):
        p = self.problem
        if not hasattr(self, "gain"):
            self.gain = self._prior_gain()
        fixed = tf.add_n([s * image_spectrum(t) for s, t in zip(self.spectra[1:], targets)])
        for _ in range(self.steps):
            correction = (fixed - self.gain * image_spectrum(x)
                          + self.spectra[0] * image_spectrum(p.place(p.y - p.blur(x))))
            x = x + image_from_spectrum(correction, p.grid)
        return x


class _CGUpdate:
    def __init__(self, problem: _Problem, steps: int, tol: float = 1e-6):
        self.problem = problem
        self.steps = steps
        self.tol = tol

    def __call__(self, x, targets):
        p = self.problem
        rhs = p.blur_adjoint(p.y) / p.rho + p.prior_adjoint(targets)
        return conjugate_gradient(p.normal, rhs, x, self.steps, self.tol)


class _FFTUpdate:
    """The periodic model's x-update in closed form: min ||k * x - y||^2 + rho sum_i ||g_i * x - t_i||^2."""

    def __init__(self, problem: _Problem):
        self.problem = problem
        self.solve = FourierTikhonov(problem.kernel, problem.grid, problem.rho, problem.priors)
        self.y_spectrum = image_spectrum(problem.y)

    def __call__(self, x, targets):
        return self.solve(None, targets, y_spectrum=self.y_spectrum)


def _wiener_start(y: tf.Tensor, kernel: np.ndarray) -> tf.Tensor:
    """The Wiener deconvolution (default weight, tapered boundaries) of every plane of an NHWC batch."""
    from tfdeblur.solvers.wiener import wiener

    planes = np.moveaxis(y.numpy(), -1, 1).reshape(-1, *y.shape[1:3])
    out = np.stack([wiener(p, kernel) for p in planes]).reshape(y.shape[0], y.shape[3], *y.shape[1:3])
    return tf.constant(np.clip(np.moveaxis(out, 1, -1), 0.0, 1.0), tf.float32)


def admm_deconvolve(
    blurry,
    kernel,
    lam: float,
    rho: float | None = None,
    iterations: int = 10,
    x_update: str = "irc",
    inner: int = 2,
    prior: str = "l1",
    boundary: str | None = None,
    filter_size: int | str = "grid",
    cg_steps: int = 30,
    return_info: bool = False,
    exponent: float = 0.8,
    derivatives: str = "first",
    rho_growth: float = 1.0,
    eager: bool = False,
    start: str = "blurry",
):
    """ADMM deconvolution of an NHWC batch with one known kernel.

    Args:
        blurry: NHWC float32 batch (one kernel for every image and channel).
        kernel: 2-D blur kernel (numpy, sums to 1), or a `physics.Blur` with one 2-D kernel (its mode,
            "valid" or "circular", is the default `boundary`).
        lam: prior weight.
        rho: ADMM penalty; default RHO_PER_LAM * lam.
        iterations: ADMM iterations.
        x_update: "irc", "cg" or "fft" (see the module docstring).
        inner: IRC steps per x-update (T of Alg. 2.1).
        prior: "l1" (soft thresholding), "l0" (hard thresholding) or "hl" (hyper-Laplacian |v|^exponent);
            see `tfdeblur.solvers.priors`.
        boundary: "valid" (default for irc/cg), "taper" (default for fft) or "circular".
        filter_size: "grid" (default): the inverse filters solved on the solution grid, never cropped
            (they act in the Fourier domain, so support costs nothing; compiled path); an odd int: the
            paper's cropped finite support (31 in its experiments); "auto": the size (31 to 127, at least
            twice the kernel) with the smallest IRC contraction factor.
        cg_steps: most CG iterations per x-update.
        exponent: p of the hyper-Laplacian prior.
        derivatives: "first" (horizontal/vertical differences) or "second" (also d_xx, d_yy, d_xy at 0.25).
        rho_growth: continuation: rho is multiplied by this after every iteration (the scaled duals
            follow), as half-quadratic splitting does for non-convex priors; 1 keeps rho fixed.
        start: the x iterate's start on the photo's pixels ("valid" boundary): "blurry" (the paper) or
            "wiener" (the Wiener deconvolution, clipped to [0, 1]: the sparse ADMM then needs far fewer
            iterations; see `irc`).
        eager: run the step-by-step Python loop even where the compiled graph (`irc_graph`, for
            x_update="irc", boundary="valid", filter_size="grid") applies; for tests and debugging.
        return_info: also return a dict: rho, lam, setup_seconds (building the x-update: the IRC inverse
            filters, the FFT spectra) and for IRC its step size tau and contraction factor.

    Returns:
        NHWC tensor with the input's size (not clipped), and the info dict if asked.
    """
    if x_update not in X_UPDATES:
        raise ValueError(f"unknown x_update {x_update!r}; expected one of {X_UPDATES}")
    if prior not in PRIORS:
        raise ValueError(f"unknown prior {prior!r}; expected one of {PRIORS}")
    if prior == "hl":
        check_exponent(exponent)
    if isinstance(kernel, Blur):  # the operator: its kernel, and its boundary model unless one is given
        if kernel.mode == "same":
            raise ValueError("admm_deconvolve takes a Blur with mode 'valid' or 'circular', not 'same'")
        boundary, kernel = boundary or kernel.mode, kernel.kernel
    boundary = boundary or ("taper" if x_update == "fft" else "valid")
    if boundary not in BOUNDARIES or (x_update == "fft" and boundary == "valid"):
        raise ValueError(f"boundary {boundary!r} does not go with x_update {x_update!r}")
    if start not in STARTS or (start != "blurry" and boundary != "valid"):
        raise ValueError(f"start {start!r} needs one of {STARTS} and (unless 'blurry') the 'valid' boundary")
    rho = float(rho) if rho is not None else RHO_PER_LAM * lam
    kernel = np.asarray(kernel, np.float32)
    y = tf.convert_to_tensor(blurry, tf.float32)
    x_start = None if start == "blurry" else _wiener_start(y, kernel)
    start = time.perf_counter()
    if x_update == "irc" and boundary == "valid" and filter_size == "grid" and not eager:
        from tfdeblur.solvers.irc_graph import admm_irc_graph

        out = admm_irc_graph(y, kernel, lam, rho, iterations, inner, prior, exponent, derivatives, rho_growth,
                             start=x_start)
        info = {"rho": rho, "lam": lam, "setup_seconds": 0.0, "tau": 1.0, "contraction": 0.0,
                "filter_size": "grid"}
        return (out, info) if return_info else out
    problem = _Problem(y, kernel, rho, boundary, derivatives, start=x_start)

    def make_update():
        if x_update == "irc":
            return _IRCUpdate(problem, kernel, filter_size, inner)
        return _CGUpdate(problem, cg_steps) if x_update == "cg" else _FFTUpdate(problem)

    update = make_update()
    setup_seconds = time.perf_counter() - start
    x = problem.x0
    betas = [tf.zeros_like(x) for _ in problem.priors]
    responses = problem.prior(x)
    for iteration in range(iterations):
        if iteration and rho_growth != 1.0:
            problem.rho *= rho_growth
            betas = [b / rho_growth for b in betas]  # scaled duals are (dual variable) / rho
            update = make_update()
        thresholds = [lam * w / problem.rho for w in problem.prior_weights]
        zs = [shrink(g + b, t, prior, exponent) for g, b, t in zip(responses, betas, thresholds)]
        x = update(x, [z - b for z, b in zip(zs, betas)])
        responses = problem.prior(x)  # for this dual update and the next z-update
        betas = [b + g - z for b, g, z in zip(betas, responses, zs)]
    out = problem.output(x)
    if return_info:
        info = {"rho": rho, "lam": lam, "setup_seconds": setup_seconds}
        if x_update == "irc":
            info.update(tau=update.tau, contraction=update.radius, filter_size=update.filter_size)
        return out, info
    return out


def irc(
    blurry,
    kernel,
    lam: float | None = None,
    noise_sigma: float | None = None,
    iterations: int | None = None,
    inner: int = DEFAULT_INNER,
    prior: str = DEFAULT_PRIOR,
    **kwargs,
) -> np.ndarray:
    """Deblur one image (numpy HxW / HxWxC in [0, 1]) with a known kernel: ADMM + IRC, valid boundaries.

    Args:
        blurry: the blurry image.
        kernel: its blur kernel (2-D, sums to 1).
        lam: prior weight; default from the noise level (`default_lam`).
        noise_sigma: noise std for the default `lam`; default estimated from the image.
        iterations: ADMM iterations (default DEFAULT_ITERATIONS).
        inner: IRC steps per x-update (default DEFAULT_INNER).
        prior: "hl" (hyper-Laplacian |v|^0.8, default), "l1" or "l0".
        **kwargs: more `admm_deconvolve` arguments (rho, x_update, boundary, filter_size, derivatives,
            exponent, rho_growth, cg_steps, start); defaults: second-order derivatives, grid-size inverse
            filters, started from the Wiener deconvolution.

    Returns:
        float32 image with the input's shape, clipped to [0, 1].

    Example:
    >>> import numpy as np
    >>> from tfdeblur.physics import blur, motion_kernel
    >>> x = np.random.default_rng(0).random((48, 48)).astype("float32")
    >>> k = motion_kernel(7, 20)
    >>> irc(blur(x, k, mode="valid"), k, lam=1e-4).shape
    (42, 42)

    Reference:
        T. Eboli, J. Sun, J. Ponce, "Neural Embedding of an Iterative Deconvolution Algorithm for Motion
        Blur Estimation and Removal", 2018 (hal-01857177), Sec. 2.1.
    """
    array = np.asarray(blurry, np.float32)
    if lam is None:
        lam = default_lam(estimate_noise_sigma(array) if noise_sigma is None else noise_sigma, prior)
    # Channels are independent problems with the same kernel: put them in the batch.
    planes = array[None, ..., None] if array.ndim == 2 else np.moveaxis(array, -1, 0)[..., None]
    kwargs.setdefault("derivatives", DEFAULT_DERIVATIVES)
    kwargs.setdefault("filter_size", "grid")
    if kwargs.get("boundary", "valid") == "valid":
        kwargs.setdefault("start", DEFAULT_START)
    out = admm_deconvolve(
        planes, kernel, lam, iterations=iterations or DEFAULT_ITERATIONS, inner=inner, prior=prior, **kwargs
    ).numpy()
    out = out[0, ..., 0] if array.ndim == 2 else np.moveaxis(out[..., 0], 0, -1)
    return np.clip(out, 0.0, 1.0)

