"""`tfdeblur.deblur(..., method="blind")`: the registry's entry point for the blind pipeline."""

from __future__ import annotations

import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.models.blind.options import BlindOptions
from tfdeblur.models.blind.pipeline import run_blind
from tfdeblur.physics.degradations import DISPLAY_GAMMA, LUMA_WEIGHTS
from tfdeblur.result import DeblurResult


def kernel_shape(kernel_size) -> tuple[int, int] | str:
    """"auto", an odd int, or (kh, kw) odd ints (>= 3)."""
    if kernel_size is None or kernel_size == "auto":
        return "auto"
    size = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else tuple(kernel_size)
    if len(size) != 2 or any(int(s) != s or s < 3 or s % 2 == 0 for s in size):
        raise InputError(f"kernel size must be 'auto' or odd numbers >= 3, got {kernel_size!r}")
    return int(size[0]), int(size[1])


def deblur_method(image, kernel=None, kernel_size: int | str | None = None, nonblind: str | None = None,
                  tile: int | None = None, regions: str | None = None, linear_light: bool | None = None,
                  options: BlindOptions | dict | None = None,
                  progress: bool = True) -> DeblurResult:
    """Blind deblurring (`run_blind`): validated image in, `DeblurResult` with the kernel found out.

    `kernel_size` is "auto" by default (searched up to a sixth of the shorter side); `nonblind` chooses the
    finish ("irc", the default, or "wiener"); `regions` ("auto", "on", "off") a kernel per region for blur
    that varies across the frame; `linear_light` deblurs photos with clipped lights in linear light (gamma
    2.2, `BlindOptions.clipped_gamma`); `options` sets any other `BlindOptions` field.
    """
    fields = dict(options.__dict__) if isinstance(options, BlindOptions) else dict(options or {})
    if nonblind is not None:
        fields["finish"] = nonblind
    if tile is not None:
        fields["tile"] = tile
    if regions is not None:
        fields["nonuniform"] = regions
    if linear_light is not None:
        fields["clipped_gamma"] = DISPLAY_GAMMA if linear_light else None
    try:
        blind_options = BlindOptions(**fields)
    except TypeError as err:
        raise InputError(f"unknown blind option: {err}") from None
    array = np.asarray(image, np.float32)
    luma = array @ LUMA_WEIGHTS if array.ndim == 3 and array.shape[2] == 3 else array.reshape(array.shape[:2])
    restored, estimated, info = run_blind(array, np.ascontiguousarray(luma, np.float32),
                                          kernel_shape(kernel_size), blind_options, progress)
    return DeblurResult(restored.reshape(array.shape), estimated, info)
