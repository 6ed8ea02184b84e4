"""`BlindOptions`: the knobs of the blind pipeline (kernel estimation, then a non-blind finish)."""

from __future__ import annotations

import dataclasses

from tfdeblur.errors import InputError
from tfdeblur.solvers.kernel_estimation import KernelEstimationOptions

FINISHES = ("irc", "wiener")


@dataclasses.dataclass
class BlindOptions:
    """Knobs of `run_blind`; defaults chosen on Levin's captures of im1 and BSDS500 train/val photos.

    Args:
        estimation: `KernelEstimationOptions` of the L0 kernel estimator, or a dict of its fields.
        downscaled_estimation: fields of `estimation` replaced where a large kernel is estimated on the
            photo downscaled (`pipeline.MAX_ESTIMATION_KERNEL`): a larger first L0 weight and a finer pyramid.
            On 16 BSDS500 val photos with 51-79 px shakes (noise 0.01) the mean gain went +2.01 -> +2.44 dB,
            two losses (-1.80, -1.13 dB) refused and one refusal deblurred (+6.42); the kernel error at the
            estimation scale, with the true size, 0.67 -> 0.56. Levin's defaults stay for every other
            estimate: on Levin-like val captures (255 px, full resolution) the same values lost 0.2 dB.
        retry_estimation_kernels: when a kernel estimated on the downscaled photo is refused (`trust`), it
            is estimated again, in turn, at the scales where it spans at most each of these many pixels (finer
            than `pipeline.MAX_ESTIMATION_KERNEL`: more of the photo's edges), and the first estimate the check
            trusts is kept. One estimate of a large shake is one draw: of 12 BSDS500 val photos (of 32 with
            51-79 px shakes, noise 0.01) refused at 35 px, 6 were trusted at 49 px: +2.86 to +5.56 dB on 5,
            -1.67 on one; the mean of the 32 went +3.43 -> +4.08 dB. Empty: no retry.
        region: the smallest side of the window the kernel is estimated on (`region.select_region`).
        region_kernel_widths: the window is at least this many kernel widths a side (a large blur needs
            more context than a small one), up to `max_region`.
        max_region: the largest window side (bounds the estimation's time and memory).
        auto_fraction: with kernel size "auto", the support tried is this fraction of the photo's shorter
            side (large enough for Lai et al.'s 75 px shakes on a 1024x700 photo), between `auto_min` and
            `auto_max`, then trimmed to what the estimate holds.
        auto_second_pass: estimate again at the trimmed size plus `auto_margin` taps a side.
        refine_rounds: after the L0 estimate, rounds of (ADMM+IRC finish of the estimation window, least-squares
            kernel against it: `refinement`). On Levin's 8 captures of im1 (automatic size), 0 -> 2 rounds:
            33.35 -> 34.07 dB mean, the kernel error lower on all 8.
        refine_beta: the refinement's ridge weight, relative to the energy of the finish's gradients.
        refine_max_noise: refine only where the estimation window's estimated noise is at most this (Levin's
            captures: 0.0016-0.0019). Above it the refinement makes kernels worse: on Levin's im1 blurred by
            its 8 kernels with noise 0.003 (estimated 0.0034) two rounds gained +1.06 dB mean, with 0.005
            (estimated 0.0053) they lost 3.5 dB; on 8 BSDS500 val captures at noise 0.005-0.01, -0.23 dB.
        refine_margin: with kernel size "auto", the refinement may grow the support by this many taps a side
            per round before trimming.
        finish: "irc" (ADMM+IRC, `tfdeblur.solvers.irc`) or "wiener".
        lam: the finish's prior weight (None: `lam_factor` x the non-blind default for the noise level).
        lam_factor: an estimated kernel's errors act as extra noise, so the finish weighs its prior this many
            times the non-blind default: on Levin's captures (before the refinement) 1, 2, 3, 5 x scored 32.82 /
            33.04 / 32.91 / 32.50 dB.
        refined_lam_factor: the same for a kernel the refinement sharpened at full size (and for that
            refinement's own finish): its errors are smaller (Levin's captures: 0.52 -> 0.41). On Levin's im1,
            1.3 / 1.5 / 2 / 2.7 x score 34.21 / 34.24 / 34.07 / 33.87 dB; BSDS500 val captures at noise 0.002:
            docs/blind.md ("Finish weight"). Kernels refined at a downscaled scale (large shakes) keep
            `lam_factor`: 1.5 x for them lost on 3 of 4 BSDS500 test photos (+1.35 -> +0.93 dB).
        tile: the finish runs in overlapping tiles of this side when the image is larger.
        check: test the estimate before trusting it (`trust`): a kernel no larger than a few pixels means
            no blur was found, and a result whose gradients are less sparse than the input's means the
            estimate made it worse; either way the photo comes back unchanged, with the reason.
        sparsity_margin: the result must lower the gradients' l1/l2 (Krishnan et al. 2011) by this
            fraction of the input's to count as sharper.
        clipped: leave clipped pixels (lights, at or above 0.97 in any channel) out of the kernel's
            equations (a kernel's reach around them).
        clipped_finish: also count clipped pixels one-sided in the finish's data term
            (`solvers.masked_deconvolution`): on 3 BSDS500 val photos with lights, with the same
            estimates, +1.41 / -4.00 / +3.37 dB against +0.44 / -9.96 / +3.19 for the plain finish.
        clipped_gamma: with clipped lights, deconvolve the photo in linear light (pixel values to the power
            `clipped_gamma`, then back): a camera blurs light, which adds up in linear intensity, so there a
            blurred light is a copy of the kernel and its clipped core the saturation the one-sided data
            term models. Off (None) by default: a photo blurred after encoding (synthetic data, the package's
            benches and training sets) loses by it, and clipped pixels alone do not tell the two apart (a
            blurred white window in display values clips like a light). On the clipped-lights bench
            (blurred in linear light), 4 BSDS500 val photos, 2.2 against None: with the true kernels +2.49 /
            +0.57 / +5.20 / +3.77 dB against +2.05 / +0.30 / +3.87 / +2.90; with the estimated kernels +1.91
            / -2.02 / +2.92 against +1.41 / -1.46 / +2.39 (the fourth was refused).
        nonuniform: "auto" (a kernel per region where the regions' kernels disagree: `nonuniform`), "off"
            (one kernel) or "on" (a kernel per region whenever the photo holds two regions).
        cell: the side of a region (`nonuniform.grid_shape`), at least `cell_kernel_widths` kernels wide.
        cell_support_growth: a region's kernel support over the photo's kernel's (rotation widens the blur
            away from the centre).
        cell_levels: pyramid levels of a region's refinement, started from the photo's kernel.
        cell_margin: a region keeps its own kernel where it deblurs the region's window sharper (gradient
            sparsity) than the photo's kernel by this fraction; otherwise the photo's kernel.
        nonuniform_from: with "auto", regions are used when two of their kernels differ by at least this
            much (l1 distance between kernels summing to 1, `nonuniform.disagreement`).
        max_rotation: the camera motion fitted to the regions' kernels rotates at most this many degrees
            (`camera_motion`).
        finish_cell: the non-uniform finish deconvolves regions of about this side, each by the kernel the
            camera motion gives at its centre.
        nonuniform_lam_factor: the non-uniform finish's prior weight over the uniform finish's.
        max_residual: the window deconvolved and blurred again must match the window within this many
            times its estimated noise (`trust.reblur_residual`). On runs of the hard-photo bench (large
            shake, clipped lights, Levin-like captures; 129 trusted estimates, mostly BSDS500 val), every
            estimate at 3.5 or above lost (-3.1 to -11.8 dB) and no gain was above 2.6; a 33 px motion
            on a tiled 384 px photo (the slow test of the automatic size) gains > 2 dB at 3.04.
        weak_sharpening, weak_residual: a result that lowers the gradient sparsity by less than
            `weak_sharpening` of the input's and leaves a reblur residual above `weak_residual` x the noise is
            refused: a sharp BSDS500 val photo got a 5x15 "kernel" that way (-1.1%, 2.6x; -17 dB against
            itself), while true blurs lowered it by 15-25% (Levin's im1, residual 1.8-2.4x) or, for 7-13 px
            shakes, by 1.8-25% at residuals of 0.86-1.34x (20 BSDS500 test photos at full size).
    """

    estimation: KernelEstimationOptions | dict | None = None
    downscaled_estimation: dict | None = dataclasses.field(default_factory=lambda: {"lam": 8e-3, "ratio": 0.8})
    retry_estimation_kernels: tuple[int, ...] = (49,)
    region: int = 256
    region_kernel_widths: float = 5.0
    max_region: int = 640
    auto_fraction: float = 1 / 6
    auto_min: int = 7
    auto_max: int = 127
    auto_second_pass: bool = True
    auto_margin: int = 2
    refine_rounds: int = 2
    refine_beta: float = 1e-3
    refine_max_noise: float = 0.0035
    refine_margin: int = 2
    finish: str = "irc"
    lam: float | None = None
    lam_factor: float = 2.0
    refined_lam_factor: float = 1.5
    tile: int = 512
    check: bool = True
    sparsity_margin: float = 0.0
    max_residual: float = 3.4
    weak_sharpening: float = 0.05
    weak_residual: float = 2.0
    clipped: bool = True
    clipped_finish: bool = True
    clipped_gamma: float | None = None
    nonuniform: str = "off"
    cell: int = 256
    cell_kernel_widths: float = 4.0
    cell_support_growth: float = 1.3
    cell_levels: int = 2
    cell_margin: float = 0.0
    nonuniform_from: float = 0.5
    max_rotation: float = 2.0
    finish_cell: int = 128
    nonuniform_lam_factor: float = 2.0

    @property
    def finishes_in_linear_light(self) -> bool:
        """Whether a photo with clipped lights is finished in linear light (`clipped_finish`, `clipped_gamma`)."""
        return self.clipped_finish and self.clipped_gamma is not None

    def __post_init__(self):
        if self.finish not in FINISHES:
            raise InputError(f"unknown finish '{self.finish}'; choose from {', '.join(FINISHES)}")
        if self.region < 32 or self.max_region < self.region or self.tile < 64:
            raise InputError("blind options: region >= 32, max_region >= region and tile >= 64 are needed")
        if self.refine_rounds < 0 or self.refine_beta <= 0 or self.refine_margin < 0 or self.refine_max_noise < 0:
            raise InputError("blind options: refine_rounds, refine_margin, refine_max_noise >= 0 and refine_beta > 0 "
                             "are needed")
        if min(self.lam_factor, self.refined_lam_factor) <= 0 or (self.lam is not None and self.lam <= 0):
            raise InputError("blind options: lam_factor, refined_lam_factor > 0 and lam > 0 are needed")
        if not 0 < self.auto_fraction <= 0.5 or not 3 <= self.auto_min <= self.auto_max:
            raise InputError("blind options: 0 < auto_fraction <= 0.5 and 3 <= auto_min <= auto_max are needed")
        if self.nonuniform not in ("auto", "on", "off"):
            raise InputError(f"blind option nonuniform must be auto, on or off, got '{self.nonuniform}'")
        if self.clipped_gamma is not None and not 1.0 <= self.clipped_gamma <= 3.0:
            raise InputError(f"blind option clipped_gamma must be in [1, 3] or None, got {self.clipped_gamma}")
        if self.cell < 64 or self.cell_levels < 1 or self.cell_support_growth < 1.0:
            raise InputError("blind options: cell >= 64, cell_levels >= 1 and cell_support_growth >= 1 are needed")
        self.retry_estimation_kernels = tuple(self.retry_estimation_kernels or ())
        if not all(isinstance(k, int) and not isinstance(k, bool) and k >= 7 for k in self.retry_estimation_kernels):
            raise InputError("blind option retry_estimation_kernels must be whole numbers >= 7, got "
                             f"{list(self.retry_estimation_kernels)}")
        if not isinstance(self.estimation, KernelEstimationOptions):
            self.estimation = KernelEstimationOptions(**dict(self.estimation or {}))
        self.downscaled_estimation = dict(self.downscaled_estimation or {})
        try:  # checks the fields and their values now, not at the first large blur
            self.estimation_downscaled  # noqa: B018
        except TypeError as error:
            raise InputError(f"blind option downscaled_estimation: {error}") from None

    @property
    def estimation_downscaled(self) -> KernelEstimationOptions:
        """`estimation` with `downscaled_estimation`'s fields: the estimator's options for a large kernel
        estimated on the downscaled photo."""
        return dataclasses.replace(self.estimation, **self.downscaled_estimation)
