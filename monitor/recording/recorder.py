"""The recorder: writes what the session engine says happened into the session file.

The engine (:mod:`monitor.session.engine`) does no I/O; every update it emits says completely
what changed (docs/architecture.md, "The flow of one beat"). :class:`SessionRecorder` subscribes
to those updates and owns the :class:`~monitor.recording.session_file.SessionWriter` and its
failures: a failing disk must not stop the live monitoring, so the first failure is kept (why, in
plain words, and when) and nothing more is written; whoever shows the session tells the
therapist, once, in its own way.

This module must not import the session package (``tests/test_import_rules.py``): an update is
anything with the attributes of :class:`RecordableUpdate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from drivers.events import Beat, SourceEvent
from monitor.core.artefacts import RawBeatDecision
from monitor.core.judge import AlertChange
from monitor.recording.model import SessionEvent
from monitor.recording.session_file import SessionWriteError, SessionWriter, TherapistStrapWriter


class RecordableUpdate(Protocol):
    """What the recorder reads of an update (:class:`monitor.session.engine.SessionUpdate`)."""

    @property
    def t_s(self) -> float: ...
    @property
    def source_events(self) -> Sequence[SourceEvent]: ...
    @property
    def raw_beat(self) -> Beat | None: ...
    @property
    def beat_classes(self) -> Sequence[RawBeatDecision]: ...
    @property
    def recorded_events(self) -> Sequence[SessionEvent]: ...
    @property
    def alert_changes(self) -> Sequence[AlertChange]: ...
    @property
    def settings(self) -> Mapping[str, object] | None: ...


class SessionRecorder:
    """Writes a session's updates, in order, into one session file.

    Parameters
    ----------
    writer : SessionWriter or TherapistStrapWriter
        Created with ``time_origin_s=0``: updates carry session times. The therapist's strap
        in a co-regulation session has its own recorder, on ``writer.therapist()``.
    """

    def __init__(self, writer: SessionWriter | TherapistStrapWriter) -> None:
        self.writer = writer
        self.error: str | None = None
        """Why the recording stopped (plain words), once writing the file has failed."""
        self.error_s: float | None = None
        """Session time at which the failure was noticed (the file holds what came before)."""
        self._alert_event_ids: dict[int, int] = {}

    def record(self, update: RecordableUpdate) -> None:
        """Write everything ``update`` says happened (nothing once the file has failed)."""
        if self.error is not None:
            return
        try:
            self._write(update)
        except SessionWriteError as error:
            self.error = error.reason
            self.error_s = update.t_s

    def _write(self, update: RecordableUpdate) -> None:
        writer = self.writer
        for event in update.source_events:
            writer.add_source_event(event)
        beat = update.raw_beat
        if beat is not None:
            writer.add_beat(beat.t_s, beat.rr_ms, beat.arrival_s)
        for decision in update.beat_classes:
            writer.set_beat_classes(decision.index, [int(decision.beat_class)])
        for recorded in update.recorded_events:
            writer.add_event(recorded)
        for change in update.alert_changes:
            self._write_alert(change)
        if update.settings is not None:
            writer.update_metadata(settings=dict(update.settings))

    def _write_alert(self, change: AlertChange) -> None:
        alert = change.alert
        if not change.ended:
            event = SessionEvent.alert(alert.start_s, str(alert.kind), alert.reason)
            self._alert_event_ids[change.number] = self.writer.add_event(event)
            return
        event_id = self._alert_event_ids.pop(change.number, None)
        if event_id is not None and alert.end_s is not None:
            self.writer.end_event(event_id, alert.end_s)
