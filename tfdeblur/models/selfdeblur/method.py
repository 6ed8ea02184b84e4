"""`tfdeblur.deblur(..., method="selfdeblur")`: the registry's entry point for the SelfDeblur family."""

from __future__ import annotations

import numpy as np

from tfdeblur.errors import InputError
from tfdeblur.models.selfdeblur.paper_schedule import COLOR_ITERATIONS
from tfdeblur.models.selfdeblur.self_deblur import SelfDeblur
from tfdeblur.result import DeblurResult

DEFAULT_KERNEL_SIZE = 21  # the official code's default


def deblur_method(image, kernel=None, kernel_size: int | str | None = None, iterations: int | None = None,
                  seed: int | None = 0, nonblind: str | None = None, log_dir: str | None = None,
                  progress: bool = True, schedule: str | None = None, checkpoint_dir=None) -> DeblurResult:
    """`tfdeblur.deblur(..., method="selfdeblur")`: validated image in, `DeblurResult` (with kernel) out.

    `schedule` defaults to "fast" (kernel coarse to fine on a pyramid, non-blind finish; seconds for a
    255x255 image, README "Blind deblurring"); "paper" runs the official schedule (5000 steps for gray
    and 2500 for colour images by default). `kernel_size` defaults to "auto" (fast) or 21 (paper); `seed`
    to 0, so the same command gives the same result. `checkpoint_dir` (paper schedule) keeps the run's
    state there and resumes from it (`SelfDeblur`).
    """
    if schedule is None:
        schedule = "fast"
    if schedule == "fast" and iterations is not None:
        raise InputError("--iterations applies to --schedule paper (the fast schedule's kernel estimation "
                         "has its own fixed schedule)")
    if kernel_size is None:
        kernel_size = "auto" if schedule == "fast" else DEFAULT_KERNEL_SIZE
    color = np.ndim(image) == 3 and np.shape(image)[2] == 3
    if iterations is None:
        iterations = COLOR_ITERATIONS if color else 5000
    solver = SelfDeblur(kernel_size, iterations, seed, nonblind=nonblind, log_dir=log_dir, progress=progress,
                        schedule=schedule, checkpoint_dir=checkpoint_dir)
    restored, estimated = solver.run(image)
    if schedule == "fast":
        return DeblurResult(restored, estimated, dict(solver.info, seed=solver.history.seed))
    info = dict(schedule="paper", iterations=solver.iterations, seed=solver.history.seed,
                seconds=solver.history.seconds, final_loss=solver.history.loss[-1])
    return DeblurResult(restored, estimated, info)
