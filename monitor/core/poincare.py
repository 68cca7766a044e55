"""Poincaré plot descriptors SD1 and SD2.

Brennan, Palaniswami & Kamen (2001), "Do existing measures of Poincaré plot geometry reflect
nonlinear features of heart rate variability?", IEEE Trans Biomed Eng 48:1342–1347: SD1 and SD2
are exact functions of the time-domain statistics,

    SD1² = var(ΔNN) / 2,      SD2² = 2·SDNN² − SD1².

Variances use ddof = 1, as SDNN does (Task Force 1996), so SD1 = RMSSD/√2 up to the mean of ΔNN.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from monitor.core.time_domain import sdnn_ms


def sd1_ms(nn_ms: ArrayLike) -> float:
    """Short-axis spread of the Poincaré plot, SD1 = sqrt(var(ΔNN)/2) (ms); Brennan 2001.

    NaN below 3 beats (the variance of the differences needs two of them).
    """
    nn = np.asarray(nn_ms, dtype=float)
    return sd1_from_successive_ms(nn[1:] - nn[:-1])


def sd1_from_successive_ms(successive_ms: np.ndarray) -> float:
    """SD1 (ms) from the successive differences, for callers that already hold them
    (Brennan 2001). NaN below two differences."""
    if successive_ms.size < 2:
        return float("nan")
    deviations_ms = successive_ms - float(successive_ms.sum()) / successive_ms.size
    return math.sqrt(float(deviations_ms @ deviations_ms) / (successive_ms.size - 1) / 2.0)


def sd2_ms(nn_ms: ArrayLike) -> float:
    """Long-axis spread of the Poincaré plot, SD2 = sqrt(2·SDNN² − SD1²) (ms); Brennan 2001.

    NaN below 3 beats.
    """
    return sd2_from_sdnn_sd1(sdnn_ms(nn_ms), sd1_ms(nn_ms))


def sd2_from_sdnn_sd1(sdnn: float, sd1: float) -> float:
    """SD2 = sqrt(2·SDNN² − SD1²) (ms) from SDNN and SD1 of the same window (Brennan 2001)."""
    if not (math.isfinite(sd1) and math.isfinite(sdnn)):
        return float("nan")
    return math.sqrt(max(2.0 * sdnn * sdnn - sd1 * sd1, 0.0))
