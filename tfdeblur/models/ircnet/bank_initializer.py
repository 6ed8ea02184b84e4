"""Initializer filling NU-Conv filter banks from the motion bank (kernels or IRC inverse filters)."""

from __future__ import annotations

import keras
import numpy as np

from tfdeblur.physics.nonuniform import MotionBank
from tfdeblur.solvers.inverse_filter_bank import inverse_filter_bank

KINDS = ("motion", "inverse")


@keras.saving.register_keras_serializable(package="tfdeblur")
class BankInitializer(keras.initializers.Initializer):
    """The motion bank's kernels ("motion") or their least-squares inverse filters ("inverse").

    The inverse filters come from `tfdeblur.solvers.inverse_filter_bank` (cached on disk), so
    the config stays small: only the bank's parameters are serialised, never the filters.

    Args:
        kind: "motion" (shape (B, S, S)) or "inverse" (shape (B, size, size, 3)).
        max_length, length_step, angle_step: the `MotionBank`.
        rho: ADMM penalty of the inverse filters.
        size: inverse filter side.

    Example:
    >>> BankInitializer("motion", max_length=5, angle_step=45)((9, 5, 5)).shape
    TensorShape([9, 5, 5])

    Reference:
        Eboli et al. 2018, Sec. 2.2 and 3.2 ("filters initialized with the predefined inverse filters").
    """

    def __init__(
        self,
        kind: str = "inverse",
        max_length: int = 35,
        length_step: int = 2,
        angle_step: int = 6,
        rho: float = 0.03,
        size: int = 31,
    ):
        if kind not in KINDS:
            raise ValueError(f"BankInitializer kind must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        self.max_length = int(max_length)
        self.length_step = int(length_step)
        self.angle_step = int(angle_step)
        self.rho = float(rho)
        self.size = int(size)

    def __call__(self, shape, dtype=None):
        bank = MotionBank(self.max_length, self.length_step, self.angle_step)
        if self.kind == "motion":
            values = bank.kernels()
        else:
            values = inverse_filter_bank(bank, self.rho, self.size)[0]
        if tuple(shape) != values.shape:
            raise ValueError(
                f"BankInitializer({self.kind}) makes shape {values.shape}, the weight is {tuple(shape)}"
            )
        return keras.ops.convert_to_tensor(np.asarray(values), dtype=dtype or "float32")

    def get_config(self):
        return dict(
            kind=self.kind,
            max_length=self.max_length,
            length_step=self.length_step,
            angle_step=self.angle_step,
            rho=self.rho,
            size=self.size,
        )
