"""Short-term detrended fluctuation analysis exponent, DFA α1.

Peng, Havlin, Stanley & Goldberger (1995), "Quantification of scaling exponents and crossover
phenomena in nonstationary heartbeat time series", Chaos 5:82–87:

1. Integrate the mean-removed NN series: y(k) = Σ_{i≤k} (NN_i − mean NN).
2. For each box size n, cut y into non-overlapping boxes of n beats from the start, fit a straight
   line in each box by least squares and take F(n) = sqrt(mean squared residual over all boxes).
3. α1 is the slope of log F(n) against log n for n = 4 … 16 beats.

A short-term window needs at least ~2 minutes of beats to be stable (NOTES.md; Gronwald & Hoos
2020, Eur J Appl Physiol 120:1–13 on DFA α1 during exercise).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import ArrayLike

DEFAULT_BOX_SIZES = tuple(range(4, 17))


@cache
def _detrending_operator(box_size: int) -> np.ndarray:
    """(I − P) where P projects a box of ``box_size`` points onto {1, k}: residuals of a line fit.

    The operator is symmetric, so ``boxes @ operator`` gives every box's residuals at once.
    """
    design = np.column_stack([np.ones(box_size), np.arange(box_size, dtype=float)])
    projection = design @ np.linalg.pinv(design)
    return np.eye(box_size) - projection


def fluctuations(nn_ms: ArrayLike, box_sizes: tuple[int, ...] = DEFAULT_BOX_SIZES) -> np.ndarray:
    """F(n) for each box size (ms), Peng 1995; NaN where the series holds no full box."""
    nn = np.asarray(nn_ms, dtype=float)
    profile = np.cumsum(nn - nn.mean()) if nn.size else nn
    result = np.full(len(box_sizes), np.nan)
    for i, box_size in enumerate(box_sizes):
        n_boxes = profile.size // box_size
        if n_boxes == 0:
            continue
        boxes = profile[: n_boxes * box_size].reshape(n_boxes, box_size)
        residuals = boxes @ _detrending_operator(box_size)
        result[i] = np.sqrt(np.mean(residuals * residuals))
    return result


def dfa_alpha1(nn_ms: ArrayLike, box_sizes: tuple[int, ...] = DEFAULT_BOX_SIZES) -> float:
    """DFA α1: slope of log F(n) on log n over box sizes 4–16 beats (Peng 1995).

    Parameters
    ----------
    nn_ms : array_like
        NN intervals in ms.
    box_sizes : tuple of int
        Box sizes n in beats.

    Returns
    -------
    float
        The scaling exponent; NaN when the series is shorter than two boxes of the largest size
        or has no variability.
    """
    nn = np.asarray(nn_ms, dtype=float)
    if nn.size < 2 * max(box_sizes):
        return float("nan")
    fluct = fluctuations(nn, box_sizes)
    if not np.all(fluct > 0):
        return float("nan")
    log_n = np.log(np.asarray(box_sizes, dtype=float))
    return float(np.polyfit(log_n, np.log(fluct), 1)[0])
