"""Motion-Net's field, made smooth and corrected by a classical estimate of the photo's dominant motion.

Motion-Net trained on a CPU finds the direction of the blur well (a few degrees on BSDS500 validation
photos) but its lengths are off by several pixels, which is enough to make the deconvolution worse than
the blurry input. Two steps fix most of that before IRC-Net runs:

1. smoothing: the field of a camera's motion varies slowly, so the per-pixel vectors (in Motion-Net's
   doubled-angle form, where averaging is well defined) are blurred with a gaussian a fraction of the
   photo's size wide (`field_smoothing`, the same function `BlindIRCNet` runs in an exported model).
   That removes Motion-Net's pixel noise and lets the NU-Conv layers touch a few bank
   entries instead of most of them (the cost of IRC-Net grows with the entries a field touches);
2. correction: the dominant linear motion is measured from the photo itself, near Motion-Net's median
   direction (`tfdeblur.solvers.motion_estimation`), and the whole field is rotated and scaled (one complex
   factor on the doubled-angle vectors) so its median matches it. A uniform blur becomes the measured
   motion; a varying one keeps Motion-Net's shape of the variation at the measured scale.

A photo whose median Motion-Net motion is under `MIN_GUESS` px is taken as sharp (a zero field: IRC-Net
then only denoises); its direction cannot be told, and a nearly sharp photo shows spurious dips at short
lags. Otherwise the measurement is trusted only where it is safe (the smoothed field is used as is
otherwise): the dip is at least `MIN_DEPTH` deep, its direction is inside the searched range (one at the
range's end was not bracketed: on a validation crop such a 'motion' 12 deg off and 1.5x too long cost
6.5 dB), and the measured length is at most `MAX_RATIO` times Motion-Net's
(deconvolving with a motion that is too long rings badly, one too short only deblurs less, so of two
estimates that disagree the shorter is kept). Measured on BSDS500 validation photos.
"""

from __future__ import annotations

import numpy as np

from tfdeblur.models.ircnet.field_smoothing import smooth_vectors
from tfdeblur.solvers.motion_estimation import LinearMotion, estimate_linear_motion

# Gaussian width of the field smoothing, as a fraction of the photo's shorter side.
SMOOTHING = 0.3
# The measurement runs on the central region of at most this side (enough lines for the autocorrelation).
REGION = 1024
# When the measurement is trusted (see the module docstring).
MIN_GUESS = 4.0
MIN_DEPTH = 0.04
MAX_RATIO = 2.0
SHORTEST = 5.0  # the shortest motion measured


def _as_complex(vectors: np.ndarray) -> np.ndarray:
    return vectors[..., 0] + 1j * vectors[..., 1]


def _as_vectors(z: np.ndarray) -> np.ndarray:
    return np.stack([z.real, z.imag], axis=-1).astype(np.float32)


def to_motion(vector, max_length: float) -> tuple[float, float]:
    """One doubled-angle vector (Motion-Net's form) -> (length, angle in [0, 180))."""
    z = complex(vector[0], vector[1])
    return abs(z) * max_length, float(np.degrees(np.angle(z)) / 2.0 % 180.0)


def central_region(image: np.ndarray, side: int = REGION) -> np.ndarray:
    h, w = image.shape[:2]
    top, left = max(0, (h - side) // 2), max(0, (w - side) // 2)
    return image[top:top + side, left:left + side]


def refine_field(vectors: np.ndarray, gray: np.ndarray, max_length: float, refine: bool = True,
                 smoothing: float = SMOOTHING) -> tuple[np.ndarray, LinearMotion | None]:
    """(refined (H, W, 2) doubled-angle field, the measured motion or None).

    Args:
        vectors: Motion-Net's output for the photo, (H, W, 2) = (l cos 2a, l sin 2a) / max_length.
        gray: the blurry photo, HxW in [0, 1].
        max_length: Motion-Net's max_length (the vectors' scale), also the longest motion measured.
        refine: measure the dominant motion and correct the field; False only smooths.
        smoothing: gaussian width as a fraction of the shorter side (0: no smoothing).
    """
    field = smooth_vectors(vectors[None], smoothing).numpy()[0]
    if not refine:
        return field, None
    median = np.median(vectors.reshape(-1, 2), axis=0)
    guess_length, guess_angle = to_motion(median, max_length)
    if guess_length < MIN_GUESS:
        # Nearly sharp: a motion this short has no direction Motion-Net can tell, and deconvolving a
        # 2 px motion along the wrong one costs more than the blur, so the field is no motion at all.
        return np.zeros_like(field), None
    region = central_region(gray)
    longest = min(max_length, (min(region.shape) - 4) / 2 - 2)
    if longest <= SHORTEST:
        return field, None
    estimate = estimate_linear_motion(region, guess_angle, min_length=SHORTEST, max_length=longest)
    if (estimate is None or estimate.at_search_edge or estimate.depth > -MIN_DEPTH
            or estimate.length > MAX_RATIO * guess_length):
        return field, None
    target = estimate.length / max_length * np.exp(2j * np.radians(estimate.angle))
    field_median = complex(*np.median(field.reshape(-1, 2), axis=0))
    if abs(field_median) < 1e-6:
        return _as_vectors(np.full(gray.shape, target)), estimate
    return _as_vectors(_as_complex(field) * (target / field_median)), estimate
