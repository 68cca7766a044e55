"""The session writer: what goes in comes out, owner-only files, prompt commits, no overwrite."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import time
from pathlib import Path

import numpy as np
import platformdirs
import pytest
from recording_helpers import (
    START_UTC,
    SimulatedRecording,
    make_metadata,
)

from monitor.recording.model import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    THERAPIST_EVENT_KINDS,
    UNDECIDED_CLASS,
    EventKind,
    SessionEvent,
    SourceKind,
)
from monitor.recording.paths import default_recordings_folder
from monitor.recording.reader import SessionReader, read_session
from monitor.recording.session_file import SessionWriter


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_everything_handed_to_the_writer_reads_back_unchanged(
    simulated_session: tuple[Path, SimulatedRecording],
) -> None:
    path, sent = simulated_session
    session = read_session(path)

    assert session.packets.pairs() == sent.packets
    beats = session.beats
    assert len(beats) == len(sent.beats) > 150
    np.testing.assert_array_equal(beats.t_s, [b[0] for b in sent.beats])
    np.testing.assert_array_equal(beats.rr_ms, [b[1] for b in sent.beats])
    np.testing.assert_array_equal(beats.arrival_s, [b[2] for b in sent.beats])
    np.testing.assert_array_equal(beats.beat_class, sent.classes)

    therapist = [e for e in session.events if e.kind in THERAPIST_EVENT_KINDS]
    assert therapist == sorted(sent.therapist_events, key=lambda e: e.t_s)
    assert len(session.events) - len(therapist) == sent.source_event_count

    metadata = session.metadata
    assert metadata.client_code == "C017"
    assert metadata.start_utc == START_UTC
    assert metadata.end_utc == START_UTC + dt.timedelta(minutes=3, seconds=2)
    assert metadata.source_kind is SourceKind.SIMULATOR
    assert metadata.settings == {"baseline_s": 300, "alerts": {"sound": True}}
    # DeviceInfo from the source fills in the device.
    assert metadata.device_name == "Simulated strap"
    assert metadata.device_address == "SIM-7"


def test_closed_file_is_one_self_contained_database_of_ours(
    simulated_session: tuple[Path, SimulatedRecording],
) -> None:
    path, _ = simulated_session
    assert not Path(f"{path}-wal").exists()
    assert not Path(f"{path}-shm").exists()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("SELECT schema_version FROM session").fetchone()[0] == (
            SCHEMA_VERSION
        )
    finally:
        connection.close()


def test_files_and_new_folders_are_owner_only_even_with_a_permissive_umask(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new" / "deeper" / "session.sqlite"
    previous = os.umask(0)
    try:
        writer = SessionWriter.create(make_metadata(), path)
        writer.add_beat(1.0, 1000.0, 1.1)
        writer.flush()
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()
        assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        writer.close()
    finally:
        os.umask(previous)
    assert mode(path) == 0o600
    assert mode(tmp_path / "new") == 0o700
    assert mode(tmp_path / "new" / "deeper") == 0o700


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "session.sqlite"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="never overwritten"):
        SessionWriter.create(make_metadata(), path)
    assert path.read_bytes() == b"precious"


def test_a_stale_journal_beside_the_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "session.sqlite"
    Path(f"{path}-wal").write_bytes(b"left over")
    with pytest.raises(FileExistsError, match="-wal"):
        SessionWriter.create(make_metadata(), path)
    assert not path.exists()


def test_rows_reach_the_disk_without_further_calls(tmp_path: Path) -> None:
    path = tmp_path / "session.sqlite"
    writer = SessionWriter.create(make_metadata(), path)
    handed = time.monotonic()
    writer.add_beat(1.0, 812.5, 1.02)
    seen = None
    # The writer's own timer commits (every fraction of a second); 60 s only guards a hang, so
    # a loaded machine cannot fail this.
    while time.monotonic() - handed < 60.0:
        # A second connection sees only committed rows.
        other = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if other.execute("SELECT COUNT(*) FROM beats").fetchone()[0] == 1:
                seen = time.monotonic()
                break
        finally:
            other.close()
        time.sleep(0.02)
    writer.close()
    assert seen is not None
    assert seen - handed <= 1.0


def test_checkpoints_keep_the_database_file_alone_near_the_present(tmp_path: Path) -> None:
    path = tmp_path / "session.sqlite"
    writer = SessionWriter.create(make_metadata(), path, checkpoint_interval_s=0.0)
    for i in range(20):
        writer.add_beat(i * 0.8, 800.0 + i, i * 0.8)
    writer.flush()
    # Someone copies only the .sqlite of a running (or crashed) session, without its -wal.
    copy = tmp_path / "copy" / "session.sqlite"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    writer.close()
    assert len(read_session(copy).beats) == 20


def test_beat_classes_are_filled_in_after_the_raw_beats(tmp_path: Path) -> None:
    path = tmp_path / "session.sqlite"
    writer = SessionWriter.create(make_metadata(), path)
    rr = [800.0, 812.5, 1600.0, 790.0, 805.0, 798.0]
    for i, rr_ms in enumerate(rr):
        assert writer.add_beat(i * 0.8, rr_ms, i * 0.8 + 0.01) == i
    writer.flush()
    assert (read_session(path).beats.beat_class == UNDECIDED_CLASS).all()

    writer.set_beat_classes(1, [0, 4, 0])
    writer.set_beat_classes(2, [2])  # a later decision may revise an earlier one
    with pytest.raises(IndexError):
        writer.set_beat_classes(5, [0, 0])
    with pytest.raises(ValueError, match="not 0-6"):
        writer.set_beat_classes(0, [7])
    writer.close()

    beats = read_session(path).beats
    np.testing.assert_array_equal(beats.beat_class, [-1, 0, 2, 0, -1, -1])
    np.testing.assert_array_equal(beats.rr_ms, rr)
    assert beats[2].beat_class == 2 and beats[0].beat_class is None


def test_an_alert_gets_its_end_later_and_times_are_relative_to_the_origin(
    tmp_path: Path,
) -> None:
    path = tmp_path / "session.sqlite"
    origin = 5000.0  # e.g. time.monotonic() at the session start
    writer = SessionWriter.create(make_metadata(), path, time_origin_s=origin)
    alert_id = writer.add_event(SessionEvent.alert(origin + 60.0, "above_window", "HR +20"))
    writer.add_event(SessionEvent.suds(origin + 61.0, 6))
    writer.add_beat(origin + 60.5, 700.0, origin + 60.7)
    writer.add_packet(origin + 60.7, b"\x10\x55\xcd\x02")
    writer.end_event(alert_id, origin + 95.25)
    with pytest.raises(IndexError):
        writer.end_event(alert_id + 5, origin + 1.0)
    writer.close()

    with SessionReader(path) as reader:
        alert, suds = reader.events()
        assert (alert.t_s, alert.end_s, alert.data["alert_kind"]) == (60.0, 95.25, "above_window")
        assert (suds.kind, suds.value) == (EventKind.SUDS, 6.0)
        assert reader.beats()[0].t_s == 60.5
        assert reader.packets().arrival_s.tolist() == [pytest.approx(60.7, abs=1e-9)]
        assert reader.events(EventKind.ALERT) == [alert]


def test_default_file_name_and_folder(tmp_path: Path) -> None:
    writer = SessionWriter.create(make_metadata())
    writer.close()
    folder = tmp_path / "default-recordings"  # $SESSION_MONITOR_RECORDINGS (conftest)
    assert writer.path == folder / "C017_2025-03-01T101500Z.sqlite"
    assert mode(folder) == 0o700


def test_default_folder_without_override_is_the_per_user_data_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SESSION_MONITOR_RECORDINGS")
    expected = platformdirs.user_data_path("session-monitor") / "recordings"
    assert default_recordings_folder() == expected


def test_a_closed_writer_refuses_more_rows(tmp_path: Path) -> None:
    writer = SessionWriter.create(make_metadata(), tmp_path / "s.sqlite")
    writer.close()
    writer.close()  # twice is fine
    with pytest.raises(ValueError, match="closed"):
        writer.add_beat(1.0, 800.0, 1.0)


def test_impossible_values_are_refused_at_the_call(tmp_path: Path) -> None:
    with SessionWriter.create(make_metadata(), tmp_path / "s.sqlite") as writer:
        with pytest.raises(ValueError, match="finite"):
            writer.add_beat(float("nan"), 800.0, 1.0)
        with pytest.raises(ValueError, match="finite"):
            writer.add_packet(float("inf"), b"\x00\x40")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"client_code": "Jane Doe"}, "client code"),
        ({"client_code": "../etc"}, "client code"),
        ({"start_utc": dt.datetime(2025, 3, 1, 10, 0)}, "timezone-aware"),
        ({"start_utc": None}, "start_utc is required"),
        ({"settings": {"bad": float("nan")}}, "JSON|Out of range"),
    ],
)
def test_bad_metadata_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_metadata(**changes)


@pytest.mark.parametrize("rating", [-1, 11, 2.5, None])
def test_suds_must_be_a_whole_number_from_0_to_10(rating: object) -> None:
    with pytest.raises(ValueError, match="SUDS"):
        SessionEvent(1.0, EventKind.SUDS, value=rating)  # type: ignore[arg-type]
