"""Baevsky's stress index, in the square-root form Kubios HRV reports.

Baevsky & Berseneva (2008), "Methodical recommendations: use of the Kardivar system for
determination of the stress level and estimation of the body adaptability"; the formula and the
square-root convention as given in the Kubios HRV user's guide (Tarvainen et al., "Kubios HRV
version 3 user's guide", 2017, section on the stress index):

    SI = AMo / (2 · Mo · MxDMn)

with a histogram of NN intervals in 50 ms bins; Mo the mode (centre of the fullest bin, in s),
AMo the fullest bin's share of all intervals (%), MxDMn the range max − min of NN (s). Kubios shows
sqrt(SI) to make the index close to normally distributed; so does this module.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

HISTOGRAM_BIN_MS = 50.0
MIN_BEATS = 20


def stress_index(nn_ms: ArrayLike) -> float:
    """Square root of Baevsky's stress index (dimensionless), as Kubios reports it.

    Parameters
    ----------
    nn_ms : array_like
        NN intervals of the window, in ms.

    Returns
    -------
    float
        sqrt(AMo / (2·Mo·MxDMn)); NaN with fewer than ``MIN_BEATS`` intervals (the histogram is
        meaningless) or when every interval is identical (MxDMn = 0).

    Notes
    -----
    Bins are aligned at multiples of 50 ms. When two bins tie for the mode, the shorter one is
    taken (``numpy.argmax`` returns the first maximum).
    """
    nn = np.asarray(nn_ms, dtype=float)
    if nn.size < MIN_BEATS:
        return float("nan")
    range_s = (nn.max() - nn.min()) / 1000.0
    if range_s <= 0:
        return float("nan")
    bin_index = np.floor(nn / HISTOGRAM_BIN_MS).astype(np.int64)
    first_bin = bin_index.min()
    counts = np.bincount(bin_index - first_bin)
    modal = int(np.argmax(counts))
    mode_s = (first_bin + modal + 0.5) * HISTOGRAM_BIN_MS / 1000.0
    amplitude_of_mode_pct = 100.0 * counts[modal] / nn.size
    return float(np.sqrt(amplitude_of_mode_pct / (2.0 * mode_s * range_s)))


def stress_index_of_windows(nn_ms: ArrayLike, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """:func:`stress_index` of ``nn_ms[start:stop]`` for every window at once (a recording's
    per-beat timeline).

    Each window's histogram comes from running counts per 50-ms bin read at its bounds, its
    range from a table of maxima and minima over power-of-two spans (a window is covered by two
    such spans, overlapping). Same bins, same tie rule (the shorter bin), same formula.

    Parameters
    ----------
    nn_ms : array_like
        NN intervals in ms of one stretch of signal.
    starts, stops : numpy.ndarray
        Each window's first beat and one past its last.

    Returns
    -------
    numpy.ndarray
        sqrt(SI) per window, NaN where :func:`stress_index` gives NaN.
    """
    nn = np.asarray(nn_ms, dtype=float)
    starts = np.asarray(starts, dtype=int)
    stops = np.asarray(stops, dtype=int)
    beats = stops - starts
    result = np.full(starts.size, np.nan)
    usable = beats >= MIN_BEATS
    if not usable.any():
        return result
    starts, stops, beats = starts[usable], stops[usable], beats[usable]
    bin_index = np.floor(nn / HISTOGRAM_BIN_MS).astype(np.int64)
    modal_bin = np.zeros(starts.size, dtype=np.int64)
    modal_count = np.zeros(starts.size, dtype=np.int64)
    for bin_number in np.unique(bin_index):
        running = np.concatenate(([0], np.cumsum(bin_index == bin_number)))
        count = running[stops] - running[starts]
        # Ascending bins and a strict comparison: a tie keeps the shorter bin, as argmax does.
        fuller = count > modal_count
        modal_bin[fuller] = bin_number
        modal_count[fuller] = count[fuller]
    range_s = (
        _window_extreme(nn, starts, stops, np.maximum)
        - _window_extreme(nn, starts, stops, np.minimum)
    ) / 1000.0
    mode_s = (modal_bin + 0.5) * HISTOGRAM_BIN_MS / 1000.0
    amplitude_of_mode_pct = 100.0 * modal_count / beats
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.sqrt(amplitude_of_mode_pct / (2.0 * mode_s * range_s))
    result[usable] = np.where(range_s > 0, values, np.nan)
    return result


def _window_extreme(
    values: np.ndarray, starts: np.ndarray, stops: np.ndarray, pick: np.ufunc
) -> np.ndarray:
    """``pick.reduce(values[start:stop])`` per window (``pick`` is np.maximum or np.minimum),
    from a sparse table: level k holds the extreme of every span of 2^k values, and a window of
    length L is the union of the two spans of 2^⌊log2 L⌋ at its two ends."""
    lengths = stops - starts
    levels = np.floor(np.log2(lengths)).astype(int)
    result = np.empty(starts.size)
    table = values
    for level in range(int(levels.max()) + 1):
        if level:
            half = 1 << (level - 1)
            table = pick(table[:-half], table[half:])
        at_level = levels == level
        span = 1 << level
        result[at_level] = pick(table[starts[at_level]], table[stops[at_level] - span])
    return result
