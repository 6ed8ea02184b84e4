"""The non-blind finish of the blind pipeline: every channel deconvolved by one kernel, in tiles."""

from __future__ import annotations

import numpy as np

from tfdeblur.models.blind.options import BlindOptions

# The weighted finish's prior weight over IRC's (a different prior: first differences only): with the true
# kernel on 3 BSDS500 val photos with clipped lights, x3 / x10 / x30 gave -0.2 / +0.6 / +0.7 dB over IRC.
MASKED_LAM_FACTOR = 20.0


def nonblind(blurry: np.ndarray, kernel: np.ndarray, options: BlindOptions, lam: float | None,
             weights: np.ndarray | None = None) -> np.ndarray:
    """Deconvolve every channel of `blurry` (HxW or HxWxC) by `kernel`, in tiles when it is large.

    With data `weights` (HxW, 0 on clipped lights) the IRC result is refined by the weighted solver
    (`solvers.masked_deconvolution`), whose prior weight is `MASKED_LAM_FACTOR` x the finish's.
    """
    from tfdeblur.solvers.irc import irc
    from tfdeblur.solvers.masked_deconvolution import masked_deconvolution
    from tfdeblur.solvers.wiener import wiener

    def solve(y):
        if options.finish == "wiener":
            return wiener(y, kernel)
        if weights is None:
            return irc(y, kernel, lam=lam)
        image, tile_weights = y[..., :-1], y[..., -1]
        start = irc(image, kernel, lam=lam)
        return masked_deconvolution(image, kernel, tile_weights, MASKED_LAM_FACTOR * lam, start=start)

    planes = blurry[..., None] if blurry.ndim == 2 else blurry
    if weights is not None and options.finish == "irc":  # the weights travel with the tiles
        planes = np.concatenate([planes, weights[..., None].astype(np.float32)], axis=-1)
        out = _tiled(solve, planes, kernel, options)
        return np.clip(out[..., :-1].reshape(blurry.shape), 0.0, 1.0).astype(np.float32)
    return np.clip(_tiled(solve, planes, kernel, options).reshape(blurry.shape), 0.0,
                   1.0).astype(np.float32)


def _tiled(solve, planes, kernel, options: BlindOptions) -> np.ndarray:
    """`solve` (HxWxC -> HxWxC, or without a trailing weights channel) over overlapping tiles of `planes`."""
    from tfdeblur.models.tiling import tiled_apply

    # The overlap must hold the kernel's reach twice: a tile's border pixels lack their blur's context.
    overlap = max(32, 2 * max(kernel.shape))
    tile = max(options.tile, 4 * overlap)

    def run(batch):
        out = solve(batch[0])
        if out.shape[-1] != batch.shape[-1]:  # the weights channel comes back as it went in
            out = np.concatenate([out.reshape(batch.shape[1:-1] + (-1,)), batch[0][..., -1:]], axis=-1)
        return out.reshape(batch.shape[1:])[None]

    return tiled_apply(run, planes, tile=tile, overlap=overlap)
