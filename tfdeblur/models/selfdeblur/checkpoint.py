"""Resumable paper-schedule runs: SelfDeblur's state on disk, restored exactly.

The paper schedule takes hours on a CPU (5000 steps at ~1.6 s for a 255x255 image), longer than a
working session. `RunState` keeps, in one folder:

- `run.json`: the run's fingerprint (image hash, kernel size, seed, every optimisation setting), so a
  folder is only ever resumed by the same run;
- `state.npz`: every variable of both generators and both Adam optimizers (their step counters drive
  the learning-rate schedule), in a fixed order, with the history (the loss of every step done, the
  seconds spent, the seed) in the same file, written atomically (temporary file + rename): a run killed
  mid-save resumes from the previous complete state;
- `history.json`: a readable copy of that history. The per-step input noise is stateless (a function of
the seed and the step), so a resumed run follows the same trajectory as an uninterrupted one.
"""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.io import write_bytes_atomic, write_text


def _variables(solver) -> list:
    nets = [solver.image_generator, solver.kernel_generator]
    return [v for net in nets for v in net.weights] + [v for opt in solver._optimizers for v in opt.variables]


class RunState:
    """The saved state of one SelfDeblur paper-schedule run (see the module docstring)."""

    def __init__(self, folder, fingerprint: dict):
        self.folder = Path(folder)
        self.fingerprint = json.loads(json.dumps(fingerprint))  # tuples -> lists, as read back
        self.folder.mkdir(parents=True, exist_ok=True)
        saved = self.folder / "run.json"
        if saved.exists():
            other = json.loads(saved.read_text())
            if other != self.fingerprint:
                keys = set(other) | set(self.fingerprint)
                changed = sorted(k for k in keys if other.get(k) != self.fingerprint.get(k))
                raise InputError(f"{self.folder} holds another SelfDeblur run (differs in: {', '.join(changed)}); "
                                 "give an empty folder or the same image and settings")
        else:
            write_text(saved, json.dumps(self.fingerprint, indent=1))

    def restore(self, solver) -> bool:
        """Load the saved state into `solver` (built, optimizers built); False if there is none yet."""
        weights = self.folder / "state.npz"
        if not weights.exists():
            return False
        with np.load(weights) as arrays:
            saved = json.loads(str(arrays["history"]))
            values = [arrays[f"v{i}"] for i in range(len(arrays.files) - 1)]
        variables = _variables(solver)
        if len(values) != len(variables) or any(v.shape != tuple(a.shape) for v, a in zip(variables, values)):
            raise InputError(f"{weights} does not match this SelfDeblur run's variables")
        for variable, value in zip(variables, values):
            variable.assign(value)
        solver.history.loss = [float(v) for v in saved["loss"][:saved["steps"]]]
        solver.history.seconds = float(saved["seconds"])
        return True

    def save(self, solver) -> None:
        history = json.dumps(dict(steps=len(solver.history.loss), loss=solver.history.loss,
                                  seconds=round(solver.history.seconds, 2), seed=solver.history.seed))
        buffer = BytesIO()
        np.savez(buffer, history=np.array(history),
                 **{f"v{i}": np.asarray(v.numpy()) for i, v in enumerate(_variables(solver))})
        write_bytes_atomic(self.folder / "state.npz", buffer.getvalue())
        write_text(self.folder / "history.json", history)
