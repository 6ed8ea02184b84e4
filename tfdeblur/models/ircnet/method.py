"""`tfdeblur deblur --method ircnet`: the IRC-Net family's method, through `tfdeblur.models.inference`.

With a kernel it runs the classical ADMM + IRC solver (`tfdeblur.solvers.irc`, no trained weights); without
one, the blind Motion-Net -> IRC-Net pipeline of a trained preset. Both tile large images automatically.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfdeblur import presets
from tfdeblur.errors import InputError
from tfdeblur.models import inference
from tfdeblur.models.ircnet.field_refinement import refine_field
from tfdeblur.models.ircnet.motion_net import vector_to_motion
from tfdeblur.models.ircnet.presets import DEFAULT_BLIND_PRESET
from tfdeblur.models.ircnet.scale_selection import scaled_motion, select_scale
from tfdeblur.models.tiling import tiled_apply
from tfdeblur.physics.degradations import estimate_noise_sigma
from tfdeblur.result import DeblurResult
from tfdeblur.solvers.irc import default_lam, irc

# Activation bytes per pixel and channel for the automatic tiling. The solver keeps about a hundred float32
# and complex planes of the solution grid (whole images up to 4 megapixels per channel, tiles of 1024
# above); IRC-Net's NU-Conv layers hold one response per motion of the bank a tile uses, up to the whole
# bank, for each of the 3 inverse filters, and their spectra.
SOLVER_BYTES_PER_PIXEL = inference.MEMORY_BUDGET / 4_000_000
IRCNET_BYTES_PER_BANK_ENTRY = 3 * 4 * 2
MIN_BLIND_TILE = 64
# Motion-Net's activations per pixel (float32 features at full, 1/4 and 1/16 resolution, width 32).
MOTION_NET_BYTES_PER_PIXEL = 4 * (6 + 2 * 32 + 2 * 64 / 4 + 8 * 96 / 16)


def load_blind(model: str | None = None):
    """The blind pipeline (a `BlindIRCNet`) of a preset name or .keras path."""
    from tfdeblur.models.ircnet.blind_ircnet import BlindIRCNet

    family, _, name = DEFAULT_BLIND_PRESET.partition("/")
    if model is None and name not in presets.available(family):
        # An installation without the shipped presets (e.g. TFDEBLUR_MODELS pointing elsewhere).
        raise InputError("no blind ircnet preset is installed: give --kernel (non-blind solver) or "
                         "--model PATH.keras (a trained Motion-Net -> IRC-Net pipeline)")
    return presets.cached_preset(model or DEFAULT_BLIND_PRESET, "ircnet", expected=BlindIRCNet,
                                 hint="blind ircnet needs a Motion-Net -> IRC-Net pipeline (e.g. ircnet/blind)")


def _motion_vectors(motion_net, gray: np.ndarray) -> np.ndarray:
    """Motion-Net's (H, W, 2) doubled-angle field of an HxW photo, in tiles when it is large."""
    forward = inference.compiled(motion_net, name="motion_vectors")
    # Its activations: the input features, then width, 2 x width at 1/4 and 3 x width at 1/16 of the pixels.
    tile = inference.auto_tile(*gray.shape, MOTION_NET_BYTES_PER_PIXEL)
    pair = np.repeat(gray[..., None], 2, axis=-1)  # tiled_apply keeps the channel count: 2 in, 2 out
    if tile is None:
        return np.asarray(forward(pair[None]))[0]
    return tiled_apply(lambda batch: np.asarray(forward(batch[..., :1])), pair, tile=tile, overlap=tile // 4)


def blind_field(net, image: np.ndarray, refine: bool = True):
    """((H, W, 2) per-pixel (length, angle) the pipeline deconvolves with, the measured motion or None,
    the scale given to the field's lengths with its residuals or None).

    The field is smoothed as the pipeline's own graph smooths it (`net.smoothing`, 0.3 in ircnet/blind), so
    without `refine` this is exactly the field an exported pipeline uses. With `refine` it is corrected by the
    photo's measured motion (`field_refinement`) or, where that measurement is not trusted, its lengths are
    scaled by the discrepancy principle (`scale_selection`, which runs IRC-Net a few times on a region).
    """
    gray = image if image.ndim == 2 else image.mean(axis=-1)  # as Motion-Net sees colour
    max_length = net.motion_net.max_length
    vectors, estimate = refine_field(_motion_vectors(net.motion_net, gray), gray, max_length, refine=refine,
                                     smoothing=net.smoothing)
    motion = vector_to_motion(vectors, max_length).numpy()
    if not refine or estimate is not None or not np.any(vectors):
        return motion, estimate, None
    run = inference.compiled(net.ircnet, call=_deconvolve_with_field, name="deconvolve_with_field")

    def deconvolve(blurry, field):
        out = np.asarray(run(np.concatenate([blurry[..., None], field], axis=-1)[None]))[0, ..., 0]
        return np.clip(out, 0.0, 1.0)

    scale, selection = select_scale(deconvolve, gray, motion, net.ircnet.bank, temperature=net.ircnet.temperature)
    return scaled_motion(motion, scale, max_length), None, {"scale": scale, **selection}


def blind_deblur(image: np.ndarray, model: str | None = None, tile: int | None = None,
                 refine: bool = True) -> DeblurResult:
    """Deblur one HxW or HxWx3 image in [0, 1] with Motion-Net -> IRC-Net.

    Motion-Net's field is smoothed and, with `refine`, corrected by the photo's measured dominant motion
    (`field_refinement`) before IRC-Net removes the blur. The result's info holds the field's median motion
    (length, angle) and the measured motion.
    """
    if tile is not None and tile < MIN_BLIND_TILE:
        raise InputError(f"--tile must be at least {MIN_BLIND_TILE}, got {tile}")
    net = load_blind(model)
    motion, estimate, selection = blind_field(net, image, refine=refine)
    # The field rides along as the last two channels, so each tile gets its own part of it.
    run = inference.compiled(net.ircnet, call=_deconvolve_with_field, name="deconvolve_with_field")
    channels = 1 if image.ndim == 2 else image.shape[-1]
    planes = image[..., None] if image.ndim == 2 else image
    out, tile = inference.run(np.concatenate([planes, motion], axis=-1), run, tile=tile,
                              min_tile=MIN_BLIND_TILE, clip=False,
                              bytes_per_pixel=IRCNET_BYTES_PER_BANK_ENTRY * len(net.ircnet.bank))
    out = np.clip(out[..., :channels], 0.0, 1.0)
    median = np.median(motion.reshape(-1, 2), axis=0)
    info = {
        "model": model or DEFAULT_BLIND_PRESET, "tile": tile,
        "median_motion": [round(float(median[0]), 2), round(float(median[1]), 1)],
        "measured_motion": None if estimate is None else
        [round(estimate.length, 2), round(estimate.angle, 1), round(estimate.depth, 3)],
        "field_scale": None if selection is None else selection["scale"],
    }
    return DeblurResult(out[..., 0] if image.ndim == 2 else out, None, info)


def _deconvolve_with_field(net, batch):
    """(N, H, W, C + 2) = image channels then (length, angle) -> the same with the image deblurred."""
    motion = batch[..., -2:]
    return tf.concat([net({"blurry": batch[..., :-2], "motion": motion}), motion], axis=-1)


def deblur_method(
    image,
    kernel=None,
    iterations: int | None = None,
    model: str | None = None,
    reg: float | None = None,
    tile: int | None = None,
    refine: bool = True,
):
    """`tfdeblur.deblur(..., method="ircnet")`.

    With a kernel: the classical solver `tfdeblur.solvers.irc.irc` (no trained weights; `iterations` ADMM
    iterations, `reg` the prior weight lam, default from the image's estimated noise; `tile` processes
    overlapping tiles, each with the 'valid' boundary model). Without one: the blind pipeline Motion-Net ->
    IRC-Net of a trained preset (`model`, default "ircnet/blind"), its field corrected by the photo's
    measured motion unless `refine` is False. Large images are tiled automatically.
    """
    if iterations is not None and iterations < 1:
        raise InputError(f"--iterations must be >= 1, got {iterations}")
    if reg is not None and reg <= 0:
        raise InputError(f"--reg must be > 0, got {reg}")
    if kernel is None:
        return blind_deblur(image, model=model, tile=tile, refine=refine)
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
