"""`tfdeblur.deblur(..., method="selfdeblur")`: the registry's entry point for the SelfDeblur family."""

from __future__ import annotations

import numpy as np

from tfdeblur.errors import InputError, warn
from tfdeblur.models.selfdeblur.paper_schedule import COLOR_ITERATIONS
from tfdeblur.models.selfdeblur.self_deblur import FAST_DEPRECATION, SelfDeblur
from tfdeblur.result import DeblurResult

DEFAULT_KERNEL_SIZE = 21  # the official code's default
INITS = ("random", "blind")


def deblur_method(image, kernel=None, kernel_size: int | str | None = None, iterations: int | None = None,
                  seed: int | None = 0, nonblind: str | None = None, log_dir: str | None = None,
                  progress: bool = True, schedule: str | None = None, checkpoint_dir=None,
                  init: str = "random") -> DeblurResult:
    """`tfdeblur.deblur(..., method="selfdeblur")`: validated image in, `DeblurResult` (with kernel) out.

    Runs SelfDeblur's two generator networks on the official schedule (5000 steps for gray and 2500 for
    colour images by default; `kernel_size` 21, `seed` 0, so the same command gives the same result).
    `init="blind"` starts the kernel generator from the blind pipeline's estimate. `checkpoint_dir` keeps
    the run's state there and resumes from it (`SelfDeblur`).

    Deprecated for one release: without `schedule` or with `schedule="fast"` it runs the blind pipeline
    (`method="blind"`, no network) with a warning, as the default method did before.
    """
    if schedule in (None, "fast"):
        warn(FAST_DEPRECATION + "; use --method blind, or --schedule paper for the networks")
        if iterations is not None or checkpoint_dir is not None or log_dir is not None or init != "random":
            raise InputError("--iterations, --checkpoint-dir, --log-dir and init apply to --schedule paper")
        from tfdeblur.models.blind import deblur_method as blind

        result = blind(image, kernel_size=kernel_size, nonblind=nonblind, progress=progress)
        result.info["deprecated"] = "selfdeblur without --schedule paper runs the blind method"
        return result
    if init not in INITS:
        raise InputError(f"unknown init '{init}'; choose from {', '.join(INITS)}")
    if kernel_size in (None, "auto") and init != "blind":
        kernel_size = DEFAULT_KERNEL_SIZE
    color = np.ndim(image) == 3 and np.shape(image)[2] == 3
    if iterations is None:
        iterations = COLOR_ITERATIONS if color else 5000
    initial_kernel = None
    if init == "blind":
        from tfdeblur.models.blind import deblur_method as blind

        initial_kernel = blind(image, kernel_size=kernel_size, options=dict(check=False),
                               progress=progress).kernel
        if kernel_size in (None, "auto"):
            kernel_size = tuple(initial_kernel.shape)
    solver = SelfDeblur(kernel_size, iterations, seed, nonblind=nonblind, log_dir=log_dir, progress=progress,
                        schedule=schedule, checkpoint_dir=checkpoint_dir, initial_kernel=initial_kernel)
    restored, estimated = solver.run(image)
    info = dict(method="selfdeblur", schedule="paper", iterations=solver.iterations, seed=solver.history.seed,
                init=init, seconds=solver.history.seconds, final_loss=solver.history.loss[-1])
    return DeblurResult(restored, estimated, info)
