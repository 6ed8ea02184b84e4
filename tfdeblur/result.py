"""`DeblurResult`: what every deblurring method returns.

A leaf module (numpy only), so solvers, model families and the method registry can all name the type
without importing each other.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


@dataclasses.dataclass
class DeblurResult:
    """What a method returns: the deblurred image, the kernel it used or estimated, and extra info."""

    image: np.ndarray
    kernel: np.ndarray | None = None
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
