"""Time-domain HRV indices over one window of NN intervals.

Definitions follow the Task Force of the European Society of Cardiology and the North American
Society of Pacing and Electrophysiology (1996), "Heart rate variability: standards of measurement,
physiological interpretation and clinical use", Circulation 93:1043–1065.

Every function takes NN intervals in ms (artefact-corrected, consecutive beats) and returns NaN
when the window holds too few beats for the index to be defined, never a made-up zero.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

MS_PER_MINUTE = 60_000.0
PNN50_THRESHOLD_MS = 50.0


def mean_rr_ms(nn_ms: ArrayLike) -> float:
    """Mean NN interval (ms).

    Task Force 1996: mean NN. NaN for an empty window.
    """
    nn = np.asarray(nn_ms, dtype=float)
    return float(nn.sum()) / nn.size if nn.size else float("nan")


def mean_hr_bpm(nn_ms: ArrayLike) -> float:
    """Mean heart rate (beats/min) as 60 000 / mean NN.

    Taking the reciprocal of the mean interval (not the mean of instantaneous rates) gives the
    number of beats per minute actually observed, as Kubios and the Task Force 1996 do.
    """
    return hr_of_mean_rr_bpm(mean_rr_ms(nn_ms))


def hr_of_mean_rr_bpm(mean_rr: float) -> float:
    """Heart rate (beats/min) of a mean NN interval in ms (see :func:`mean_hr_bpm`)."""
    return MS_PER_MINUTE / mean_rr if mean_rr > 0 else float("nan")


def sdnn_ms(nn_ms: ArrayLike) -> float:
    """Standard deviation of NN intervals, SDNN (ms), with ddof = 1.

    Task Force 1996, "Statistical methods". NaN below 2 beats.
    """
    nn = np.asarray(nn_ms, dtype=float)
    if nn.size < 2:
        return float("nan")
    deviations_ms = nn - float(nn.sum()) / nn.size
    return math.sqrt(float(deviations_ms @ deviations_ms) / (nn.size - 1))


def rmssd_ms(nn_ms: ArrayLike) -> float:
    """Root mean square of successive NN differences, RMSSD (ms).

    RMSSD = sqrt(mean((NN[i+1] − NN[i])²)) over the N − 1 successive differences
    (Task Force 1996). NaN below 2 beats.
    """
    nn = np.asarray(nn_ms, dtype=float)
    return rmssd_from_successive_ms(nn[1:] - nn[:-1])


def rmssd_from_successive_ms(successive_ms: np.ndarray) -> float:
    """RMSSD (ms) from the successive differences NN[i+1] − NN[i] (Task Force 1996), for callers
    that already hold them. NaN without a difference."""
    if successive_ms.size == 0:
        return float("nan")
    return math.sqrt(float(successive_ms @ successive_ms) / successive_ms.size)


def ln_rmssd(nn_ms: ArrayLike) -> float:
    """Natural logarithm of RMSSD (RMSSD in ms).

    The log transform makes RMSSD close to normally distributed, which is what baseline z-scores
    need (Plews et al. 2013, Int J Sports Physiol Perform 8:688). NaN when RMSSD is 0 or undefined.
    """
    value = rmssd_ms(nn_ms)
    return math.log(value) if value > 0 else float("nan")


def pnn50_pct(nn_ms: ArrayLike) -> float:
    """Share of successive NN differences larger than 50 ms, pNN50 (%).

    The denominator is the number of successive differences, N − 1 (Task Force 1996).
    NaN below 2 beats.
    """
    nn = np.asarray(nn_ms, dtype=float)
    return pnn50_from_successive_pct(nn[1:] - nn[:-1])


def pnn50_from_successive_pct(successive_ms: np.ndarray) -> float:
    """pNN50 (%) from the successive differences (Task Force 1996). NaN without a difference."""
    if successive_ms.size == 0:
        return float("nan")
    return 100.0 * np.count_nonzero(abs(successive_ms) > PNN50_THRESHOLD_MS) / successive_ms.size
