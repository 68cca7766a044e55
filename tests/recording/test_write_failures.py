"""A session file that can no longer be written: the writer stops with a plain reason, and
everything committed before stays in a file that still opens.

The failures are real: the kernel refusing to let a file grow (``RLIMIT_FSIZE``, as ``ulimit -f``
does; chmod would not stop root), SQLite's own "database or disk is full" from
``PRAGMA max_page_count``, and the file deleted while it is written.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from recording_helpers import make_metadata

from monitor.recording.reader import read_session
from monitor.recording.session_file import SessionWriteError, SessionWriter, write_failure_reason

FAIL_WITHIN_S = 120.0
"""Only a hang guard: the file-size limit is reached after a few hundred beats."""


def add_beats_until_failure(writer: SessionWriter, first: int) -> int:
    """Hand beats (1 s apart) to the writer, at a steady pace, until a call raises; return
    how many were handed before that call."""
    deadline = time.monotonic() + FAIL_WITHIN_S
    index = first
    with pytest.raises(SessionWriteError) as failure:
        while time.monotonic() < deadline:
            writer.add_packet(float(index), b"\x10\x40\x00\x04\x03")
            writer.add_beat(float(index), 1000.0 + index % 7, float(index))
            index += 1
            if index % 20 == 0:
                time.sleep(0.002)
    assert failure.value.reason, "a reason in plain words"
    return index


def test_a_disk_that_refuses_writes_keeps_everything_committed_before(
    tmp_path: Path, file_size_limit: object
) -> None:
    path = tmp_path / "session.sqlite"
    writer = SessionWriter.create(make_metadata(), path)
    for i in range(300):
        writer.add_beat(float(i), 1000.0 + i % 7, float(i))
    writer.flush(5.0)
    biggest = max(os.path.getsize(path), os.path.getsize(f"{path}-wal"))
    with file_size_limit(biggest + 16_384):  # type: ignore[operator]
        handed = add_beats_until_failure(writer, first=300)
        with pytest.raises(SessionWriteError) as closing:
            writer.close()  # still under the limit: the final checkpoint may fail too
    assert str(closing.value).startswith(f"{path}: recording stopped: the disk refused a write")
    assert closing.value.reason.startswith("the disk refused a write (disk I/O error")
    assert "\n" not in str(closing.value)

    session = read_session(path)
    assert session.metadata.end_utc is None, "cut short, and says so"
    stored = session.beats
    assert 300 <= len(stored) < handed
    expected = np.arange(len(stored), dtype=float)
    assert np.array_equal(stored.t_s, expected)
    assert np.array_equal(stored.rr_ms, 1000.0 + expected % 7)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_a_deleted_file_is_noticed_at_the_next_commit(tmp_path: Path) -> None:
    path = tmp_path / "session.sqlite"
    writer = SessionWriter.create(make_metadata(), path)
    writer.add_beat(0.0, 1000.0, 0.0)
    writer.flush(5.0)
    path.unlink()  # SQLite alone would go on writing into the deleted file without a word
    writer.add_beat(1.0, 1000.0, 1.0)
    with pytest.raises(SessionWriteError) as failure:
        writer.flush(5.0)
    assert failure.value.reason.startswith("the session file was deleted while recording")
    with pytest.raises(SessionWriteError):
        writer.add_beat(2.0, 1000.0, 2.0)
    with pytest.raises(SessionWriteError):
        writer.close()


def test_sqlite_reporting_a_full_disk_reads_as_the_disk_is_full(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "small.sqlite")
    connection.execute("CREATE TABLE t (x BLOB)")
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages + 1}")
    with pytest.raises(sqlite3.OperationalError) as full:
        connection.executemany("INSERT INTO t VALUES (?)", [(b"x" * 1000,)] * 50)
    connection.close()
    assert write_failure_reason(full.value) == "the disk is full"
    assert write_failure_reason(OSError(28, "No space left on device")) == "the disk is full"
