"""Physiological synchrony of two people's heart rates, tested against chance.

Method
------
Surrogate synchrony (SUSY), as therapist–client heart-rate synchrony is measured in psychotherapy
research (Tschacher & Meier 2020, Psychother Res 30:558; the method's choices reviewed by Kleinbub
2017, Front Psychol 8:2053):

1. Both heart rates are put on one clock, ``SAMPLE_HZ`` samples a second, by linear
   interpolation between beats (:func:`heart_rate_series`); a stretch without beats longer than
   ``MAX_BEAT_GAP_S`` is missing, never bridged.
2. The session is cut into segments of ``SEGMENT_S`` (15 s, the bins of Tschacher & Meier 2020).
   In each segment the two series are cross-correlated at every lag up to ``MAX_LAG_S`` either
   way (Pearson r over the overlapping samples; windowed cross-correlation, Boker et al. 2002,
   Psychol Methods 7:338), and each r is Fisher z-transformed so that they can be averaged.
   Before each correlation both stretches lose their straight-line trend: two heart rates that
   merely drift during the same 15 s correlate without any coupling (Yule 1926, J R Stat Soc
   89:1, "nonsense correlations" of trending series). Measured on independent simulated client
   and therapist hearts (``drivers.simulated_coupling`` with strength 0, 100 seeds): 3 of 100
   "above chance" at p < 0.01 without detrending, 0 of 100 with it; a coupling of 0.15 was
   found as often either way.
3. The mean |z| over segments and lags is SUSY's synchrony figure (reported as ``z_abs``). The
   **lag profile**, the mean *signed* z over segments at each lag, says more: coupling gives the
   same sign in segment after segment at one lag, while chance correlations of two drifting heart
   rates change sign from segment to segment and cancel (Kleinbub 2017 on signed against
   absolute aggregation). Its strongest lag says who leads (positive: the therapist follows the
   client) and its sign in-phase (both rise together) or anti-phase.
4. **Chance.** The strongest value of the lag profile is compared with the same statistic of
   surrogate sessions in which each of the client's segments is paired with another segment of
   the therapist's (a random derangement of the segments): every segment keeps its own dynamics,
   their timing is destroyed. Synchrony is "above chance" only when fewer than ``ALPHA`` of
   ``SURROGATES`` surrogate sessions reach it; the effect size is its distance from the
   surrogates' mean in their standard deviations (the ES of Tschacher & Meier 2020, here on the
   lag profile).

The surrogates come from a fixed seed, so the same beats always give the same verdict: live,
replay and reports agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

SAMPLE_HZ = 2.0
"""Heart-rate samples per second: well above the fastest heart-rate change that couples two
people (breathing, ~0.5 Hz at most) after a 10-s average, and cheap."""
SEGMENT_S = 15.0
"""Segment (bin) length: Tschacher & Meier 2020."""
MAX_LAG_S = 5.0
"""Largest lead or lag considered either way: heart-rate responses to a shared moment follow
within a few seconds (Kleinbub 2017 discusses lags of 1-5 s for physiological signals)."""
MAX_BEAT_GAP_S = 5.0
"""A stretch without beats longer than this is missing data, as in the window of tolerance."""
MIN_SEGMENTS = 8
"""Fewer usable segments (2 minutes) give too few surrogate pairings to tell chance apart."""
SURROGATES = 500
"""Surrogate sessions drawn (a fixed seed: the same beats always give the same verdict)."""
ALPHA = 0.01
"""Share of surrogate sessions the real one may fall below and still be "above chance": strict,
so that the dashboard rarely claims a synchrony that is not there."""
_SEED = 20200558
_MAX_ABS_R = 1.0 - 1e-9  # arctanh(±1) is infinite: a perfect correlation is clipped just below


@dataclass(frozen=True)
class Synchrony:
    """How much two heart rates move together, against chance.

    Attributes
    ----------
    z_abs : float
        Mean |Fisher z| of the segment-wise cross-correlations over segments and lags (SUSY).
    z_at_lag : tuple of float
        The lag profile: mean signed z over segments at each lag, ``-max_lag_s … +max_lag_s``.
    lags_s : tuple of float
        The lags of :attr:`z_at_lag` (s); positive: the therapist's heart rate follows.
    lead_lag_s : float
        The lag of the profile's strongest value (positive: the client leads).
    in_phase : bool
        At that lag both rise together (anti-phase: one rises as the other falls).
    effect_size : float
        ``(strongest |profile| - surrogate mean) / surrogate SD`` over the surrogate sessions.
    p_value : float
        Share of surrogate sessions at least as synchronous (with the real one counted in).
    above_chance : bool
        ``p_value < ALPHA``.
    segments : int
        Segments with both heart rates complete and varying.
    """

    z_abs: float
    z_at_lag: tuple[float, ...]
    lags_s: tuple[float, ...]
    lead_lag_s: float
    in_phase: bool
    effect_size: float
    p_value: float
    above_chance: bool
    segments: int


def heart_rate_series(
    t_s: ArrayLike, hr_bpm: ArrayLike, start_s: float, end_s: float, sample_hz: float = SAMPLE_HZ
) -> np.ndarray:
    """Heart rate at ``sample_hz`` from ``start_s`` to ``end_s``, NaN where it is not known.

    Parameters
    ----------
    t_s, hr_bpm : array_like
        Beat times (s, increasing) and the heart rate at each (bpm), e.g. the 10-s live HR.
    start_s, end_s : float
        The span to sample (samples at ``start_s + k / sample_hz``, before ``end_s``).
    sample_hz : float

    Returns
    -------
    numpy.ndarray
        Linear interpolation between beats; NaN before the first beat, after the last, and
        between two beats more than ``MAX_BEAT_GAP_S`` apart.
    """
    t = np.asarray(t_s, dtype=float)
    hr = np.asarray(hr_bpm, dtype=float)
    good = np.isfinite(t) & np.isfinite(hr)
    t, hr = t[good], hr[good]
    grid = start_s + np.arange(max(0, math.ceil((end_s - start_s) * sample_hz))) / sample_hz
    out = np.full(grid.shape, np.nan)
    if t.size < 2:
        return out
    inside = (grid >= t[0]) & (grid <= t[-1])
    out[inside] = np.interp(grid[inside], t, hr)
    # The beats on either side of each sample: between two beats too far apart it is missing.
    sampled = grid[inside]
    after = np.searchsorted(t, sampled, side="right")
    before = after - 1  # t[before] <= sample (a sample on a beat is known)
    spacing = t[np.minimum(after, t.size - 1)] - t[before]
    bridged = (spacing > MAX_BEAT_GAP_S) & (sampled > t[before])
    out[np.flatnonzero(inside)[bridged]] = np.nan
    return out


def _segments(series: np.ndarray, samples_per_segment: int) -> np.ndarray:
    n = series.size // samples_per_segment
    return series[: n * samples_per_segment].reshape(n, samples_per_segment)


def _standardised(rows: np.ndarray) -> np.ndarray:
    """Each row without its least-squares line, scaled to unit norm (r is then a dot product)."""
    x = np.arange(rows.shape[1]) - (rows.shape[1] - 1) / 2.0
    centred = rows - rows.mean(axis=1, keepdims=True)
    residual = centred - np.outer(centred @ x / (x @ x), x)
    return np.asarray(residual / np.sqrt((residual * residual).sum(axis=1, keepdims=True)))


def lagged_correlations(client: np.ndarray, therapist: np.ndarray, max_lag: int) -> np.ndarray:
    """Pearson r of every client segment with every therapist segment at every lag, after
    removing each stretch's linear trend (see the module notes).

    Parameters
    ----------
    client, therapist : numpy.ndarray
        Segments as rows (the same number of rows and columns, no NaN, none constant).
    max_lag : int
        Largest lag in samples either way.

    Returns
    -------
    numpy.ndarray
        ``r[lag, i, j]`` for lags ``-max_lag … +max_lag``: client segment ``i`` against
        therapist segment ``j``, the therapist ``lag`` samples later (the diagonal ``i == j`` is
        the real pairing, the rest are surrogate pairings).
    """
    width = client.shape[1]
    out = np.empty((2 * max_lag + 1, client.shape[0], therapist.shape[0]))
    for k, lag in enumerate(range(-max_lag, max_lag + 1)):
        if lag >= 0:
            a, b = client[:, : width - lag], therapist[:, lag:]
        else:
            a, b = client[:, -lag:], therapist[:, : width + lag]
        out[k] = _standardised(a) @ _standardised(b).T
    return out


def _derangements(n: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` random permutations of ``n`` with no fixed point (each segment elsewhere)."""
    out = np.empty((count, n), dtype=int)
    filled = 0
    while filled < count:
        perms = np.argsort(rng.random((2 * (count - filled), n)), axis=1)
        fine = perms[(perms != np.arange(n)).all(axis=1)][: count - filled]
        out[filled : filled + len(fine)] = fine
        filled += len(fine)
    return out


def synchrony(
    client_hr: ArrayLike,
    therapist_hr: ArrayLike,
    sample_hz: float = SAMPLE_HZ,
    segment_s: float = SEGMENT_S,
    max_lag_s: float = MAX_LAG_S,
) -> Synchrony | None:
    """Surrogate synchrony of two heart-rate series on one clock (see the module notes).

    Parameters
    ----------
    client_hr, therapist_hr : array_like
        Heart rates sampled together at ``sample_hz`` (:func:`heart_rate_series`), NaN where
        unknown; a segment with a NaN or a constant heart rate in either is left out.
    sample_hz, segment_s, max_lag_s : float

    Returns
    -------
    Synchrony or None
        None with fewer than ``MIN_SEGMENTS`` usable segments.
    """
    per_segment = round(segment_s * sample_hz)
    max_lag = round(max_lag_s * sample_hz)
    if not 0 <= max_lag < per_segment - 2:
        raise ValueError(
            f"the lags (±{max_lag_s:g} s) must be well inside a segment ({segment_s:g} s)"
        )
    a = np.asarray(client_hr, dtype=float)
    b = np.asarray(therapist_hr, dtype=float)
    n = min(a.size, b.size)
    a_seg, b_seg = _segments(a[:n], per_segment), _segments(b[:n], per_segment)
    usable = (
        np.isfinite(a_seg).all(axis=1)
        & np.isfinite(b_seg).all(axis=1)
        & (np.ptp(a_seg, axis=1) > 0)
        & (np.ptp(b_seg, axis=1) > 0)
    )
    a_seg, b_seg = a_seg[usable], b_seg[usable]
    segments = a_seg.shape[0]
    if segments < MIN_SEGMENTS:
        return None
    z = np.arctanh(np.clip(lagged_correlations(a_seg, b_seg, max_lag), -_MAX_ABS_R, _MAX_ABS_R))
    diagonal = np.arange(segments)
    real = z[:, diagonal, diagonal]  # [lag, segment]
    z_abs = float(np.abs(real).mean())
    z_at_lag = real.mean(axis=1)
    strongest = int(np.argmax(np.abs(z_at_lag)))
    statistic = float(abs(z_at_lag[strongest]))
    perms = _derangements(segments, SURROGATES, np.random.default_rng(_SEED))
    # [lag, surrogate]: each surrogate session's lag profile, then its strongest lag.
    surrogate = np.abs(z[:, diagonal[np.newaxis, :], perms].mean(axis=2)).max(axis=0)
    spread = float(surrogate.std(ddof=1))
    effect = (statistic - float(surrogate.mean())) / spread if spread > 0 else math.nan
    p_value = (1 + int((surrogate >= statistic).sum())) / (1 + SURROGATES)
    lags_s = tuple(lag / sample_hz for lag in range(-max_lag, max_lag + 1))
    return Synchrony(
        z_abs=z_abs,
        z_at_lag=tuple(float(v) for v in z_at_lag),
        lags_s=lags_s,
        lead_lag_s=lags_s[strongest],
        in_phase=bool(z_at_lag[strongest] > 0),
        effect_size=effect,
        p_value=p_value,
        above_chance=p_value < ALPHA,
        segments=segments,
    )
