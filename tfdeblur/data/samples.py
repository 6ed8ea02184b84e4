"""`EvalSample`: one evaluation case, as dataset loaders (`tfdeblur.data.levin`, `tfdeblur.tasks.evaluate`)
produce it. It lives in the data layer so loaders need not import the evaluation code that uses them."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class EvalSample:
    """One evaluation case: the blurry input, the sharp reference (same size) and, if known, the kernel."""

    name: str
    blurry: np.ndarray
    sharp: np.ndarray
    kernel: np.ndarray | None = None
