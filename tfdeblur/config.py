"""Typed experiment configs: dataclass defaults, YAML files that override fields, `--set` overrides.

An experiment is `ExperimentConfig(name, family, data, model, loss, trainer, export)`. `data`, `trainer` and
`export` are shared; `model` and `loss` are the family's own dataclasses, registered with
`register_family` in `tfdeblur/models/<family>/config.py`.

A YAML file holds only the fields it changes and may name a `base:` file (relative to itself) to start from:

    base: idc_small.yaml
    name: idc_small_long
    trainer: {epochs: 40}

Unknown keys and wrongly typed values are errors (`InputError`), so a typo never silently falls back to a
default.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from tfdeblur.errors import InputError


@dataclasses.dataclass
class DataConfig:
    """Where training pairs come from and how they are degraded.

    Attributes:
        source: "synthetic" (blur sharp photos on the fly), "pairs" (folders of blurry/sharp pairs) or
            "tfds" (a TFDS dataset with blurry/sharp features).
        train_dir: sharp photos ("synthetic") or the pair root with `blur/` and `sharp/` ("pairs").
        val_dir: the same for validation.
        tfds_name: e.g. "gopro/blur" for source "tfds".
        tfds_data_dir: TFDS data_dir ("" = TFDS default).
        manual_dir: TFDS manual download folder.
        patch_size: training crop side.
        batch_size: global batch size.
        channels: 1 (gray) or 3 (RGB).
        kernels: synthetic kernel kinds drawn uniformly: "trajectory", "motion" (random length/angle), or a
            fixed spec such as "disk:7", "motion:15,30", a path to a kernel file.
        kernel_size: side of random kernels (odd); fixed kernels keep their own size.
        motion_length: [min, max] length of random linear motions, pixels.
        kernel_bank: number of random kernels pre-generated for training (validation uses other seeds).
        noise_sigma: [min, max] of the gaussian noise std added after the blur.
        input_noise: extra N(0, input_noise^2) on the blurry input (IDC uses 2/255).
        gain: [min, max] exposure gain before clipping (> 1 saturates highlights).
        jpeg_quality: [min, max] JPEG quality; [] disables JPEG.
        val_count: number of fixed validation pairs.
        shuffle_buffer: images in the shuffle buffer.
        seed: data seed.
    """

    source: str = "synthetic"
    train_dir: str = ""
    val_dir: str = ""
    tfds_name: str = ""
    tfds_data_dir: str = ""
    manual_dir: str = ""
    patch_size: int = 128
    batch_size: int = 16
    channels: int = 3
    kernels: list[str] = dataclasses.field(default_factory=lambda: ["trajectory", "motion"])
    kernel_size: int = 31
    motion_length: list[float] = dataclasses.field(default_factory=lambda: [3.0, 25.0])
    kernel_bank: int = 2000
    noise_sigma: list[float] = dataclasses.field(default_factory=lambda: [0.0, 0.02])
    input_noise: float = 0.0
    gain: list[float] = dataclasses.field(default_factory=lambda: [1.0, 1.0])
    jpeg_quality: list[int] = dataclasses.field(default_factory=list)
    val_count: int = 32
    shuffle_buffer: int = 256
    seed: int = 0


@dataclasses.dataclass
class TrainerConfig:
    """How `model.fit` runs.

    Attributes:
        epochs, steps_per_epoch, validation_steps: fit length.
        learning_rate, final_learning_rate: start and end of the schedule.
        schedule: "cosine", "exponential" (geometric decay to the final rate) or "constant".
        optimizer: "adam" or "adamw"; weight_decay for adamw; clipnorm (0 = off).
        strategy: "default", "mirrored" or "multi_worker_mirrored".
        output_dir: run folder (TensorBoard logs, checkpoints, backup, final model); "{name}" is replaced.
        image_every: write blurry/estimate/sharp images to TensorBoard every this many epochs (0 = never).
        checkpoint: keep the best model by validation loss; backup: keep resume state, so a killed or
            stopped run continues at the next step (in `<run_dir>/resume`, removed when the run completes,
            unless `resume_dir` is set; multi-worker training uses Keras's BackupAndRestore in
            `<run_dir>/backup`, see `tfdeblur.training.resume`).
        jit_compile: "auto", "true" or "false" (passed to compile()).
        mixed_precision: "" or a Keras policy such as "mixed_bfloat16".
        seed: global random seed.
        resume_dir: folder of the resumable run's state, kept when it finishes ("" = `<run_dir>/resume`
            with `backup`, removed when the run completes; "{name}" is replaced), e.g.
            "runs/{name}/resume" (git-ignored; never under saved_models/, which ships with the package):
            weights with the optimizer, the global step (which fixes the
            data position and the learning rate, whose schedule spans the whole run) and a learning curve.
            The state is overwritten every `resume_every_seconds` of wall time, on SIGTERM/SIGINT and at
            the end; running the same command again continues where it stopped (see `tfdeblur.training.resume`).
        resume_every_seconds: wall time between resume-state saves.
        session_seconds, session_cpu_seconds, session_steps: end this session (saving the resume state)
            after this much wall time, this much CPU time (all threads of the process) or these many steps
            (0 = no limit); the next run of the same command continues.
    """

    epochs: int = 10
    steps_per_epoch: int = 100
    validation_steps: int = 0
    learning_rate: float = 1e-4
    final_learning_rate: float = 1e-6
    schedule: str = "exponential"
    optimizer: str = "adam"
    weight_decay: float = 0.0
    clipnorm: float = 0.0
    strategy: str = "default"
    output_dir: str = "runs/{name}"
    image_every: int = 1
    checkpoint: bool = True
    backup: bool = True
    jit_compile: str = "auto"
    mixed_precision: str = ""
    seed: int = 0
    resume_dir: str = ""
    resume_every_seconds: float = 300.0
    session_seconds: float = 0.0
    session_cpu_seconds: float = 0.0
    session_steps: int = 0


@dataclasses.dataclass
class ExportConfig:
    """What `tfdeblur export` / the end of training writes.

    Attributes:
        saved_model_dir: TF Serving base path ("" = skip); the model goes to `<dir>/<version>/`.
        version: TF Serving version number.
        tflite_path: TFLite file ("" = skip).
        tflite_size: [height, width] of the fixed TFLite input.
        tflite_quantization: "none", "float16" or "dynamic".
    """

    saved_model_dir: str = ""
    version: int = 1
    tflite_path: str = ""
    tflite_size: list[int] = dataclasses.field(default_factory=lambda: [256, 256])
    tflite_quantization: str = "none"


@dataclasses.dataclass
class ExperimentConfig:
    name: str = "experiment"
    family: str = ""
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    model: Any = None
    loss: Any = None
    trainer: TrainerConfig = dataclasses.field(default_factory=TrainerConfig)
    export: ExportConfig = dataclasses.field(default_factory=ExportConfig)

    def run_dir(self) -> Path:
        return Path(self.trainer.output_dir.replace("{name}", self.name))

    def resume_dir(self) -> Path | None:
        """The resumable run's state folder, or None when `trainer.resume_dir` is empty.

        Run state never goes into the shipped presets (`saved_models/`): every future clone and wheel would
        carry it.
        """
        if not self.trainer.resume_dir:
            return None
        folder = Path(self.trainer.resume_dir.replace("{name}", self.name))
        shipped = (Path(__file__).resolve().parent / "saved_models").resolve()
        if folder.resolve().is_relative_to(shipped) or "saved_models" in folder.parts:
            raise InputError(f"trainer.resume_dir {folder} is inside saved_models/, which holds shipped presets "
                             "only; keep run state under runs/ (e.g. runs/{name}/resume)")
        return folder


@dataclasses.dataclass
class EmptyConfig:
    """For families whose model or loss has nothing to configure."""


_FAMILIES: dict[str, tuple[type, type]] = {}
_VALIDATORS: dict[str, object] = {}


def register_family(family: str, model_config: type, loss_config: type = EmptyConfig,
                    validate=None) -> None:
    """Declare the model and loss config dataclasses of a family (called from its config module), and
    optionally `validate(config)`: the family's own checks, returning an error message or None."""
    _FAMILIES[family] = (model_config, loss_config)
    _VALIDATORS[family] = validate


def family_configs(family: str) -> tuple[type, type]:
    """The registered (model, loss) config classes of a family. The base layer imports no family: load
    experiments through `tfdeblur.families.load_config`, which imports the family's config module first."""
    if family not in _FAMILIES:
        known = ", ".join(sorted(_FAMILIES)) or "none imported"
        raise InputError(f"unknown model family '{family}' in config (registered: {known}; "
                         "tfdeblur.families.load_config imports the family named in a YAML)")
    return _FAMILIES[family]


# --- typed construction -------------------------------------------------------------------------------

def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce(value, tp, where: str):
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(value, option, where)
            except InputError as err:
                errors.append(str(err))
        raise InputError(errors[0] if errors else f"{where}: bad value {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise InputError(f"config field {where}: expected a list, got {value!r}")
        (item_type,) = typing.get_args(tp)[:1] or (Any,)
        return [_coerce(v, item_type, f"{where}[{i}]") for i, v in enumerate(value)]
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise InputError(f"config field {where}: expected a mapping, got {value!r}")
        return build(tp, value, where)
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise InputError(f"config field {where}: expected true/false, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads "1e-4" (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
        raise InputError(f"config field {where}: expected a number, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise InputError(f"config field {where}: expected an integer, got {value!r}")
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise InputError(f"config field {where}: expected a string, got {value!r}")
    raise InputError(f"config field {where}: unsupported type {_type_name(tp)}")


def build(cls, values: dict | None, where: str = ""):
    """Make dataclass `cls` from a mapping, checking names and types; missing fields keep defaults."""
    values = dict(values or {})
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        prefix = f"{where}." if where else ""
        raise InputError(f"unknown config field(s): {', '.join(prefix + u for u in unknown)}")
    kwargs = {name: _coerce(value, hints[name], f"{where}.{name}" if where else name)
              for name, value in values.items()}
    return cls(**kwargs)


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_yaml(path: Path, seen: tuple = ()) -> dict:
    path = Path(path)
    if path.resolve() in seen:
        raise InputError(f"config {path}: 'base' files form a cycle")
    if not path.is_file():
        raise InputError(f"no such config file: {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise InputError(f"config {path} is not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise InputError(f"config {path} must be a mapping of fields")
    base = data.pop("base", None)
    if base:
        data = _merge(_read_yaml(path.parent / base, seen + (path.resolve(),)), data)
    return data


def apply_overrides(values: dict, overrides: list[str]) -> dict:
    """Apply `section.field=value` strings (values parsed as YAML: 3, 1e-4, true, [1, 2], text)."""
    values = dict(values)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InputError(f"override '{item}' must look like section.field=value")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        _merge_into(values, key.strip().split("."), value)
    return values


def _merge_into(values: dict, keys: list[str], value) -> None:
    node = values
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise InputError(f"override {'.'.join(keys)}: '{key}' is not a section")
    node[keys[-1]] = value


def from_dict(values: dict) -> ExperimentConfig:
    """Build a validated `ExperimentConfig` from a (merged) mapping."""
    values = dict(values)
    family = values.get("family")
    if not family or not isinstance(family, str):
        raise InputError("config needs a 'family' (idc, odcnn, ircnet, ...)")
    model_cls, loss_cls = family_configs(family)
    model = build(model_cls, values.pop("model", None), "model")
    loss = build(loss_cls, values.pop("loss", None), "loss")
    config = build(ExperimentConfig, values)
    config.model, config.loss = model, loss
    _validate(config)
    message = _VALIDATORS[family](config) if _VALIDATORS.get(family) else None
    if message:
        raise InputError(f"config '{config.name}': {message}")
    return config


def read(path, overrides: list[str] | None = None) -> dict:
    """The merged mapping of a YAML experiment (following `base:`) with `--set` overrides applied."""
    return apply_overrides(_read_yaml(Path(path)), overrides or [])


def load(path, overrides: list[str] | None = None) -> ExperimentConfig:
    """Load a YAML experiment of an imported family (`tfdeblur.families.load_config` for any), validate."""
    return from_dict(read(path, overrides))


def to_dict(config) -> dict:
    """Plain mapping of a config (for logging it next to the run and for YAML dumps)."""
    return dataclasses.asdict(config)


def _validate(config: ExperimentConfig) -> None:
    d, t, e = config.data, config.trainer, config.export
    checks = [
        (d.source in ("synthetic", "pairs", "tfds"), f"data.source must be synthetic, pairs or tfds, got '{d.source}'"),
        (d.patch_size > 0 and d.batch_size > 0, "data.patch_size and data.batch_size must be positive"),
        (d.channels in (1, 3), "data.channels must be 1 or 3"),
        (d.kernel_size % 2 == 1, "data.kernel_size must be odd"),
        (len(d.noise_sigma) == 2 and 0 <= d.noise_sigma[0] <= d.noise_sigma[1], "data.noise_sigma must be [min, max]"),
        (len(d.gain) == 2 and 0 < d.gain[0] <= d.gain[1], "data.gain must be [min, max] > 0"),
        (len(d.motion_length) == 2 and 0 <= d.motion_length[0] <= d.motion_length[1],
         "data.motion_length must be [min, max]"),
        (d.jpeg_quality == [] or (len(d.jpeg_quality) == 2 and 1 <= d.jpeg_quality[0] <= d.jpeg_quality[1] <= 100),
         "data.jpeg_quality must be [] or [min, max] within 1..100"),
        (t.epochs > 0 and t.steps_per_epoch > 0, "trainer.epochs and trainer.steps_per_epoch must be positive"),
        (t.schedule in ("cosine", "exponential", "constant"),
         "trainer.schedule must be cosine, exponential or constant"),
        (t.optimizer in ("adam", "adamw"), "trainer.optimizer must be adam or adamw"),
        (t.strategy in ("default", "mirrored", "multi_worker_mirrored"),
         "trainer.strategy must be default, mirrored or multi_worker_mirrored"),
        (t.jit_compile in ("auto", "true", "false"), "trainer.jit_compile must be auto, true or false"),
        (0 < t.final_learning_rate <= t.learning_rate, "trainer rates need 0 < final_learning_rate <= learning_rate"),
        (t.resume_every_seconds > 0 and min(t.session_seconds, t.session_cpu_seconds, t.session_steps) >= 0,
         "trainer.resume_every_seconds must be positive, the session_* budgets >= 0"),
        (not (t.resume_dir and t.strategy == "multi_worker_mirrored"),
         "trainer.resume_dir is not supported with the multi_worker_mirrored strategy (use backup)"),
        (e.tflite_quantization in ("none", "float16", "dynamic"),
         "export.tflite_quantization must be none, float16 or dynamic"),
        (len(e.tflite_size) == 2 and min(e.tflite_size) > 0, "export.tflite_size must be [height, width]"),
    ]
    for ok, message in checks:
        if not ok:
            raise InputError(f"config '{config.name}': {message}")
