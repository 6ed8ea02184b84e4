"""Resumable runs: the one place that writes and reads resume state (the resume folder).

Every resumable run keeps the same small folder, overwritten (never accumulated) as it goes:

    state.json           the run's identity (the config it was started with, or a custom loop's settings)
                         and progress: the step, the stage, the data position, CPU and wall seconds so far,
                         the number of sessions, whether it finished
    weights.weights.h5   the weights and the optimizer state (Adam moments and step counter), in Keras's
                         weights format (no pickles)
    curve.csv            the learning curve: one row per epoch (Keras training) or per step (a custom loop)

Two kinds of run use it:

- Keras training (`fit_resumable`, called by `tfdeblur.training.fitting.fit`): the folder is `trainer.resume_dir`
  when set (kept when the run finishes, so its curve stays), else `<run_dir>/resume` (removed when the run
  completes, as Keras's BackupAndRestore did). The state is saved every `trainer.resume_every_seconds` of
  wall time, on SIGTERM or SIGINT (at the end of the current step, then the process stops), when a session
  budget (`trainer.session_seconds` / `session_cpu_seconds` / `session_steps`) is used up, and at the end
  of each stage. Running the same command again continues at the next step: the optimizer's step counter
  drives the learning-rate schedule (defined on the run's total step count), and the training data stream
  starts at example `step x batch_size` of the same seeded stream, so an interrupted run computes the same
  steps as an uninterrupted one (tests/training/test_resume.py).
- Custom training loops (`LoopRun`): SelfDeblur's paper schedule (`--checkpoint-dir`) saves its two
  generators and two optimizers, and the loss of every step, through it (plus `history.json`, the
  losses as JSON for scripts, written after each save and never read back).

Multi-worker training (`multi_worker_mirrored`) is the one exception to the folder: the workers must agree
on the step they restart from, which Keras's `BackupAndRestore` does through TensorFlow's collective
checkpointing; `multi_worker_backup` gives that callback and `backup_dir` its folder.

Writes are atomic (a temporary file, then a rename): a run killed mid-save resumes from the previous
complete state. Reads refuse, with one line saying how to start over, a damaged state.json or weights
file, a state started with another config, and a SelfDeblur checkpoint of the older format (run.json,
state.npz), which this version does not read.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import keras
import numpy as np

from tfdeblur.errors import InputError, warn
from tfdeblur.io import write_text

WEIGHTS_FILE = "weights.weights.h5"
STATE_FILE = "state.json"
CURVE_FILE = "curve.csv"
HISTORY_FILE = "history.json"  # a custom loop's losses as JSON, for scripts that read them; never read back
TMP_WEIGHTS_FILE = "tmp-" + WEIGHTS_FILE  # Keras needs the .weights.h5 suffix; renamed into place
# What a resume folder holds (the temporary names are those of a save cut short).
RESUME_FILES = {WEIGHTS_FILE, STATE_FILE, CURVE_FILE, HISTORY_FILE, TMP_WEIGHTS_FILE, STATE_FILE + ".tmp"}
# The files of SelfDeblur's checkpoints before they moved to the resume folder (2026-12): refused.
OLD_SELFDEBLUR_FILES = ("run.json", "state.npz")
MULTI_WORKER = "multi_worker_mirrored"
CURVE_FIELDS = ["stage", "epoch", "step", "cpu_seconds", "wall_seconds", "session", "learning_rate", "loss",
                "val_loss", "val_psnr", "val_blurry_psnr", "val_gain_db"]
# Fields that may change between sessions without breaking the run's continuity (labels, folders, budgets,
# XLA, which changes the speed and the float rounding but not the method; a moved or copied state folder
# continues too).
_FREE_FIELDS = {("name",), ("trainer", "epochs"), ("trainer", "output_dir"), ("trainer", "resume_dir"),
                ("trainer", "jit_compile"),
                ("trainer", "resume_every_seconds"),
                ("trainer", "session_seconds"), ("trainer", "session_cpu_seconds"), ("trainer", "session_steps"),
                ("trainer", "image_every"), ("export",)}


class TrainingInterrupted(Exception):
    """A session ended before the run did (signal or session budget); the resume state is saved."""

    def __init__(self, step: int, total: int, resume_dir: Path, signum: int | None = None, model=None):
        self.step, self.total, self.resume_dir, self.signum = step, total, Path(resume_dir), signum
        self.model = model
        why = f"signal {signum}" if signum else "session budget"
        super().__init__(f"training stopped at step {step} of {total} ({why}); the state is in {resume_dir}: "
                         "run the same command to continue")


@dataclasses.dataclass
class RunState:
    """What state.json holds (weights and optimizer are in weights.weights.h5)."""

    stage: str = ""
    step: int = 0
    done_stages: list = dataclasses.field(default_factory=list)
    batch_size: int = 0
    data_seed: int = 0
    data_position: int = 0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    sessions: int = 0
    total_steps: int = 0
    finished: bool = False
    config: dict = dataclasses.field(default_factory=dict)
    epoch_loss_sum: float = 0.0
    epoch_loss_steps: int = 0


def read_state(resume_dir) -> RunState | None:
    path = Path(resume_dir) / STATE_FILE
    if not path.is_file():
        return None
    values = json.loads(path.read_text())
    if not isinstance(values, dict):
        raise ValueError("not a JSON object")
    known = {f.name for f in dataclasses.fields(RunState)}
    return RunState(**{k: v for k, v in values.items() if k in known})


def state_dir(config) -> Path | None:
    """The resume folder of `config`'s Keras training run: `trainer.resume_dir` when set; else, with
    `trainer.backup` on and one worker, `<run_dir>/resume` (removed by `discard_transient` when the run
    completes); None otherwise (no resume state, or multi-worker training, which uses `multi_worker_backup`)."""
    explicit = config.resume_dir()
    if explicit is not None:
        return explicit
    if config.trainer.backup and config.trainer.strategy != MULTI_WORKER:
        return config.run_dir() / "resume"
    return None


def discard_transient(config) -> None:
    """Remove the default resume folder (`<run_dir>/resume`) of a completed run; a `trainer.resume_dir`
    the user chose is kept (its curve and final state stay)."""
    if config.resume_dir() is None:
        folder = state_dir(config)
        if folder is not None and folder.is_dir():
            shutil.rmtree(folder)


def backup_dir(config) -> Path:
    """The folder of the multi-worker BackupAndRestore state (`<run_dir>/backup`)."""
    return config.run_dir() / "backup"


def multi_worker_backup(config, stage: str) -> keras.callbacks.Callback | None:
    """Keras's BackupAndRestore for multi-worker training (every worker restarts at the chief's last epoch;
    deleted when the stage completes); None for other strategies, which keep the resume folder."""
    if not (config.trainer.backup and config.trainer.strategy == MULTI_WORKER):
        return None
    return keras.callbacks.BackupAndRestore(str(backup_dir(config) / stage))


def check_folder(folder, restart: str) -> RunState | None:
    """The saved state in resume folder `folder` (None if it holds none), or InputError if it cannot be
    resumed: a file, a damaged state.json or weights file, or a SelfDeblur checkpoint of the older format.
    `restart` says how to start over (the end of every message). Reads only."""
    folder = Path(folder)
    if not folder.exists():
        return None
    if not folder.is_dir():
        raise InputError(f"{folder} is a file, not a folder; {restart}")
    old = [name for name in OLD_SELFDEBLUR_FILES if (folder / name).exists()]
    if old:
        raise InputError(f"{folder} holds a SelfDeblur checkpoint of an older tfdeblur ({', '.join(old)}), "
                         f"which this version does not resume; {restart}")
    try:
        state = read_state(folder)
    except (OSError, ValueError, TypeError) as err:  # not JSON, or not a state's fields
        raise InputError(f"{folder / STATE_FILE} is damaged ({type(err).__name__}); {restart}") from None
    weights = folder / WEIGHTS_FILE
    if weights.exists():
        _check_weights_file(weights, restart)
    return state


def _check_weights_file(path: Path, restart: str) -> None:
    """Refuse a weights file that is not a complete HDF5 file of numeric arrays (truncated, or another
    kind of file such as a pickle): reading every array checks it."""
    import h5py

    def read(name, item):
        if isinstance(item, h5py.Dataset):
            if item.dtype.kind not in "biuf":
                raise ValueError(f"{name} is not numeric")
            item[()]

    try:
        with h5py.File(path, "r") as handle:
            handle.visititems(read)
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        raise InputError(f"{path} is truncated or damaged ({type(err).__name__}); {restart}") from None


def save_checkpoint(folder: Path, saveable: keras.Model, state: RunState) -> None:
    """Save the weights (and the optimizers' state) of `saveable` and `state`: both are written to temporary
    files first (the slow part), then renamed into place one after the other, so a kill leaves the previous
    pair or the new one (or, between the two renames, new weights with the previous state.json, which a
    restore detects: the weights' step counter is the truth)."""
    folder = Path(folder)
    try:
        saveable.save_weights(folder / TMP_WEIGHTS_FILE)
        write_text(folder / (STATE_FILE + ".tmp"), json.dumps(dataclasses.asdict(state), indent=1) + "\n")
    except BaseException:  # e.g. a full disk: no partial file is left behind
        (folder / TMP_WEIGHTS_FILE).unlink(missing_ok=True)
        raise
    os.replace(folder / TMP_WEIGHTS_FILE, folder / WEIGHTS_FILE)
    os.replace(folder / (STATE_FILE + ".tmp"), folder / STATE_FILE)


def append_curve(folder: Path, rows: list[dict]) -> None:
    """Add rows (already formatted) to `folder/curve.csv`, writing its header first if it is new."""
    path = Path(folder) / CURVE_FILE
    new = not path.is_file()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CURVE_FIELDS)
        if new:
            writer.writeheader()
        writer.writerows(rows)


def trim_curve(folder: Path, step: int) -> None:
    """Drop the curve rows past `step` (written by a session killed before its state was saved), so the
    resumed run writes them once."""
    path = Path(folder) / CURVE_FILE
    if not path.is_file():
        return
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    kept = [row for row in rows if float(row["step"]) <= step]
    if len(kept) < len(rows):
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CURVE_FIELDS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(kept)
        write_text(path, buffer.getvalue())


def continues(config) -> bool:
    """Whether `config`'s resumable run has trained weights to continue from (a stage past step 0): its
    starting weights (a warm start such as IDC's model.init_from) are then replaced by them, so a restart
    need not load them, nor fail when they are gone."""
    resume_dir = state_dir(config)
    state = read_state(resume_dir) if resume_dir else None
    return bool(state and (state.step > 0 or state.done_stages) and (Path(resume_dir) / WEIGHTS_FILE).is_file())


def read_curve(resume_dir) -> list[dict]:
    """The learning curve rows (strings parsed to floats where they are numbers)."""
    path = Path(resume_dir) / CURVE_FILE
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for key, value in row.items():
            with contextlib.suppress(ValueError, TypeError):
                row[key] = float(value)
    return rows


def _differences(saved: dict, current: dict, prefix=()) -> list[str]:
    """Fields set differently; fields only one side knows (added or removed by a code change) are skipped."""
    out = []
    for key in sorted(set(saved) & set(current)):
        path = prefix + (key,)
        if any(path[:len(free)] == free for free in _FREE_FIELDS):
            continue
        a, b = saved.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, path)
        elif a != b:
            out.append(f"{'.'.join(path)} ({a!r} -> {b!r})")
    return out


def check_resume_dir(config) -> RunState | None:
    """The saved state of `config`'s resumable run (None for a new run), or InputError if the folder cannot
    be this run's: a file, a damaged state.json, a state started with another config, or a folder that holds
    other files and no resume state (e.g. another run's output folder). Reads only: it runs before anything
    is written, so a refused run changes nothing."""
    from tfdeblur import config as config_lib

    folder = state_dir(config)
    if folder is None or not folder.exists():
        return None
    if not folder.is_dir():
        raise InputError(f"trainer.resume_dir {folder} is a file, not a folder")
    state = check_folder(folder, f"remove {folder} to start a new run")
    if state is None:
        others = sorted(p.name for p in folder.iterdir()
                        if p.name not in RESUME_FILES and not (p.name.startswith(".") and p.name.endswith(".tmp")))
        if others and folder.resolve() != config.run_dir().resolve():
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            raise InputError(f"trainer.resume_dir {folder} holds other files ({shown}) and no resume state "
                             f"({STATE_FILE}): it is not this run's resume folder (another run's output?); "
                             "give a new or empty folder")
        return None
    changed = _differences(state.config, config_lib.to_dict(config))
    if changed:
        raise InputError(f"the run in {folder} was started with another config: {'; '.join(changed)}. "
                         "Change it back, or remove that folder to start a new run")
    return state


class _StopFlag:
    """SIGTERM/SIGINT set a flag (the step in progress finishes, then the state is saved); a second signal
    stops at once."""

    def __init__(self):
        self.signum = None

    def __call__(self, signum, frame):
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum

    @contextlib.contextmanager
    def installed(self):
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {s: signal.signal(s, self) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


class ResumeCallback(keras.callbacks.Callback):
    """Counts steps and time, saves the resume state when due, logs the learning curve per epoch."""

    def __init__(self, run: ResumableRun, stop: _StopFlag, first_step: int, steps_per_epoch: int):
        super().__init__()
        self.run, self.stop, self.step, self.steps_per_epoch = run, stop, first_step, steps_per_epoch
        self._previous_mean = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._previous_mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        # Keras reports the running mean of the loss over this fit's epoch; recover the step's own loss.
        mean = float((logs or {}).get("loss", 0.0))
        step_loss = (batch + 1) * mean - batch * self._previous_mean
        self._previous_mean = mean
        self.run.state.epoch_loss_sum += step_loss
        self.run.state.epoch_loss_steps += 1
        run = self.run
        if self.stop.signum is not None or run.budget_used(self.step):
            self.model.stop_training = True
            run.save(self.model, self.step)
        elif time.monotonic() - run.last_save >= run.trainer.resume_every_seconds:
            run.save(self.model, self.step)

    def on_epoch_end(self, epoch, logs=None):
        if self.step % self.steps_per_epoch:
            return  # a partial epoch (the session stopped): its row is written when a later session ends it
        self.run.log_epoch(self.model, epoch, self.step, logs or {})


class ResumableRun:
    """One resumable run of a config: loads and saves the state folder, times the session."""

    def __init__(self, config, batch_size: int):
        from tfdeblur import config as config_lib

        self.config, self.trainer = config, config.trainer
        self.dir = state_dir(config)
        current = config_lib.to_dict(config)
        state = check_resume_dir(config)  # before the folder is made: a refused run leaves nothing
        self.dir.mkdir(parents=True, exist_ok=True)
        if state is None:
            state = RunState(config=current)
        else:
            state.config = current
        state.batch_size, state.data_seed = config.data.batch_size, config.data.seed
        state.sessions += 1
        self.state = state
        self._cpu0, self._wall0 = time.process_time(), time.monotonic()
        self._saved_cpu, self._saved_wall = state.cpu_seconds, state.wall_seconds
        self.session_start_step = state.step
        self.last_save = time.monotonic()
        self.blurry_psnr = None

    def cpu_seconds(self) -> float:
        return self._saved_cpu + time.process_time() - self._cpu0

    def wall_seconds(self) -> float:
        return self._saved_wall + time.monotonic() - self._wall0

    def budget_used(self, step: int) -> bool:
        t = self.trainer
        return bool((t.session_steps and step - self.session_start_step >= t.session_steps)
                    or (t.session_seconds and time.monotonic() - self._wall0 >= t.session_seconds)
                    or (t.session_cpu_seconds and time.process_time() - self._cpu0 >= t.session_cpu_seconds))

    def restore(self, model: keras.Model, stage: str) -> int:
        """Load the weights and optimizer state if this stage was in progress; returns the step to start at."""
        weights = self.dir / WEIGHTS_FILE
        if self.state.stage != stage or not weights.is_file():
            self.state.stage, self.state.step, self.state.finished = stage, 0, False
            self.state.epoch_loss_sum, self.state.epoch_loss_steps = 0.0, 0
            return 0
        if model.optimizer is not None and not model.optimizer.built:
            with model.distribute_strategy.scope():  # (MirroredStrategy: its slots mirror the weights)
                model.optimizer.build(model.trainable_variables)
        model.load_weights(weights)
        step = int(model.optimizer.iterations.numpy()) if model.optimizer is not None else self.state.step
        if step != self.state.step:  # killed between the two writes: the weights file holds the truth
            warn(f"resume state: weights at step {step}, state.json at {self.state.step}; using {step}")
        self.state.step = step
        trim_curve(self.dir, step)
        return step

    def save(self, model: keras.Model, step: int) -> None:
        s = self.state
        s.step, s.data_position = step, step * s.batch_size
        s.cpu_seconds, s.wall_seconds = round(self.cpu_seconds(), 1), round(self.wall_seconds(), 1)
        save_checkpoint(self.dir, model, s)
        self.last_save = time.monotonic()

    def finish_stage(self, model: keras.Model, stage: str, step: int) -> None:
        if stage not in self.state.done_stages:
            self.state.done_stages.append(stage)
        self.state.finished = True
        self.save(model, step)

    def measure_blurry_psnr(self, val_data) -> None:
        """Mean PSNR of the validation inputs against their targets (the baseline of the gain column)."""
        if val_data is None or self.blurry_psnr is not None:
            return
        if self.trainer.validation_steps:
            val_data = val_data.take(self.trainer.validation_steps)
        values = []
        for blurry, sharp in val_data:
            blurry = blurry["blurry"] if isinstance(blurry, dict) else blurry
            if blurry.shape != sharp.shape:
                return
            mse = np.mean((np.clip(np.asarray(blurry), 0, 1) - np.asarray(sharp)) ** 2, axis=(1, 2, 3))
            values += list(10 * np.log10(1.0 / np.maximum(mse, 1e-10)))
        self.blurry_psnr = float(np.mean(values)) if values else None

    def log_epoch(self, model: keras.Model, epoch: int, step: int, logs: dict) -> None:
        s = self.state
        loss = s.epoch_loss_sum / s.epoch_loss_steps if s.epoch_loss_steps else logs.get("loss")
        s.epoch_loss_sum, s.epoch_loss_steps = 0.0, 0
        rate = model.optimizer.learning_rate if model.optimizer is not None else None
        val_psnr = logs.get("val_psnr")
        gain = val_psnr - self.blurry_psnr if val_psnr is not None and self.blurry_psnr is not None else None
        row = {"stage": s.stage, "epoch": epoch + 1, "step": step, "cpu_seconds": round(self.cpu_seconds(), 1),
               "wall_seconds": round(self.wall_seconds(), 1), "session": s.sessions,
               "learning_rate": float(np.asarray(rate)) if rate is not None else "",
               "loss": loss, "val_loss": logs.get("val_loss", ""), "val_psnr": val_psnr,
               "val_blurry_psnr": self.blurry_psnr, "val_gain_db": gain}
        row = {k: ("" if v is None else (f"{v:.6g}" if isinstance(v, float) else v)) for k, v in row.items()}
        append_curve(self.dir, [row])


def fit_resumable(model: keras.Model, train_data, val_data, config, stage: str, epochs: int,
                  steps_per_epoch: int, fit_kwargs: dict, callbacks: list) -> keras.callbacks.History | None:
    """`model.fit` that starts from and keeps the resume state (see the module docstring).

    `train_data` is a dataset or a function `start -> dataset` whose stream begins at example `start`
    (cheap for the synthetic pipelines); a plain dataset is resumed by skipping whole batches.
    Raises `TrainingInterrupted` when the session ends before the stage does.
    """
    run = ResumableRun(config, config.data.batch_size)
    if stage in run.state.done_stages:  # finished in an earlier session
        if run.state.stage == stage:  # the last stage: its weights are the run's result
            run.restore(model, stage)
        return None
    step = run.restore(model, stage)
    total = epochs * steps_per_epoch
    run.state.total_steps = total
    if step >= total:
        run.finish_stage(model, stage, step)
        return None
    run.measure_blurry_psnr(val_data)

    def data_from(start_step: int):
        if callable(train_data):
            return train_data(start_step * config.data.batch_size)
        return train_data.skip(start_step) if start_step else train_data

    stop = _StopFlag()
    history = None
    with stop.installed():
        resume_callback = ResumeCallback(run, stop, step, steps_per_epoch)
        every = callbacks + [resume_callback]
        epoch, offset = divmod(step, steps_per_epoch)
        if offset:  # finish the interrupted epoch first
            history = model.fit(data_from(step), epochs=epoch + 1, initial_epoch=epoch,
                                steps_per_epoch=steps_per_epoch - offset, callbacks=every, **fit_kwargs)
            epoch += 1
        if not model.stop_training and epoch < epochs:
            history = model.fit(data_from(epoch * steps_per_epoch), epochs=epochs, initial_epoch=epoch,
                                steps_per_epoch=steps_per_epoch, callbacks=every, **fit_kwargs)
    step = resume_callback.step
    if step < total:
        raise TrainingInterrupted(step, total, run.dir, stop.signum, model)
    run.finish_stage(model, stage, step)
    return history


class _Saveable(keras.Model):
    """What a custom loop saves: its networks and optimizers, in Keras's weights format."""

    def __init__(self, networks, optimizers):
        super().__init__()
        self.networks, self.optimizers = list(networks), list(optimizers)
        self.built = True


class LoopRun:
    """The resume folder of a custom training loop (SelfDeblur's paper schedule): its networks, its
    optimizers (whose step counters drive the learning-rate schedules) and the loss of every step.

    Args:
        folder: the resume folder (made if missing).
        settings: what the run must match to be resumed (the image's hash, the seed, every setting); a
            folder holding another run's state is refused, naming the settings that differ.
        stage: the run's kind, kept in state.json (e.g. "selfdeblur").
        total_steps: the run's length (kept in state.json).
        flag: how the user named the folder, for the messages (e.g. "--checkpoint-dir").
    """

    def __init__(self, folder, settings: dict, stage: str, total_steps: int = 0, flag: str = "the resume folder"):
        self.dir = Path(folder)
        self.restart = f"delete {self.dir} (or give another {flag}) to start the run over"
        settings = json.loads(json.dumps(settings))  # tuples -> lists, as read back
        state = check_folder(self.dir, self.restart)
        if state is not None and state.config != settings:
            keys = set(state.config) | set(settings)
            changed = sorted(k for k in keys if state.config.get(k) != settings.get(k))
            raise InputError(f"{self.dir} holds another {state.stage or stage} run (differs in: "
                             f"{', '.join(changed)}); give an empty folder or the same image and settings")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state = state or RunState(stage=stage, config=settings)
        self.state.sessions, self.state.total_steps = self.state.sessions + 1, int(total_steps)
        self.saved_steps = 0

    def restore(self, networks, optimizers) -> tuple[list[float], float]:
        """Load the saved weights into `networks` and `optimizers` (built); returns the loss of every step
        done and the wall seconds spent so far (an empty list and 0 for a new run)."""
        weights = self.dir / WEIGHTS_FILE
        if not weights.is_file():
            return [], 0.0
        _Saveable(networks, optimizers).load_weights(weights)
        step = int(optimizers[0].iterations.numpy())
        if step != self.state.step:  # killed between the two writes: the weights file holds the truth
            warn(f"resume state: weights at step {step}, state.json at {self.state.step}; using {step}")
        trim_curve(self.dir, step)
        losses = [float(row["loss"]) for row in read_curve(self.dir)]
        if len(losses) != step:
            raise InputError(f"{self.dir / CURVE_FILE} holds {len(losses)} steps, the weights {step}; "
                             f"{self.restart}")
        self.state.step, self.saved_steps = step, step
        return losses, float(self.state.wall_seconds)

    def save(self, networks, optimizers, losses: list[float], seconds: float, finished: bool = False) -> None:
        """Save the state after `len(losses)` steps: the new curve rows, then the weights and state.json
        (`save_checkpoint`; the curve is appended, and a restore trims it to the weights' step), then
        history.json, a readable copy of the losses (steps, loss, seconds, seed) that is never read back."""
        rows = [{"stage": self.state.stage, "step": step + 1, "session": self.state.sessions,
                 "loss": repr(float(loss))} for step, loss in enumerate(losses) if step >= self.saved_steps]
        append_curve(self.dir, rows)
        self.state.step = self.saved_steps = len(losses)
        self.state.wall_seconds, self.state.finished = round(float(seconds), 2), finished
        save_checkpoint(self.dir, _Saveable(networks, optimizers), self.state)
        history = dict(steps=len(losses), loss=[float(v) for v in losses], seconds=self.state.wall_seconds,
                       seed=self.state.config.get("seed"))
        write_text(self.dir / HISTORY_FILE, json.dumps(history))
