"""The model families and methods of tfdeblur, declared once: `FAMILIES`.

Every family (idc, selfdeblur, odcnn, ircnet, the blind pipeline, and the classical Wiener baseline) says
here what it offers, each part as a small function with a plain import inside:

- `methods`: its `--method` entries, `fn(image, kernel=None, **options) -> DeblurResult` (`tfdeblur.methods`
  runs them);
- `configs`: imports its config module, which registers its model/loss dataclasses with
  `tfdeblur.config.register_family` (read by `load_config`);
- `training`: its `train(config, strategy) -> keras.Model` (`tfdeblur.training.run`);
- `models`: imports its Keras classes, so that its `.keras` files load (`load_preset`);
- `presets`: its shipped presets, declared in its `presets.py` (`tfdeblur.presets.Preset`).

The imports sit inside functions so that importing this module, `tfdeblur.methods` or `tfdeblur --help`
loads no family (issue 32, cold start), and they are plain imports so that the layer test and a reader see
every dependency. This is the one place where a family is found from its name.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from tfdeblur.errors import InputError


@dataclasses.dataclass(frozen=True)
class MethodSpec:
    """A registered method.

    Attributes:
        name: the `--method` value.
        load: returns the function implementing it (importing its family).
        needs_kernel: True for non-blind methods.
        description: one line for `--help`.
        demo_options: options `tfdeblur demo` runs it with; None keeps it out of the demo.
        accepts_kernel: a blind method that also runs non-blind when given a kernel (it receives the
            kernel when there is one, None otherwise).
        in_default_demo: False for methods too slow for the default demo (run with `--methods`).
        preset_kernel: returns `fn(model) -> kernel`, the blur kernel a non-blind method's preset was
            trained for (ODCNN), or None.
        estimates_kernel: False for blind methods that restore without estimating one kernel (IDC; blind
            ircnet estimates a per-pixel motion field): `--save-kernel` has nothing to write for them.
    """

    name: str
    load: Callable[[], Callable]
    needs_kernel: bool
    description: str
    demo_options: dict[str, Any] | None = None
    accepts_kernel: bool = False
    in_default_demo: bool = True
    preset_kernel: Callable[[], Callable] | None = None
    estimates_kernel: bool = True


@dataclasses.dataclass(frozen=True)
class Family:
    """One family: its name, methods and, where it trains, its configs, training and Keras classes."""

    name: str
    methods: tuple[MethodSpec, ...] = ()
    configs: Callable[[], None] | None = None
    training: Callable[[], Callable] | None = None
    models: Callable[[], None] | None = None
    presets: Callable[[], tuple] | None = None


# --- the parts, one function each -----------------------------------------------------------------------

def _wiener_method():
    from tfdeblur.solvers.wiener import deblur_method

    return deblur_method


def _blind_method():
    from tfdeblur.models.blind.method import deblur_method

    return deblur_method


def _idc_method():
    from tfdeblur.models.idc.method import deblur_method

    return deblur_method


def _idc_configs():
    from tfdeblur.models.idc import config  # noqa: F401 (registers the dataclasses)


def _idc_training():
    from tfdeblur.models.idc.training import train

    return train


def _idc_models():
    import tfdeblur.models.idc  # noqa: F401 (registers the Keras classes)


def _idc_presets():
    from tfdeblur.models.idc.presets import PRESETS

    return PRESETS


def _selfdeblur_method():
    from tfdeblur.models.selfdeblur.method import deblur_method

    return deblur_method


def _selfdeblur_models():
    import tfdeblur.models.selfdeblur  # noqa: F401


def _odcnn_method():
    from tfdeblur.models.odcnn.deblur import deblur_method

    return deblur_method


def _odcnn_preset_kernel():
    from tfdeblur.models.odcnn.deblur import preset_kernel

    return preset_kernel


def _odcnn_configs():
    from tfdeblur.models.odcnn import config  # noqa: F401


def _odcnn_training():
    from tfdeblur.models.odcnn.training import train

    return train


def _odcnn_models():
    import tfdeblur.models.odcnn  # noqa: F401


def _odcnn_presets():
    from tfdeblur.models.odcnn.presets import PRESETS

    return PRESETS


def _ircnet_method():
    from tfdeblur.models.ircnet.method import deblur_method

    return deblur_method


def _ircnet_configs():
    from tfdeblur.models.ircnet import config  # noqa: F401


def _ircnet_training():
    from tfdeblur.models.ircnet.training import train

    return train


def _ircnet_models():
    import tfdeblur.models.ircnet  # noqa: F401


def _ircnet_presets():
    from tfdeblur.models.ircnet.presets import PRESETS

    return PRESETS


# --- the registry ---------------------------------------------------------------------------------------

FAMILIES: dict[str, Family] = {family.name: family for family in [
    Family("wiener", methods=(
        MethodSpec("wiener", _wiener_method, True,
                   "Wiener deconvolution with a gradient prior (non-blind baseline)", demo_options={}),)),
    Family("idc", configs=_idc_configs, training=_idc_training, models=_idc_models, presets=_idc_presets, methods=(
        MethodSpec("idc", _idc_method, False,
                   "Iterative Dual CNN (blind, trained): --model idc/camera (default), idc/small or a .keras file",
                   demo_options={}, estimates_kernel=False),)),
    Family("ircnet", configs=_ircnet_configs, training=_ircnet_training, models=_ircnet_models,
           presets=_ircnet_presets, methods=(
        MethodSpec("ircnet", _ircnet_method, False,
                   "ADMM + residual compensation with --kernel (no weights); without: blind ircnet/blind "
                   "(Motion-Net, measured correction, IRC-Net) or --model",
                   demo_options={}, accepts_kernel=True, estimates_kernel=False),)),
    Family("odcnn", configs=_odcnn_configs, training=_odcnn_training, models=_odcnn_models,
           presets=_odcnn_presets, methods=(
        MethodSpec("odcnn", _odcnn_method, True,
                   "deconvolution CNN for the kernel: --model odcnn/disk7, else its SVD init",
                   demo_options={"model": "odcnn/motion15"},  # the preset trained for the demo's blur
                   preset_kernel=_odcnn_preset_kernel),)),
    Family("blind", methods=(
        MethodSpec("blind", _blind_method, False,
                   "blind (the default): L0 kernel estimation coarse to fine, a trust check, ADMM+IRC finish; "
                   "no network; --kernel-size auto|N",
                   demo_options={"kernel_size": "auto"}),)),  # as the default command: not the demo's true size
    Family("selfdeblur", models=_selfdeblur_models, methods=(
        MethodSpec("selfdeblur", _selfdeblur_method, False,
                   "SelfDeblur's two generator networks fitted to the photo: --schedule paper (5000 steps, "
                   "~1 s/step); without it, the blind method (deprecated spelling)",
                   demo_options={"schedule": "paper", "iterations": 300}, in_default_demo=False),)),
]}


def get(name: str) -> Family:
    if name not in FAMILIES:
        raise InputError(f"unknown model family '{name}'; choose from {', '.join(sorted(FAMILIES))}")
    return FAMILIES[name]


def load_config(path, overrides: list[str] | None = None):
    """Load a YAML experiment (`tfdeblur.config.load`) after importing the configs of the family it names."""
    from tfdeblur import config as config_lib

    return config_from_dict(config_lib.read(path, overrides))


def config_from_dict(values: dict):
    """`tfdeblur.config.from_dict` after importing the configs of the family `values` names."""
    from tfdeblur import config as config_lib

    family = values.get("family")
    if isinstance(family, str) and family in FAMILIES and FAMILIES[family].configs is not None:
        FAMILIES[family].configs()
    return config_lib.from_dict(values)


def training(name: str) -> Callable:
    """The family's `train(config, strategy)`; InputError if it does not train."""
    family = FAMILIES.get(name)
    if family is None or family.training is None:
        raise InputError(f"family '{name}' has no training")
    return family.training()


def load_preset(name_or_path: str, family: str | None = None, **kwargs):
    """A fresh copy of a preset or `.keras` file of any family (`tfdeblur.presets.load_preset`), its Keras
    classes imported first; `family` defaults to the one the name or file says (`presets.family_of`)."""
    from tfdeblur import presets

    family = family or presets.family_of(name_or_path)
    import_models(family)
    return presets.load_preset(name_or_path, family, **kwargs)


def import_models(name: str) -> None:
    """Import a family's Keras classes (so its `.keras` files load); InputError for an unknown family."""
    family = get(name)
    if family.models is not None:
        family.models()


def declared_presets() -> dict[str, object]:
    """{"family/name": `tfdeblur.presets.Preset`} of every family's shipped presets (imports the families)."""
    return {preset.name: preset for family in FAMILIES.values() if family.presets is not None
            for preset in family.presets()}
