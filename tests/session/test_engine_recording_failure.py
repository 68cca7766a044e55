"""The session file stops being writable mid-session: the engine says so on every update from
then on, judges the beats exactly as it would have, and the file keeps what came before.

Real parts: the simulator's session through a real :class:`SessionEngine` and
:class:`SessionWriter` into a real SQLite file, made unwritable by the kernel refusing to let any
file grow (``RLIMIT_FSIZE``, the ``file_size_limit`` fixture) from ``LIMIT_FROM_S`` on.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pytest

from drivers.beat_clock import BeatClock
from drivers.events import HeartRatePacket, SourceEvent
from drivers.simulator import HeartSimulator
from monitor.recording.model import EventKind, SessionMetadata, SourceKind
from monitor.recording.reader import read_session
from monitor.recording.recorder import SessionRecorder
from monitor.recording.session_file import SessionWriteError, SessionWriter
from monitor.session.engine import SessionEngine, SessionUpdate
from monitor.session.pump import recorded

DURATION_S = 480.0
"""Past the scripted session's first pause-for-grounding alert (~436 s)."""

LIMIT_FROM_S = 330.0
PHASES = ((0.0, "baseline"), (300.0, "imagery"))
PACE_S = 0.01
"""Wall-clock pause per packet once the limit holds, so the writer thread commits (every 0.5 s)
while the session goes on, as it does live."""


class Driver:
    """Feeds events and the phase markers to an engine as the live session does."""

    def __init__(self, engine: SessionEngine, recorder: SessionRecorder | None = None) -> None:
        self.engine = engine
        self.recorder = recorder
        self.pending = list(PHASES)
        self.updates: list[SessionUpdate] = []

    def feed(self, events: list[SourceEvent], pace_s: float = 0.0) -> None:
        for event in events:
            if pace_s and isinstance(event, HeartRatePacket):
                time.sleep(pace_s)
            for update in self.engine.handle(event):
                while self.pending and self.pending[0][0] <= update.t_s:
                    self.updates.extend(
                        map(self.record, self.engine.add_phase(*self.pending.pop(0)))
                    )
                self.updates.append(self.record(update))

    def record(self, update: SessionUpdate) -> SessionUpdate:
        """Record the update, marked as a live session marks it once the recording failed."""
        if self.recorder is None:
            return update
        return recorded(update, self.recorder)

    def finish(self) -> list[SessionUpdate]:
        self.updates.extend(map(self.record, self.engine.finish()))
        return self.updates


def judged(updates: list[SessionUpdate]) -> list[tuple[float, str, float]]:
    return [
        (u.t_s, str(u.reading.zone), u.reading.arousal)
        for u in updates
        if u.beat is not None and u.reading is not None
    ]


def test_a_failing_disk_stops_the_recording_not_the_monitoring(
    tmp_path: Path, file_size_limit: object
) -> None:
    events = list(HeartSimulator(seed=4).events(DURATION_S))
    path = tmp_path / "session.sqlite"
    metadata = SessionMetadata("C017", dt.datetime.now(dt.UTC), SourceKind.SIMULATOR, "test")
    writer = SessionWriter.create(metadata, path)
    engine = SessionEngine()
    recorder = SessionRecorder(writer)
    live = Driver(engine, recorder)
    split = next(i for i, e in enumerate(events) if e.arrival_s >= LIMIT_FROM_S)
    live.feed(events[:split])
    writer.flush(5.0)
    sizes = [p.stat().st_size for p in (path, Path(f"{path}-wal"))]
    with file_size_limit(max(sizes) + 4096):  # type: ignore[operator]
        live.feed(events[split:], pace_s=PACE_S)
        updates = live.finish()
        with pytest.raises(SessionWriteError):
            writer.close()

    # The failure is on every update from the first that knew, in plain words, once.
    flags = [u.recording_error for u in updates]
    first = next(i for i, flag in enumerate(flags) if flag is not None)
    assert all(flag is None for flag in flags[:first])
    assert set(flags[first:]) == {"the disk refused a write (disk I/O error)"}
    failed_s = recorder.error_s
    assert failed_s is not None and LIMIT_FROM_S <= failed_s < DURATION_S - 60
    # Beats are judged a few beats after they arrive: the first update may be a little older.
    assert failed_s - 10.0 < updates[first].t_s <= failed_s

    # The monitoring went on as if nothing had happened: every beat judged as by an engine
    # that never had a file, the alerts included.
    never_recorded = Driver(SessionEngine())
    never_recorded.feed(events)
    unrecorded = never_recorded.finish()
    assert judged(updates) == judged(unrecorded)
    after = [u for u in updates[first:] if u.beat is not None]
    assert len(after) > 60
    alerts = [e for u in updates for e in u.events if e.kind == EventKind.ALERT]
    assert alerts == [e for u in unrecorded for e in u.events if e.kind == EventKind.ALERT]
    assert any(e.t_s > failed_s for e in alerts), "an alert after the failure is still raised"

    # What was written before is all there, in a file that opens.
    session = read_session(path)
    assert session.metadata.end_utc is None
    clock = BeatClock()
    beats = [b for e in events if isinstance(e, HeartRatePacket) for b in clock.push(e)]
    stored = session.beats
    assert LIMIT_FROM_S - 5.0 < stored.t_s[-1] < failed_s
    assert len(stored) > 300
    np.testing.assert_array_equal(stored.rr_ms, [b.rr_ms for b in beats[: len(stored)]])
    np.testing.assert_array_equal(stored.t_s, [b.t_s for b in beats[: len(stored)]])
    assert [e.text for e in session.events if e.kind == EventKind.PHASE] == ["baseline", "imagery"]
