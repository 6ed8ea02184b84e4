"""The registry of deblurring methods behind `tfdeblur.deblur`, the CLI and the demo.

Each method is a function `fn(image, kernel=None, **options) -> DeblurResult` living in its family's
package and declared in `tfdeblur.families` (imported only when run, so importing tfdeblur stays cheap).
`run` validates the image and kernel once for every method; `load` and `check_options` are what the CLI
and Beam use to inspect one.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.families import FAMILIES, MethodSpec  # noqa: F401 (MethodSpec: importable from here too)
from tfdeblur.io import validate_image, validate_kernel
from tfdeblur.result import DeblurResult  # defined in the leaf module; still importable from here

# What `tfdeblur deblur` and `tfdeblur.deblur` run without --method: the best blind method that finishes
# in minutes on a CPU (measured on Levin's real captures and BSDS500 photos: docs/blind.md).
DEFAULT_METHOD = "blind"

# Every family's methods, from the one family registry.
REGISTRY: dict[str, MethodSpec] = {spec.name: spec for family in FAMILIES.values() for spec in family.methods}


def available() -> list[str]:
    return sorted(REGISTRY)


def get(name: str) -> MethodSpec:
    if name not in REGISTRY:
        raise InputError(f"unknown method '{name}'; choose from {', '.join(available())}")
    return REGISTRY[name]


def load(spec: MethodSpec) -> Callable[..., DeblurResult]:
    """The function implementing a method (imports its family)."""
    return spec.load()


def check_options(spec: MethodSpec, options: dict[str, Any]) -> None:
    """InputError if the method's function does not take every option."""
    parameters = inspect.signature(load(spec)).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    unknown = sorted(set(options) - set(parameters) - {"image", "kernel"})
    if unknown:
        raise InputError(f"method '{spec.name}' does not take option(s): {', '.join(unknown)}")


def options_for(spec: MethodSpec, kernel, options: dict[str, Any]) -> dict[str, Any]:
    """Options for running `spec` on a case whose true kernel is `kernel` (may be None): blind methods that
    estimate a kernel of a given size get the true kernel's size unless `kernel_size` is already set."""
    options = dict(options)
    if not spec.needs_kernel and kernel is not None and "kernel_size" not in options:
        if "kernel_size" in inspect.signature(load(spec)).parameters:
            options["kernel_size"] = int(max(np.shape(kernel)))
    return options


def preset_kernel(spec: MethodSpec, options: dict[str, Any]) -> np.ndarray | None:
    """The blur kernel a non-blind method's trained preset was made for (ODCNN presets), or None.

    A method declares it with `MethodSpec.preset_kernel`; it is used when `model` is given and no kernel
    is, so a one-kernel preset does not need its kernel repeated.
    """
    if not spec.needs_kernel or options.get("model") is None:
        return None
    return None if spec.preset_kernel is None else spec.preset_kernel()(options["model"])


def run(image, method: str = DEFAULT_METHOD, kernel=None, **options) -> DeblurResult:
    """Validate inputs and run a registered method; see `tfdeblur.deblur`."""
    spec = get(method)
    if spec.needs_kernel and kernel is None:
        kernel = preset_kernel(spec, options)
    if spec.needs_kernel and kernel is None:
        raise InputError(f"method '{method}' is non-blind: it needs a kernel (--kernel)")
    if spec.needs_kernel or (spec.accepts_kernel and kernel is not None):
        kernel = validate_kernel(kernel)
        image = validate_image(image, min_size=kernel.shape)
    else:
        kernel = None
        image = validate_image(image)
    squeeze = image.ndim == 3 and image.shape[2] == 1
    if squeeze:
        image = image[..., 0]
    check_options(spec, options)
    result = load(spec)(image, kernel, **options)
    out = np.asarray(result.image, np.float32)
    out = np.clip(out, 0.0, 1.0, out=out if out.flags.writeable else None)  # in place: no full-size copy
    result.image = out[..., None] if squeeze else out
    return result
