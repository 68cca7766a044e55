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

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import ArrayLike

DEFAULT_BOX_SIZES = tuple(range(4, 17))


@dataclass(frozen=True)
class _BoxLayout:
    """Every non-overlapping box of every size in a series of ``n_points``, as arrays."""

    positions: np.ndarray  # 0, 1, … n_points − 1 as floats
    bounds: np.ndarray  # (2, boxes): first index and one past the last
    offset: np.ndarray  # start + (n − 1)/2: turns Σk·y into the centred Σ(j − j̄)·y
    inverse_size: np.ndarray  # 1/n
    inverse_spread: np.ndarray  # 1/Σ(j − j̄)² = 12/(n(n² − 1))
    size_number: np.ndarray  # which box size each box has
    last_point: np.ndarray  # per box size: index of the last point its boxes cover
    inverse_points: np.ndarray  # per box size: 1/(boxes · size), NaN when no box fits


@cache
def _box_layout(n_points: int, box_sizes: tuple[int, ...]) -> _BoxLayout:
    starts, sizes, which = [], [], []
    for i, box_size in enumerate(box_sizes):
        n_boxes = n_points // box_size
        starts.append(np.arange(n_boxes) * box_size)
        sizes.append(np.full(n_boxes, box_size))
        which.append(np.full(n_boxes, i))
    start = np.concatenate(starts)
    size = np.concatenate(sizes).astype(float)
    points = np.array([(n_points // b) * b for b in box_sizes], dtype=float)
    with np.errstate(divide="ignore"):
        inverse_points = np.where(points > 0, 1.0 / points, np.nan)
    return _BoxLayout(
        positions=np.arange(n_points, dtype=float),
        bounds=np.stack([start, start + size.astype(int)]),
        # Least-squares line over local positions j = 0 … n−1: centre (n−1)/2,
        # Σ(j − j̄)² = n(n²−1)/12.
        offset=start + (size - 1.0) / 2.0,
        inverse_size=1.0 / size,
        inverse_spread=12.0 / (size * (size * size - 1.0)),
        size_number=np.concatenate(which),
        last_point=np.maximum(points.astype(int) - 1, 0),
        inverse_points=inverse_points,
    )


def fluctuations(nn_ms: ArrayLike, box_sizes: tuple[int, ...] = DEFAULT_BOX_SIZES) -> np.ndarray:
    """F(n) for each box size (ms), Peng 1995; NaN where the series holds no full box.

    A box's residual sum of squares after its line fit is RSS = Σy² − (Σy)²/n − (Σ(j − j̄)y)² /
    Σ(j − j̄)². Summed over the boxes of one size, the Σy² terms are one prefix sum of y², and the
    rest come from prefix sums of y and k·y read at the box bounds, so all boxes of all sizes
    cost a handful of array operations (this runs on every beat).
    """
    nn = np.asarray(nn_ms, dtype=float)
    if nn.size < min(box_sizes):
        return np.full(len(box_sizes), np.nan)
    layout = _box_layout(nn.size, box_sizes)
    profile = np.cumsum(nn - float(nn.sum()) / nn.size)
    # Prefix sums with a leading zero, so a box's sum is prefix[:, stop] − prefix[:, start].
    prefix = np.zeros((2, nn.size + 1))
    prefix[0, 1:] = profile
    np.multiply(layout.positions, profile, out=prefix[1, 1:])
    np.cumsum(prefix[:, 1:], axis=1, out=prefix[:, 1:])
    at_bounds = prefix[:, layout.bounds]
    sum_y, sum_ky = at_bounds[:, 1] - at_bounds[:, 0]
    centred_jy = sum_ky - layout.offset * sum_y
    fitted = sum_y * sum_y * layout.inverse_size + centred_jy * centred_jy * layout.inverse_spread
    total_yy = np.cumsum(profile * profile)[layout.last_point]
    rss_per_size = total_yy - np.bincount(
        layout.size_number, weights=fitted, minlength=total_yy.size
    )
    # Rounding can leave a perfectly straight series a hair below zero.
    return np.sqrt(np.maximum(rss_per_size, 0.0) * layout.inverse_points)


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
    if not (fluct > 0).all():
        return float("nan")
    return float(_slope_weights(box_sizes) @ np.log(fluct))


@cache
def _slope_weights(box_sizes: tuple[int, ...]) -> np.ndarray:
    """w such that w · log F is the least-squares slope of log F on log n."""
    log_n = np.log(np.asarray(box_sizes, dtype=float))
    log_n -= log_n.mean()
    return log_n / (log_n @ log_n)
