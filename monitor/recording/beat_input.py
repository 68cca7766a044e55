"""Any file the program analyses, as beats: RR text, Polar HRM or a session file.

Offline analysis, reports and replay all start from the raw beats (times and RR exactly as
received) plus where the signal was lost, so they can run the same engine the live session ran.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from drivers.events import ConnectionState
from monitor.core.acc_breathing import SessionBreathing, session_breathing
from monitor.core.analysis import snapshots_from_table
from monitor.core.baseline import BaselineSettings
from monitor.core.judge import ContactMarker, PhaseMarker, StrapLost
from monitor.core.what_if import ToleranceInputs
from monitor.recording.errors import UnreadableFileError
from monitor.recording.input_files import require_regular_input
from monitor.recording.model import EventKind, RecordedSamples, SessionEvent
from monitor.recording.reader import SQLITE_HEADER, read_session
from monitor.recording.rr_files import beat_times_and_gaps, read_rr_file
from monitor.recording.tolerance_record import (
    recorded_reused_baseline,
    recorded_tolerance,
    tolerance_changes,
)


@dataclass(frozen=True)
class BeatInput:
    """Raw beats of a recording and what is known around them.

    Attributes
    ----------
    t_s, rr_ms : numpy.ndarray
        Beat times (s from the start) and raw RR intervals (ms).
    gap_after : tuple of int
        Indices of beats after which the signal was lost (a recorded gap).
    events : list of SessionEvent
        Phase markers, SUDS, notes, alerts ... (empty for RR files).
    kind : str
        ``"session"``, ``"rr-text"`` or ``"polar-hrm"``.
    client_code : str or None
        The session's pseudonymous client code, when the file has one.
    settings : Mapping
        The settings the session file recorded (empty for RR files).
    layout : str
        How an RR file was read (its unit and layout, in words); empty for a session file.
    therapist : BeatInput or None
        The therapist's own strap in a co-regulation session (its beats and gaps), else None.
    acc : RecordedSamples or None
        The strap's chest accelerometer (schema 4, a Polar H10 with raw data), else None.
    """

    t_s: np.ndarray
    rr_ms: np.ndarray
    gap_after: tuple[int, ...] = ()
    events: list[SessionEvent] = field(default_factory=list)
    kind: str = "rr-text"
    client_code: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    layout: str = ""
    therapist: BeatInput | None = None
    acc: RecordedSamples | None = None


def is_session_file(path: str | Path) -> bool:
    """Whether the file starts like an SQLite database (the reader checks the rest)."""
    try:
        with Path(path).open("rb") as file:
            return file.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def read_beat_input(path: str | Path) -> BeatInput:
    """Read a session file, an RR text file or a Polar HRM file as raw beats.

    Raises
    ------
    UnreadableFileError
        One line naming the file and the problem.
    """
    # Before anything opens it: a FIFO would block the first read, a device never end it.
    require_regular_input(path, "session")
    if is_session_file(path):
        session = read_session(path)
        beats = session.beats
        if len(beats) == 0:
            raise UnreadableFileError(f"{path}: the session holds no beats")
        therapist = None
        if session.therapist_beats is not None and len(session.therapist_beats) > 0:
            therapist = BeatInput(
                t_s=session.therapist_beats.t_s,
                rr_ms=session.therapist_beats.rr_ms,
                gap_after=_gap_after(session.therapist_beats.t_s, session.therapist_events),
                events=list(session.therapist_events),
                kind="session",
            )
        return BeatInput(
            t_s=beats.t_s,
            rr_ms=beats.rr_ms,
            gap_after=_gap_after(beats.t_s, session.events),
            events=list(session.events),
            kind="session",
            client_code=session.metadata.client_code,
            settings=session.metadata.settings,
            therapist=therapist,
            acc=session.acc,
        )
    recording = read_rr_file(path)
    t_s, gaps = beat_times_and_gaps(recording)
    gap_after = tuple(
        sorted({int(np.searchsorted(t_s, g.t_s, side="right")) - 1 for g in gaps} - {-1})
    )
    return BeatInput(
        t_s=t_s,
        rr_ms=recording.rr_ms,
        gap_after=gap_after,
        events=gaps,
        kind=recording.kind,
        client_code=recording.client_code,
        layout=recording.layout,
    )


def _gap_after(t_s: np.ndarray, events: Sequence[SessionEvent]) -> tuple[int, ...]:
    """Indices of the beats after which a recorded gap began."""
    gaps = [e for e in events if e.kind == EventKind.GAP]
    return tuple(sorted({int(np.searchsorted(t_s, g.t_s, side="right")) - 1 for g in gaps} - {-1}))


_SUSPENDING_STATES = {str(ConnectionState.LOST), str(ConnectionState.RECONNECTING)}
"""Connection states in which the live session stopped judging (:class:`SessionEngine`)."""


def signal_events(events: Sequence[SessionEvent]) -> tuple[ContactMarker | StrapLost, ...]:
    """The skin-contact and connection changes a session recorded, as the judge's inputs: the
    live session stopped judging while the strap was lost or without contact, and so must every
    later reading of the file (:mod:`monitor.core.judge`)."""
    found: list[ContactMarker | StrapLost] = []
    for event in events:
        if event.kind == EventKind.CONTACT and event.value is not None:
            found.append(ContactMarker(event.t_s, event.value != 0.0))
        elif event.kind == EventKind.CONNECTION and event.text in _SUSPENDING_STATES:
            detail = event.data.get("detail", "")
            found.append(StrapLost(event.t_s, f"strap {event.text}: {detail}"))
    return tuple(found)


def tolerance_inputs_for(
    beats: BeatInput, table: np.ndarray, baseline_s: float | None = None
) -> ToleranceInputs:
    """The window of tolerance's inputs for a recording, chosen as ``analyze`` chooses them.

    The window's settings are those the session started with, changed live where the therapist
    changed them (the defaults for an RR file), and the baseline is the one the session was
    judged against live: an earlier session's baseline when it reused one, so that
    ``evaluate()`` gives the alerts the therapist saw.

    Parameters
    ----------
    beats : BeatInput
        The recording (its phase markers and gaps).
    table : numpy.ndarray
        Its timeline (:func:`monitor.timeline.parallel_timeline`).
    baseline_s : float, optional
        Baseline = the first ``baseline_s`` seconds from the first beat, even for a session
        that reused an earlier baseline (asked for, it overrides that). By default the reused
        baseline the file records, else the marked ``baseline`` phase, else the first 300 s.
    """
    phases = tuple(
        PhaseMarker(e.t_s, e.text) for e in beats.events if e.kind == EventKind.PHASE and e.text
    )
    gaps = tuple(
        (e.t_s, e.end_s if e.end_s is not None else e.t_s)
        for e in beats.events
        if e.kind == EventKind.GAP
    )
    first_s = float(beats.t_s[0])
    span = None if baseline_s is None else (first_s, first_s + baseline_s)
    settings = BaselineSettings() if baseline_s is None else BaselineSettings(duration_s=baseline_s)
    start = recorded_tolerance(beats.settings)
    # An explicit span is a request to recalibrate: the reused baseline is not even read then.
    reused = recorded_reused_baseline(beats.settings) if baseline_s is None else None
    return ToleranceInputs(
        snapshots=snapshots_from_table(table),
        phases=phases,
        gaps=gaps,
        signal_events=signal_events(beats.events),
        baseline_span_s=span,
        baseline_settings=settings,
        reused_baseline=reused,
        recorded_settings=start,
        settings_changes=tolerance_changes(beats.events, start),
    )


def breathing_of(beats: BeatInput, rsa_breaths_per_min: float | None) -> SessionBreathing:
    """The session's breathing: from its chest accelerometer when it has one (the runs at the
    stream's most common rate), else the RSA estimate of its RR
    (:func:`monitor.core.acc_breathing.session_breathing`)."""
    acc = beats.acc
    if acc is None or len(acc) == 0:
        return session_breathing(None, None, None, rsa_breaths_per_min)
    t_s, acc_mg, hz = acc.at_native_rate()
    return session_breathing(t_s, acc_mg.astype(float), hz, rsa_breaths_per_min)
