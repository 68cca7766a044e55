"""The live HRV index set at one moment, computed from whole arrays (the batch form).

:func:`indices_at` is the reference the incremental engine (:mod:`monitor.core.engine`) must
match: given the NN series and a moment, it selects each index's window and calls the index
functions directly. It is also what offline analysis uses for single values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike

from monitor.core import spectral
from monitor.core.breath_count import count_breaths
from monitor.core.data_minimums import LIVE_BEAT_MINIMUM_INDICES, enough_clean_beats
from monitor.core.dfa import dfa_alpha1
from monitor.core.poincare import sd1_from_successive_ms, sd2_from_sdnn_sd1
from monitor.core.respiration import respiration_rate_bpm
from monitor.core.settings import HrvWindows
from monitor.core.stress_index import stress_index
from monitor.core.time_domain import (
    hr_of_mean_rr_bpm,
    mean_hr_bpm,
    mean_rr_ms,
    pnn50_from_successive_pct,
    rmssd_from_successive_ms,
    sdnn_ms,
)

NAN = float("nan")


@dataclass(frozen=True, slots=True)
class WindowIndices:
    """The live index set, each over its own window ending at the same beat (NaN = not ready).

    Window lengths are those of :class:`~monitor.core.settings.HrvWindows`; ``*_artefact_pct``
    is the share of NN intervals in that window that the artefact stage corrected. The stress
    index and DFA α1 are NaN also while their window holds fewer clean beats than
    :data:`~monitor.core.data_minimums.MINIMUMS` asks (why a value is NaN:
    :func:`~monitor.core.data_minimums.live_absence_reason`).
    """

    hr_10s_bpm: float = NAN
    hr_60s_bpm: float = NAN
    mean_rr_ms: float = NAN
    rmssd_ms: float = NAN
    ln_rmssd: float = NAN
    pnn50_pct: float = NAN
    sd1_ms: float = NAN
    sdnn_ms: float = NAN
    sd2_ms: float = NAN
    stress_index: float = NAN
    dfa_a1: float = NAN
    lf_ms2: float = NAN
    hf_ms2: float = NAN
    lf_hf: float = NAN
    coherence: float = NAN
    resp_rate_bpm: float = NAN
    short_artefact_pct: float = NAN
    long_artefact_pct: float = NAN
    spectral_artefact_pct: float = NAN

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.names()}


def short_term_indices(nn_ms: np.ndarray) -> dict[str, float]:
    """Indices of the short-term (60 s) window: mean RR, HR, RMSSD, lnRMSSD, pNN50, SD1.

    The functions of :mod:`~monitor.core.time_domain` and :mod:`~monitor.core.poincare`, fed
    the successive differences and the mean once rather than each computing them again (this
    runs on every beat)."""
    successive_ms = nn_ms[1:] - nn_ms[:-1]
    rmssd = rmssd_from_successive_ms(successive_ms)
    mean_nn = mean_rr_ms(nn_ms)
    return {
        "hr_60s_bpm": hr_of_mean_rr_bpm(mean_nn),
        "mean_rr_ms": mean_nn,
        "rmssd_ms": rmssd,
        "ln_rmssd": math.log(rmssd) if rmssd > 0 else NAN,  # ln_rmssd()
        "pnn50_pct": pnn50_from_successive_pct(successive_ms),
        "sd1_ms": sd1_from_successive_ms(successive_ms),
    }


def long_term_indices(nn_ms: np.ndarray) -> dict[str, float]:
    """Indices of the long-term (120 s) window: SDNN, SD2, stress index, DFA α1."""
    sdnn = sdnn_ms(nn_ms)
    return {
        "sdnn_ms": sdnn,
        "sd2_ms": sd2_from_sdnn_sd1(sdnn, sd1_from_successive_ms(nn_ms[1:] - nn_ms[:-1])),
        "stress_index": stress_index(nn_ms),
        "dfa_a1": dfa_alpha1(nn_ms),
    }


def lf_hf_from_psd(psd: np.ndarray) -> dict[str, float]:
    """LF, HF and LF/HF from a spectrum on the standard grid."""
    values = spectral.lf_hf_indices(spectral.FREQUENCIES_HZ, psd)
    return {"lf_ms2": values.lf_ms2, "hf_ms2": values.hf_ms2, "lf_hf": values.lf_hf}


def coherence_from_psd(psd: np.ndarray, t_s: np.ndarray, nn_ms: np.ndarray) -> dict[str, float]:
    """Coherence ratio and respiration rate of one window: its spectrum on the standard grid, and
    its beats for the breath count (:mod:`monitor.core.respiration`)."""
    coherence = spectral.coherence_ratio(spectral.FREQUENCIES_HZ, psd)
    counted = count_breaths(t_s, nn_ms).breaths_per_min
    return {
        "coherence": coherence,
        "resp_rate_bpm": respiration_rate_bpm(spectral.FREQUENCIES_HZ, psd, counted, coherence),
    }


def percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else NAN


def corrected_pct(corrected: np.ndarray) -> float:
    """Share of a window's NN intervals the artefact stage corrected (%)."""
    return percent(int(np.count_nonzero(corrected)), corrected.size)


def is_ready(span_s: float | np.ndarray, window_s: float, windows: HrvWindows) -> bool | np.ndarray:
    """Whether data covering ``span_s`` seconds is enough to fill a window of ``window_s``
    (elementwise for an array of spans)."""
    return span_s >= windows.min_coverage * window_s


PsdOfWindow = Callable[[slice], np.ndarray]
"""Gives the spectrum (on :data:`spectral.FREQUENCIES_HZ`) of the beats in a window slice."""


def window_indices(
    t_s: np.ndarray,
    nn_ms: np.ndarray,
    corrected: np.ndarray,
    span_s: float,
    windows: HrvWindows,
    lf_hf_psd: PsdOfWindow,
    coherence_psd: PsdOfWindow,
) -> WindowIndices:
    """Every live index over its own window ending at the last beat of the arrays.

    A beat is in a window of length W ending at t when its time is in (t − W, t]; a window is used
    only once the stretch of data (``span_s`` seconds since the last gap) covers it. Spectra come
    from the two callables so the batch form can compute them afresh and the engine can read its
    sliding sums.
    """
    now_s = float(t_s[-1])
    values: dict[str, float] = {}

    def window(window_s: float) -> slice | None:
        if not is_ready(span_s, window_s, windows):
            return None
        return slice(t_s.searchsorted(now_s - window_s, side="right"), None)

    if (w := window(windows.hr_short_s)) is not None:
        values["hr_10s_bpm"] = mean_hr_bpm(nn_ms[w])
    if (w := window(windows.short_term_s)) is not None:
        values.update(short_term_indices(nn_ms[w]))
        values["short_artefact_pct"] = corrected_pct(corrected[w])
    if (w := window(windows.long_term_s)) is not None:
        values.update(long_term_indices(nn_ms[w]))
        fixed = int(np.count_nonzero(corrected[w]))
        values["long_artefact_pct"] = percent(fixed, corrected[w].size)
        clean_beats = corrected[w].size - fixed
        for name in LIVE_BEAT_MINIMUM_INDICES:  # a filled window may still hold too few
            if not enough_clean_beats(name, clean_beats):
                values[name] = NAN
    if (w := window(windows.spectral_s)) is not None:
        values.update(lf_hf_from_psd(lf_hf_psd(w)))
        values["spectral_artefact_pct"] = corrected_pct(corrected[w])
    if (w := window(windows.coherence_s)) is not None:
        values.update(coherence_from_psd(coherence_psd(w), t_s[w], nn_ms[w]))
    return WindowIndices(**{k: (v if math.isfinite(v) else NAN) for k, v in values.items()})


def indices_at(
    t_s: ArrayLike,
    nn_ms: ArrayLike,
    corrected: ArrayLike,
    end_index: int,
    windows: HrvWindows | None = None,
    data_start_s: float | None = None,
) -> WindowIndices:
    """Every live index at beat ``end_index``, each over its own window (the batch form).

    Parameters
    ----------
    t_s, nn_ms, corrected : array_like
        Beat times (s), NN intervals (ms) and whether each was corrected, for a contiguous
        stretch of signal (no gap inside).
    end_index : int
        The beat the windows end at (inclusive).
    windows : HrvWindows, optional
        Window lengths; the defaults when omitted.
    data_start_s : float, optional
        When the stretch began; by default the start of the first interval,
        ``t_s[0] − nn_ms[0]/1000``.

    Returns
    -------
    WindowIndices
    """
    windows = windows or HrvWindows()
    t = np.asarray(t_s, dtype=float)[: end_index + 1]
    nn = np.asarray(nn_ms, dtype=float)[: end_index + 1]
    fixed = np.asarray(corrected, dtype=bool)[: end_index + 1]
    if data_start_s is None:
        data_start_s = float(t[0] - nn[0] / 1000.0)

    def fresh_psd(w: slice) -> np.ndarray:
        return spectral.lomb_scargle_psd(t[w], nn[w])

    span_s = float(t[-1]) - data_start_s
    return window_indices(t, nn, fixed, span_s, windows, fresh_psd, fresh_psd)
