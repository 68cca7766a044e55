"""Synchrony of two people's vagal tone: RMSSD in 15-s bins, tested against chance.

Heart-rate synchrony (:mod:`monitor.core.synchrony`) looks at seconds; vagal tone moves over
tens of seconds to minutes, and co-regulation research follows it as a slow series of
short-epoch RSA or HRV values: partners' RSA follows the other's previous RSA (Helm, Sbarra &
Ferrer 2014, Emotion 14:522), time-varying RSA shows spouses' linkage (Gates et al. 2015,
Psychophysiology 52:1059), and couples' HRV synchrony, in phase or anti-phase, by windowed
cross-correlation against surrogates (Coutinho et al. 2021, Psychophysiology 58:e13739; review:
Palumbo et al. 2017, Pers Soc Psychol Rev 21:99). SUSY's 15-s segments, detrended inside,
remove exactly that slow co-variation (measured: ``bench/rmssd_synchrony.py`` finds almost none
of the coupled simulated pairs with them), so vagal synchrony is computed on the bin series.

Method
------
1. **Bins.** Each person's NN intervals are cut into the 15-s bins of heart-rate synchrony
   (Tschacher & Meier 2020, Psychother Res 30:558) and each bin's value is ln RMSSD, the
   log-transformed RMSSD of its successive differences (the log makes its skewed distribution
   near normal, as for correlation it should be; ultra-short ln RMSSD agrees with 5-min values:
   Esco & Flatt 2014, J Sports Sci Med 13:535). A successive
   difference counts only between two adjacent beats (their spacing equals the later NN
   interval within :data:`ADJACENT_TOLERANCE`), and a bin with fewer than
   :data:`MIN_DIFFERENCES` of them is missing (:func:`ln_rmssd_bins`).
2. **Lagged correlation.** Over a span, each series loses its least-squares line (two drifting
   series correlate without coupling: Yule 1926, J R Stat Soc 89:1), then Pearson r of the
   client's bins with the therapist's bins ``k`` bins later, for ``k`` up to ``MAX_LAG_S``
   either way, over the bins both have; each r is Fisher z-transformed, as in SUSY. The
   strongest lag gives the sign (in phase / anti-phase) and the leader.
3. **Chance.** Neighbouring bins of one person are strongly alike (vagal tone drifts slowly),
   which makes chance correlations of two independent series far larger than ``1/sqrt(n)``
   suggests, and segment shuffling needs more segments than a session has. So the null comes
   from surrogates of the therapist's series that keep its spectrum, hence its
   autocorrelation, and lose any timing relation to the client (the surrogate-data test of
   Theiler et al. 1992, Physica D 58:77), made by :func:`dct_surrogates`. Synchrony is "above
   chance" when fewer than ``ALPHA`` of ``SURROGATES`` surrogates reach the strongest |z| over
   lags; the effect size is its distance from the surrogates' mean in their standard
   deviations.

The surrogates come from a fixed seed: the same beats always give the same verdict, live, in
replay and in reports.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike

from monitor.core.synchrony import ALPHA, SEGMENT_S, SURROGATES, Synchrony

BIN_S = SEGMENT_S
"""Bin length: the 15-s bins of heart-rate synchrony (Tschacher & Meier 2020)."""
MAX_LAG_S = 30.0
"""Largest lead or lag, two bins either way: vagal responses to a shared moment unfold over
tens of seconds, so the lead of a few seconds heart rate shows is below one bin here."""
MIN_DIFFERENCES = 8
"""Fewest successive differences a bin's RMSSD is taken from (a bin holds 10-45 beats at
40-180 bpm); ultra-short RMSSD from 10 s agrees with 1-min values (Munoz et al. 2015, PLoS ONE
10:e0138921 on 10-s RMSSD)."""
ADJACENT_TOLERANCE = 0.2
"""Two beats are adjacent when their spacing is within 20 % of the later NN interval: a beat
lost between them doubles it."""
MIN_BINS = 16
"""Fewest bins both people have (4 minutes) for a figure: the span around a grounding (two
minutes either side). The surrogate test holds its 1 % at that length too (measured on
independent simulated hearts in ``bench/rmssd_synchrony.py``), but fewer slow bins say little."""
_SEED = 20140522
_MAX_ABS_R = 1.0 - 1e-9


def ln_rmssd_bins(
    t_s: ArrayLike, nn_ms: ArrayLike, start_s: float, end_s: float, bin_s: float = BIN_S
) -> np.ndarray:
    """ln RMSSD (ln ms) of each ``bin_s`` bin from ``start_s`` to ``end_s``, NaN where unknown.

    Parameters
    ----------
    t_s, nn_ms : array_like
        NN beat times (s, increasing) and the NN interval ending at each (ms).
    start_s, end_s : float
        The span; bins start at ``start_s + k * bin_s`` and a last partial bin is dropped.
    bin_s : float

    Returns
    -------
    numpy.ndarray
        One value per bin: ln of the root mean square of the successive differences between
        adjacent beats whose later beat falls in the bin; NaN with fewer than
        :data:`MIN_DIFFERENCES` of them or an RMSSD of 0.
    """
    t = np.asarray(t_s, dtype=float)
    nn = np.asarray(nn_ms, dtype=float)
    bins = max(0, math.floor((end_s - start_s) / bin_s + 1e-9))
    out = np.full(bins, np.nan)
    if t.size < 2 or bins == 0:
        return out
    spacing_ms = np.diff(t) * 1000.0
    later_ms = nn[1:]
    adjacent = (
        np.isfinite(spacing_ms)
        & np.isfinite(later_ms)
        & np.isfinite(nn[:-1])
        & (np.abs(spacing_ms - later_ms) <= ADJACENT_TOLERANCE * later_ms)
    )
    index = np.floor((t[1:] - start_s) / bin_s)
    inside = adjacent & (index >= 0) & (index < bins)
    which = index[inside].astype(int)
    squares = np.diff(nn)[inside] ** 2
    count = np.bincount(which, minlength=bins)
    total = np.bincount(which, weights=squares, minlength=bins)
    known = (count >= MIN_DIFFERENCES) & (total > 0)
    out[known] = 0.5 * np.log(total[known] / count[known])
    return out


def _detrended(series: np.ndarray) -> np.ndarray:
    """The series less its least-squares line over its known values (NaN stays NaN)."""
    known = np.isfinite(series)
    x = np.flatnonzero(known).astype(float)
    y = series[known]
    x_centred = x - x.mean()
    slope = float(x_centred @ (y - y.mean()) / (x_centred @ x_centred))
    out = np.full(series.shape, np.nan)
    out[known] = y - y.mean() - slope * x_centred
    return out


def dct_surrogates(series: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` surrogates of a (gap-free) series: its DCT-II coefficients with random signs.

    The DCT of a first-order Markov (AR(1)-like) series has nearly uncorrelated coefficients,
    being close to its Karhunen-Loeve transform (Ahmed, Natarajan & Rao 1974, IEEE Trans Comput
    C-23:90), so flipping their signs at random keeps the series' spectrum, hence its
    autocorrelation, and destroys its timing. Unlike Fourier phase randomisation (Theiler et al.
    1992, Physica D 58:77) it does not treat the series as wrapping around from its end to its
    start, which a short, slowly drifting series does not: with Fourier surrogates the test
    was liberal here (measured in ``bench/rmssd_synchrony.py``: up to 3.3 % above chance at a
    1 % threshold, against 1.0-1.1 % with these). The first coefficient (the mean) keeps its
    sign.

    Returns
    -------
    numpy.ndarray
        ``(count, len(series))``.
    """
    coefficients = scipy.fft.dct(series, norm="ortho")
    signs = np.where(rng.random((count, coefficients.size)) < 0.5, -1.0, 1.0)
    signs[:, 0] = 1.0
    return np.asarray(scipy.fft.idct(coefficients * signs, norm="ortho", axis=1))


def lagged_z(client: np.ndarray, therapist: np.ndarray, max_lag: int) -> np.ndarray:
    """Fisher z of Pearson r between the client's bins and the therapist's ``k`` bins later,
    ``k = -max_lag … +max_lag``, over the pairs both know.

    Parameters
    ----------
    client : numpy.ndarray
        ``(n,)``, NaN where unknown.
    therapist : numpy.ndarray
        ``(n,)`` or ``(m, n)`` (several therapist series at once, e.g. surrogates).

    Returns
    -------
    numpy.ndarray
        ``(2 max_lag + 1,)`` or ``(m, 2 max_lag + 1)``; NaN for a lag with fewer than three
        pairs or a constant side.
    """
    rows = np.atleast_2d(therapist)
    n = client.size
    out = np.full((rows.shape[0], 2 * max_lag + 1), np.nan)
    for k, lag in enumerate(range(-max_lag, max_lag + 1)):
        if lag >= 0:
            a, b = client[: n - lag], rows[:, lag:]
        else:
            a, b = client[-lag:], rows[:, : n + lag]
        both = np.isfinite(a)[np.newaxis, :] & np.isfinite(b)
        pairs = both.sum(axis=1)
        a0 = np.where(both, a[np.newaxis, :], 0.0)
        b0 = np.where(both, b, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            a_c = np.where(both, a0 - a0.sum(axis=1, keepdims=True) / pairs[:, None], 0.0)
            b_c = np.where(both, b0 - b0.sum(axis=1, keepdims=True) / pairs[:, None], 0.0)
            r = (a_c * b_c).sum(axis=1) / np.sqrt((a_c**2).sum(axis=1) * (b_c**2).sum(axis=1))
        r[pairs < 3] = np.nan
        out[:, k] = np.arctanh(np.clip(r, -_MAX_ABS_R, _MAX_ABS_R))
    return out if therapist.ndim == 2 else out[0]


def vagal_synchrony(
    client_ln_rmssd: ArrayLike,
    therapist_ln_rmssd: ArrayLike,
    bin_s: float = BIN_S,
    max_lag_s: float = MAX_LAG_S,
) -> Synchrony | None:
    """Synchrony of two ln RMSSD bin series on one clock (see the module notes).

    Parameters
    ----------
    client_ln_rmssd, therapist_ln_rmssd : array_like
        :func:`ln_rmssd_bins` of each person over the same span, NaN where unknown.
    bin_s, max_lag_s : float

    Returns
    -------
    Synchrony or None
        As heart-rate synchrony's, with ``segments`` the bins both people have and ``z_abs``
        the mean |z| over lags. None with fewer than :data:`MIN_BINS` such bins or a series
        that does not vary.
    """
    max_lag = round(max_lag_s / bin_s)
    a = np.asarray(client_ln_rmssd, dtype=float)
    b = np.asarray(therapist_ln_rmssd, dtype=float)
    n = min(a.size, b.size)
    a, b = a[:n], b[:n]
    shared = int((np.isfinite(a) & np.isfinite(b)).sum())
    if shared < MIN_BINS or n <= 2 * max_lag + 2:
        return None
    if np.nanstd(a) == 0 or np.nanstd(b) == 0:
        return None
    client, therapist = _detrended(a), _detrended(b)
    z = lagged_z(client, therapist, max_lag)
    if not np.isfinite(z).all():
        return None
    strongest = int(np.argmax(np.abs(z)))
    statistic = float(abs(z[strongest]))
    rng = np.random.default_rng(_SEED)
    # Gaps are filled with the detrended mean (0) for the transform and stay gaps after.
    surrogates = dct_surrogates(np.nan_to_num(therapist, nan=0.0), SURROGATES, rng)
    surrogates[:, ~np.isfinite(therapist)] = np.nan
    null = np.nanmax(np.abs(lagged_z(client, surrogates, max_lag)), axis=1)
    spread = float(null.std(ddof=1))
    effect = (statistic - float(null.mean())) / spread if spread > 0 else math.nan
    p_value = (1 + int((null >= statistic).sum())) / (1 + SURROGATES)
    lags_s = tuple(lag * bin_s for lag in range(-max_lag, max_lag + 1))
    return Synchrony(
        z_abs=float(np.abs(z).mean()),
        z_at_lag=tuple(float(v) for v in z),
        lags_s=lags_s,
        lead_lag_s=lags_s[strongest],
        in_phase=bool(z[strongest] > 0),
        effect_size=effect,
        p_value=p_value,
        above_chance=p_value < ALPHA,
        segments=shared,
    )
