"""Schema 4: a strap's raw ECG and accelerometer runs in the session file, and every older file
still read (as a session without raw data)."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from recording_helpers import REPO_ROOT, make_metadata

from drivers.events import AccSamples, EcgSamples, HeartRatePacket
from drivers.hrs import encode_heart_rate_measurement
from monitor.recording.errors import UnreadableFileError
from monitor.recording.model import SCHEMA_VERSION
from monitor.recording.reader import SessionReader, read_session
from monitor.recording.session_file import SessionWriter

OLD_FILES = {
    1: REPO_ROOT / "tests" / "data" / "session_schema1_live_widen.sqlite",
    3: REPO_ROOT / "tests" / "data" / "session_schema3_coregulation.sqlite",
}


def ecg_run(start_s: float, first: int, n: int = 73) -> EcgSamples:
    values = tuple(int(v) for v in (first + np.arange(n)) * 37 - 1500)
    return EcgSamples(start_s + n / 130.0, start_s, 130.0, values)


def acc_run(start_s: float, n: int = 25) -> AccSamples:
    xyz = tuple((-1000 + i, 20 - 3 * i, 7 * i - 40000) for i in range(n))
    return AccSamples(start_s + n / 50.0, start_s, 50.0, xyz)


def test_runs_round_trip_exactly_with_their_sample_times(tmp_path: Path) -> None:
    path = tmp_path / "raw.sqlite"
    writer = SessionWriter.create(make_metadata(), path, time_origin_s=100.0)
    ecg = [ecg_run(100.0 + k * 73 / 130.0, k * 73) for k in range(5)]
    acc = [acc_run(100.0 + k * 0.5) for k in range(4)]
    raw = encode_heart_rate_measurement(60, (1000.0,), contact=True)
    writer.add_source_event(HeartRatePacket(101.0, 60, (1000.0,), True, None, raw))
    for event in (*ecg, *acc):
        writer.add_source_event(event)
    writer.close()

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # owner-only, raw data too
    session = read_session(path)
    assert session.schema_version == SCHEMA_VERSION == 4
    assert session.ecg is not None and session.acc is not None
    assert len(session.ecg) == 5 and len(session.acc) == 4
    expected_uv = np.concatenate([e.ecg_uv for e in ecg])
    np.testing.assert_array_equal(session.ecg.samples(), expected_uv)
    # Session time: the writer's origin taken off; sample i at start + i / 130.
    expected_t = np.concatenate([np.asarray(e.times_s()) - 100.0 for e in ecg])
    np.testing.assert_allclose(session.ecg.times_s(), expected_t, atol=1e-9)
    np.testing.assert_array_equal(session.acc.samples(), np.concatenate([e.acc_mg for e in acc]))
    assert session.acc.samples().shape == (100, 3)
    np.testing.assert_allclose(session.acc.arrival_s, [e.arrival_s - 100.0 for e in acc])
    assert len(session.packets) == 1  # the packets are where they always were


def test_a_file_without_raw_data_has_none(tmp_path: Path) -> None:
    path = tmp_path / "hr_only.sqlite"
    SessionWriter.create(make_metadata(), path).close()
    with SessionReader(path) as reader:
        assert reader.ecg_signal() is None and reader.acc_signal() is None


@pytest.mark.parametrize("version", sorted(OLD_FILES))
def test_every_older_file_reads_as_a_session_without_raw_data(version: int) -> None:
    session = read_session(OLD_FILES[version])
    assert session.schema_version == version
    assert session.ecg is None and session.acc is None
    assert len(session.beats) > 150 and len(session.packets) > 150
    if version == 3:
        assert session.therapist_beats is not None and len(session.therapist_beats) > 150


def test_a_damaged_run_is_one_line_naming_the_row(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite"
    writer = SessionWriter.create(make_metadata(), path)
    writer.add_source_event(ecg_run(0.0, 0))
    writer.add_source_event(ecg_run(73 / 130.0, 73))
    writer.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE ecg_runs SET samples = x'010203' WHERE seq = 1")
    db.close()
    with pytest.raises(UnreadableFileError) as caught:
        read_session(path)
    message = str(caught.value)
    assert "ecg_runs row 1" in message and "\n" not in message


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("start_s", 1e9),  # far after the session's last notification
        ("start_s", -1e6),  # long before its start
        ("start_s", float("inf")),  # (SQLite stores a NaN as NULL, refused by the schema)
        ("sample_hz", 1e6),  # no strap samples that fast
        ("sample_hz", 1e-6),  # a few samples spread over days
    ],
)
def test_a_run_outside_the_session_is_damage_not_an_allocation(
    tmp_path: Path, column: str, value: float
) -> None:
    """A crafted run time or rate is one line naming the row (before the bound, exporting such
    a file to EDF+ asked numpy for 30 GiB and ended in a traceback)."""
    path = tmp_path / "crafted.sqlite"
    writer = SessionWriter.create(make_metadata(), path)
    raw = encode_heart_rate_measurement(60, (1000.0,), contact=True)
    writer.add_source_event(HeartRatePacket(30.0, 60, (1000.0,), True, None, raw))
    writer.add_source_event(ecg_run(0.0, 0))
    writer.add_source_event(ecg_run(73 / 130.0, 73))
    writer.close()
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE ecg_runs SET {column} = ? WHERE seq = 1", (value,))
    db.close()
    with pytest.raises(UnreadableFileError) as caught:
        read_session(path)
    message = str(caught.value)
    assert "ecg_runs row 1" in message and "\n" not in message
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "export", str(path), "--format", "edf"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "ecg_runs row 1" in result.stderr
