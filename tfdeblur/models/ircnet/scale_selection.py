"""The length scale of a motion field the photo could not confirm, chosen by the discrepancy principle.

`field_refinement` corrects Motion-Net's field by the photo's measured dominant motion, but on a photo whose
blur varies (or whose autocorrelation shows a shoulder instead of a dip) the measurement is not trusted and
Motion-Net's own lengths are used, which are often too short. Which scale of the field is right can be
told from the photo itself: deconvolve with the field scaled by s, blur the result again with the same
scaled field (`tfdeblur.physics.nonuniform_blur`) and compare with the photo. With a field that is too
short, IRC-Net deblurs too little and the reblurred result still matches the photo to within its noise
(the residual is even below it: the estimate keeps some of the noise). With one that is too long, IRC-Net
invents detail the photo does not have, and the residual rises above the noise. Morozov's discrepancy
principle takes the longest field whose mean squared residual is <= sigma^2, with sigma estimated from
the photo (`estimate_noise_sigma`). But on some photos IRC-Net cannot reach the noise even with the right
field (texture it smooths away, the bank's approximation of the motion: 1.1-1.2 sigma^2 on the bundled
photo), so the bar is raised to `FLOOR_TOLERANCE` times the smallest residual of any scale tried (IRC-Net's
floor on this photo) when that is higher. When no scale passes the field is kept.

Measured on non-uniform crops (`tools/bench_irc.py`'s generator, IRC-Net at 0.7-1.6x the untrusted
field; numbers in the README): the rule picks 1.4-1.6x where Motion-Net is short and 1.0 where the field is
right.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from tfdeblur.models.ircnet.field_refinement import central_region
from tfdeblur.physics.degradations import estimate_noise_sigma
from tfdeblur.physics.nonuniform import DEFAULT_TEMPERATURE, MotionBank, nonuniform_blur

# Scales of the field's lengths that are tried (all of them; the longest that passes is taken).
# Not 0.7: on one uniform test photo the residual dipped under the noise there alone (non-monotone),
# where the unscaled field was 3.6 dB better; no crop of the non-uniform sets needed it.
SCALES = (1.6, 1.4, 1.25, 1.12, 1.0, 0.9, 0.8)
# A scale passes when its residual is within TOLERANCE x the noise variance, or within FLOOR_TOLERANCE x
# the smallest residual of all scales (IRC-Net's floor on this photo), whichever is higher. Not the shortest
# scale's residual: on BSDS500 train crops with motions over 20 px it was up to 3 sigma^2 where 1.0x left
# 1.3 sigma^2, and a floor taken there let too-long fields pass (the minimum: +0.14 dB per untrusted crop).
TOLERANCE = 1.0
FLOOR_TOLERANCE = 1.3
# The choice is made on the central region of at most this side (the scale is one number for the photo).
REGION = 256


def scaled_motion(motion: np.ndarray, scale: float, max_length: float) -> np.ndarray:
    """(H, W, 2) (length, angle) with every length times `scale`, kept in the bank's [1, max_length]."""
    out = np.array(motion, np.float32, copy=True)
    out[..., 0] = np.clip(out[..., 0] * scale, 1.0, max_length)
    return out


def reblur_residual(
    estimate: np.ndarray,
    blurry: np.ndarray,
    motion: np.ndarray,
    bank: MotionBank,
    temperature: float = DEFAULT_TEMPERATURE,
) -> float:
    """Mean squared difference between `blurry` and `estimate` blurred by `motion`, away from the border.

    The border (half the bank's kernel size) is left out: the reblur there sees padding, not the scene.
    `temperature` is the bank interpolation's, which should be the deconvolving model's (`IRCNet.temperature`).
    """
    reblurred = nonuniform_blur(
        estimate.astype(np.float32), motion[..., 0], motion[..., 1], bank, temperature=temperature, mode="same"
    )
    m = bank.size // 2
    inner = (reblurred - blurry)[m:-m, m:-m] if min(blurry.shape) > 2 * m + 8 else reblurred - blurry
    return float(np.mean(np.square(inner)))


def select_scale(
    deconvolve: Callable[[np.ndarray, np.ndarray], np.ndarray],
    blurry: np.ndarray,
    motion: np.ndarray,
    bank: MotionBank,
    scales=SCALES,
    tolerance: float = TOLERANCE,
    floor_tolerance: float = FLOOR_TOLERANCE,
    noise_sigma: float | None = None,
    temperature: float = DEFAULT_TEMPERATURE,
) -> tuple[float, dict]:
    """(chosen scale, {"noise_sigma", "threshold", "residuals": {scale: mean squared residual}}).

    Args:
        deconvolve: (HxW blurry, (H, W, 2) motion) -> HxW estimate, e.g. IRC-Net.
        blurry: the gray photo, HxW in [0, 1] (only its central `REGION` is used).
        motion: the field IRC-Net would use, (H, W, 2) (length, angle).
        bank: the motion bank (its max_length bounds the scaled lengths; its size is the border left out).
        scales: the candidate scales (IRC-Net runs once for each).
        tolerance: a scale passes when its residual is <= tolerance * noise_sigma^2 ...
        floor_tolerance: ... or <= floor_tolerance * the smallest residual of all scales (0: noise only).
        noise_sigma: the photo's noise std; estimated from the region when None.
        temperature: the bank interpolation's temperature for the reblur (the model's, so the reblur uses the
            same blur the model inverted).
    """
    region = np.asarray(central_region(blurry, REGION), np.float32)
    field = central_region(motion, REGION)
    sigma = estimate_noise_sigma(region) if noise_sigma is None else float(noise_sigma)
    residuals = {}
    for scale in sorted((float(s) for s in scales), reverse=True):
        candidate = scaled_motion(field, scale, bank.max_length)
        residuals[scale] = reblur_residual(deconvolve(region, candidate), region, candidate, bank, temperature)
    threshold = max(tolerance * sigma ** 2, floor_tolerance * min(residuals.values()))
    chosen = next((scale for scale, value in residuals.items() if value <= threshold), 1.0)
    return chosen, {"noise_sigma": sigma, "threshold": threshold, "residuals": residuals}
