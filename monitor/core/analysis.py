"""Offline analysis of a whole recording: one value per index, and the per-beat timeline.

Whole-recording values are computed over the batch-corrected NN series
(:func:`monitor.core.artefacts.correct_beats`), like a Kubios analysis of the full sample:

* time domain, Poincaré, stress index and DFA α1: over the whole NN series;
* LF and HF: the mean of Lomb–Scargle spectra over 300-s epochs overlapping by half (a 300-s
  epoch is the Task Force's short-term standard, and Kubios likewise averages 300-s segments);
  a recording shorter than one epoch is one epoch. LF/HF is the ratio of the averaged powers;
* coherence and respiration rate are defined on 64-s windows (McCraty et al. 2009), so the
  whole-recording value is the mean coherence, and the median breathing rate, over consecutive
  non-overlapping 64-s epochs (HeartMath reports the same "average coherence");
* an index whose data falls short of its minimum (:data:`monitor.core.data_minimums.MINIMUMS`:
  seconds of NN intervals and clean beats) is NaN, and ``absent`` says why.

The timeline is what the live engine showed, beat by beat: the engine's streaming artefact
filter runs over the recording and the indices are the engine's, computed for whole stretches at
once (:mod:`monitor.core.sliding_indices`), so offline and live agree.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from monitor.core import spectral
from monitor.core.artefacts import (
    BeatClass,
    NNBeat,
    StreamingArtefactFilter,
    artefact_counts,
    classify_beats,
    correct_beats,
)
from monitor.core.breath_count import count_breaths
from monitor.core.data_minimums import MINIMUMS, absence_reason
from monitor.core.dfa import dfa_alpha1
from monitor.core.engine import HrvSnapshot, stretch_start_s
from monitor.core.indices import WindowIndices
from monitor.core.poincare import sd1_ms, sd2_ms
from monitor.core.respiration import respiration_rate_bpm
from monitor.core.settings import HrvWindows
from monitor.core.sliding_indices import indices_of_stretch
from monitor.core.stress_index import stress_index
from monitor.core.time_domain import (
    ln_rmssd,
    mean_hr_bpm,
    mean_rr_ms,
    pnn50_pct,
    rmssd_ms,
    sdnn_ms,
)

COHERENCE_EPOCH_S = 64.0
SPECTRAL_EPOCH_S = 300.0


@dataclass(frozen=True)
class RecordingSummary:
    """Whole-recording HRV values over the corrected NN series (NaN where absent).

    ``absent`` maps each absent index (NaN) to why, in plain words: too little data for it
    (:data:`~monitor.core.data_minimums.MINIMUMS`) or undefined on these beats.
    """

    beats: int
    duration_s: float
    mean_rr_ms: float
    mean_hr_bpm: float
    sdnn_ms: float
    rmssd_ms: float
    ln_rmssd: float
    pnn50_pct: float
    sd1_ms: float
    sd2_ms: float
    stress_index: float
    lf_ms2: float
    hf_ms2: float
    lf_hf: float
    coherence: float
    dfa_a1: float
    resp_rate_bpm: float
    artefacts: dict[str, float] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Plain types for JSON: NaN becomes None."""
        out: dict[str, object] = {}
        for name, value in self.__dict__.items():
            if isinstance(value, float):
                out[name] = value if math.isfinite(value) else None
            else:
                out[name] = value
        return out


def default_beat_times_s(rr_ms: np.ndarray) -> np.ndarray:
    """Beat times of an RR file with no clock: the running sum of the intervals that have a
    duration (a zero, negative or non-finite value adds no time)."""
    usable = np.where(np.isfinite(rr_ms) & (rr_ms > 0), rr_ms, 0.0)
    return np.cumsum(usable) / 1000.0


def summarize(rr_ms: ArrayLike, t_s: ArrayLike | None = None) -> RecordingSummary:
    """Whole-recording HRV of raw RR intervals, after batch artefact correction.

    Parameters
    ----------
    rr_ms : array_like
        Raw RR intervals in ms as received; bad values are flagged, never used.
    t_s : array_like, optional
        Beat times in s; by default the running sum of ``rr_ms``.

    Returns
    -------
    RecordingSummary
        ``artefacts`` holds a count per class, ``total`` (beats flagged, i.e. not normal) and
        ``percent`` (of all beats).
    """
    rr = np.asarray(rr_ms, dtype=float)
    t = default_beat_times_s(rr) if t_s is None else np.asarray(t_s, dtype=float)
    classes = classify_beats(rr)
    series = correct_beats(rr, t, classes)
    nn, nn_t = series.nn_ms, series.t_s
    lf_hf = spectral.lf_hf_indices(spectral.FREQUENCIES_HZ, _epoch_averaged_psd(nn_t, nn))
    coherence, resp_rate = _epoch_coherence_and_breathing(nn_t, nn)
    counts = artefact_counts(classes)
    flagged = counts.pop("artefacts")
    counts.pop("normal")
    total_beats = counts.pop("total")
    artefacts: dict[str, float] = dict(counts)
    artefacts["total"] = flagged
    artefacts["percent"] = 100.0 * flagged / total_beats if total_beats else 0.0
    duration_s = float(t[-1] - t[0] + _first_interval_s(rr)) if rr.size else 0.0
    summary = RecordingSummary(
        beats=int(rr.size),
        duration_s=duration_s,
        mean_rr_ms=mean_rr_ms(nn),
        mean_hr_bpm=mean_hr_bpm(nn),
        sdnn_ms=sdnn_ms(nn),
        rmssd_ms=rmssd_ms(nn),
        ln_rmssd=ln_rmssd(nn),
        pnn50_pct=pnn50_pct(nn),
        sd1_ms=sd1_ms(nn),
        sd2_ms=sd2_ms(nn),
        stress_index=stress_index(nn),
        lf_ms2=lf_hf.lf_ms2,
        hf_ms2=lf_hf.hf_ms2,
        lf_hf=lf_hf.lf_hf,
        coherence=coherence,
        dfa_a1=dfa_alpha1(nn),
        resp_rate_bpm=resp_rate,
        artefacts=artefacts,
    )
    return _without_short_indices(summary, series.nn_ms, series.corrected)


def _without_short_indices(
    summary: RecordingSummary, nn_ms: np.ndarray, corrected: np.ndarray
) -> RecordingSummary:
    """The summary with each index its data falls short of set to NaN, and the reasons."""
    covered_s = float(nn_ms.sum()) / 1000.0
    clean_beats = int(nn_ms.size - np.count_nonzero(corrected))
    values: dict[str, float] = {}
    absent: dict[str, str] = {}
    for name in MINIMUMS:
        value = getattr(summary, name, None)
        if not isinstance(value, float):
            continue
        reason = absence_reason(name, value, covered_s, clean_beats)
        if reason is not None:
            values[name] = float("nan")
            absent[name] = reason
    changes: dict[str, Any] = {**values, "absent": absent}
    return dataclasses.replace(summary, **changes)


def _first_interval_s(rr: np.ndarray) -> float:
    first = rr[0]
    return float(first) / 1000.0 if math.isfinite(first) and first > 0 else 0.0


def _epoch_averaged_psd(t_s: np.ndarray, nn_ms: np.ndarray) -> np.ndarray:
    if nn_ms.size == 0:
        return np.full(spectral.FREQUENCIES_HZ.shape, np.nan)
    starts = np.arange(t_s[0], t_s[-1] - SPECTRAL_EPOCH_S, SPECTRAL_EPOCH_S / 2)
    if starts.size == 0:
        return spectral.lomb_scargle_psd(t_s, nn_ms)
    spectra = [
        spectral.lomb_scargle_psd(t_s[in_epoch], nn_ms[in_epoch])
        for start in starts
        if (in_epoch := (t_s >= start) & (t_s < start + SPECTRAL_EPOCH_S)).any()
    ]
    return np.asarray(np.nanmean(spectra, axis=0))


def _epoch_coherence_and_breathing(t_s: np.ndarray, nn_ms: np.ndarray) -> tuple[float, float]:
    if nn_ms.size == 0:
        return float("nan"), float("nan")
    edges = np.arange(t_s[0], t_s[-1] + COHERENCE_EPOCH_S, COHERENCE_EPOCH_S)
    coherences, rates = [], []
    for start, stop in pairwise(edges):
        in_epoch = (t_s >= start) & (t_s < stop)
        # Only full epochs: a trailing fragment would be a shorter, noisier window.
        if t_s[in_epoch].size == 0 or stop > t_s[-1]:
            continue
        psd = spectral.lomb_scargle_psd(t_s[in_epoch], nn_ms[in_epoch])
        coherences.append(spectral.coherence_ratio(spectral.FREQUENCIES_HZ, psd))
        counted = count_breaths(t_s[in_epoch], nn_ms[in_epoch]).breaths_per_min
        rates.append(respiration_rate_bpm(spectral.FREQUENCIES_HZ, psd, counted))
    coherence = float(np.nanmean(coherences)) if np.any(np.isfinite(coherences)) else float("nan")
    rate = float(np.nanmedian(rates)) if np.any(np.isfinite(rates)) else float("nan")
    return coherence, rate


def hrv_timeline(
    t_s: ArrayLike,
    rr_ms: ArrayLike,
    windows: HrvWindows | None = None,
    gap_after: Sequence[int] = (),
    progress: Callable[[int, int], None] | None = None,
    flush: bool = True,
) -> np.ndarray:
    """What the live engine showed over a recording, beat by beat.

    The beats go through the engine's streaming artefact filter one by one, as live; the
    indices of each stretch of signal are then computed for all its beats at once
    (:func:`monitor.core.sliding_indices.indices_of_stretch`), equal to the engine's (a test
    holds every column equal beat by beat) at a small fraction of the cost.

    Parameters
    ----------
    t_s, rr_ms : array_like
        Beat times (s) and raw RR intervals (ms).
    windows : HrvWindows, optional
        Window lengths.
    gap_after : sequence of int
        Indices of beats after which the signal was lost; the windows restart there, as
        :meth:`HrvEngine.mark_gap` restarts them.
    progress : callable, optional
        Called as ``progress(done, total)`` every few thousand beats.
    flush : bool
        Decide the last beats at the end (False for a slice that continues elsewhere).

    Returns
    -------
    numpy.ndarray
        One row per NN beat, columns :data:`TIMELINE_COLUMNS`
        (:func:`snapshots_from_table` turns it into :class:`HrvSnapshot` objects).
    """
    windows = windows or HrvWindows()
    t = np.asarray(t_s, dtype=float)
    rr = np.asarray(rr_ms, dtype=float)
    gaps = set(gap_after)
    artefact_filter = StreamingArtefactFilter()
    stretches: list[tuple[list[NNBeat], float]] = []
    beats: list[NNBeat] = []
    data_start_s: float | None = None
    for i in range(rr.size):
        beat_t_s, beat_rr_ms = float(t[i]), float(rr[i])
        if data_start_s is None:
            data_start_s = stretch_start_s(beat_t_s, beat_rr_ms)
        beats += artefact_filter.push(beat_t_s, beat_rr_ms)
        if i in gaps:
            beats += artefact_filter.flush()
            artefact_filter.reset()
            stretches.append((beats, data_start_s))
            beats, data_start_s = [], None
        if progress is not None and i % 2000 == 0:
            progress(i, rr.size)
    if flush:
        beats += artefact_filter.flush()
    if data_start_s is not None:
        stretches.append((beats, data_start_s))
    tables = [_stretch_table(beats, start_s, windows) for beats, start_s in stretches]
    if progress is not None:
        progress(rr.size, rr.size)
    return np.concatenate(tables) if tables else np.empty((0, len(TIMELINE_COLUMNS)))


def _stretch_table(beats: list[NNBeat], data_start_s: float, windows: HrvWindows) -> np.ndarray:
    """Timeline rows of one stretch of signal's NN beats."""
    if not beats:
        return np.empty((0, len(TIMELINE_COLUMNS)))
    table = np.empty((len(beats), len(TIMELINE_COLUMNS)))
    table[:, :5] = [(b.t_s, b.nn_ms, b.raw_rr_ms, int(b.beat_class), b.corrected) for b in beats]
    indices = indices_of_stretch(
        table[:, 0], table[:, 1], table[:, 4].astype(bool), data_start_s, windows
    )
    for column, name in enumerate(WindowIndices.names(), start=5):
        table[:, column] = indices[name]
    return table


TIMELINE_COLUMNS: tuple[str, ...] = (
    "t_s",
    "nn_ms",
    "raw_rr_ms",
    "beat_class",
    "corrected",
    *WindowIndices.names(),
)


def timeline_table(snapshots: Sequence[HrvSnapshot]) -> np.ndarray:
    """The snapshots as a float array, one row per snapshot, columns :data:`TIMELINE_COLUMNS`
    (beat class as its number, corrected as 0/1)."""
    names = WindowIndices.names()
    table = np.empty((len(snapshots), len(TIMELINE_COLUMNS)))
    for row, s in enumerate(snapshots):
        table[row, :5] = (s.t_s, s.nn_ms, s.raw_rr_ms, int(s.beat_class), s.corrected)
        table[row, 5:] = [getattr(s.indices, n) for n in names]
    return table


def timeline_chunk(
    t_s: np.ndarray,
    rr_ms: np.ndarray,
    gap_after: Sequence[int],
    emit_from_s: float,
    emit_until_s: float,
    is_last: bool,
    windows: HrvWindows | None = None,
) -> np.ndarray:
    """Timeline rows for beat times in ``[emit_from_s, emit_until_s)`` of a slice of a recording.

    The slice must start early enough for the engine to reach the same state as a run from the
    very start (every window full, the artefact filter's trailing statistics settled) and end
    late enough for the filter's look-ahead; the rows are then those of :func:`hrv_timeline`
    (up to rounding in the spectral sums). ``is_last`` flushes the filter at the end.
    """
    table = hrv_timeline(t_s, rr_ms, windows, gap_after, flush=is_last)
    return table[(table[:, 0] >= emit_from_s) & (table[:, 0] < emit_until_s)]


def snapshots_from_table(table: np.ndarray) -> list[HrvSnapshot]:
    """The snapshots back from a :func:`timeline_table` (e.g. a parallel timeline's)."""
    names = WindowIndices.names()
    return [
        HrvSnapshot(
            t_s=float(row[0]),
            nn_ms=float(row[1]),
            raw_rr_ms=float(row[2]),
            beat_class=BeatClass(int(row[3])),
            corrected=bool(row[4]),
            indices=WindowIndices(**dict(zip(names, row[5:].tolist(), strict=True))),
        )
        for row in table
    ]


def timeline_rows(table: np.ndarray) -> Iterable[tuple[object, ...]]:
    """CSV rows of a :func:`timeline_table`: the class by name, corrected as 0/1."""
    class_names = {int(c): c.name.lower() for c in BeatClass}
    for row in table:
        yield (row[0], row[1], row[2], class_names[int(row[3])], int(row[4]), *row[5:])
