"""Breathing rate from the heart rhythm: breaths counted in the RSA, or the spectrum's peak for
slow breathing, or none when neither is clear.

Method
------
Respiratory sinus arrhythmia puts the breathing rhythm into the NN series (Schäfer & Kratky
2008, Ann Biomed Eng 36:476); from RR intervals alone this frequency modulation is the only
respiratory signal (the amplitude and baseline modulations need the ECG; Charlton et al. 2016,
Physiol Meas 37:610). Each 64-s window is read in two ways, which cover each other's blind spot:

* **Spontaneous breathing (7–27/min): counted.** :mod:`monitor.core.breath_count` counts the
  RSA's oscillations in the last minute (Schäfer & Kratky's *count-adv*, the best of their
  time-domain methods). On a real recording with a belt this followed irregular spontaneous
  breathing far better than the spectral peak did (issue #14: the peak was lost, or pulled to
  the band's edge, whenever breaths varied in depth and length, as they do in conversation).
* **Slow breathing (3–8.4/min): the spectral peak.** Paced and resonance breathing is one
  coherent oscillation, which the spectrum measures finely, while a minute holds only a few
  breaths to count. A peak below 0.14 Hz is taken as breathing, not a Mayer wave (Julien 2006,
  Cardiovasc Res 70:12), only when it is a real peak and dominates a coherent spectrum
  (coherence ≥ ``SLOW_BREATHING_MIN_COHERENCE``, as in resonance breathing; Lehrer & Gevirtz
  2014, Front Psychol 5:756) and no clear spontaneous-band peak holds
  ``MIN_HF_SHARE_OF_LF_PEAK`` of its power (a weaker peak than that beside a coherent 0.1-Hz
  rhythm is its harmonic or noise).

A spectral peak is *clear* when it is a local maximum (not the band's edge, where leaked power
keeps rising), its prominence (height above the higher of its two bases, the definition of
:func:`scipy.signal.peak_prominences`) is at least ``MIN_RELATIVE_PROMINENCE`` of its height,
and it stands ``MIN_PEAK_TO_MEDIAN`` times above the median of its band: a breathing rhythm
concentrates its power, noise does not (Karlen et al. 2013, IEEE Trans Biomed Eng 60:1946,
withhold an estimate rather than show a poor one). The highest of the band's
``CANDIDATE_PEAKS`` highest local maxima that is clear is the band's peak.

Each window is read alone, never with the previous estimate (tracking, as in Karlen et al.
2013, would make a beat's value depend on where a recording or replay started: the live engine,
the per-beat timeline and the batch form must give the same value at every beat).

An estimate from heart rhythm alone, not a respiration measurement.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import peak_prominences

from monitor.core import spectral

SPONTANEOUS_BAND_HZ = (0.14, 0.50)
"""8.4–30 breaths/min. Starts below the Task Force's 0.15 Hz so that breathing at 9/min
(0.15 Hz) is a peak inside the band, not on its edge."""
SLOW_BAND_HZ = (0.05, 0.14)
"""3–8.4 breaths/min: paced and resonance breathing (4.5–7/min), and Mayer waves."""
PEAK_HALF_WIDTH_HZ = 1.0 / 128.0
"""Half the resolution of the 64-s window (1/64 Hz): a steady rhythm's power lies within it."""
MIN_RELATIVE_PROMINENCE = 0.5
"""A peak rises to at least twice the higher of its bases."""
MIN_PEAK_TO_MEDIAN = 12.0
"""Measured on white-noise RR over 64 s (600 windows), the highest local maximum of the
spontaneous band stands 3.2, 5.8 and 13.5 times above the band's median (1st, 50th, 99th
percentile); on the simulated RSA of tests/core/test_respiration.py the breathing peak stands
far higher. With 12, 4 % of white-noise windows still show a rate."""
MIN_HF_SHARE_OF_LF_PEAK = 0.04
"""A spontaneous-band peak counts beside a coherent slow peak when it holds 4 % of its power (a
fifth of its amplitude: a Mayer wave four times the RSA's amplitude still leaves breathing
readable); a weaker one is taken as a harmonic of slow breathing. A judgement, not a measured
figure: with RR alone a coherent 6/min rhythm with a small peak at 12/min is either."""
CANDIDATE_PEAKS = 3
"""Local maxima per band tried for a clear peak, highest first."""
SLOW_BREATHING_MIN_COHERENCE = 1.5
"""An LF peak counts as breathing only in a spectrum this coherent. Measured on the simulator's
session: 64-s coherence is 0.1–1.3 (10th–90th percentile) in every unpaced phase and 2.0–9.1 in
paced 6/min breathing; 1.0 let a clean Mayer wave pass as slow breathing."""

NO_CLEAR_PEAK_REASON = (
    "no regular breathing rhythm in the last minute of heart rhythm (irregular breathing, "
    "talking or movement, or too little respiratory sinus arrhythmia)"
)
"""Why the breathing rate is absent once its 64-s window is filled."""


def respiration_rate_bpm(
    freqs_hz: np.ndarray,
    psd: np.ndarray,
    counted_per_min: float,
    coherence: float | None = None,
) -> float:
    """Breathing rate (breaths/min) of one window, NaN without a clear one (see
    :func:`respiration_rate_of_rows`)."""
    coherences = None if coherence is None else np.array([coherence])
    rates = respiration_rate_of_rows(
        freqs_hz, psd[np.newaxis], np.array([counted_per_min]), coherences
    )
    return float(rates[0])


def respiration_rate_of_rows(
    freqs_hz: np.ndarray,
    psds: np.ndarray,
    counted_per_min: np.ndarray,
    coherence: np.ndarray | None = None,
) -> np.ndarray:
    """Breathing rate (breaths/min) of each window (module docstring).

    Parameters
    ----------
    freqs_hz : numpy.ndarray
        The uniform, ascending grid (:data:`spectral.FREQUENCIES_HZ`).
    psds : numpy.ndarray
        Spectra, one per row (64-s windows in the live engine).
    counted_per_min : numpy.ndarray
        Per row, the breaths counted in the same window
        (:func:`monitor.core.breath_count.count_breaths`; NaN where irregular).
    coherence : numpy.ndarray, optional
        Each row's coherence ratio, if already computed.

    Returns
    -------
    numpy.ndarray
        Per row: the slow-breathing peak where slow breathing dominates, else the count; NaN
        where neither is clear (:data:`NO_CLEAR_PEAK_REASON`).
    """
    return np.where(
        np.isfinite(slow := slow_breathing_rate_of_rows(freqs_hz, psds, coherence)),
        slow,
        np.asarray(counted_per_min, dtype=float),
    )


def slow_breathing_rate_of_rows(
    freqs_hz: np.ndarray, psds: np.ndarray, coherence: np.ndarray | None = None
) -> np.ndarray:
    """Per row, the rate (breaths/min) of a coherent slow-breathing peak below 0.14 Hz, NaN
    where the spectrum shows none (module docstring, slow breathing)."""
    if coherence is None:
        coherence = spectral.coherence_of_rows(freqs_hz, psds)
    _, fast_power, fast_clear = _clearest_peaks(freqs_hz, psds, SPONTANEOUS_BAND_HZ)
    slow_hz, slow_power, slow_clear = _clearest_peaks(freqs_hz, psds, SLOW_BAND_HZ)
    # ``>=`` is False for NaN: an undefined coherence never counts as coherent.
    slow_breathing = (
        slow_clear
        & (coherence >= SLOW_BREATHING_MIN_COHERENCE)
        & ~(fast_clear & (fast_power >= MIN_HF_SHARE_OF_LF_PEAK * slow_power))
    )
    return np.where(slow_breathing, slow_hz * 60.0, np.nan)


def _clearest_peaks(
    freqs_hz: np.ndarray, psds: np.ndarray, band_hz: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, the highest clear peak (module docstring, 2) among the ``CANDIDATE_PEAKS``
    highest local maxima within ``band_hz``: its frequency (Hz), its power within
    ±``PEAK_HALF_WIDTH_HZ`` (ms²) and whether there is one (frequency and power are those of the
    highest local maximum where there is none).

    Whole-array passes over the rows rather than :func:`scipy.signal.find_peaks` per row: the
    per-beat timeline reads ~100,000 spectra at once. Prominence as in
    :func:`scipy.signal.peak_prominences` with the whole grid as its window (a test holds the
    two equal).
    """
    rows, size = psds.shape
    low = max(int(freqs_hz.searchsorted(band_hz[0])), 1)
    high = min(int(freqs_hz.searchsorted(band_hz[1])), size - 1)
    # A local maximum: above its left neighbour, not below its right one. Comparisons with NaN
    # are False, so a NaN row has none.
    inner = psds[:, low:high]
    is_peak = (inner > psds[:, low - 1 : high - 1]) & (inner >= psds[:, low + 1 : high + 1])
    band_median = np.median(inner, axis=1)
    band_power = spectral.band_powers_ms2(freqs_hz, psds, band_hz)
    candidates = np.where(is_peak, inner, -np.inf)
    ranked = np.argsort(-candidates, axis=1)[:, :CANDIDATE_PEAKS] + low
    chosen = ranked[:, 0]
    found = np.zeros(rows, dtype=bool)
    # From the lowest-ranked candidate up, so the highest clear one is kept.
    for rank in reversed(range(ranked.shape[1])):
        peak = ranked[:, rank]
        clear = is_peak[np.arange(rows), peak - low] & _is_clear(
            psds, peak, band_median, band_power
        )
        chosen = np.where(clear, peak, chosen)
        found |= clear
    return freqs_hz[chosen], _peak_power_ms2(freqs_hz, psds, chosen), found


def _is_clear(
    psds: np.ndarray, peak: np.ndarray, band_median: np.ndarray, band_power: np.ndarray
) -> np.ndarray:
    """Whether the local maximum at grid index ``peak`` of each row is a clear peak."""
    height = psds[np.arange(psds.shape[0]), peak]
    with np.errstate(invalid="ignore"):
        clear = (
            (_prominences(psds, peak) >= MIN_RELATIVE_PROMINENCE * height)
            & (height >= MIN_PEAK_TO_MEDIAN * band_median)
            & (band_power > spectral.NEGLIGIBLE_POWER_MS2)
        )
    return np.asarray(clear)


def _prominences(psds: np.ndarray, peak: np.ndarray) -> np.ndarray:
    """Prominence of the local maximum at grid index ``peak`` of each row (0 where it is none).

    A few rows (the live engine's one spectrum per beat) go to
    :func:`scipy.signal.peak_prominences` row by row; many (the timeline's) go through the same
    definition in whole-array passes, which costs more for one row and far less for thousands.
    """
    rows, size = psds.shape
    if rows <= _ROWS_FOR_SCIPY:
        result = np.zeros(rows)
        for row in range(rows):
            p = int(peak[row])
            spectrum = psds[row]
            if (
                0 < p < size - 1
                and spectrum[p] > spectrum[p - 1]
                and spectrum[p] >= spectrum[p + 1]
            ):
                result[row] = peak_prominences(spectrum, [p])[0][0]
        return result
    height = psds[np.arange(rows), peak]
    grid = np.arange(size)
    at = peak[:, np.newaxis]
    above = psds > height[:, np.newaxis]
    # The bases: the lowest point between the peak and the nearest higher point (or the grid's
    # end) on each side.
    left_stop = np.where(above & (grid < at), grid, -1).max(axis=1)[:, np.newaxis]
    right_stop = np.where(above & (grid > at), grid, size).min(axis=1)[:, np.newaxis]
    left_base = np.where((grid > left_stop) & (grid <= at), psds, np.inf).min(axis=1)
    right_base = np.where((grid >= at) & (grid < right_stop), psds, np.inf).min(axis=1)
    return np.asarray(height - np.maximum(left_base, right_base))


_ROWS_FOR_SCIPY = 4


def _peak_power_ms2(freqs_hz: np.ndarray, psds: np.ndarray, peak: np.ndarray) -> np.ndarray:
    """Power within ±``PEAK_HALF_WIDTH_HZ`` of each row's grid index ``peak`` (ms²)."""
    step_hz = float(freqs_hz[1] - freqs_hz[0])
    half_width = round(PEAK_HALF_WIDTH_HZ / step_hz)
    near = np.abs(np.arange(psds.shape[1]) - peak[:, np.newaxis]) <= half_width
    return np.asarray(np.where(near, psds, 0.0).sum(axis=1) * step_hz)
