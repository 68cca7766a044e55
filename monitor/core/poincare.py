"""Poincaré plot descriptors SD1 and SD2.

Brennan, Palaniswami & Kamen (2001), "Do existing measures of Poincaré plot geometry reflect
nonlinear features of heart rate variability?", IEEE Trans Biomed Eng 48:1342–1347: SD1 and SD2
are exact functions of the time-domain statistics,

    SD1² = var(ΔNN) / 2,      SD2² = 2·SDNN² − SD1².

Variances use ddof = 1, as SDNN does (Task Force 1996), so SD1 = RMSSD/√2 up to the mean of ΔNN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from monitor.core.time_domain import sdnn_ms


def sd1_ms(nn_ms: ArrayLike) -> float:
    """Short-axis spread of the Poincaré plot, SD1 = sqrt(var(ΔNN)/2) (ms); Brennan 2001.

    NaN below 3 beats (the variance of the differences needs two of them).
    """
    nn = np.asarray(nn_ms, dtype=float)
    if nn.size < 3:
        return float("nan")
    return float(np.sqrt(np.var(np.diff(nn), ddof=1) / 2.0))


def sd2_ms(nn_ms: ArrayLike) -> float:
    """Long-axis spread of the Poincaré plot, SD2 = sqrt(2·SDNN² − SD1²) (ms); Brennan 2001.

    NaN below 3 beats.
    """
    sd1 = sd1_ms(nn_ms)
    sdnn = sdnn_ms(nn_ms)
    if not (np.isfinite(sd1) and np.isfinite(sdnn)):
        return float("nan")
    return float(np.sqrt(max(2.0 * sdnn * sdnn - sd1 * sd1, 0.0)))
