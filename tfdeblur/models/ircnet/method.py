"""`tfdeblur deblur --method ircnet`: the IRC-Net family's method, through `tfdeblur.models.inference`.

With a kernel it runs the classical ADMM + IRC solver (`tfdeblur.solvers.irc`, no trained weights); without
one, the blind Motion-Net -> IRC-Net pipeline of a trained preset. Both tile large images automatically.
"""

from __future__ import annotations

import numpy as np

from tfdeblur import presets
from tfdeblur.errors import InputError
from tfdeblur.models import inference
from tfdeblur.physics.degradations import estimate_noise_sigma
from tfdeblur.result import DeblurResult
from tfdeblur.solvers.irc import default_lam, irc

DEFAULT_BLIND_PRESET = "ircnet/blind"
# Activation bytes per pixel and channel for the automatic tiling. The solver keeps about a hundred float32
# and complex planes of the solution grid (whole images up to 4 megapixels per channel, tiles of 1024
# above); IRC-Net's NU-Conv layers hold one response per motion of the bank a tile uses, up to the whole
# bank, for each of the 3 inverse filters, and their spectra.
SOLVER_BYTES_PER_PIXEL = inference.MEMORY_BUDGET / 4_000_000
IRCNET_BYTES_PER_BANK_ENTRY = 3 * 4 * 2
MIN_BLIND_TILE = 64


def load_blind(model: str | None = None):
    """The blind pipeline (a `BlindIRCNet`) of a preset name or .keras path."""
    from tfdeblur.models.ircnet.blind_ircnet import BlindIRCNet

    family, _, name = DEFAULT_BLIND_PRESET.partition("/")
    if model is None and name not in presets.available(family):
        # The CPU-trained blind pipeline scored below the blurry input, so none ships (see README).
        raise InputError("no blind ircnet preset is installed: give --kernel (non-blind solver) or "
                         "--model PATH.keras (a trained Motion-Net -> IRC-Net pipeline)")
    return presets.from_preset(model or DEFAULT_BLIND_PRESET, "ircnet", expected=BlindIRCNet,
                               hint="blind ircnet needs a Motion-Net -> IRC-Net pipeline (e.g. ircnet/blind)")


def _motion_and_image(net, batch):
    motion = net.motion_net.motion_field(batch)
    return motion, net.ircnet({"blurry": batch, "motion": motion})


def blind_deblur(image: np.ndarray, model: str | None = None, tile: int | None = None) -> DeblurResult:
    """Deblur one HxW or HxWx3 image in [0, 1] with Motion-Net -> IRC-Net.

    The result's info holds the median estimated motion (length, angle) over the image.
    """
    if tile is not None and tile < MIN_BLIND_TILE:
        raise InputError(f"--tile must be at least {MIN_BLIND_TILE}, got {tile}")
    net = load_blind(model)
    forward = inference.compiled(net, call=_motion_and_image, name="motion_and_image")
    fields = []

    def run(batch):
        motion, restored = forward(batch)
        fields.append(motion.numpy()[0])
        return restored.numpy()

    out, tile = inference.run(image, run, tile=tile, min_tile=MIN_BLIND_TILE,
                              bytes_per_pixel=IRCNET_BYTES_PER_BANK_ENTRY * len(net.ircnet.bank))
    lengths = np.concatenate([f[..., 0].ravel() for f in fields])
    angles = np.concatenate([f[..., 1].ravel() for f in fields])
    info = {
        "model": model or DEFAULT_BLIND_PRESET, "tile": tile,
        "median_motion": [round(float(np.median(lengths)), 2), round(float(np.median(angles)), 1)],
    }
    return DeblurResult(out, None, info)


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
    IRC-Net of a trained preset (`model`, default "ircnet/blind"). Large images are tiled automatically.
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
    lam = reg if reg is not None else default_lam(estimate_noise_sigma(image))

    def run(batch):
        return irc(batch[0], kernel, lam=lam, iterations=iterations)[None]

    out, tile = inference.run(image, run, tile=tile, min_tile=2 * max(kernel.shape) + 16,
                              tile_reason="twice the kernel size plus 16", bytes_per_pixel=SOLVER_BYTES_PER_PIXEL)
    return DeblurResult(out, kernel, {"solver": "admm+irc", "lam": lam, "tile": tile})
