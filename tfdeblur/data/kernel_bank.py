"""A bank of pre-generated blur kernels that tf.data pipelines sample from in pure TF ops.

Generating camera-shake kernels is numpy work; doing it per example inside `tf.data` would hold the GIL and
starve the pipeline. Instead a few thousand kernels are made once (seeded), padded to one odd size and
indexed with `tf.gather`.
"""

from __future__ import annotations

import numpy as np

from tfdeblur import physics
from tfdeblur.errors import InputError


def make_kernel(kind: str, size: int, rng: np.random.Generator, motion_length=(3.0, 25.0)) -> np.ndarray:
    """One kernel of a kind: "trajectory", "motion" (random length and angle) or a fixed spec/file."""
    if kind == "trajectory":
        return physics.trajectory_kernel(size, seed=int(rng.integers(2**31)))
    if kind == "motion":
        length = min(rng.uniform(*motion_length), size - 2)
        return physics.motion_kernel(length, rng.uniform(0.0, 180.0))
    return physics.kernel_from_spec(kind)


def random_kernel_range(spec: str) -> tuple[str, float, float] | None:
    """`trajectory:LO-HI` / `motion:LO-HI` -> (kind, LO, HI): a different random kernel per image whose extent
    (trajectory: the camera path's largest extent; motion: the length) is uniform in [LO, HI] pixels.
    Anything else -> None (a fixed spec or a file)."""
    kind, _, values = spec.partition(":")
    # A dash without a comma is a range (the fixed specs are comma-separated: motion:LEN,ANGLE).
    if kind not in ("trajectory", "motion") or "-" not in values or "," in values:
        return None
    try:
        low, high = (float(v) for v in values.split("-"))  # 7-13-20 unpacks three: refused here too
    except ValueError:
        raise InputError(f"blur '{spec}': a range is {kind}:LO-HI, two numbers, e.g. {kind}:7-13") from None
    if not 1.0 <= low <= high <= 99.0:
        raise InputError(f"blur '{spec}': need 1 <= LO <= HI <= 99 pixels")
    return kind, low, high


def draw_kernel_in_range(kind: str, low: float, high: float, rng: np.random.Generator) -> np.ndarray:
    """One random kernel of `random_kernel_range`'s kind and extent range."""
    extent = rng.uniform(low, high)
    if kind == "motion":
        return physics.motion_kernel(extent, rng.uniform(0.0, 180.0))
    size = 2 * (int(np.ceil(high)) // 2) + 3  # odd, with the one-pixel margin the splat needs
    return physics.trajectory_kernel(size, seed=int(rng.integers(2**31)), extent=extent)


def kernel_bank(kinds, size: int, count: int, seed: int, motion_length=(3.0, 25.0)) -> np.ndarray:
    """`count` kernels (count, S, S) float32, kinds drawn in turn; fixed specs repeat their one kernel.

    S is `size`, or the largest fixed kernel if that is bigger (all kernels are centre-padded to S, which
    does not change what they do).
    """
    if size % 2 == 0:
        raise InputError(f"kernel bank size must be odd, got {size}")
    kinds = list(kinds)
    if not kinds:
        raise InputError("at least one kernel kind is needed")
    rng = np.random.default_rng(seed)
    random_kinds = {"trajectory", "motion"}
    fixed = {k: make_kernel(k, size, rng, motion_length) for k in kinds if k not in random_kinds}
    side = max([size] + [max(k.shape) | 1 for k in fixed.values()])
    if all(k in fixed for k in kinds):
        count = len(kinds)  # nothing random: one copy of each fixed kernel
    bank = [
        physics.embed_kernel(fixed[kind] if kind in fixed else make_kernel(kind, size, rng, motion_length), side)
        for kind in (kinds[i % len(kinds)] for i in range(count))
    ]
    return np.stack(bank)
