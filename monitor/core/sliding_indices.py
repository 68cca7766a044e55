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
from monitor.core.breath_count import breaths_per_min_of_windows
from monitor.core.data_minimums import enough_clean_beats
from monitor.core.dfa import dfa_alpha1_of_windows
from monitor.core.indices import WindowIndices, is_ready
from monitor.core.respiration import respiration_rate_of_rows
from monitor.core.settings import HrvWindows
from monitor.core.stress_index import stress_index_of_windows
from monitor.core.time_domain import MS_PER_MINUTE, PNN50_THRESHOLD_MS


class _RunningSums:
    """Running sums (each with a leading 0) of the per-beat quantities the windowed sums need,
    over one stretch."""

    def __init__(self, nn_ms: np.ndarray, corrected: np.ndarray) -> None:
        self.nn = _running(nn_ms)
        # Offsets from the first interval keep Σx² small where SDNN is a difference of sums.
        offset = nn_ms - nn_ms[0]
        self.offset, self.offset_squared = _running(offset), _running(offset * offset)
        successive = nn_ms[1:] - nn_ms[:-1]
        self.successive = _running(successive)
        self.successive_squared = _running(successive * successive)
        self.successive_over_50 = _running(np.abs(successive) > PNN50_THRESHOLD_MS)
        self.corrected = _running(corrected)


def _running(per_beat: np.ndarray) -> np.ndarray:
    return np.concatenate(([0.0], np.cumsum(per_beat, dtype=float)))


class _Windows:
    """The windows of one length that are ready (:func:`indices.is_ready`), ending at each beat:
    ``ends`` (the beats they end at), ``starts`` and ``stops`` (first beat, one past the last)."""

    def __init__(self, t_s: np.ndarray, span_s: np.ndarray, window_s: float, windows: HrvWindows):
        self.ends = np.flatnonzero(is_ready(span_s, window_s, windows))
        # A beat is in the window ending at T when its time is in (T − length, T].
        self.starts = t_s.searchsorted(t_s[self.ends] - window_s, side="right")
        self.stops = self.ends + 1
        self.beats = self.stops - self.starts

    def sums(self, running: np.ndarray) -> np.ndarray:
        """Per window, the sum of the values whose running sum is given."""
        return np.asarray(running[self.stops] - running[self.starts])

    def successive_sums(self, running: np.ndarray) -> np.ndarray:
        """The same over the window's successive differences (one fewer than its beats)."""
        return np.asarray(running[self.stops - 1] - running[self.starts])


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
    values = {name: np.full(nn_ms.size, np.nan) for name in WindowIndices.names()}
    if nn_ms.size == 0:
        return values
    span_s = t_s - data_start_s
    sums = _RunningSums(nn_ms, corrected)

    def window(window_s: float) -> _Windows:
        return _Windows(t_s, span_s, window_s, windows)

    def put(w: _Windows, columns: dict[str, np.ndarray]) -> None:
        for name, column in columns.items():
            values[name][w.ends] = column

    w = window(windows.hr_short_s)
    put(w, {"hr_10s_bpm": _heart_rate_bpm(w.sums(sums.nn) / w.beats)})
    w = window(windows.short_term_s)
    put(w, _short_term_indices(w, sums))
    w = window(windows.long_term_s)
    put(w, _long_term_indices(w, sums, nn_ms))
    lf_hf = window(windows.spectral_s)
    put(lf_hf, {"spectral_artefact_pct": _percent(lf_hf.sums(sums.corrected), lf_hf.beats)})
    coherence = window(windows.coherence_s)
    lf_hf_columns, coherence_columns = _spectral_indices(t_s, nn_ms, windows, lf_hf, coherence)
    put(lf_hf, lf_hf_columns)
    put(coherence, coherence_columns)

    for column in values.values():
        column[~np.isfinite(column)] = np.nan
    return values


def _short_term_indices(w: _Windows, sums: _RunningSums) -> dict[str, np.ndarray]:
    """:func:`indices.short_term_indices` and the artefact share, per window."""
    mean_nn = w.sums(sums.nn) / w.beats
    differences = w.beats - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        # time_domain.rmssd_from_successive_ms and pnn50_from_successive_pct
        rmssd = np.sqrt(w.successive_sums(sums.successive_squared) / differences)
        pnn50 = 100.0 * w.successive_sums(sums.successive_over_50) / differences
        ln_rmssd = np.where(rmssd > 0, np.log(rmssd), np.nan)
    return {
        "hr_60s_bpm": _heart_rate_bpm(mean_nn),
        "mean_rr_ms": mean_nn,
        "rmssd_ms": rmssd,
        "ln_rmssd": ln_rmssd,
        "pnn50_pct": pnn50,
        "sd1_ms": _sd1_ms(w, sums),
        "short_artefact_pct": _percent(w.sums(sums.corrected), w.beats),
    }


def _long_term_indices(w: _Windows, sums: _RunningSums, nn_ms: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`indices.long_term_indices` and the artefact share, per window."""
    sum_offset = w.sums(sums.offset)
    squares = w.sums(sums.offset_squared) - sum_offset * sum_offset / w.beats
    with np.errstate(divide="ignore", invalid="ignore"):
        # time_domain.sdnn_ms (ddof = 1)
        sdnn = np.where(w.beats >= 2, np.sqrt(np.maximum(squares, 0.0) / (w.beats - 1)), np.nan)
    sd1 = _sd1_ms(w, sums)
    fixed = w.sums(sums.corrected)
    clean_beats = w.beats - fixed

    def with_enough_clean_beats(name: str, column: np.ndarray) -> np.ndarray:
        # indices.window_indices: a filled window may still hold too few clean beats
        return np.where(enough_clean_beats(name, clean_beats), column, np.nan)

    return {
        "sdnn_ms": sdnn,
        # poincare.sd2_from_sdnn_sd1; a NaN SDNN or SD1 gives NaN, as there
        "sd2_ms": np.sqrt(np.maximum(2.0 * sdnn * sdnn - sd1 * sd1, 0.0)),
        "stress_index": with_enough_clean_beats(
            "stress_index", stress_index_of_windows(nn_ms, w.starts, w.stops)
        ),
        "dfa_a1": with_enough_clean_beats(
            "dfa_a1", dfa_alpha1_of_windows(nn_ms, w.starts, w.stops)
        ),
        "long_artefact_pct": _percent(fixed, w.beats),
    }


def _heart_rate_bpm(mean_nn_ms: np.ndarray) -> np.ndarray:
    """time_domain.hr_of_mean_rr_bpm per window."""
    with np.errstate(divide="ignore"):
        return np.where(mean_nn_ms > 0, MS_PER_MINUTE / mean_nn_ms, np.nan)


def _sd1_ms(w: _Windows, sums: _RunningSums) -> np.ndarray:
    """poincare.sd1_from_successive_ms per window: sqrt(var(ΔNN)/2), ddof = 1."""
    differences = w.beats - 1
    total = w.successive_sums(sums.successive)
    squares = w.successive_sums(sums.successive_squared) - total * total / np.maximum(
        differences, 1
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.maximum(squares, 0.0) / (differences - 1)
        return np.where(differences >= 2, np.sqrt(variance / 2.0), np.nan)


def _percent(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """indices.percent per window."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, 100.0 * part / whole, np.nan)


def _spectral_indices(
    t_s: np.ndarray, nn_ms: np.ndarray, windows: HrvWindows, lf_hf: _Windows, coherence: _Windows
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """LF, HF and LF/HF per ready LF/HF window, coherence and respiration rate per ready
    coherence window (:func:`indices.lf_hf_from_psd`, :func:`indices.coherence_from_psd`): both
    spectra at every beat either needs, from one :func:`spectral.sliding_psds`."""
    ends = np.union1d(lf_hf.ends, coherence.ends)
    psds = spectral.sliding_psds(t_s, nn_ms, ends, (windows.spectral_s, windows.coherence_s))
    freqs_hz = spectral.FREQUENCIES_HZ
    lf, hf, ratio = spectral.lf_hf_of_rows(freqs_hz, psds[ends.searchsorted(lf_hf.ends), 0])
    coherence_psds = psds[ends.searchsorted(coherence.ends), 1]
    ratio_of_peak = spectral.coherence_of_rows(freqs_hz, coherence_psds)
    counted = breaths_per_min_of_windows(t_s, nn_ms, coherence.starts, coherence.stops)
    breathing = respiration_rate_of_rows(freqs_hz, coherence_psds, counted, ratio_of_peak)
    return (
        {"lf_ms2": lf, "hf_ms2": hf, "lf_hf": ratio},
        {"coherence": ratio_of_peak, "resp_rate_bpm": breathing},
    )
