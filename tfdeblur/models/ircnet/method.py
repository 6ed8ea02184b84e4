"""`tfdeblur deblur --method ircnet`: the IRC-Net family's method.

With a kernel it runs the classical ADMM + IRC solver (`tfdeblur.solvers.irc`, no trained weights); without
one, the blind Motion-Net -> IRC-Net pipeline of a trained preset (`tfdeblur.models.ircnet.inference`).
"""

from __future__ import annotations

import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.models.ircnet.inference import blind_deblur
from tfdeblur.physics.degradations import estimate_noise_sigma
from tfdeblur.result import DeblurResult
from tfdeblur.solvers.irc import default_lam, irc
from tfdeblur.tiling import tiled_apply


def deblur_method(
    image,
    kernel=None,
    iterations: int | None = None,
    model: str | None = None,
    reg: float | None = None,
    tile: int | None = None,
):
    """`tfdeblur.deblur(..., method="ircnet")`.

    With a kernel: the classical solver `tfdeblur.solvers.irc.irc` (no trained weights; `iterations` ADMM
    iterations, `reg` the prior weight lam, default from the image's estimated noise; `tile` processes
    overlapping tiles, each with the 'valid' boundary model). Without one: the blind pipeline Motion-Net ->
    IRC-Net of a trained preset (`model`, default "ircnet/blind"), optionally in tiles of `tile` pixels.
    """
    if iterations is not None and iterations < 1:
        raise InputError(f"--iterations must be >= 1, got {iterations}")
    if reg is not None and reg <= 0:
        raise InputError(f"--reg must be > 0, got {reg}")
    if kernel is None:
        return blind_deblur(image, model=model, tile=tile)
    if model is not None:
        raise InputError(
            "--model applies to blind ircnet (no --kernel); the non-blind solver needs no weights"
        )
    if tile is not None and tile < 2 * max(kernel.shape) + 16:
        raise InputError(f"--tile must be at least twice the kernel size plus 16, got {tile}")
    lam = reg if reg is not None else default_lam(estimate_noise_sigma(image))

    def run(batch):
        return irc(batch[0], kernel, lam=lam, iterations=iterations)[None]

    if tile:
        planes = image[..., None] if image.ndim == 2 else image
        out = tiled_apply(run, planes, tile=tile, overlap=min(64, tile // 4))
        out = out[..., 0] if image.ndim == 2 else out
    else:
        out = run(image[None])[0]
    return DeblurResult(np.clip(out, 0.0, 1.0), kernel, {"solver": "admm+irc", "lam": lam})
