"""Keras initializer: the separable (SVD) factors of a blur kernel's Wiener pseudo-inverse."""

from __future__ import annotations

import functools

import keras
import numpy as np

from tfdeblur.solvers.inverse_filters import separable_decomposition, wiener_inverse_kernel

PARTS = ("column", "row", "weights")
# Flat noise-to-signal ratio of the pseudo-inverse the deconvolution layers start from when none is given:
# the best separable-inversion PSNR on the training degradation (noise 0.005-0.015, JPEG 75-95, gain 1-1.5)
# for motion:15,30 (disk:7 peaks at 0.01, 0.1 dB higher; lower values fail for kernels whose inverse is not
# low-rank), measured by `tools/bench_odcnn.py --nsr-sweep` (README, "## odcnn").
DEFAULT_NSR = 2e-2


def cropped_pseudo_inverse(kernel, size: int = 121, nsr: float = DEFAULT_NSR, preserve_dc: bool = True):
    """The Wiener pseudo-inverse cropped to size x size (`tfdeblur.solvers.wiener_inverse_kernel`), and, with
    `preserve_dc`, rescaled to the DC gain of the uncropped one, K(0) / (K(0)^2 + nsr).

    Why: the pseudo-inverse of a kernel with spectral zeros (a disk) has weak tails reaching far beyond 60
    pixels; they hold little energy but a few percent of the filter's sum, so the crop alone darkens the
    image (disk:7, nsr 0.01: sum 0.958 instead of 0.990, ~0.9 dB lost on BSDS500 photos).
    """
    kernel = np.asarray(kernel, np.float64)
    inverse = wiener_inverse_kernel(kernel, size=size, nsr=nsr)
    if preserve_dc:
        dc = kernel.sum()
        inverse = inverse * (dc / (dc * dc + nsr)) / inverse.sum()
    return inverse


@functools.lru_cache(maxsize=16)
def _factors(kernel: tuple, size: int, nsr: float, rank: int, preserve_dc: bool):
    inverse = cropped_pseudo_inverse(np.array(kernel), size, nsr, preserve_dc)
    return separable_decomposition(inverse, rank=rank)


def separable_inverse_factors(kernel, size: int = 121, nsr: float = DEFAULT_NSR, rank: int = 38,
                              preserve_dc: bool = True):
    """(u, s, v) of the rank-`rank` SVD of `cropped_pseudo_inverse(kernel, size, nsr, preserve_dc)` (see
    `tfdeblur.solvers.separable_decomposition`); cached, since every layer of a model asks for them."""
    key = tuple(map(tuple, np.asarray(kernel, np.float64).tolist()))
    return _factors(key, int(size), float(nsr), int(rank), bool(preserve_dc))


@keras.saving.register_keras_serializable(package="tfdeblur")
class SeparableInverseInitializer(keras.initializers.Initializer):
    """Initialises ODCNN's deconvolution layers with the separable Wiener pseudo-inverse of a kernel.

    The pseudo-inverse k_dagger (`size` x `size`, flat noise-to-signal ratio `nsr`, with its DC gain restored
    after the crop if `preserve_dc`; see `cropped_pseudo_inverse`) is split by SVD into
    k_dagger ~ sum_j s_j u_j v_j^T (the `rank` largest singular triples), so that
    k_dagger * y ~ sum_j s_j * (v_j along rows of (u_j along columns of y)) (Xu et al. 2014, Eq. 3).
    Keras convolutions are correlations, so the 1-D filters are stored flipped.

    - part "column": the (size, 1, 1, rank) weights of the 121x1 convolution (filter j = u_j);
    - part "row": the (1, size, rank, 1) weights of the 1x121 depthwise convolution (filter j = v_j);
    - part "weights": the (1, 1, rank, 1) weights of the 1x1 combination (s_j).

    The layer must ask for exactly these shapes (a mismatch is an error, not a silent truncation).

    Args:
        blur_kernel: the blur kernel (2-D, nested lists or array; sums to 1).
        part: "column", "row" or "weights".
        size: side of the pseudo-inverse (the 1-D filter length, odd).
        nsr: noise-to-signal ratio of the Wiener pseudo-inverse.
        rank: number of singular triples kept.
        preserve_dc: rescale the cropped pseudo-inverse to the uncropped one's DC gain.

    Example:
    >>> from tfdeblur.physics import disk_kernel
    >>> init = SeparableInverseInitializer(disk_kernel(2), part="column", size=11, rank=4)
    >>> tuple(init((11, 1, 1, 4)).shape)
    (11, 1, 1, 4)

    Reference:
        L. Xu, J. S. Ren, C. Liu, J. Jia, "Deep Convolutional Neural Network for Image Deconvolution",
        NIPS 2014, Sec. 5.1-5.3.
    """

    def __init__(self, blur_kernel, part: str = "column", size: int = 121, nsr: float = DEFAULT_NSR,
                 rank: int = 38, preserve_dc: bool = True):
        if part not in PARTS:
            raise ValueError(f"unknown part {part!r}; expected one of {PARTS}")
        blur_kernel = np.asarray(blur_kernel, np.float64)
        if blur_kernel.ndim != 2:
            raise ValueError(f"kernel must be 2-D, got shape {blur_kernel.shape}")
        if size % 2 != 1:
            raise ValueError(f"size must be odd, got {size}")
        self.blur_kernel = blur_kernel.tolist()
        self.part = part
        self.size = int(size)
        self.nsr = float(nsr)
        self.rank = int(rank)
        self.preserve_dc = bool(preserve_dc)

    def factors(self):
        return separable_inverse_factors(self.blur_kernel, self.size, self.nsr, self.rank, self.preserve_dc)

    def _expected_shape(self) -> tuple:
        return {"column": (self.size, 1, 1, self.rank), "row": (1, self.size, self.rank, 1),
                "weights": (1, 1, self.rank, 1)}[self.part]

    def __call__(self, shape, dtype=None):
        shape = tuple(int(d) for d in shape)
        expected = self._expected_shape()
        if shape != expected:
            raise ValueError(f"SeparableInverseInitializer(part={self.part!r}) makes shape {expected}, "
                             f"asked for {shape}")
        u, s, v = self.factors()
        if len(s) < self.rank:
            raise ValueError(f"rank {self.rank} exceeds the {len(s)} singular triples of a "
                             f"{self.size}-tap inverse")
        if self.part == "column":
            value = u[:, ::-1].T[:, None, None, :]
        elif self.part == "row":
            value = v[:, ::-1].T[None, :, :, None]
        else:
            value = s[None, None, :, None]
        return keras.ops.convert_to_tensor(np.ascontiguousarray(value), dtype=dtype or "float32")

    def get_config(self):
        return {"blur_kernel": self.blur_kernel, "part": self.part, "size": self.size, "nsr": self.nsr,
                "rank": self.rank, "preserve_dc": self.preserve_dc}
