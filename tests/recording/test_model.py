"""Record types: source events survive the trip through a session event and back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyedflib
import pytest
from recording_helpers import make_metadata

from drivers.events import (
    BatteryLevel,
    ConnectionState,
    ContactChanged,
    DeviceInfo,
    HeartRatePacket,
    SignalGap,
    SourceEvent,
    StateChanged,
)
from monitor.recording.export_edf import export_edf
from monitor.recording.importers import import_file
from monitor.recording.model import (
    EventKind,
    SessionEvent,
    session_event_from_source,
    source_event_from_session,
)
from monitor.recording.reader import read_session
from monitor.recording.session_file import SessionWriter


@pytest.mark.parametrize(
    "event",
    [
        StateChanged(3.5, ConnectionState.RECONNECTING, "attempt 2"),
        BatteryLevel(4.0, 87),
        ContactChanged(5.25, False),
        SignalGap(150.0, 158.5, "link lost"),
        DeviceInfo(0.5, "Polar H10 A1B2", "A0:9E:1A:00:00:01", "Chest", {"firmware": "3.1"}),
    ],
)
def test_source_events_round_trip_through_the_file(tmp_path: Path, event: SourceEvent) -> None:
    path = tmp_path / "s.sqlite"
    with SessionWriter.create(make_metadata(), path) as writer:
        writer.add_source_event(event)
    (stored,) = read_session(path).events
    assert source_event_from_session(stored) == event


def test_packets_are_stored_as_packets_not_events(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    packet = HeartRatePacket(1.0, 70, (812.5,), True, None, b"\x16\x46\x40\x03")
    with SessionWriter.create(make_metadata(), path) as writer:
        assert writer.add_source_event(packet) is None
    session = read_session(path)
    assert session.events == [] and session.packets.pairs() == [(1.0, packet.raw)]
    assert session_event_from_source(packet) is None


def test_therapist_events_have_no_source_event() -> None:
    for event in (SessionEvent.phase(1, "baseline"), SessionEvent.suds(2, 5)):
        assert source_event_from_session(event) is None
    alert = SessionEvent.alert(10.0, "above_window", "HR high")
    assert (alert.kind, alert.end_s, alert.data) == (
        EventKind.ALERT,
        None,
        {"alert_kind": "above_window"},
    )
    with pytest.raises(ValueError, match="before its start"):
        SessionEvent.alert(10.0, "above_window", "HR high", end_s=9.0)


def test_edf_keeps_onsets_non_negative_by_moving_the_start_back(tmp_path: Path) -> None:
    # The first packet's beats are placed backwards from its arrival, so they can fall before
    # the session start.
    start = dt.datetime(2025, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    path = tmp_path / "s.sqlite"
    with SessionWriter.create(make_metadata(start_utc=start), path) as writer:
        writer.add_beat(-0.3, 800.0, 0.1)
        writer.add_beat(0.5, 800.0, 0.6)
        writer.add_event(SessionEvent.phase(-0.5, "baseline"))
    edf = export_edf(read_session(path), tmp_path / "s.edf")
    imported = read_session(import_file(edf, tmp_path / "back.sqlite"))
    reader = pyedflib.EdfReader(str(edf))
    try:
        onsets, _, texts = reader.readAnnotations()
        assert reader.getStartdatetime() == (start - dt.timedelta(seconds=1)).replace(tzinfo=None)
    finally:
        reader.close()
    assert min(onsets) >= 0 and "Session start" in list(texts)
    # The import puts the session start back where it was, with the times before it.
    assert imported.metadata.start_utc == start
    assert imported.beats.t_s.tolist() == pytest.approx([-0.3, 0.5])
    assert [(e.t_s, e.text) for e in imported.events] == [(pytest.approx(-0.5), "baseline")]
