"""Training ODCNN in the paper's three stages (`tfdeblur train configs/odcnn_*.yaml`).

Stage 1 trains the deconvolution CNN from its SVD initialisation; stage 2 adds the outlier-rejection CNN and
trains it on the frozen deconvolution output; stage 3 (optionally after merging the two) fine-tunes the whole.
Each stage is one `tfdeblur.training.fitting.fit` (TensorBoard under `<run_dir>/logs/stage{1,2,3}`). The deconvolution
CNN after stage 1 is also saved as `<run_dir>/stage1.keras` (benchmarks compare it with the full model).
"""

from __future__ import annotations

import dataclasses
import json
import time

import keras
import tensorflow as tf

from tfdeblur import config as config_lib
from tfdeblur import io, physics
from tfdeblur.data import training_datasets
from tfdeblur.errors import InputError
from tfdeblur.models.odcnn.metrics import psnr
from tfdeblur.models.odcnn.odcnn import ODCNN
from tfdeblur.models.odcnn.outlier_rejection import ACTIVATIONS as OUTLIER_ACTIVATIONS
from tfdeblur.models.odcnn.separable_deconvolution import ACTIVATIONS
from tfdeblur.training import fitting as train_lib

RANDOM_KERNELS = ("trajectory", "motion")


def kernel_spec(config: config_lib.ExperimentConfig) -> str:
    """The one fixed kernel of the experiment (model.kernel, or the single entry of data.kernels)."""
    spec = config.model.kernel or (config.data.kernels[0] if len(config.data.kernels) == 1 else "")
    if not spec or spec in RANDOM_KERNELS:
        raise InputError(f"config '{config.name}': ODCNN is trained for one fixed kernel; set model.kernel "
                         f"(e.g. disk:7) and data.kernels to it")
    if config.data.source == "synthetic" and list(config.data.kernels) != [spec]:
        raise InputError(f"config '{config.name}': data.kernels {config.data.kernels} must be [{spec}] "
                         f"(the kernel the network is made for)")
    return spec


def validate(config: config_lib.ExperimentConfig) -> None:
    m = config.model
    checks = [
        (m.activation in ACTIVATIONS, f"model.activation must be one of {ACTIVATIONS}"),
        (m.outlier_activation in OUTLIER_ACTIVATIONS,
         f"model.outlier_activation must be one of {OUTLIER_ACTIVATIONS}"),
        (m.filter_size % 2 == 1 and m.filter_size > 0, "model.filter_size must be odd"),
        (0 < m.rank <= m.filter_size, "model.rank must be in 1..filter_size"),
        (m.nsr > 0, "model.nsr must be positive"),
        (min(m.width, m.first_size, m.last_size) > 0, "model.width, first_size, last_size must be positive"),
        (config.data.source == "synthetic",
         "ODCNN trains on data.source 'synthetic' (blur with its one kernel)"),
    ]
    for name in ("stage1", "stage2", "stage3"):
        stage = getattr(config.loss, name)
        checks.append((stage.epochs >= 0 and 0 < stage.final_learning_rate <= stage.learning_rate,
                       f"loss.{name}: epochs >= 0 and 0 < final_learning_rate <= learning_rate"))
    for ok, message in checks:
        if not ok:
            raise InputError(f"config '{config.name}': {message}")


def build_model(config: config_lib.ExperimentConfig, outlier_rejection: bool = True) -> ODCNN:
    """The (untrained, SVD-initialised) ODCNN a config describes."""
    m = config.model
    kernel = physics.kernel_from_spec(kernel_spec(config))
    return ODCNN(kernel, rank=m.rank, filter_size=m.filter_size, nsr=m.nsr, activation=m.activation,
                 preserve_dc=m.preserve_dc,
                 outlier_rejection=outlier_rejection, width=m.width, first_size=m.first_size,
                 last_size=m.last_size, outlier_activation=m.outlier_activation, residual=m.residual,
                 channels=config.data.channels)


def _stage_data(config: config_lib.ExperimentConfig, stage) -> tuple:
    data = dataclasses.replace(config.data, patch_size=stage.patch_size or config.data.patch_size,
                               batch_size=stage.batch_size or config.data.batch_size)
    return training_datasets(data)


def _compile(model: keras.Model, config: config_lib.ExperimentConfig, stage) -> None:
    trainer = dataclasses.replace(config.trainer, learning_rate=stage.learning_rate,
                                  final_learning_rate=stage.final_learning_rate)
    optimizer = train_lib.make_optimizer(trainer, stage.epochs * trainer.steps_per_epoch)
    model.compile(optimizer=optimizer, loss="mse", metrics=[psnr],
                  jit_compile=train_lib.jit_compile_flag(config.trainer))


def _fit(model, config, stage, name):
    """One stage's fit; appends its length, wall time and last losses to `<run_dir>/stages.json`. Returns
    None for a stage an earlier session of the run finished (its record is already there)."""
    train_data, val_data = _stage_data(config, stage)
    run_dir = config.run_dir()
    run_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    log = keras.callbacks.CSVLogger(str(run_dir / f"{name}.csv"), append=True)
    history = train_lib.fit(model, train_data, val_data, config, stage=name, epochs=stage.epochs,
                            extra_callbacks=[log])
    if history is None:
        return None
    record_path = run_dir / "stages.json"
    records = json.loads(record_path.read_text()) if record_path.is_file() else {}
    records[name] = {
        "epochs": stage.epochs, "steps": stage.epochs * config.trainer.steps_per_epoch,
        "patch_size": stage.patch_size or config.data.patch_size,
        "batch_size": stage.batch_size or config.data.batch_size,
        "seconds": round(time.perf_counter() - start, 1),
        "last": {key: round(float(values[-1]), 6) for key, values in history.history.items() if values},
        "first": {key: round(float(values[0]), 6) for key, values in history.history.items() if values},
    }
    io.write_text(record_path, json.dumps(records, indent=1) + "\n")
    return history


def train(config: config_lib.ExperimentConfig, strategy: tf.distribute.Strategy) -> keras.Model:
    """Run the three stages; returns the final model (also the stage-1 model at `<run_dir>/stage1.keras`)."""
    validate(config)
    stages = config.loss
    with strategy.scope():
        model = build_model(config, outlier_rejection=False)
        if stages.stage1.epochs:
            _compile(model, config, stages.stage1)
    trained = _fit(model, config, stages.stage1, "stage1") if stages.stage1.epochs else True
    config.run_dir().mkdir(parents=True, exist_ok=True)
    if trained is not None or not (config.run_dir() / "stage1.keras").is_file():  # else saved by a session before
        model.save(config.run_dir() / "stage1.keras")
    if not (stages.stage2.epochs or stages.stage3.epochs):
        return model
    with strategy.scope():
        model = model.variant(outlier_rejection=True)
        model.set_deconvolution_trainable(False)
        if stages.stage2.epochs:
            _compile(model, config, stages.stage2)
    if stages.stage2.epochs:
        _fit(model, config, stages.stage2, "stage2")
    if stages.stage3.epochs:
        with strategy.scope():
            if config.model.merge:
                model = model.merge()
            model.set_deconvolution_trainable(True)
            _compile(model, config, stages.stage3)
        _fit(model, config, stages.stage3, "stage3")
    else:
        model.set_deconvolution_trainable(True)
    return model
