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
