"""Training wiring: config -> strategy -> data -> model -> `model.fit` with callbacks -> saved model.

Families implement `train(config, strategy) -> keras.Model` (declared in `tfdeblur.families`) using the
helpers here, so every family gets the same run folder layout:

    <run_dir>/config.yaml          the resolved config
    <run_dir>/logs/<stage>/        TensorBoard scalars and images
    <run_dir>/checkpoints/<stage>.keras   best model by validation loss
    <run_dir>/resume/              the resume folder (a killed or stopped run continues at the next step;
                                   removed when the run completes); `trainer.resume_dir` puts it elsewhere
                                   and keeps it, with the learning curve (see `tfdeblur.training.resume`)
    <run_dir>/backup/<stage>/      multi-worker training only: Keras's BackupAndRestore state
    <run_dir>/model.keras          the final model
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path

import keras

from tfdeblur import config as config_lib
from tfdeblur import families
from tfdeblur.training import resume
from tfdeblur.training.fitting import (  # noqa: F401 (re-exported: the old API had them here)
    ImageLogger,
    check_run_folders,
    fit,
    jit_compile_flag,
    learning_rate_schedule,
    make_callbacks,
    make_optimizer,
    make_strategy,
    save_run_config,
)
from tfdeblur.training.resume import TrainingInterrupted


def _worker_config(config: config_lib.ExperimentConfig, strategy):
    """(config, scratch folder): the config a worker writes with, and its scratch folder (None on the chief).

    With several workers only the chief writes the run folder (logs, checkpoints, backup, model). The
    others run the same callbacks into a private scratch folder, so every worker still takes part in
    whatever those writes compute, and start from a copy of the shared BackupAndRestore state, so all
    workers resume from the same epoch.
    """
    if strategy.extended.should_checkpoint:
        return config, None
    scratch = Path(tempfile.mkdtemp(prefix="tfdeblur-worker-"))
    shared_backup = resume.backup_dir(config)
    if shared_backup.is_dir():
        shutil.copytree(shared_backup, scratch / "backup")
    trainer = dataclasses.replace(config.trainer, output_dir=str(scratch))
    return dataclasses.replace(config, trainer=trainer), scratch


def train(config: config_lib.ExperimentConfig) -> keras.Model:
    """Run an experiment: strategy, seed, mixed precision, then the family's training function.

    The family function builds its data and model inside `strategy.scope()`, calls `fit` (maybe in several
    stages) and returns the trained model; this function saves it to `<run_dir>/model.keras` and exports
    it if the config asks. With `multi_worker_mirrored`, every worker runs this with its own TF_CONFIG and
    only the chief writes `<run_dir>` (see `_worker_config`).
    """
    family_train = families.training(config.family)
    # Nothing is created or written until the run is known to be valid: its folders are checked here, its
    # config is written when training starts (`fit`), after the family has built its data and model.
    check_run_folders(config)
    # First: a multi-worker strategy sets up TensorFlow's collective runtime, which must precede other ops.
    strategy = make_strategy(config.trainer.strategy)
    keras.utils.set_random_seed(config.trainer.seed)
    if config.trainer.mixed_precision:
        keras.mixed_precision.set_global_policy(config.trainer.mixed_precision)
    worker_config, scratch = _worker_config(config, strategy)
    try:
        try:
            model = family_train(worker_config, strategy)
        except TrainingInterrupted as stopped:  # the resume state is saved; keep the weights usable too
            if stopped.model is not None:
                stopped.model.save(worker_config.run_dir() / "model.keras")
            raise
        save_run_config(worker_config)  # (already written by fit, unless the family trained no stage)
        model.save(worker_config.run_dir() / "model.keras")
        resume.discard_transient(worker_config)  # the run is complete: its default resume folder goes
    finally:
        keras.mixed_precision.set_global_policy("float32")
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    export = config.export
    if scratch is None and (export.saved_model_dir or export.tflite_path):
        from tfdeblur.tasks import export as export_lib

        export_lib.export_from_config(model, export)
    return model
