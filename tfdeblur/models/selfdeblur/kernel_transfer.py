"""Carrying a known kernel into SelfDeblur's kernel generator (to start the networks from an estimate)."""

from __future__ import annotations

import numpy as np

# Floor added before the log: a zero tap must stay reachable (softmax logits cannot be -inf).
LOG_FLOOR = 1e-6


def carried_logits(kernel: np.ndarray) -> np.ndarray:
    """Softmax logits that reproduce `kernel` (up to the floor): log(k + floor)."""
    return np.log(np.asarray(kernel, np.float64) + LOG_FLOOR).astype(np.float32)


def carry_kernel(kernel_generator, kernel: np.ndarray) -> np.ndarray:
    """Set a built `KernelGenerator` so that it outputs `kernel` whatever its input noise.

    The last layer's weights are zeroed and its bias set to log(kernel + floor): the output is then
    softmax(bias) = (kernel + floor) / sum. The weights still receive gradients (the hidden activations
    are not zero), so the generator keeps its full freedom from there. Returns the kernel it now outputs.
    """
    kh, kw = kernel_generator.kernel_size
    if np.shape(kernel) != (kh, kw):
        raise ValueError(f"kernel {np.shape(kernel)} does not match the generator's {kh}x{kw}")
    taps = kernel_generator.taps
    taps.kernel.assign(np.zeros(taps.kernel.shape, np.float32))
    logits = carried_logits(kernel).reshape(-1)
    taps.bias.assign(logits)
    out = np.exp(logits.astype(np.float64) - logits.max())
    return (out / out.sum()).reshape(kh, kw).astype(np.float32)
