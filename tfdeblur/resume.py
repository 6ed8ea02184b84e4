"""Resumable training runs: a small state folder that lets the same `tfdeblur train` command continue.

A config with `trainer.resume_dir` set (e.g. `runs/{name}/resume`) keeps there:

    weights.weights.h5   the model's weights and the optimizer's state (Adam moments and its step counter)
    state.json           the global step, the stage, the data seed and position, CPU and wall seconds so far,
                         the number of sessions, and the config the run was started with
    curve.csv            one row per epoch: step, cumulative CPU/wall seconds, session, training loss,
                         validation loss and PSNR (and the blurry inputs' PSNR, so the gain in dB)

The files are overwritten (never accumulated) every `trainer.resume_every_seconds` of wall time, when the
process gets SIGTERM or SIGINT (it saves at the end of the current step, then stops), when a session budget
(`trainer.session_seconds` / `session_steps`) is used up, and at the end of the run. Running the same command
again loads the state and continues at the next step: the optimizer's step counter drives the learning-rate
schedule, which is defined on the run's total step count (`epochs x steps_per_epoch`), and the training data
stream starts at example `step x batch_size` of the same seeded stream, so an interrupted run computes the
same steps as an uninterrupted one (tests/test_resume.py).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import os
import signal
import threading
import time
from pathlib import Path

import keras
import numpy as np

from tfdeblur.errors import InputError, warn

WEIGHTS_FILE = "weights.weights.h5"
STATE_FILE = "state.json"
CURVE_FILE = "curve.csv"
# What a resume folder holds (the two temporary names are those of a save cut short).
RESUME_FILES = {WEIGHTS_FILE, STATE_FILE, CURVE_FILE, "tmp-" + WEIGHTS_FILE, STATE_FILE + ".tmp"}
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
    known = {f.name for f in dataclasses.fields(RunState)}
    return RunState(**{k: v for k, v in values.items() if k in known})


def continues(config) -> bool:
    """Whether `config`'s resumable run has trained weights to continue from (a stage past step 0): its
    starting weights (a warm start such as IDC's model.init_from) are then replaced by them, so a restart
    need not load them, nor fail when they are gone."""
    resume_dir = config.resume_dir()
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

    folder = config.resume_dir()
    if folder is None or not folder.exists():
        return None
    if not folder.is_dir():
        raise InputError(f"trainer.resume_dir {folder} is a file, not a folder")
    try:
        state = read_state(folder)
    except (ValueError, TypeError) as err:  # not JSON, or not a state's fields
        raise InputError(f"{folder / STATE_FILE} is damaged ({type(err).__name__}); remove {folder} to start a "
                         "new run") from None
    if state is None:
        others = sorted(p.name for p in folder.iterdir() if p.name not in RESUME_FILES)
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


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


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
        self.dir = config.resume_dir()
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
            model.optimizer.build(model.trainable_variables)
        model.load_weights(weights)
        step = int(model.optimizer.iterations.numpy()) if model.optimizer is not None else self.state.step
        if step != self.state.step:  # killed between the two writes: the weights file holds the truth
            warn(f"resume state: weights at step {step}, state.json at {self.state.step}; using {step}")
        self.state.step = step
        return step

    def save(self, model: keras.Model, step: int) -> None:
        s = self.state
        s.step, s.data_position = step, step * s.batch_size
        s.cpu_seconds, s.wall_seconds = round(self.cpu_seconds(), 1), round(self.wall_seconds(), 1)
        tmp = self.dir / ("tmp-" + WEIGHTS_FILE)
        model.save_weights(tmp)
        os.replace(tmp, self.dir / WEIGHTS_FILE)
        _atomic_write_text(self.dir / STATE_FILE, json.dumps(dataclasses.asdict(s), indent=1) + "\n")
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
        path = self.dir / CURVE_FILE
        new = not path.is_file()
        with path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=CURVE_FIELDS)
            if new:
                writer.writeheader()
            writer.writerow(row)


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
