"""The fit machinery every family's training uses: strategy, learning-rate schedule, optimizer, callbacks,
`fit` (resumable through `tfdeblur.training.resume`) and the run folder's config.

It sits below the model families (layer 2, README "Package map"): `tfdeblur.models.<family>.training` imports
it, and `tfdeblur.training.run` (above the families) picks a family's training by name and runs it with these.
Run folder layout: see `tfdeblur.training.run`.
"""

from __future__ import annotations

from pathlib import Path

import keras
import tensorflow as tf
import yaml

from tfdeblur import config as config_lib
from tfdeblur.io import save_model_atomic
from tfdeblur.training import resume


class _MultiWorkerStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """MultiWorkerMirroredStrategy with the `reduce` that Keras 3's `fit` expects (keras-team/keras#20585).

    With several workers Keras 3 calls `strategy.reduce` (a collective op) in two ways TensorFlow rejects:
    on a whole (inputs, targets) batch before the first step, and with `axis=0` on the scalar loss and
    metrics of every step. Reducing leaf by leaf, and scalars without an axis, is what those calls mean.
    """

    def reduce(self, reduce_op, value, axis):
        def reduce_leaf(leaf):
            local = self.experimental_local_results(leaf)[0]
            leaf_axis = None if getattr(local, "shape", None) is not None and local.shape.rank == 0 else axis
            return super(_MultiWorkerStrategy, self).reduce(reduce_op, leaf, leaf_axis)

        return tf.nest.map_structure(reduce_leaf, value)


def make_strategy(name: str) -> tf.distribute.Strategy:
    """"default" (one device), "mirrored" (all local GPUs/CPU) or "multi_worker_mirrored" (TF_CONFIG)."""
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker_mirrored":
        return _MultiWorkerStrategy()
    return tf.distribute.get_strategy()


def learning_rate_schedule(trainer: config_lib.TrainerConfig, total_steps: int):
    """Learning rate from `learning_rate` to `final_learning_rate` over `total_steps`."""
    start, end = trainer.learning_rate, trainer.final_learning_rate
    total_steps = max(int(total_steps), 1)
    if trainer.schedule == "constant":
        return start
    if trainer.schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(start, total_steps, alpha=end / start)
    return keras.optimizers.schedules.ExponentialDecay(start, total_steps, decay_rate=end / start)


def make_optimizer(trainer: config_lib.TrainerConfig, total_steps: int | None = None,
                   learning_rate=None) -> keras.optimizers.Optimizer:
    """Adam or AdamW with the configured schedule (or an explicit `learning_rate`)."""
    if total_steps is None:
        total_steps = trainer.epochs * trainer.steps_per_epoch
    rate = learning_rate if learning_rate is not None else learning_rate_schedule(trainer, total_steps)
    kwargs = {"clipnorm": trainer.clipnorm} if trainer.clipnorm > 0 else {}
    if trainer.optimizer == "adamw":
        return keras.optimizers.AdamW(rate, weight_decay=trainer.weight_decay, **kwargs)
    return keras.optimizers.Adam(rate, **kwargs)


def jit_compile_flag(trainer: config_lib.TrainerConfig):
    return {"auto": "auto", "true": True, "false": False}[trainer.jit_compile]


class ImageLogger(keras.callbacks.Callback):
    """Writes blurry / estimate / sharp images of a fixed validation batch to TensorBoard.

    Args:
        log_dir: TensorBoard folder (a subfolder `images` is used).
        blurry: NHWC inputs (or a dict of inputs whose "blurry" entry is shown).
        sharp: NHWC targets.
        every: epochs between writes.
        max_images: images shown per batch.
    """

    def __init__(self, log_dir, blurry, sharp, every: int = 1, max_images: int = 4):
        super().__init__()
        self.log_dir = str(log_dir)
        self.blurry = blurry
        self.sharp = sharp
        self.every = every
        self.max_images = max_images
        self._writer = None

    def _shown_input(self):
        return self.blurry["blurry"] if isinstance(self.blurry, dict) else self.blurry

    def on_epoch_end(self, epoch, logs=None):
        if not self.every or (epoch + 1) % self.every:
            return
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(Path(self.log_dir) / "images"))
        estimate = self.model(self.blurry, training=False)
        estimate = tf.clip_by_value(tf.cast(estimate, tf.float32), 0.0, 1.0)
        blurry = self._shown_input()
        # Inputs and outputs may differ in size (e.g. 'valid' models); show each at its own size.
        with self._writer.as_default():
            tf.summary.image("1_blurry", blurry, step=epoch, max_outputs=self.max_images)
            tf.summary.image("2_estimate", estimate, step=epoch, max_outputs=self.max_images)
            tf.summary.image("3_sharp", self.sharp, step=epoch, max_outputs=self.max_images)
        self._writer.flush()


class BestModelCheckpoint(keras.callbacks.Callback):
    """The model with the lowest `monitor` so far, saved to `filepath` whole or not at all.

    Keras's `ModelCheckpoint(save_best_only=True)` writes the `.keras` file in place, so a full disk or a
    kill mid-save left a cut file (issue 31); here the model is saved beside it and renamed over it.
    """

    def __init__(self, filepath, monitor: str = "val_loss", **kwargs):
        super().__init__(**kwargs)
        self.filepath = Path(filepath)
        self.monitor = monitor
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or (self.best is not None and not float(value) < self.best):
            return
        save_model_atomic(self.model, self.filepath)
        self.best = float(value)


def make_callbacks(config: config_lib.ExperimentConfig, stage: str = "train", val_data=None,
                   monitor: str = "val_loss") -> list[keras.callbacks.Callback]:
    """TensorBoard, image logging, best-model checkpoint (and, for multi-worker training, Keras's
    BackupAndRestore through `tfdeblur.training.resume`) for one fit stage."""
    run_dir = config.run_dir()
    trainer = config.trainer
    callbacks: list[keras.callbacks.Callback] = [
        keras.callbacks.TensorBoard(log_dir=str(run_dir / "logs" / stage), update_freq="epoch"),
    ]
    has_validation = val_data is not None
    if has_validation and trainer.image_every:
        blurry, sharp = next(iter(val_data))
        callbacks.append(ImageLogger(run_dir / "logs" / stage, blurry, sharp, every=trainer.image_every))
    if trainer.checkpoint:
        (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        callbacks.append(BestModelCheckpoint(run_dir / "checkpoints" / f"{stage}.keras",
                                             monitor=monitor if has_validation else "loss"))
    backup = resume.multi_worker_backup(config, stage)  # other strategies keep the resume folder
    if backup is not None:
        callbacks.append(backup)
    return callbacks


def _shard_by_data(dataset):
    """Split every global batch between the workers (each worker's pipeline is seeded alike, so the
    synthetic and folder-pair batches are partitioned exactly). tf.data's default, AUTO, first tries to
    split by input file, which fails when a dataset has fewer files than workers."""
    if not isinstance(dataset, tf.data.Dataset):
        return dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def fit(model: keras.Model, train_data, val_data, config: config_lib.ExperimentConfig, stage: str = "train",
        epochs: int | None = None, steps_per_epoch: int | None = None, verbose="auto",
        extra_callbacks=()) -> keras.callbacks.History | None:
    """`model.fit` with the run's callbacks; `epochs`/`steps_per_epoch` default to the trainer config.

    `train_data` is a dataset, or a function `start -> dataset` whose stream begins at example `start`
    (what a resumable run uses to continue its data stream cheaply). The run is resumable through its
    resume folder (`tfdeblur.training.resume.fit_resumable`; `trainer.resume_dir`, or `<run_dir>/resume` with
    `trainer.backup`): it returns None for a stage an earlier session finished and raises
    `TrainingInterrupted` when this session ends first. Multi-worker training resumes through Keras's
    BackupAndRestore instead (`tfdeblur.training.resume.multi_worker_backup`).
    """
    trainer = config.trainer
    validation_steps = trainer.validation_steps or None
    epochs, steps_per_epoch = epochs or trainer.epochs, steps_per_epoch or trainer.steps_per_epoch
    if isinstance(model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
        train_data = train_data if not callable(train_data) else train_data(0)
        train_data, val_data = _shard_by_data(train_data), _shard_by_data(val_data)
    save_run_config(config)  # checked first: written only once the run's data and model exist
    callbacks = make_callbacks(config, stage, val_data) + list(extra_callbacks)
    fit_kwargs = dict(validation_data=val_data, validation_steps=validation_steps, verbose=verbose)
    if resume.state_dir(config) is not None:
        return resume.fit_resumable(model, train_data, val_data, config, stage, epochs, steps_per_epoch,
                                    fit_kwargs, callbacks)
    if callable(train_data):
        train_data = train_data(0)
    return model.fit(train_data, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks,
                     **fit_kwargs)


def check_run_folders(config: config_lib.ExperimentConfig) -> None:
    """Refuse, reading only, run folders this run cannot use (see `resume.check_resume_dir`): called before
    anything is created or written, so a refused run leaves no folder and no changed file behind."""
    from tfdeblur.errors import InputError

    run_dir = config.run_dir()
    if run_dir.exists() and not run_dir.is_dir():
        raise InputError(f"trainer.output_dir {run_dir} is a file, not a folder")
    resume.check_resume_dir(config)


def save_run_config(config: config_lib.ExperimentConfig) -> Path:
    """Write `<run_dir>/config.yaml` (creating the run folder), once `check_run_folders` has passed."""
    check_run_folders(config)
    run_dir = config.run_dir()
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "config.yaml"
    path.write_text(yaml.safe_dump(config_lib.to_dict(config), sort_keys=False))
    return path
