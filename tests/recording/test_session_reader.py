"""The reader refuses foreign, empty, truncated, corrupted and newer files with one clear line."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from recording_helpers import SimulatedRecording, damaged_copy, make_metadata

from monitor.recording.errors import UnreadableFileError
from monitor.recording.model import SCHEMA_VERSION
from monitor.recording.reader import SessionReader, read_session
from monitor.recording.session_file import SessionWriter


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("truncated", "truncated"),
        ("random bytes", "not an SQLite database"),
        ("empty", "empty file"),
        ("header only", "not an SQLite database|truncated"),
        ("overwritten pages", "corrupted"),
        ("foreign sqlite", "not a Session Monitor session file"),
        ("text file", "not an SQLite database"),
    ],
)
def test_unusable_files_give_one_line_naming_the_file_and_the_problem(
    simulated_session: tuple[Path, SimulatedRecording], tmp_path: Path, how: str, expected: str
) -> None:
    good, _ = simulated_session
    bad = damaged_copy(good, tmp_path / "bad.sqlite", how)
    with pytest.raises(UnreadableFileError, match=expected) as caught:
        read_session(bad)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(bad))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="no such file"):
        SessionReader(tmp_path / "nothing.sqlite")
    with pytest.raises(UnreadableFileError, match="folder"):
        SessionReader(tmp_path)


def test_a_file_from_a_newer_schema_is_refused_with_a_hint(
    simulated_session: tuple[Path, SimulatedRecording], tmp_path: Path
) -> None:
    good, _ = simulated_session
    newer = tmp_path / "newer.sqlite"
    shutil.copy(good, newer)
    connection = sqlite3.connect(newer)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.commit()
    connection.close()
    with pytest.raises(UnreadableFileError, match="newer Session Monitor"):
        read_session(newer)


def test_reading_does_not_change_the_file(
    simulated_session: tuple[Path, SimulatedRecording],
) -> None:
    good, _ = simulated_session
    before = good.read_bytes()
    read_session(good)
    assert good.read_bytes() == before


def test_a_session_can_be_read_while_it_is_being_recorded(tmp_path: Path) -> None:
    path = tmp_path / "live.sqlite"
    writer = SessionWriter.create(make_metadata(), path)
    for i in range(5):
        writer.add_beat(i * 0.8, 800.0, i * 0.8)
    writer.flush()
    with SessionReader(path) as reader:
        assert len(reader.beats()) == 5
        assert reader.metadata.end_utc is None
    writer.add_beat(4.0, 800.0, 4.0)
    writer.close()
    session = read_session(path)
    assert len(session.beats) == 6
    assert session.metadata.end_utc is not None
