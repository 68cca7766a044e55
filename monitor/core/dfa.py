"""Short-term detrended fluctuation analysis exponent, DFA α1.

Peng, Havlin, Stanley & Goldberger (1995), "Quantification of scaling exponents and crossover
phenomena in nonstationary heartbeat time series", Chaos 5:82–87:

1. Integrate the mean-removed NN series: y(k) = Σ_{i≤k} (NN_i − mean NN).
2. For each box size n, cut y into non-overlapping boxes of n beats from the start, fit a straight
   line in each box by least squares and take F(n) = sqrt(mean squared residual over all boxes).
3. α1 is the slope of log F(n) against log n for n = 4 … 16 beats.

A short-term window needs at least ~2 minutes of beats to be stable (Munoz et al. 2015;
Gronwald & Hoos 2020, Eur J Appl Physiol 120:1–13 on DFA α1 during exercise).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from numpy.typing import ArrayLike

DEFAULT_BOX_SIZES = tuple(range(4, 17))


@dataclass(frozen=True)
class _BoxLayout:
    """Every non-overlapping box of every size in a series of ``n_points``, as flat arrays with
    one entry per point of each box (boxes of all sizes one after the other)."""

    points: np.ndarray  # index into the series of each point
    box: np.ndarray  # which box the point is in
    centred_j: np.ndarray  # its position in the box minus the box's centre, j − (n − 1)/2
    size_number: np.ndarray  # which box size the point's box has
    inverse_size: np.ndarray  # per box: 1/n
    inverse_spread: np.ndarray  # per box: 1/Σ(j − j̄)² = 12/(n(n² − 1))
    inverse_points: np.ndarray  # per box size: 1/(boxes · size), NaN when no box fits


_CACHED_LAYOUT_MAX_POINTS = 4096
"""Layouts of live windows (a few hundred beats, a few dozen distinct counts) are kept; those
of whole recordings (13 entries per beat) are built when needed and let go."""


def _box_layout(n_points: int, box_sizes: tuple[int, ...]) -> _BoxLayout:
    if n_points <= _CACHED_LAYOUT_MAX_POINTS:
        return _cached_box_layout(n_points, box_sizes)
    return _build_box_layout(n_points, box_sizes)


@lru_cache(maxsize=64)
def _cached_box_layout(n_points: int, box_sizes: tuple[int, ...]) -> _BoxLayout:
    return _build_box_layout(n_points, box_sizes)


def _build_box_layout(n_points: int, box_sizes: tuple[int, ...]) -> _BoxLayout:
    points, box, centred_j, size_number, box_size_of_box = [], [], [], [], []
    boxes_so_far = 0
    for i, size in enumerate(box_sizes):
        n_boxes = n_points // size
        points.append(np.arange(n_boxes * size))
        box.append(boxes_so_far + np.repeat(np.arange(n_boxes), size))
        centred_j.append(np.tile(np.arange(size) - (size - 1) / 2.0, n_boxes))
        size_number.append(np.full(n_boxes * size, i))
        box_size_of_box.append(np.full(n_boxes, float(size)))
        boxes_so_far += n_boxes
    box_size = np.concatenate(box_size_of_box)
    covered = np.array([(n_points // b) * b for b in box_sizes], dtype=float)
    with np.errstate(divide="ignore"):
        inverse_points = np.where(covered > 0, 1.0 / covered, np.nan)
    return _BoxLayout(
        points=np.concatenate(points),
        box=np.concatenate(box),
        centred_j=np.concatenate(centred_j),
        size_number=np.concatenate(size_number),
        inverse_size=1.0 / box_size,
        inverse_spread=12.0 / (box_size * (box_size * box_size - 1.0)),
        inverse_points=inverse_points,
    )


def fluctuations(nn_ms: ArrayLike, box_sizes: tuple[int, ...] = DEFAULT_BOX_SIZES) -> np.ndarray:
    """F(n) for each box size (ms), Peng 1995; NaN where the series holds no full box.

    Every box of every size is fitted at once: its points are gathered from the profile, the
    box's mean and least-squares slope come from sums per box (``bincount``), and the residuals
    are squared and summed per box size. Fitting each box's own centred values keeps the
    residuals exact; sums of the whole profile's squares minus the fits had lost 2.6e-7 of α1
    on a long, wide-ranging window of a real recording. This runs on every beat, so it is a
    handful of array operations rather than a loop over boxes.
    """
    nn = np.asarray(nn_ms, dtype=float)
    if nn.size < min(box_sizes):
        return np.full(len(box_sizes), np.nan)
    layout = _box_layout(nn.size, box_sizes)
    profile = np.cumsum(nn - float(nn.sum()) / nn.size)
    y = profile[layout.points]
    box_mean = np.bincount(layout.box, weights=y) * layout.inverse_size
    y -= box_mean[layout.box]
    slope = np.bincount(layout.box, weights=y * layout.centred_j) * layout.inverse_spread
    y -= slope[layout.box] * layout.centred_j
    rss_per_size = np.bincount(layout.size_number, weights=y * y, minlength=len(box_sizes))
    return np.asarray(np.sqrt(rss_per_size * layout.inverse_points))


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
    return np.asarray(log_n / (log_n @ log_n))


def dfa_alpha1_of_windows(
    nn_ms: ArrayLike,
    starts: np.ndarray,
    stops: np.ndarray,
    box_sizes: tuple[int, ...] = DEFAULT_BOX_SIZES,
) -> np.ndarray:
    """:func:`dfa_alpha1` of ``nn_ms[start:stop]`` for every window at once (Peng 1995).

    For a recording's per-beat timeline, where windows overlap almost entirely. A box's residual
    after its line fit is the same in every window that holds it: the window's profile differs
    from the box's own running sum by a constant and a multiple of the beat number (the mean the
    window removes), and the fit absorbs both. So the residual of the box starting at every beat
    is computed once per box size, and a window's sum over its boxes, which start at s, s + n,
    …, is the difference of two running sums taken along every n-th beat.

    Parameters
    ----------
    nn_ms : array_like
        NN intervals in ms of one stretch of signal.
    starts, stops : numpy.ndarray
        Each window's first beat and one past its last.
    box_sizes : tuple of int
        Box sizes n in beats.

    Returns
    -------
    numpy.ndarray
        α1 per window, NaN where :func:`dfa_alpha1` gives NaN.
    """
    nn = np.asarray(nn_ms, dtype=float)
    starts = np.asarray(starts, dtype=int)
    beats = np.asarray(stops, dtype=int) - starts
    alpha = np.full(starts.size, np.nan)
    usable = np.flatnonzero(beats >= 2 * max(box_sizes))
    if usable.size == 0:
        return alpha
    first, length = starts[usable], beats[usable]
    # Removing the stretch's mean changes no residual and keeps the running sums small.
    centred = nn - nn.mean()
    squared_fluct = np.empty((len(box_sizes), usable.size))
    for row, size in enumerate(box_sizes):
        along = _running_sums_every(_box_residuals(centred, size), size)
        boxes = length // size
        last_box = first + (boxes - 1) * size
        before_first = np.where(first >= size, along[np.maximum(first - size, 0)], 0.0)
        squared_fluct[row] = (along[last_box] - before_first) / (boxes * size)
    valid = (squared_fluct > 0).all(axis=0)
    with np.errstate(divide="ignore"):
        log_fluct = 0.5 * np.log(squared_fluct)
    alpha[usable[valid]] = _slope_weights(box_sizes) @ log_fluct[:, valid]
    return alpha


def _box_residuals(nn_ms: np.ndarray, box_size: int) -> np.ndarray:
    """Residual sum of squares of the line fit in the box of ``box_size`` beats starting at each
    beat: the profile is the box's own running sum (equal to a window's up to a line)."""
    profile = np.cumsum(np.lib.stride_tricks.sliding_window_view(nn_ms, box_size), axis=1)
    profile -= profile.mean(axis=1, keepdims=True)
    centred_j = np.arange(box_size) - (box_size - 1) / 2.0
    slope = profile @ (centred_j / (centred_j @ centred_j))
    residual = profile - slope[:, np.newaxis] * centred_j
    return np.asarray(np.einsum("ij,ij->i", residual, residual))


def _running_sums_every(values: np.ndarray, step: int) -> np.ndarray:
    """``out[i] = values[i] + values[i − step] + values[i − 2·step] + …``"""
    padded = np.zeros(-(-values.size // step) * step)
    padded[: values.size] = values
    return np.cumsum(padded.reshape(-1, step), axis=0).ravel()[: values.size]
