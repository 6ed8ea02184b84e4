"""Warm start of a wider IDC from a trained narrower one, computing exactly the same function at first.

Every convolution of the wide model keeps the trained weights between the old channels; its new output
channels get their fresh initial weights (from all inputs), and the weights from new input channels to old
output channels are zero. The old channels therefore compute what they computed before (the new ones are
read by nothing but other new ones), the output is unchanged, and training grows the new channels in
from there: the zero weights get gradients as soon as the new channels carry signal. IDC has no
normalisation layers, so nothing else has to be mapped; the one concatenation of widened tensors (the
fusion module's input: deblurring features, then texture features) is mapped segment by segment.

Reference: T. Chen, I. Goodfellow, J. Shlens, "Net2Net: Accelerating Learning via Knowledge Transfer",
ICLR 2016 (function-preserving widening; here with zero instead of copied weights).
"""

from __future__ import annotations

import numpy as np

from tfdeblur.models.idc.idc import IDC


def _fusion_input_map(narrow: IDC, wide: IDC) -> np.ndarray:
    """Where each input channel of the narrow fusion convolution sits in the wide one."""
    deblur = np.arange(narrow.channels[0])
    if narrow.sub_texture is None:
        return deblur
    texture = wide.channels[0] + np.arange(narrow.texture_channels)
    return np.concatenate([deblur, texture])


def widen_into(narrow: IDC, wide: IDC) -> IDC:
    """Copy the trained `narrow` into the built, at-least-as-wide `wide` (same depth, scales, switches),
    so that `wide` computes `narrow`'s function; returns `wide`.

    Example:
    >>> import keras, numpy as np
    >>> keras.utils.set_random_seed(0)
    >>> narrow = IDC(channels=(4, 8, 16), texture_channels=4, fusion_channels=4, output_initializer="glorot_uniform")
    >>> wide = IDC(channels=(6, 12, 24), texture_channels=6, fusion_channels=6)
    >>> x = np.random.default_rng(0).random((1, 32, 32, 3)).astype("float32")
    >>> _ = narrow(x), wide(x)
    >>> bool(np.allclose(widen_into(narrow, wide)(x), narrow(x), atol=1e-4))  # float rounding
    True
    """
    for name in ("kernel_size", "num_res_blocks", "num_scales", "multi_scale", "image_channels"):
        if getattr(narrow, name) != getattr(wide, name):
            raise ValueError(f"widening keeps {name}: {getattr(narrow, name)} vs {getattr(wide, name)}")
    if (narrow.sub_texture is None) != (wide.sub_texture is None):
        raise ValueError("widening keeps the texture branch switch")
    old = {v.path.partition("/")[2]: v for v in narrow.weights}  # paths without the model's own name
    new = {v.path.partition("/")[2]: v for v in wide.weights}
    if set(old) != set(new):
        raise ValueError("the two IDCs do not have the same layers")
    for path, target in new.items():
        source = np.asarray(old[path].numpy())
        value = np.array(target.numpy())
        if any(s > t for s, t in zip(source.shape, value.shape)):
            raise ValueError(f"{path}: {source.shape} does not fit into {value.shape} (narrower, not wider)")
        if source.ndim == 1:  # bias: the new channels keep their initial value
            value[: source.shape[0]] = source
        else:
            transposed = "deconv" in path  # Conv2DTranspose kernels are (k, k, out, in)
            in_axis, out_axis = (3, 2) if transposed else (2, 3)
            n_in, n_out = source.shape[in_axis], source.shape[out_axis]
            in_map = (_fusion_input_map(narrow, wide) if path.endswith("fusion/conv/kernel")
                      else np.arange(n_in))
            # zero every weight into an old output channel, then put the trained ones back
            old_out = [slice(None)] * 4
            old_out[out_axis] = slice(0, n_out)
            value[tuple(old_out)] = 0.0
            rows, cols = (in_map, np.arange(n_out)) if in_axis == 2 else (np.arange(n_out), in_map)
            value[:, :, rows[:, None], cols[None, :]] = source
        target.assign(value)
    return wide
