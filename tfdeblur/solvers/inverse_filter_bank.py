"""Least-squares inverse filters of every motion of a `MotionBank` (Eboli et al. 2018, Eq. 13-14), cached.

IRC-Net's NU-Conv layers start from them; building the 511 of the paper's bank takes about a minute, so
they are cached on disk (`$TFDEBLUR_CACHE`, default `~/.cache/tfdeblur`), keyed by every parameter.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
from pathlib import Path

import numpy as np

from tfdeblur.io import write_bytes_atomic
from tfdeblur.physics.nonuniform import MotionBank
from tfdeblur.solvers.least_squares_filters import gradient_filters, irc_step_size, least_squares_inverse_filters


def cache_dir() -> Path:
    """`$TFDEBLUR_CACHE`, else `~/.cache/tfdeblur`."""
    root = os.environ.get("TFDEBLUR_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "tfdeblur")
    return Path(root)


def _atomic_save(path: Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_bytes_atomic(path, buffer.getvalue())


def inverse_filter_bank(
    bank: MotionBank = MotionBank(),
    rho: float = 0.01,
    size: int = 31,
    use_cache: bool = True,
    progress: bool = False,
):
    """Least-squares inverse filters of every bank motion with the gradient prior (cached on disk).

    For bank kernel f_j the kernels of the x-update are k_0 = f_j / sqrt(rho), k_1, k_2 = the gradient
    filters; d_0 is stored divided by sqrt(rho) so that it acts on the plain residual y - f_j * x, and every
    filter is premultiplied by the damping tau_j of `irc_step_size`, so one IRC step is
    x <- x + d_0 * (y - f_j * x) + sum_i d_i * (z_i - beta_i - g_i * x).

    Args:
        bank: the motion grid.
        rho: ADMM penalty weight of the prior's splitting.
        size: odd side of the inverse filters.
        use_cache: read/write the cache (`cache_dir()`); the file name hashes every parameter.
        progress: show a progress bar while building.

    Returns:
        (filters float32 (B, size, size, 3) [channel i = d_i], taus float32 (B,), radii float32 (B,)),
        radii being each motion's IRC contraction factor.
    """
    key = json.dumps(
        {"bank": bank.to_dict(), "rho": float(rho), "size": int(size), "version": 1}, sort_keys=True
    )
    path = cache_dir() / f"irc_inverse_bank-{hashlib.sha1(key.encode()).hexdigest()[:16]}.npz"
    if use_cache and path.is_file():
        try:
            with np.load(path) as data:
                return data["filters"], data["taus"], data["radii"]
        except (OSError, KeyError, ValueError):
            pass  # a damaged cache entry is rebuilt below
    priors = gradient_filters()
    kernels = bank.kernels()
    filters = np.zeros((len(kernels), size, size, 1 + len(priors)), np.float32)
    taus = np.zeros(len(kernels), np.float32)
    radii = np.zeros(len(kernels), np.float32)
    items = range(len(kernels))
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc="IRC inverse filters", unit="motion")
    scale = 1.0 / math.sqrt(rho)
    for j in items:
        system = [kernels[j] * scale] + priors
        d = least_squares_inverse_filters(system, size)
        taus[j], radii[j] = irc_step_size(system, d)
        d[0] *= scale
        filters[j] = np.moveaxis(d * taus[j], 0, -1)
    if use_cache:
        _atomic_save(path, filters=filters, taus=taus, radii=radii)
    return filters, taus, radii
