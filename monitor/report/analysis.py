"""One session file analysed for a report (and, later, for the replay window's what-if).

It runs what ``session-monitor analyze`` runs, with the same functions on the same inputs:
:func:`~monitor.core.analysis.summarize` for the whole-recording HRV,
:func:`~monitor.timeline.parallel_timeline` for the per-beat live indices and
:func:`~monitor.core.tolerance_summary.evaluate_tolerance` over
:func:`~monitor.core.analysis.snapshots_from_table` for the window of tolerance. A test holds the
report's numbers equal to ``analyze --json`` on the same file.

Times are *session time* (seconds since the start of the recording), as in the file, the live
dashboard, the replay and ``analyze --json``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.core.acc_breathing import SessionBreathing
from monitor.core.analysis import RecordingSummary, summarize
from monitor.core.judge import PhaseMarker, SettingsChange, ToleranceSummary
from monitor.core.tolerance import Alert, ToleranceSettings
from monitor.core.what_if import ToleranceInputs, what_if
from monitor.recording.beat_input import (
    BeatInput,
    breathing_of,
    read_beat_input,
    tolerance_inputs_for,
)
from monitor.recording.errors import UnreadableFileError
from monitor.recording.model import EventKind, SessionEvent, SessionMetadata
from monitor.recording.reader import SessionReader
from monitor.report.co_regulation import CoRegulation, co_regulation_of
from monitor.timeline import parallel_timeline

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class SessionAnalysis:
    """Everything a report shows about one session, computed once.

    Attributes
    ----------
    path : Path
        The session file (read only, never changed).
    metadata : SessionMetadata
    beats : BeatInput
        Raw beats, gaps and recorded events.
    summary : RecordingSummary
        Whole-recording HRV over the batch-corrected NN series.
    timeline : numpy.ndarray
        Per-beat live indices, columns :data:`monitor.core.analysis.TIMELINE_COLUMNS`.
    tolerance_inputs : ToleranceInputs
        The per-beat snapshots and markers the window of tolerance runs over (what-if reuses
        them, see :func:`monitor.core.what_if.what_if`).
    settings : ToleranceSettings
        The window-of-tolerance settings of :attr:`tolerance`: as recorded, those the session
        started with; for a what-if, those of the whole session.
    tolerance : ToleranceSummary
        Baseline, alerts, recoveries, readings and time in each zone with :attr:`settings`
        (and :attr:`settings_changes`).
    settings_changes : tuple of SettingsChange
        The live changes of the window applied in :attr:`tolerance` (as recorded); empty for a
        what-if, whose settings override them.
    co_regulation : CoRegulation or None
        The therapist's own strap and the synchrony of the two (co-regulation sessions).
    breathing : SessionBreathing or None
        The breathing rate and its source: the chest accelerometer when the file has one,
        else the RSA of the heart rhythm (``analyze --json``'s ``breathing_source``).
    """

    path: Path
    metadata: SessionMetadata
    beats: BeatInput
    summary: RecordingSummary
    timeline: np.ndarray
    tolerance_inputs: ToleranceInputs
    settings: ToleranceSettings
    tolerance: ToleranceSummary
    settings_changes: tuple[SettingsChange, ...] = ()
    co_regulation: CoRegulation | None = None
    breathing: SessionBreathing | None = None

    def with_settings(self, settings: ToleranceSettings) -> SessionAnalysis:
        """The same session judged with ``settings`` for its whole length (what-if: they
        override the live changes too): only the window of tolerance is re-run, over the
        timeline already computed. Nothing to change gives this analysis itself."""
        if settings == self.settings and not self.settings_changes:
            return self
        return dataclasses.replace(
            self, settings=settings, tolerance=what_if(self, settings), settings_changes=()
        )

    # -- what the session file recorded ---------------------------------------------------------

    @property
    def duration_s(self) -> float:
        """Session time of the last beat or event (the length of the recording)."""
        ends = [float(self.beats.t_s[-1])]
        ends += [e.t_s if e.end_s is None else e.end_s for e in self.beats.events]
        return max(ends)

    @property
    def phases(self) -> tuple[PhaseMarker, ...]:
        """Protocol phase markers, in time order."""
        return tuple(sorted(self.tolerance_inputs.phases, key=lambda p: p.t_s))

    @property
    def gaps(self) -> tuple[tuple[float, float], ...]:
        """Signal gaps ``(start_s, end_s)``."""
        return self.tolerance_inputs.gaps

    def events(self, kind: EventKind) -> list[SessionEvent]:
        """The recorded events of one kind, in time order."""
        return [e for e in self.beats.events if e.kind == kind]

    @property
    def suds(self) -> list[tuple[float, int]]:
        """SUDS ratings ``(t_s, rating)``."""
        return [(e.t_s, int(e.value or 0)) for e in self.events(EventKind.SUDS)]

    @property
    def recorded_alerts(self) -> list[SessionEvent]:
        """The alerts the live session showed (stored in the file)."""
        return self.events(EventKind.ALERT)

    @property
    def alerts(self) -> list[Alert]:
        """The alerts of :attr:`tolerance` (recomputed with :attr:`settings`)."""
        return self.tolerance.alerts


def analyse_session(
    path: str | Path,
    *,
    settings: ToleranceSettings | None = None,
    baseline_s: float | None = None,
    progress: ProgressCallback | None = None,
    timeline_workers: int | None = None,
) -> SessionAnalysis:
    """Analyse one session file for a report.

    Parameters
    ----------
    path : str or Path
        A session file (``.sqlite``); RR text files are imported first (``session-monitor
        import``), so that a report always has its client code and date.
    settings : ToleranceSettings, optional
        Window-of-tolerance settings for the whole session (a what-if). Omitted: as recorded,
        as ``analyze`` does: the settings the session started with, changed where the
        therapist changed them live (the defaults for a file without settings).
    baseline_s : float, optional
        As ``analyze --baseline-s``.
    progress : callable, optional
        ``progress(done, total)`` of the timeline's chunks.
    timeline_workers : int, optional
        Processes for the timeline (1 inside a worker process of a batch).

    Raises
    ------
    UnreadableFileError
        Not a session file, unreadable, or a session without beats.
    ValueError
        ``baseline_s`` not a positive number.
    """
    path = Path(path)
    if baseline_s is not None and not (math.isfinite(baseline_s) and baseline_s > 0):
        raise ValueError(f"the baseline must be a positive number of seconds, got {baseline_s}")
    with SessionReader(path) as reader:
        metadata = reader.metadata
    beats = read_beat_input(path)
    summary = summarize(beats.rr_ms, beats.t_s)
    table = parallel_timeline(
        beats.t_s, beats.rr_ms, gap_after=beats.gap_after, workers=timeline_workers,
        progress=progress,
    )  # fmt: skip
    inputs = tolerance_inputs_for(beats, table, baseline_s)
    as_recorded = settings is None
    return SessionAnalysis(
        path=path,
        metadata=metadata,
        beats=beats,
        summary=summary,
        timeline=table,
        tolerance_inputs=inputs,
        settings=inputs.recorded_settings if settings is None else settings,
        tolerance=inputs.evaluate(settings),
        settings_changes=inputs.settings_changes if as_recorded else (),
        co_regulation=co_regulation_of(beats, table, workers=timeline_workers),
        breathing=breathing_of(beats, summary.resp_rate_bpm),
    )


__all__ = ["SessionAnalysis", "UnreadableFileError", "analyse_session", "tolerance_inputs_for"]
