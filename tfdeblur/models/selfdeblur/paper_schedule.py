"""SelfDeblur's paper schedule: the official code's step counts, loss switch and learning-rate decay."""

from __future__ import annotations

import keras

# The official code's schedules: gray images (its Levin script) and colour images through luma
# (its YCbCr script, which also runs 2500 steps rather than 5000).
GRAY_SCHEDULE = dict(milestones=(2000, 3000, 4000), ssim_start=1000)
COLOR_SCHEDULE = dict(milestones=(1600, 1900, 2200), ssim_start=500)
COLOR_ITERATIONS = 2500


def multistep_schedule(lr: float, milestones, gamma: float):
    """lr x gamma^(number of milestones <= step): PyTorch's MultiStepLR as the official code steps it.

    That scheduler is stepped with the step index before the update, so the rate drops *at* a milestone;
    Keras' piecewise schedule sees the same index and switches *after* a boundary, hence the - 1.
    """
    if not milestones:
        return lr
    return keras.optimizers.schedules.PiecewiseConstantDecay(
        [int(m) - 1 for m in milestones], [lr * gamma**i for i in range(len(milestones) + 1)])
