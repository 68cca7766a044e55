"""Frequency-domain HRV: Lomb–Scargle spectra on the uneven NN series, band powers and coherence
(the breathing rate read off these spectra: :mod:`monitor.core.respiration`).

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
to run on every beat, so the live engine keeps the periodogram's sums over its sliding windows in
:class:`SlidingLombScargle` (O(frequencies) per beat) and gives the same spectra.
"""

from __future__ import annotations

from collections.abc import Sequence
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

FREQUENCY_STEP_HZ = 1.0 / 512.0
FREQUENCIES_HZ = FREQUENCY_STEP_HZ * np.arange(1, 257)
"""The evaluation grid, 1/512 Hz to 0.5 Hz. Measured on the real recordings in tests/data, LF and
HF of 64-, 180- and 300-s windows on this grid are within 2.7 % of a 1/2048 Hz grid; a 1/256 Hz
grid was off by up to 12 %, because the periodogram of a window of length T has structure of
width 1/T that a coarser grid samples unevenly."""

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
    return np.asarray(2.0 * periodogram * mean_interval_s)


def band_power_ms2(freqs_hz: np.ndarray, psd: np.ndarray, band_hz: tuple[float, float]) -> float:
    """Power in ``[low, high)`` Hz (ms²): the rectangle-rule integral of the PSD on its uniform,
    ascending grid."""
    return float(band_powers_ms2(freqs_hz, psd, band_hz))


def band_powers_ms2(
    freqs_hz: np.ndarray, psds: np.ndarray, band_hz: tuple[float, float]
) -> np.ndarray:
    """:func:`band_power_ms2` of every row of ``psds`` (spectra along the last axis)."""
    # Array methods rather than numpy functions: this runs several times per beat, and the
    # function wrappers cost more than the work on a 256-point grid.
    low = freqs_hz.searchsorted(band_hz[0])
    high = freqs_hz.searchsorted(band_hz[1])
    return np.asarray(psds[..., low:high].sum(axis=-1) * float(freqs_hz[1] - freqs_hz[0]))


@dataclass(frozen=True, slots=True)
class SpectralIndices:
    """Indices read off one spectrum; NaN where undefined."""

    lf_ms2: float
    hf_ms2: float
    lf_hf: float


def lf_hf_indices(freqs_hz: np.ndarray, psd: np.ndarray) -> SpectralIndices:
    """LF and HF power (ms²) and their ratio (Task Force 1996 bands)."""
    lf, hf, ratio = lf_hf_of_rows(freqs_hz, psd[np.newaxis])
    return SpectralIndices(lf_ms2=float(lf[0]), hf_ms2=float(hf[0]), lf_hf=float(ratio[0]))


def lf_hf_of_rows(
    freqs_hz: np.ndarray, psds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LF, HF (ms²) and LF/HF of each row of ``psds`` (Task Force 1996 bands); the ratio is NaN
    where HF holds negligible power."""
    lf = band_powers_ms2(freqs_hz, psds, LF_BAND_HZ)
    hf = band_powers_ms2(freqs_hz, psds, HF_BAND_HZ)
    ratio = np.divide(lf, hf, out=np.full_like(lf, np.nan), where=hf > NEGLIGIBLE_POWER_MS2)
    return lf, hf, ratio


def coherence_ratio(freqs_hz: np.ndarray, psd: np.ndarray) -> float:
    """HeartMath coherence ratio of one spectrum (see :func:`coherence_of_rows`)."""
    return float(coherence_of_rows(freqs_hz, psd[np.newaxis])[0])


def coherence_of_rows(freqs_hz: np.ndarray, psds: np.ndarray) -> np.ndarray:
    """HeartMath coherence ratio, CR = peak power / (total power − peak power), of each row.

    McCraty, Atkinson, Tomasino & Bradley 2009, "The coherent heart", Integral Review 5:10–115:
    the highest peak in 0.04–0.26 Hz, its power integrated over a 0.030 Hz window centred on it,
    the total over 0.0033–0.4 Hz. HeartMath computes it over the last 64 s. NaN for a NaN row or
    one with negligible power outside its peak.
    """
    peak_hz = _peak_frequencies_hz(freqs_hz, psds, COHERENCE_PEAK_SEARCH_HZ)
    half_width = COHERENCE_PEAK_WIDTH_HZ / 2.0
    # Each row's peak window has its own bounds: a mask selects them in one pass.
    low = freqs_hz.searchsorted(peak_hz - half_width)[:, np.newaxis]
    high = freqs_hz.searchsorted(peak_hz + half_width)[:, np.newaxis]
    grid = np.arange(freqs_hz.size)
    in_peak = (grid >= low) & (grid < high)
    peak = np.where(in_peak, psds, 0.0).sum(axis=1) * float(freqs_hz[1] - freqs_hz[0])
    rest = band_powers_ms2(freqs_hz, psds, COHERENCE_TOTAL_BAND_HZ) - peak
    ratio = np.divide(peak, rest, out=np.full_like(peak, np.nan), where=rest > NEGLIGIBLE_POWER_MS2)
    return np.asarray(ratio)


def _peak_frequencies_hz(
    freqs_hz: np.ndarray, psds: np.ndarray, band_hz: tuple[float, float]
) -> np.ndarray:
    """Per row, the frequency of the PSD maximum within ``[low, high]`` Hz on an ascending grid
    (meaningless for a NaN row, which the callers leave NaN)."""
    low = freqs_hz.searchsorted(band_hz[0], side="left")
    high = freqs_hz.searchsorted(band_hz[1], side="right")
    return np.asarray(freqs_hz[low + psds[:, low:high].argmax(axis=1)])


def psd_from_sums(
    sums: np.ndarray, sum_y: np.ndarray, beats: np.ndarray, y_ref_ms: float
) -> np.ndarray:
    """Floating-mean Lomb–Scargle PSD (ms²/Hz) of several windows from their additive sums.

    Parameters
    ----------
    sums : numpy.ndarray
        Shape (3, windows, frequencies): per window Σe^{iωτ}, Σ(y − y_ref)e^{iωτ} and
        Σe^{2iωτ} over its beats (τ from any common time reference).
    sum_y : numpy.ndarray
        Per window Σ(y − y_ref), ms.
    beats : numpy.ndarray
        Per window the number of beats.
    y_ref_ms : float
        The value subtracted from every NN interval in the sums.

    Returns
    -------
    numpy.ndarray
        Shape (windows, frequencies); a row is NaN when its window holds fewer than
        ``MIN_BEATS`` beats. Equal to :func:`lomb_scargle_psd` of each window's beats.

    Notes
    -----
    With E = mean e^{iωt}, Y = mean (y − ȳ)e^{iωt}, Z = mean e^{2iωt} − E² and A = 1 − |E|², the
    covariances of cos and sin are cc = (A + Re Z)/2, ss = (A − Re Z)/2, cs = Im Z / 2, so
    Zechmeister & Kürster's (2009) explained variance (ss·yc² + cc·ys² − 2·cs·yc·ys) /
    (cc·ss − cs²) becomes 2·(A·|Y|² − Re(Z·conj(Y²))) / (A² − |Z|²): fewer array passes, same
    numbers.
    """
    rows, size = sums.shape[1], sums.shape[2]
    n = np.maximum(beats, 1).astype(float)
    # The windows are laid end to end and each window's scalars repeated along them, so every
    # step is one same-shape 1-D pass (numpy's cheapest call) over all windows.
    inverse_n = np.repeat(1.0 / n, size)
    mean_y = np.repeat(sum_y / n, size)
    sum_e, sum_ye, sum_e2 = sums.reshape(3, -1)
    mean_e = sum_e * inverse_n
    cov_ye = sum_ye * inverse_n - mean_y * mean_e
    cov_e2 = sum_e2 * inverse_n - mean_e * mean_e
    spread = 1.0 - (mean_e * mean_e.conj()).real
    cov_ye_squared = cov_ye * cov_ye
    numerator = spread * (cov_ye * cov_ye.conj()).real - (cov_e2 * cov_ye_squared.conj()).real
    determinant = spread * spread - (cov_e2 * cov_e2.conj()).real
    explained = np.divide(
        numerator, determinant, out=np.zeros_like(numerator), where=determinant > 4e-12
    )
    # ``2·explained`` is the variance the best sinusoid at ω accounts for; n times it is the
    # drop in χ², twice scipy's floating-mean periodogram (see lomb_scargle_psd).
    mean_interval_s = (sum_y / n + y_ref_ms) / 1000.0
    psd = np.asarray(explained.reshape(rows, size))
    psd *= (2.0 * n * mean_interval_s)[:, np.newaxis]
    psd[beats < MIN_BEATS] = np.nan
    return psd


def phase_terms(
    tau_s: np.ndarray, y_ms: np.ndarray, base_omega: float, size: int, out: np.ndarray
) -> None:
    """Fill ``out`` (beats, 3, size) with e^{ikω₁τ}, y·e^{ikω₁τ}, e^{2ikω₁τ} for k = 1 … size.

    e^{ikω₁τ} = (e^{iω₁τ})^k: a running product, exact to k rounding steps (≤ 3e-14 here, far
    below the 1e-7 the spectra are held to), where complex exponentials at every frequency were
    a third of the per-beat cost.
    """
    phase = out[:, 0]
    phase[:] = np.exp(1j * base_omega * tau_s)[:, np.newaxis]
    np.cumprod(phase, axis=1, out=phase)
    np.multiply(phase, y_ms[:, np.newaxis], out=out[:, 1])
    np.multiply(phase, phase, out=out[:, 2])


def sliding_psds(
    t_s: np.ndarray,
    nn_ms: np.ndarray,
    ends: np.ndarray,
    windows_s: Sequence[float],
    freqs_hz: np.ndarray = FREQUENCIES_HZ,
    block_beats: int = 256,
) -> np.ndarray:
    """The PSDs :class:`SlidingLombScargle` gives after each beat in ``ends``, for a whole
    series at once (the per-beat timeline of a recording).

    The same sums and formula, taken as differences of prefix sums over blocks of consecutive
    ends, so hundreds of windows share each numpy call instead of paying for their own; a block
    starts its own time and value references, which keeps the sums as well conditioned as the
    sliding form's rebuilds.

    Parameters
    ----------
    t_s, nn_ms : numpy.ndarray
        Beat times (s) and NN intervals (ms) of one stretch of signal.
    ends : numpy.ndarray
        Ascending indices of the beats the windows end at (inclusive).
    windows_s : sequence of float
        Window lengths; a beat at time t is in a window ending at T when t > T − length.
    freqs_hz : numpy.ndarray
        A grid f, 2f, 3f, …

    Returns
    -------
    numpy.ndarray
        Shape (len(ends), len(windows_s), frequencies).
    """
    windows = np.asarray(windows_s, dtype=float)
    base_omega = 2.0 * np.pi * float(freqs_hz[0])
    result = np.empty((ends.size, windows.size, freqs_hz.size))
    for block_start in range(0, ends.size, block_beats):
        block_ends = ends[block_start : block_start + block_beats]
        # firsts[k, w]: the oldest beat in window w ending at block_ends[k].
        firsts = t_s.searchsorted(t_s[block_ends][:, np.newaxis] - windows, side="right")
        lo, hi = int(firsts.min()), int(block_ends[-1]) + 1
        tau_s = t_s[lo:hi] - t_s[lo]
        y_ms = nn_ms[lo:hi] - nn_ms[lo]
        prefix = np.zeros((hi - lo + 1, 3, freqs_hz.size), dtype=complex)
        phase_terms(tau_s, y_ms, base_omega, freqs_hz.size, out=prefix[1:])
        np.cumsum(prefix[1:], axis=0, out=prefix[1:])
        prefix_y = np.concatenate(([0.0], np.cumsum(y_ms)))
        stops = np.broadcast_to((block_ends + 1 - lo)[:, np.newaxis], firsts.shape).ravel()
        starts = (firsts - lo).ravel()
        sums = (prefix[stops] - prefix[starts]).transpose(1, 0, 2)
        psds = psd_from_sums(
            np.ascontiguousarray(sums),
            prefix_y[stops] - prefix_y[starts],
            stops - starts,
            float(nn_ms[lo]),
        )
        result[block_start : block_start + block_ends.size] = psds.reshape(
            block_ends.size, windows.size, freqs_hz.size
        )
    return result


class SlidingLombScargle:
    """The floating-mean Lomb–Scargle PSD of the beats in sliding time windows, per beat.

    Every sum the periodogram needs (Zechmeister & Kürster 2009, eqs. 4–15) is additive over
    samples: Σ1, Σy, Σe^{iωt}, Σy·e^{iωt} and Σe^{2iωt}. Adding the newest beat's terms and
    subtracting those of the beats that left a window costs O(frequencies), against
    O(beats × frequencies) for a fresh periodogram, and gives the same spectrum as
    :func:`lomb_scargle_psd`. Several windows ending at the newest beat (the engine's 180-s
    LF/HF and 64-s coherence windows) share each beat's terms and are evaluated in one pass over
    stacked arrays, which at these sizes costs about what one window does. Each beat's terms are
    kept while it is in the longest window so leaving costs one subtraction; they and the sums
    are rebuilt from scratch every ``rebuild_every`` beats so rounding cannot accumulate.

    Parameters
    ----------
    windows_s : sequence of float
        Window lengths; a beat at time t is inside a window while t > newest − length.
    freqs_hz : numpy.ndarray
        Frequencies to evaluate: a grid f, 2f, 3f, … (as :data:`FREQUENCIES_HZ`), so that a beat's
        phase terms e^{ikωτ} are successive powers of one complex number rather than hundreds of
        complex exponentials (which were a third of the per-beat cost).
    rebuild_every : int
        Beats between rebuilds of the sums.
    """

    _INITIAL_CAPACITY_BEATS = 1024

    def __init__(
        self,
        windows_s: Sequence[float],
        freqs_hz: np.ndarray = FREQUENCIES_HZ,
        rebuild_every: int = 1000,
    ) -> None:
        self.windows_s = tuple(float(w) for w in windows_s)
        self.freqs_hz = freqs_hz
        multiples = np.arange(1, freqs_hz.size + 1)
        if not np.allclose(freqs_hz, freqs_hz[0] * multiples, rtol=1e-12, atol=0.0):
            raise ValueError("SlidingLombScargle needs frequencies f, 2f, 3f, …")
        self._base_omega = 2.0 * np.pi * float(freqs_hz[0])
        self._rebuild_every = rebuild_every
        capacity = self._INITIAL_CAPACITY_BEATS
        self._t_s = np.empty(capacity)
        self._nn_ms = np.empty(capacity)
        # Per beat, rows e^{iωτ}, y·e^{iωτ}, e^{2iωτ} with τ and y relative to the references.
        self._terms = np.empty((capacity, 3, freqs_hz.size), dtype=complex)
        self.reset()

    def reset(self) -> None:
        """Forget every beat (after a signal gap)."""
        self._first = np.zeros(len(self.windows_s), dtype=int)  # oldest beat in each window
        self._end = 0
        self._rebuild()

    def beats_in_windows(self) -> np.ndarray:
        """How many beats each window holds now."""
        return self._end - self._first

    def push(self, t_s: float, nn_ms: float) -> None:
        """Add a beat and drop those that fell out of each window."""
        if self._end == self._t_s.size:
            self._make_room()
        i = self._end
        self._t_s[i] = t_s
        self._nn_ms[i] = nn_ms
        terms = self._terms[i]
        self._fill_terms(t_s, nn_ms, terms)
        self._sum_y += nn_ms - self._y_ref
        self._sums += terms[:, np.newaxis]
        self._end = i + 1
        for w, window_s in enumerate(self.windows_s):
            first = self._first[w]
            while self._t_s[first] <= t_s - window_s:
                self._sum_y[w] -= self._nn_ms[first] - self._y_ref
                self._sums[:, w] -= self._terms[first]
                first += 1
            self._first[w] = first
        self._since_rebuild += 1
        if self._since_rebuild >= self._rebuild_every:
            self._rebuild()

    def psds(self) -> np.ndarray:
        """The PSD (ms²/Hz) of the beats now in each window, one row per window; a row is NaN
        while its window holds fewer than ``MIN_BEATS`` beats."""
        return psd_from_sums(self._sums, self._sum_y, self.beats_in_windows(), self._y_ref)

    def _fill_terms(self, t_s: float, nn_ms: float, out: np.ndarray) -> None:
        phase_terms(
            np.array([t_s - self._t_ref]),
            np.array([nn_ms - self._y_ref]),
            self._base_omega,
            self.freqs_hz.size,
            out=out[np.newaxis],
        )

    def _make_room(self) -> None:
        """Move the beats still in a window to the front, growing the buffers when they hold
        more than half of them (long windows at fast heart rates)."""
        oldest = int(self._first.min())
        kept = self._end - oldest
        if kept >= self._t_s.size // 2:
            capacity = 2 * self._t_s.size
            self._t_s = np.resize(self._t_s, capacity)
            self._nn_ms = np.resize(self._nn_ms, capacity)
            self._terms = np.resize(self._terms, (capacity, *self._terms.shape[1:]))
        for buffer in (self._t_s, self._nn_ms, self._terms):
            buffer[:kept] = buffer[oldest : self._end]
        self._first -= oldest
        self._end = kept

    def _rebuild(self) -> None:
        """Recompute every kept beat's terms and the sums, relative to the oldest kept beat."""
        self._since_rebuild = 0
        oldest = int(self._first.min())
        kept = slice(oldest, self._end)
        has_beats = self._end > oldest
        self._t_ref = float(self._t_s[oldest]) if has_beats else 0.0
        self._y_ref = float(self._nn_ms[oldest]) if has_beats else 0.0
        phase_terms(
            self._t_s[kept] - self._t_ref,
            self._nn_ms[kept] - self._y_ref,
            self._base_omega,
            self.freqs_hz.size,
            out=self._terms[kept],
        )
        # Laid out (term, window, frequency) so each term's rows are contiguous for psds().
        self._sums = np.stack(
            [self._terms[first : self._end].sum(axis=0) for first in self._first], axis=1
        )
        self._sum_y = np.array(
            [float((self._nn_ms[first : self._end] - self._y_ref).sum()) for first in self._first]
        )
