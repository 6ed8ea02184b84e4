"""The registry of deblurring methods behind `tfdeblur.deblur`, the CLI and the demo.

Each method is a function `fn(image, kernel=None, **options) -> DeblurResult` living in its family's
package; the registry only names it ("module:function"), so importing tfdeblur stays cheap and a family
adds itself with one `MethodSpec` line. `run` validates the image and kernel once for every method.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from typing import Any, Callable

import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.io import validate_image, validate_kernel
from tfdeblur.result import DeblurResult  # defined in the leaf module; still importable from here


@dataclasses.dataclass(frozen=True)
class MethodSpec:
    """A registered method.

    Attributes:
        name: the `--method` value.
        target: "module:function" implementing it.
        needs_kernel: True for non-blind methods.
        description: one line for `--help`.
        demo_options: options `tfdeblur demo` runs it with; None keeps it out of the demo.
        in_default_demo: False for methods too slow for the default demo (run with `--methods`).
        accepts_kernel: a blind method that also runs non-blind when given a kernel (it receives the
            kernel when there is one, None otherwise).
    """

    name: str
    target: str
    needs_kernel: bool
    description: str
    demo_options: dict[str, Any] | None = None
    accepts_kernel: bool = False
    in_default_demo: bool = True


# What `tfdeblur deblur` and `tfdeblur.deblur` run without --method: the best blind method that finishes
# in minutes on a CPU (measured on Levin's real captures and BSDS500 photos: docs/blind.md).
DEFAULT_METHOD = "blind"

REGISTRY: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in [
        MethodSpec("wiener", "tfdeblur.solvers.wiener:deblur_method", True,
                   "Wiener deconvolution with a gradient prior (non-blind baseline)", demo_options={}),
        MethodSpec("idc", "tfdeblur.models.idc.method:deblur_method", False,
                   "Iterative Dual CNN (blind, trained): --model idc/camera (default), idc/small or a .keras file",
                   demo_options={}),
        MethodSpec("ircnet", "tfdeblur.models.ircnet.method:deblur_method", False,
                   "ADMM + residual compensation with --kernel (no weights); without: blind ircnet/blind "
                   "(Motion-Net, measured correction, IRC-Net) or --model",
                   demo_options={}, accepts_kernel=True),
        MethodSpec("odcnn", "tfdeblur.models.odcnn.deblur:deblur_method", True,
                   "deconvolution CNN for the kernel: --model odcnn/disk7, else its SVD init",
                   demo_options={"model": "odcnn/motion15"}),  # the preset trained for the demo's blur
        MethodSpec("blind", "tfdeblur.models.blind.method:deblur_method", False,
                   "blind (the default): L0 kernel estimation coarse to fine, a trust check, ADMM+IRC finish; "
                   "no network; --kernel-size auto|N",
                   demo_options={"kernel_size": "auto"}),  # as the default command: not the demo's true size
        MethodSpec("selfdeblur", "tfdeblur.models.selfdeblur.method:deblur_method", False,
                   "SelfDeblur's two generator networks fitted to the photo: --schedule paper (5000 steps, "
                   "~1 s/step); without it, the blind method (deprecated spelling)",
                   demo_options={"schedule": "paper", "iterations": 300}, in_default_demo=False),
    ]
}


def available() -> list[str]:
    return sorted(REGISTRY)


def get(name: str) -> MethodSpec:
    if name not in REGISTRY:
        raise InputError(f"unknown method '{name}'; choose from {', '.join(available())}")
    return REGISTRY[name]


def _load(spec: MethodSpec) -> Callable[..., DeblurResult]:
    module_name, _, function_name = spec.target.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def _check_options(spec: MethodSpec, function: Callable, options: dict[str, Any]) -> None:
    parameters = inspect.signature(function).parameters
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
        if "kernel_size" in inspect.signature(_load(spec)).parameters:
            options["kernel_size"] = int(max(np.shape(kernel)))
    return options


def preset_kernel(spec: MethodSpec, options: dict[str, Any]) -> np.ndarray | None:
    """The blur kernel a non-blind method's trained preset was made for (ODCNN presets), or None.

    A method module offers it with a `preset_kernel(model)` function; it is used when `model` is given and
    no kernel is, so a one-kernel preset does not need its kernel repeated.
    """
    if not spec.needs_kernel or options.get("model") is None:
        return None
    finder = getattr(importlib.import_module(spec.target.partition(":")[0]), "preset_kernel", None)
    return None if finder is None else finder(options["model"])


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
    function = _load(spec)
    _check_options(spec, function, options)
    result = function(image, kernel, **options)
    out = np.asarray(result.image, np.float32)
    out = np.clip(out, 0.0, 1.0, out=out if out.flags.writeable else None)  # in place: no full-size copy
    result.image = out[..., None] if squeeze else out
    return result
