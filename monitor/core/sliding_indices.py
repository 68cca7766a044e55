"""Every live index at every beat of a stretch of signal, computed at once: a recording's
per-beat timeline.

The live engine (:mod:`monitor.core.engine`) and the batch form (:func:`indices.indices_at`)
compute each index over one window at a time. A 24-hour recording needs the values at ~100,000
window ends, and one window at a time that is ~0.3 ms per beat, almost all of it the overhead of
small numpy calls. Here each formula runs over all windows in a few whole-array passes:

* sums over a window (mean NN, Σ(ΔNN)², counts) are differences of running sums read at the
  window bounds; SDNN and SD1 come from Σx and Σx² the same way;
* the stress index and DFA α1 use their own window forms
  (:func:`~monitor.core.stress_index.stress_index_of_windows`,
  :func:`~monitor.core.dfa.dfa_alpha1_of_windows`);
* the spectra come from :func:`~monitor.core.spectral.sliding_psds`, read by the same row
  functions the engine uses.

The formulas and their sources are those of the single-window functions named beside each step.
Tests hold every column equal to the live engine, beat by beat, on real recordings, and to the
batch form on generated ones (hypothesis).
"""

from __future__ import annotations

import numpy as np

from monitor.core import spectral
from monitor.core.dfa import dfa_alpha1_of_windows
from monitor.core.indices import WindowIndices, is_ready
from monitor.core.settings import HrvWindows
from monitor.core.stress_index import stress_index_of_windows
from monitor.core.time_domain import MS_PER_MINUTE, PNN50_THRESHOLD_MS


class _Windows:
    """The windows of one length that are ready (:func:`indices.is_ready`), ending at each beat:
    ``ends`` (the beats they end at), ``starts`` and ``stops`` (first beat, one past the last)."""

    def __init__(self, t_s: np.ndarray, span_s: np.ndarray, window_s: float, windows: HrvWindows):
        self.ends = np.flatnonzero(is_ready(span_s, window_s, windows))
        # A beat is in the window ending at T when its time is in (T − length, T].
        self.starts = t_s.searchsorted(t_s[self.ends] - window_s, side="right")
        self.stops = self.ends + 1

    def sums(self, running: np.ndarray) -> np.ndarray:
        """Per window, the sum of the values whose running sum (with a leading 0) is given."""
        return running[self.stops] - running[self.starts]

    def successive_sums(self, running: np.ndarray) -> np.ndarray:
        """The same over the window's successive differences (one fewer than its beats)."""
        return running[self.stops - 1] - running[self.starts]


def indices_of_stretch(
    t_s: np.ndarray,
    nn_ms: np.ndarray,
    corrected: np.ndarray,
    data_start_s: float,
    windows: HrvWindows,
) -> dict[str, np.ndarray]:
    """The live index set after every beat of one stretch of signal (no gap inside).

    Parameters
    ----------
    t_s, nn_ms, corrected : numpy.ndarray
        The stretch's NN beats as the artefact filter gave them: times (s), intervals (ms) and
        whether each was corrected.
    data_start_s : float
        When the stretch began (windows are used once the data since then covers them).
    windows : HrvWindows
        Window lengths.

    Returns
    -------
    dict of str to numpy.ndarray
        For each name of :class:`~monitor.core.indices.WindowIndices`, its value after each beat
        (NaN while its window fills or where the index is undefined), as
        :meth:`HrvEngine.push <monitor.core.engine.HrvEngine.push>` gives them.
    """
    beats = nn_ms.size
    values = {name: np.full(beats, np.nan) for name in WindowIndices.names()}
    if beats == 0:
        return values
    span_s = t_s - data_start_s

    def running(per_beat: np.ndarray) -> np.ndarray:
        return np.concatenate(([0.0], np.cumsum(per_beat, dtype=float)))

    running_nn = running(nn_ms)
    # Offsets from the first interval keep Σx² small where SDNN is a difference of two sums.
    offset_nn = nn_ms - nn_ms[0]
    running_offset, running_offset_sq = running(offset_nn), running(offset_nn * offset_nn)
    successive = nn_ms[1:] - nn_ms[:-1]
    running_successive = running(successive)
    running_successive_sq = running(successive * successive)
    running_over_50 = running(np.abs(successive) > PNN50_THRESHOLD_MS)
    running_corrected = running(corrected)

    def put(name: str, w: _Windows, value: np.ndarray) -> None:
        values[name][w.ends] = value

    w = _Windows(t_s, span_s, windows.hr_short_s, windows)
    put("hr_10s_bpm", w, _heart_rate_bpm(w.sums(running_nn) / (w.stops - w.starts)))

    w = _Windows(t_s, span_s, windows.short_term_s, windows)
    mean_nn = w.sums(running_nn) / (w.stops - w.starts)
    differences = w.stops - 1 - w.starts
    sum_sq = w.successive_sums(running_successive_sq)
    with np.errstate(divide="ignore", invalid="ignore"):
        rmssd = np.sqrt(sum_sq / differences)  # time_domain.rmssd_from_successive_ms
        put("hr_60s_bpm", w, _heart_rate_bpm(mean_nn))
        put("mean_rr_ms", w, mean_nn)
        put("rmssd_ms", w, rmssd)
        put("ln_rmssd", w, np.where(rmssd > 0, np.log(rmssd), np.nan))
        pnn50 = 100.0 * w.successive_sums(running_over_50) / differences
        put("pnn50_pct", w, pnn50)  # time_domain.pnn50_from_successive_pct
    put("sd1_ms", w, _sd1_ms(w, running_successive, running_successive_sq))
    put("short_artefact_pct", w, _percent(w.sums(running_corrected), w.stops - w.starts))

    w = _Windows(t_s, span_s, windows.long_term_s, windows)
    count = w.stops - w.starts
    sum_offset = w.sums(running_offset)
    squares = w.sums(running_offset_sq) - sum_offset * sum_offset / count
    with np.errstate(divide="ignore", invalid="ignore"):
        # time_domain.sdnn_ms (ddof = 1)
        sdnn = np.where(count >= 2, np.sqrt(np.maximum(squares, 0.0) / (count - 1)), np.nan)
    sd1 = _sd1_ms(w, running_successive, running_successive_sq)
    put("sdnn_ms", w, sdnn)
    # poincare.sd2_from_sdnn_sd1 (NaN propagates as it returns NaN there)
    put("sd2_ms", w, np.sqrt(np.maximum(2.0 * sdnn * sdnn - sd1 * sd1, 0.0)))
    put("stress_index", w, stress_index_of_windows(nn_ms, w.starts, w.stops))
    put("dfa_a1", w, dfa_alpha1_of_windows(nn_ms, w.starts, w.stops))
    put("long_artefact_pct", w, _percent(w.sums(running_corrected), count))

    lf_hf = _Windows(t_s, span_s, windows.spectral_s, windows)
    put(
        "spectral_artefact_pct",
        lf_hf,
        _percent(lf_hf.sums(running_corrected), lf_hf.stops - lf_hf.starts),
    )
    coherence = _Windows(t_s, span_s, windows.coherence_s, windows)
    _put_spectral_indices(values, t_s, nn_ms, windows, lf_hf.ends, coherence.ends)

    for column in values.values():
        column[~np.isfinite(column)] = np.nan
    return values


def _heart_rate_bpm(mean_nn_ms: np.ndarray) -> np.ndarray:
    """time_domain.hr_of_mean_rr_bpm per window."""
    with np.errstate(divide="ignore"):
        return np.where(mean_nn_ms > 0, MS_PER_MINUTE / mean_nn_ms, np.nan)


def _sd1_ms(w: _Windows, running_successive: np.ndarray, running_squares: np.ndarray) -> np.ndarray:
    """poincare.sd1_from_successive_ms per window: sqrt(var(ΔNN)/2), ddof = 1."""
    differences = w.stops - 1 - w.starts
    total = w.successive_sums(running_successive)
    squares = w.successive_sums(running_squares) - total * total / np.maximum(differences, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.maximum(squares, 0.0) / (differences - 1)
        return np.where(differences >= 2, np.sqrt(variance / 2.0), np.nan)


def _percent(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """indices.percent per window."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, 100.0 * part / whole, np.nan)


def _put_spectral_indices(
    values: dict[str, np.ndarray],
    t_s: np.ndarray,
    nn_ms: np.ndarray,
    windows: HrvWindows,
    lf_hf_ends: np.ndarray,
    coherence_ends: np.ndarray,
) -> None:
    """LF, HF, LF/HF where their window is ready, coherence and respiration rate where theirs
    is: both spectra at every beat either needs, from one :func:`spectral.sliding_psds`."""
    ends = np.union1d(lf_hf_ends, coherence_ends)
    if ends.size == 0:
        return
    psds = spectral.sliding_psds(t_s, nn_ms, ends, (windows.spectral_s, windows.coherence_s))
    freqs_hz = spectral.FREQUENCIES_HZ
    rows = ends.searchsorted(lf_hf_ends)
    lf, hf, ratio = spectral.lf_hf_of_rows(freqs_hz, psds[rows, 0])
    values["lf_ms2"][lf_hf_ends] = lf
    values["hf_ms2"][lf_hf_ends] = hf
    values["lf_hf"][lf_hf_ends] = ratio
    rows = ends.searchsorted(coherence_ends)
    coherence_psds = psds[rows, 1]
    coherence = spectral.coherence_of_rows(freqs_hz, coherence_psds)
    values["coherence"][coherence_ends] = coherence
    values["resp_rate_bpm"][coherence_ends] = spectral.respiration_rate_of_rows(
        freqs_hz, coherence_psds, coherence
    )
