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
# Respiration from the dominant RSA peak (Schäfer & Kratky 2008, Ann Biomed Eng 36:476).
RESPIRATION_SEARCH_HZ = (0.05, 0.50)

FREQUENCY_STEP_HZ = 1.0 / 512.0
FREQUENCIES_HZ = FREQUENCY_STEP_HZ * np.arange(1, 257)
"""The evaluation grid, 1/512 Hz to 0.5 Hz: finer than the 1/180 Hz resolution of the longest
live window, so band sums are not limited by the grid."""

MIN_BEATS = 16


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
    # Shifting time and offsetting values change nothing in exact arithmetic and keep the sums
    # well conditioned for long recordings.
    periodogram = lombscargle(
        t - t[0], nn - nn.mean(), 2.0 * np.pi * freqs_hz, floating_mean=True
    )
    mean_interval_s = nn.mean() / 1000.0
    return 2.0 * periodogram * mean_interval_s


def band_power_ms2(freqs_hz: np.ndarray, psd: np.ndarray, band_hz: tuple[float, float]) -> float:
    """Power in ``[low, high)`` Hz (ms²): the rectangle-rule integral of the PSD on its grid."""
    in_band = (freqs_hz >= band_hz[0]) & (freqs_hz < band_hz[1])
    step_hz = float(freqs_hz[1] - freqs_hz[0])
    return float(np.sum(psd[in_band]) * step_hz)


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
    ratio = lf / hf if hf > 0 else float("nan")
    return SpectralIndices(lf_ms2=lf, hf_ms2=hf, lf_hf=ratio)


def coherence_ratio(freqs_hz: np.ndarray, psd: np.ndarray) -> float:
    """HeartMath coherence ratio, CR = peak power / (total power − peak power).

    McCraty, Atkinson, Tomasino & Bradley 2009, "The coherent heart", Integral Review 5:10–115:
    the highest peak in 0.04–0.26 Hz, its power integrated over a 0.030 Hz window centred on it,
    the total over 0.0033–0.4 Hz. HeartMath computes it over the last 64 s.
    """
    if not np.all(np.isfinite(psd)):
        return float("nan")
    search = (freqs_hz >= COHERENCE_PEAK_SEARCH_HZ[0]) & (freqs_hz <= COHERENCE_PEAK_SEARCH_HZ[1])
    peak_hz = float(freqs_hz[search][np.argmax(psd[search])])
    half_width = COHERENCE_PEAK_WIDTH_HZ / 2.0
    peak = band_power_ms2(freqs_hz, psd, (peak_hz - half_width, peak_hz + half_width))
    total = band_power_ms2(freqs_hz, psd, COHERENCE_TOTAL_BAND_HZ)
    rest = total - peak
    return peak / rest if rest > 0 else float("nan")


def respiration_rate_bpm(freqs_hz: np.ndarray, psd: np.ndarray) -> float:
    """Breathing rate (breaths/min) from the dominant RR spectral peak in 0.05–0.5 Hz.

    Respiratory sinus arrhythmia makes the breathing frequency the strongest rhythm in the NN
    series in most people at rest (Schäfer & Kratky 2008). A strong Mayer-wave (~0.1 Hz) peak can
    win instead when breathing is shallow: the value is an estimate, not a measurement.
    """
    if not np.all(np.isfinite(psd)):
        return float("nan")
    search = (freqs_hz >= RESPIRATION_SEARCH_HZ[0]) & (freqs_hz <= RESPIRATION_SEARCH_HZ[1])
    return float(freqs_hz[search][np.argmax(psd[search])] * 60.0)


class SlidingLombScargle:
    """The floating-mean Lomb–Scargle PSD of the beats in a sliding time window, per beat.

    Every sum the periodogram needs (Zechmeister & Kürster 2009, eqs. 4–15) is additive over
    samples: Σ1, Σy, Σe^{iωt}, Σy·e^{iωt} and Σe^{2iωt}. Adding the newest beat and removing
    the ones that left the window costs O(frequencies), against O(beats × frequencies) for a
    fresh periodogram, and gives the same spectrum as :func:`lomb_scargle_psd`. The sums are
    rebuilt from scratch every ``rebuild_every`` beats so rounding cannot accumulate.

    Parameters
    ----------
    window_s : float
        Length of the window; a beat at time t is inside while t > newest − window_s.
    freqs_hz : numpy.ndarray
        Frequencies to evaluate.
    """

    def __init__(
        self, window_s: float, freqs_hz: np.ndarray = FREQUENCIES_HZ, rebuild_every: int = 1000
    ) -> None:
        self.window_s = window_s
        self.freqs_hz = freqs_hz
        self._omega = 2.0 * np.pi * freqs_hz
        self._rebuild_every = rebuild_every
        self._beats: deque[tuple[float, float]] = deque()
        self.reset()

    def reset(self) -> None:
        """Forget every beat (after a signal gap)."""
        self._beats.clear()
        self._rebuild()

    def __len__(self) -> int:
        return len(self._beats)

    def push(self, t_s: float, nn_ms: float) -> None:
        """Add a beat and drop those that fell out of the window."""
        self._beats.append((t_s, nn_ms))
        self._accumulate(t_s, nn_ms, +1.0)
        while self._beats and self._beats[0][0] <= t_s - self.window_s:
            old_t_s, old_nn_ms = self._beats.popleft()
            self._accumulate(old_t_s, old_nn_ms, -1.0)
        self._since_rebuild += 1
        if self._since_rebuild >= self._rebuild_every:
            self._rebuild()

    def psd(self) -> np.ndarray:
        """The PSD (ms²/Hz) of the beats now in the window; NaN with fewer than ``MIN_BEATS``."""
        n = len(self._beats)
        if n < MIN_BEATS:
            return np.full(self.freqs_hz.shape, np.nan)
        mean_y = self._sum_y / n
        mean_c = self._sum_e.real / n
        mean_s = self._sum_e.imag / n
        cov_yc = self._sum_ye.real / n - mean_y * mean_c
        cov_ys = self._sum_ye.imag / n - mean_y * mean_s
        # cos² = (1 + cos 2ωt)/2, sin² = (1 − cos 2ωt)/2, cos·sin = sin 2ωt / 2.
        cov_cc = 0.5 * (1.0 + self._sum_e2.real / n) - mean_c * mean_c
        cov_ss = 0.5 * (1.0 - self._sum_e2.real / n) - mean_s * mean_s
        cov_cs = 0.5 * self._sum_e2.imag / n - mean_c * mean_s
        determinant = cov_cc * cov_ss - cov_cs * cov_cs
        explained = np.zeros_like(self.freqs_hz)
        ok = determinant > 1e-12
        explained[ok] = (
            cov_ss[ok] * cov_yc[ok] ** 2
            + cov_cc[ok] * cov_ys[ok] ** 2
            - 2.0 * cov_cs[ok] * cov_yc[ok] * cov_ys[ok]
        ) / determinant[ok]
        # `explained` is the variance the best sinusoid at ω accounts for; n·explained is the
        # drop in χ², which is twice scipy's floating-mean periodogram.
        mean_interval_s = (mean_y + self._y_ref) / 1000.0
        return n * explained * mean_interval_s

    def _accumulate(self, t_s: float, nn_ms: float, sign: float) -> None:
        phase = np.exp(1j * self._omega * (t_s - self._t_ref))
        y = nn_ms - self._y_ref
        self._sum_y += sign * y
        self._sum_e += sign * phase
        self._sum_ye += (sign * y) * phase
        self._sum_e2 += sign * (phase * phase)

    def _rebuild(self) -> None:
        """Recompute the sums from the beats in the window, relative to the oldest one."""
        self._since_rebuild = 0
        self._t_ref = self._beats[0][0] if self._beats else 0.0
        self._y_ref = self._beats[0][1] if self._beats else 0.0
        self._sum_y = 0.0
        self._sum_e = np.zeros(self.freqs_hz.shape, dtype=complex)
        self._sum_ye = np.zeros(self.freqs_hz.shape, dtype=complex)
        self._sum_e2 = np.zeros(self.freqs_hz.shape, dtype=complex)
        if not self._beats:
            return
        t = np.fromiter((b[0] for b in self._beats), float, len(self._beats))
        y = np.fromiter((b[1] for b in self._beats), float, len(self._beats)) - self._y_ref
        phase = np.exp(1j * np.outer(t - self._t_ref, self._omega))
        self._sum_y = float(y.sum())
        self._sum_e = phase.sum(axis=0)
        self._sum_ye = y @ phase
        self._sum_e2 = (phase * phase).sum(axis=0)
