"""Frequency-domain HRV: Lomb–Scargle spectra on the uneven NN series, band powers, coherence
and respiration rate.

Method
------
The NN series is sampled at the beats, unevenly in time. Rather than interpolating it onto a
regular grid (which smooths the spectrum and needs every gap filled), the power spectrum is the
Lomb–Scargle periodogram in its generalised, floating-mean form (Lomb 1976, Astrophys Space Sci
39:447; Scargle 1982, ApJ 263:835; Zechmeister & Kürster 2009, A&A 496:577), which works on uneven
samples directly and tolerates removed beats (Clifford & Tarassenko 2005, IEEE Trans Biomed Eng
52:630). No detrending beyond the floating mean is applied: slow trends land in VLF, which no live
index uses.

It is scaled to a one-sided power spectral density in ms²/Hz so that integrating it over a band
gives the band's variance: for a sinusoid of amplitude A the peak integrates to A²/2.

Bands (Task Force 1996): VLF 0.0033–0.04 Hz, LF 0.04–0.15 Hz, HF 0.15–0.40 Hz. LF/HF is not
interpretable during slow breathing: below ~9 breaths/min the respiratory peak moves into LF.

The batch functions use :func:`scipy.signal.lombscargle`. It costs 1–3 ms per window here, too much
to run on every beat, so the live engine keeps the periodogram's sums over a sliding window in
:class:`SlidingLombScargle` (O(frequencies) per beat) and gives the same spectrum.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.signal import lombscargle

VLF_BAND_HZ = (0.0033, 0.04)
LF_BAND_HZ = (0.04, 0.15)
HF_BAND_HZ = (0.15, 0.40)
# McCraty et al. 2009 (Integral Review 5:10–115), HeartMath coherence: peak searched in
# 0.04–0.26 Hz, its power summed over a 0.030 Hz window, total power over 0.0033–0.4 Hz.
COHERENCE_PEAK_SEARCH_HZ = (0.04, 0.26)
COHERENCE_PEAK_WIDTH_HZ = 0.030
COHERENCE_TOTAL_BAND_HZ = (0.0033, 0.40)
# Respiration from the RSA peak (see respiration_rate_bpm).
RESPIRATION_SEARCH_HZ = (0.05, 0.50)
SLOW_BREATHING_MIN_COHERENCE = 1.5
"""An LF peak counts as breathing only in a spectrum this coherent. Measured on the simulator's
session: 64-s coherence is 0.1–1.3 (10th–90th percentile) in every unpaced phase and 2.0–9.1 in
paced 6/min breathing; 1.0 let a clean Mayer wave pass as slow breathing."""

FREQUENCY_STEP_HZ = 1.0 / 512.0
FREQUENCIES_HZ = FREQUENCY_STEP_HZ * np.arange(1, 257)
"""The evaluation grid, 1/512 Hz to 0.5 Hz. Measured on the real recordings in tests/data, LF and
HF of 64-, 180- and 300-s windows on this grid are within 2.7 % of a 1/2048 Hz grid; a 1/256 Hz
grid was off by up to 12 %, because the periodogram of a window of length T has structure of
width 1/T that a coarser grid samples unevenly."""

LF_HF_FREQUENCIES_HZ = FREQUENCIES_HZ[FREQUENCIES_HZ < HF_BAND_HZ[1]]
"""The part of the grid LF and HF need (below 0.4 Hz): 20 % less work per beat for that window."""

MIN_BEATS = 16
NEGLIGIBLE_POWER_MS2 = 1e-6
"""Below this a band holds no power worth a ratio (rounding noise of a flat series)."""


def lomb_scargle_psd(
    t_s: ArrayLike, nn_ms: ArrayLike, freqs_hz: np.ndarray = FREQUENCIES_HZ
) -> np.ndarray:
    """One-sided Lomb–Scargle power spectral density of an NN series (ms²/Hz).

    Parameters
    ----------
    t_s : array_like
        Beat times in s (uneven).
    nn_ms : array_like
        NN intervals in ms at those beats.
    freqs_hz : numpy.ndarray
        Frequencies to evaluate, Hz; a uniform grid if band powers are taken from the result.

    Returns
    -------
    numpy.ndarray
        PSD at each frequency; all NaN with fewer than ``MIN_BEATS`` beats.

    Notes
    -----
    scipy's floating-mean periodogram P is A²N/4 for a sinusoid of amplitude A over N samples
    (Zechmeister & Kürster 2009). With Δt the mean sampling interval (the mean NN), 2·P·Δt is
    the one-sided density whose integral over the peak's width 1/(N·Δt) is A²/2.
    """
    t = np.asarray(t_s, dtype=float)
    nn = np.asarray(nn_ms, dtype=float)
    if nn.size < MIN_BEATS:
        return np.full(freqs_hz.shape, np.nan)
    if np.ptp(nn) == 0:
        # No variability, no power (scipy would divide zero by zero).
        return np.zeros(freqs_hz.shape)
    # Shifting time and offsetting values change nothing in exact arithmetic and keep the sums
    # well conditioned for long recordings.
    periodogram = lombscargle(t - t[0], nn - nn.mean(), 2.0 * np.pi * freqs_hz, floating_mean=True)
    mean_interval_s = nn.mean() / 1000.0
    return 2.0 * periodogram * mean_interval_s


def band_power_ms2(freqs_hz: np.ndarray, psd: np.ndarray, band_hz: tuple[float, float]) -> float:
    """Power in ``[low, high)`` Hz (ms²): the rectangle-rule integral of the PSD on its uniform,
    ascending grid."""
    low, high = np.searchsorted(freqs_hz, band_hz, side="left")
    step_hz = float(freqs_hz[1] - freqs_hz[0])
    return float(psd[low:high].sum() * step_hz)


@dataclass(frozen=True, slots=True)
class SpectralIndices:
    """Indices read off one spectrum; NaN where undefined."""

    lf_ms2: float
    hf_ms2: float
    lf_hf: float


def lf_hf_indices(freqs_hz: np.ndarray, psd: np.ndarray) -> SpectralIndices:
    """LF and HF power (ms²) and their ratio (Task Force 1996 bands)."""
    lf = band_power_ms2(freqs_hz, psd, LF_BAND_HZ)
    hf = band_power_ms2(freqs_hz, psd, HF_BAND_HZ)
    ratio = lf / hf if hf > NEGLIGIBLE_POWER_MS2 else float("nan")
    return SpectralIndices(lf_ms2=lf, hf_ms2=hf, lf_hf=ratio)


def coherence_ratio(freqs_hz: np.ndarray, psd: np.ndarray) -> float:
    """HeartMath coherence ratio, CR = peak power / (total power − peak power).

    McCraty, Atkinson, Tomasino & Bradley 2009, "The coherent heart", Integral Review 5:10–115:
    the highest peak in 0.04–0.26 Hz, its power integrated over a 0.030 Hz window centred on it,
    the total over 0.0033–0.4 Hz. HeartMath computes it over the last 64 s.
    """
    if not np.isfinite(psd[0]):
        return float("nan")
    peak_hz = _peak_frequency_hz(freqs_hz, psd, COHERENCE_PEAK_SEARCH_HZ)
    half_width = COHERENCE_PEAK_WIDTH_HZ / 2.0
    peak = band_power_ms2(freqs_hz, psd, (peak_hz - half_width, peak_hz + half_width))
    total = band_power_ms2(freqs_hz, psd, COHERENCE_TOTAL_BAND_HZ)
    rest = total - peak
    return peak / rest if rest > NEGLIGIBLE_POWER_MS2 else float("nan")


def respiration_rate_bpm(
    freqs_hz: np.ndarray, psd: np.ndarray, coherence: float | None = None
) -> float:
    """Breathing rate (breaths/min) from the respiratory sinus arrhythmia peak of the spectrum.

    Respiratory sinus arrhythmia puts the breathing frequency into the NN series (Schäfer &
    Kratky 2008, Ann Biomed Eng 36:476). At spontaneous rates (≥ 9/min) it is the HF peak
    (Task Force 1996). In slow, paced breathing the RSA peak moves below 0.15 Hz and dominates
    the whole spectrum as one narrow peak (Lehrer & Gevirtz 2014, Front Psychol 5:756), but an LF
    peak also comes from blood-pressure (Mayer) waves at any breathing rate. So:

    * the dominant peak in 0.05–0.5 Hz is the answer when it lies in HF (≥ 0.15 Hz);
    * a dominant peak below 0.15 Hz is taken as breathing only when the spectrum is coherent
      (coherence ratio ≥ ``SLOW_BREATHING_MIN_COHERENCE``, 1.5: the peak holds 60 % of the
      power), as in paced breathing;
    * otherwise the HF peak (0.15–0.5 Hz) is the answer.

    An estimate from heart rhythm alone, not a respiration measurement.

    Parameters
    ----------
    freqs_hz, psd : numpy.ndarray
        The spectrum (a 64-s window in the live engine).
    coherence : float, optional
        The spectrum's coherence ratio, if already computed.
    """
    if not np.isfinite(psd[0]):
        return float("nan")
    if band_power_ms2(freqs_hz, psd, RESPIRATION_SEARCH_HZ) <= NEGLIGIBLE_POWER_MS2:
        return float("nan")
    dominant_hz = _peak_frequency_hz(freqs_hz, psd, RESPIRATION_SEARCH_HZ)
    if dominant_hz < HF_BAND_HZ[0]:
        if coherence is None:
            coherence = coherence_ratio(freqs_hz, psd)
        if not coherence >= SLOW_BREATHING_MIN_COHERENCE:
            dominant_hz = _peak_frequency_hz(
                freqs_hz, psd, (HF_BAND_HZ[0], RESPIRATION_SEARCH_HZ[1])
            )
    return dominant_hz * 60.0


def _peak_frequency_hz(
    freqs_hz: np.ndarray, psd: np.ndarray, band_hz: tuple[float, float]
) -> float:
    """Frequency of the PSD maximum within ``[low, high]`` Hz on an ascending grid."""
    low = int(np.searchsorted(freqs_hz, band_hz[0], side="left"))
    high = int(np.searchsorted(freqs_hz, band_hz[1], side="right"))
    return float(freqs_hz[low + int(np.argmax(psd[low:high]))])


class SlidingLombScargle:
    """The floating-mean Lomb–Scargle PSD of the beats in a sliding time window, per beat.

    Every sum the periodogram needs (Zechmeister & Kürster 2009, eqs. 4–15) is additive over
    samples: Σ1, Σy, Σe^{iωt}, Σy·e^{iωt} and Σe^{2iωt}. Adding the newest beat's terms and
    subtracting those of the beats that left the window costs O(frequencies), against
    O(beats × frequencies) for a fresh periodogram, and gives the same spectrum as
    :func:`lomb_scargle_psd`. Each beat's terms are kept while it is in the window so leaving
    costs one subtraction; the sums are rebuilt from scratch every ``rebuild_every`` beats so
    rounding cannot accumulate.

    Parameters
    ----------
    window_s : float
        Length of the window; a beat at time t is inside while t > newest − window_s.
    freqs_hz : numpy.ndarray
        Frequencies to evaluate.
    rebuild_every : int
        Beats between rebuilds of the sums.
    """

    def __init__(
        self, window_s: float, freqs_hz: np.ndarray = FREQUENCIES_HZ, rebuild_every: int = 1000
    ) -> None:
        self.window_s = window_s
        self.freqs_hz = freqs_hz
        self._omega = 2.0 * np.pi * freqs_hz
        self._rebuild_every = rebuild_every
        # (t_s, nn_ms, terms): terms rows are e^{iωτ}, y·e^{iωτ}, e^{2iωτ} relative to the refs.
        self._beats: deque[tuple[float, float, np.ndarray]] = deque()
        self.reset()

    def reset(self) -> None:
        """Forget every beat (after a signal gap)."""
        self._beats.clear()
        self._rebuild()

    def __len__(self) -> int:
        return len(self._beats)

    def push(self, t_s: float, nn_ms: float) -> None:
        """Add a beat and drop those that fell out of the window."""
        terms = self._terms(t_s, nn_ms)
        self._beats.append((t_s, nn_ms, terms))
        self._sum_y += nn_ms - self._y_ref
        self._sums += terms
        while self._beats and self._beats[0][0] <= t_s - self.window_s:
            _, old_nn_ms, old_terms = self._beats.popleft()
            self._sum_y -= old_nn_ms - self._y_ref
            self._sums -= old_terms
        self._since_rebuild += 1
        if self._since_rebuild >= self._rebuild_every:
            self._rebuild()

    def psd(self) -> np.ndarray:
        """The PSD (ms²/Hz) of the beats now in the window; NaN with fewer than ``MIN_BEATS``."""
        n = len(self._beats)
        if n < MIN_BEATS:
            return np.full(self.freqs_hz.shape, np.nan)
        # With E = mean e^{iωt}, Y = mean (y − ȳ)e^{iωt}, Z = mean e^{2iωt} − E² and
        # A = 1 − |E|², the covariances of cos and sin are cc = (A + Re Z)/2, ss = (A − Re Z)/2,
        # cs = Im Z / 2, so Zechmeister & Kürster's explained variance
        # (ss·yc² + cc·ys² − 2·cs·yc·ys) / (cc·ss − cs²) becomes
        # 2·(A·|Y|² − Re(Z·conj(Y²))) / (A² − |Z|²): fewer array passes, same numbers.
        inverse_n = 1.0 / n
        mean_y = self._sum_y * inverse_n
        mean_e = self._sums[0] * inverse_n
        cov_ye = self._sums[1] * inverse_n - mean_y * mean_e
        cov_e2 = self._sums[2] * inverse_n - mean_e * mean_e
        spread = 1.0 - (mean_e.real * mean_e.real + mean_e.imag * mean_e.imag)
        cov_ye_squared = cov_ye * cov_ye
        numerator = spread * (cov_ye.real * cov_ye.real + cov_ye.imag * cov_ye.imag) - (
            cov_e2.real * cov_ye_squared.real + cov_e2.imag * cov_ye_squared.imag
        )
        determinant = spread * spread - (cov_e2.real * cov_e2.real + cov_e2.imag * cov_e2.imag)
        explained = np.divide(
            numerator, determinant, out=np.zeros_like(numerator), where=determinant > 4e-12
        )
        # ``2·explained`` is the variance the best sinusoid at ω accounts for; n times it is the
        # drop in χ², twice scipy's floating-mean periodogram (see lomb_scargle_psd).
        mean_interval_s = (mean_y + self._y_ref) / 1000.0
        return (2.0 * n * mean_interval_s) * explained

    def _terms(self, t_s: float, nn_ms: float) -> np.ndarray:
        phase = np.exp(1j * self._omega * (t_s - self._t_ref))
        terms = np.empty((3, phase.size), dtype=complex)
        terms[0] = phase
        np.multiply(phase, nn_ms - self._y_ref, out=terms[1])
        np.multiply(phase, phase, out=terms[2])
        return terms

    def _rebuild(self) -> None:
        """Recompute every beat's terms and the sums, relative to the oldest beat in the window."""
        self._since_rebuild = 0
        self._t_ref = self._beats[0][0] if self._beats else 0.0
        self._y_ref = self._beats[0][1] if self._beats else 0.0
        rebuilt = [(t, y, self._terms(t, y)) for t, y, _ in self._beats]
        self._beats.clear()
        self._beats.extend(rebuilt)
        self._sum_y = sum(y - self._y_ref for _, y, _ in self._beats)
        self._sums = np.zeros((3, self.freqs_hz.size), dtype=complex)
        for _, _, terms in self._beats:
            self._sums += terms
