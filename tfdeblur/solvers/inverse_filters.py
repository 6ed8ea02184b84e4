"""Spatial inverse filters of a blur kernel.

`wiener_inverse_kernel` is the finite-support pseudo-inverse k_dagger of Xu et al. (2014, Sec. 4.1):
k_dagger * (k * x) ~ x. `separable_decomposition` splits any 2-D filter into rank-one (separable) terms by
SVD (Sec. 5.1), which is how ODCNN initialises its 1-D layers.
"""

from __future__ import annotations

import numpy as np

from tfdeblur.physics.fourier import centred_pad


def wiener_inverse_kernel(kernel, size: int = 121, nsr: float = 1e-3, fft_size: int | None = None) -> np.ndarray:
    """Spatial Wiener pseudo-inverse of a kernel, cropped to size x size.

    k_dagger = F^-1( conj(K) / (|K|^2 + nsr) ), computed on an `fft_size` grid larger than `size` (so
    the crop is not aliased by the periodic FFT) and centred at ((size - 1) // 2, (size - 1) // 2).
    Convolving a blurry image with it is Wiener deconvolution with a flat noise-to-signal ratio `nsr`.

    Args:
        kernel: 2-D blur kernel (sums to 1).
        size: odd side of the returned filter (ODCNN uses 121).
        nsr: noise-to-signal ratio (Xu et al. write it 1/SNR); larger = smoother, shorter filter.
        fft_size: FFT grid side; default the next power of two >= 2 * size + kernel size.

    Returns:
        float64 (size, size) filter.

    Example:
    >>> from tfdeblur.physics import disk_kernel
    >>> wiener_inverse_kernel(disk_kernel(3), size=31).shape
    (31, 31)
    """
    kernel = np.asarray(kernel, np.float64)
    if size % 2 == 0:
        raise ValueError(f"inverse kernel size must be odd, got {size}")
    if fft_size is None:
        fft_size = int(2 ** np.ceil(np.log2(2 * size + max(kernel.shape))))
    spectrum = np.fft.fft2(centred_pad(kernel, fft_size))
    inverse = np.real(np.fft.ifft2(np.conj(spectrum) / (np.abs(spectrum) ** 2 + nsr)))
    half = (size - 1) // 2
    return np.roll(inverse, (half, half), axis=(0, 1))[:size, :size]


def separable_decomposition(filt, rank: int | None = None):
    """Rank-one (separable) terms of a 2-D filter by SVD: filt = sum_j s_j * outer(u_j, v_j).

    Args:
        filt: (kh, kw) filter.
        rank: number of terms to keep (the largest singular values); default all.

    Returns:
        (u, s, v): u (r, kh) column filters, s (r,) singular values (descending), v (r, kw) row filters.
        Convolving with `filt` equals sum_j s_j * (convolve columns with u_j, then rows with v_j).

    Example:
    >>> import numpy as np
    >>> f = np.random.default_rng(0).random((5, 7))
    >>> u, s, v = separable_decomposition(f)
    >>> bool(np.allclose(np.einsum("j,ja,jb->ab", s, u, v), f))
    True
    """
    filt = np.asarray(filt, np.float64)
    u, s, vt = np.linalg.svd(filt, full_matrices=False)
    rank = len(s) if rank is None else min(int(rank), len(s))
    return u[:, :rank].T.copy(), s[:rank].copy(), vt[:rank].copy()
