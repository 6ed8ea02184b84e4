"""Conjugate gradients in numpy (float64), for the small kernel problems of blind estimation.

The TensorFlow solver (`conjugate_gradient`) serves the image-sized deblurring problems; kernel estimation
runs in numpy and does not load TensorFlow for this.
"""

from __future__ import annotations

import numpy as np


def numpy_conjugate_gradient(normal, rhs: np.ndarray, start: np.ndarray, steps: int,
                             stop: float) -> np.ndarray:
    """Solve normal(x) = rhs (symmetric positive definite) by at most `steps` CG iterations from `start`
    (not modified), stopping once the squared residual is below `stop`."""
    x = np.asarray(start, np.float64).copy()
    residual = rhs - normal(x)
    direction = residual.copy()
    energy = float((residual * residual).sum())
    for _ in range(steps):
        if energy < stop:
            break
        image = normal(direction)
        alpha = energy / max(float((direction * image).sum()), 1e-30)
        x += alpha * direction
        residual -= alpha * image
        new_energy = float((residual * residual).sum())
        direction = residual + (new_energy / energy) * direction
        energy = new_energy
    return x
