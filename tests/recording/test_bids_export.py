"""``export --format bids``: files checked against the BIDS rules for physiological recordings.

Rules (BIDS specification 1.10, "Physiological and other continuous recordings", "Task events"):
file names ``sub-<label>[_ses-<label>]_task-<label>[_recording-<label>]_physio.tsv.gz`` with
alphanumeric labels, inside ``sub-<label>/ses-<label>/<datatype>/``; the TSV gzip-compressed and
without a header row; the sidecar with SamplingFrequency, StartTime and Columns (unique names,
one per data column, each described); events with ``onset`` and ``duration`` first, a header
row, ``n/a`` for missing values; a ``dataset_description.json`` with Name and BIDSVersion.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from recording_helpers import REPO_ROOT, SimulatedRecording, make_metadata

from monitor.recording.export_bids import export_bids
from monitor.recording.model import (
    EventKind,
    RecordedBeats,
    RecordedPackets,
    RecordedSession,
    SessionEvent,
)
from monitor.recording.reader import read_session

LABEL = r"[A-Za-z0-9]+"
PHYSIO_NAME = re.compile(
    rf"sub-(?P<sub>{LABEL})_ses-(?P<ses>{LABEL})_task-{LABEL}_recording-{LABEL}_physio\.tsv\.gz"
)
EVENTS_NAME = re.compile(rf"sub-(?P<sub>{LABEL})_ses-(?P<ses>{LABEL})_task-{LABEL}_events\.tsv")


def physio_table(path: Path, sidecar: dict[str, object]) -> list[list[float]]:
    """The rows of a physio file, checked: gzip, no header row, one value per column."""
    raw = path.read_bytes()
    assert raw[:2] == b"\x1f\x8b", "physio data must be gzip-compressed"
    rows = []
    columns = sidecar["Columns"]
    assert isinstance(columns, list)
    for line in gzip.decompress(raw).decode("ascii").splitlines():
        fields = line.split("\t")
        assert len(fields) == len(columns)
        # No header row: every field of every row is a number or n/a.
        rows.append([np.nan if f == "n/a" else float(f) for f in fields])
    return rows


def check_bids_rules(dataset: Path) -> tuple[Path, dict[str, object], Path]:
    """Apply the rules above to an exported dataset; its physio file, sidecar and events."""
    description = json.loads((dataset / "dataset_description.json").read_text())
    assert {"Name", "BIDSVersion"} <= set(description)
    (physio,) = dataset.glob("sub-*/ses-*/*/*_physio.tsv.gz")
    match = PHYSIO_NAME.fullmatch(physio.name)
    assert match, physio.name
    assert physio.parent.parent.name == f"ses-{match['ses']}"
    assert physio.parent.parent.parent.name == f"sub-{match['sub']}"
    sidecar = json.loads(physio.with_name(physio.name.replace(".tsv.gz", ".json")).read_text())
    assert isinstance(sidecar["SamplingFrequency"], float) and sidecar["SamplingFrequency"] > 0
    assert isinstance(sidecar["StartTime"], float)
    columns = sidecar["Columns"]
    assert isinstance(columns, list) and len(set(columns)) == len(columns)
    for column in columns:
        assert {"Units", "Description"} <= set(sidecar[column])
    (events,) = physio.parent.glob("*_events.tsv")
    assert EVENTS_NAME.fullmatch(events.name)
    lines = events.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    assert header[:2] == ["onset", "duration"]
    for line in lines[1:]:
        fields = line.split("\t")
        assert len(fields) == len(header)
        float(fields[0])
        assert fields[1] == "n/a" or float(fields[1]) >= 0
    events_sidecar = json.loads(events.with_suffix(".json").read_text())
    assert set(header) <= set(events_sidecar)
    return physio, sidecar, events


def tiny_session(
    events: list[SessionEvent], t_s: list[float], rr_ms: list[float]
) -> RecordedSession:
    beats = RecordedBeats(
        np.array(t_s), np.array(rr_ms), np.array(t_s), np.zeros(len(t_s), dtype=np.int8)
    )
    packets = RecordedPackets(np.empty(0), [])
    return RecordedSession(make_metadata(client_code="C-017"), packets, beats, events)


def test_the_resampled_tachogram_is_the_hand_worked_one(tmp_path: Path) -> None:
    """Beats at 1.0, 1.8, 2.5 s (RR 1000, 800, 700 ms), on a 4 Hz grid from the first beat,
    worked by hand: RR linear between beats (2.0 s: 800 - 100 * 0.2 / 0.7), HR = 60000 / RR,
    each beat counted at its nearest sample (1.8 s -> sample 3)."""
    session = tiny_session([SessionEvent.phase(0.0, "baseline")], [1.0, 1.8, 2.5], [1000, 800, 700])
    export_bids(session, tmp_path / "bids")
    physio, sidecar, events = check_bids_rules(tmp_path / "bids")
    assert physio.parent == tmp_path / "bids/sub-C017/ses-202503011015/beh"
    assert sidecar["StartTime"] == 1.0 and sidecar["SamplingFrequency"] == 4.0
    rows = np.array(physio_table(physio, sidecar))
    expected_rr = [1000, 937.5, 875, 812.5, 800 - 100 * 0.2 / 0.7, 800 - 100 * 0.45 / 0.7, 700]
    np.testing.assert_allclose(rows[:, 0], expected_rr, rtol=1e-12)
    np.testing.assert_allclose(rows[:, 1], 60000 / np.array(expected_rr), rtol=1e-12)
    np.testing.assert_array_equal(rows[:, 2], [1, 0, 0, 1, 0, 0, 1])
    lines = events.read_text().splitlines()
    assert lines[0] == "onset\tduration\ttrial_type\tvalue\tdescription"
    assert lines[1] == "0.0\t2.5\tphase\tbaseline\tn/a"
    assert lines[2:] == [
        "1.0\t0.0\tbeat\t1000.0\tnormal",
        "1.8\t0.0\tbeat\t800.0\tnormal",
        "2.5\t0.0\tbeat\t700.0\tnormal",
    ]


def test_a_gap_is_not_bridged(tmp_path: Path) -> None:
    """Samples inside a gap (3-6 s), up to the beat that ends it, are n/a, not interpolated."""
    gap = SessionEvent(3.0, EventKind.GAP, text="strap lost", end_s=6.0)
    session = tiny_session([gap], [2.0, 3.0, 6.5, 7.5], [1000, 1000, 1000, 1000])
    export_bids(session, tmp_path / "bids")
    physio, sidecar, events = check_bids_rules(tmp_path / "bids")
    rows = np.array(physio_table(physio, sidecar))
    t_s = 2.0 + np.arange(len(rows)) / 4.0
    inside = (t_s > 3.0) & (t_s < 6.5)
    assert np.all(np.isnan(rows[inside, 0])) and np.all(np.isfinite(rows[~inside, 0]))
    assert "3.0\t3.0\tgap\tn/a\tstrap lost" in events.read_text().splitlines()


def run_export(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "export", *argv],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )


def test_the_cli_exports_a_recorded_session(
    simulated_session: tuple[Path, SimulatedRecording], tmp_path: Path
) -> None:
    """Every beat as an event with its exact RR, the phases, SUDS and notes, the physio rows
    spanning first to last beat, owner-only files and folders; a second run refuses without
    --force."""
    path, _ = simulated_session
    session = read_session(path)
    out = tmp_path / "dataset"
    result = run_export(str(path), "--format", "bids", "--out", str(out), "--bids-session", "3")
    assert (result.returncode, result.stderr) == (0, "")
    physio, sidecar, events = check_bids_rules(out)
    assert physio.name == "sub-C017_ses-3_task-therapy_recording-rr_physio.tsv.gz"
    rows = physio_table(physio, sidecar)
    beats = session.beats
    assert sidecar["StartTime"] == float(beats.t_s[0])
    assert len(rows) == int((beats.t_s[-1] - beats.t_s[0]) * 4) + 1
    assert sum(row[2] for row in rows) == len(beats)
    table = [line.split("\t") for line in events.read_text(encoding="utf-8").splitlines()[1:]]
    beat_rr = [float(f[3]) for f in table if f[2] == "beat"]
    assert beat_rr == list(beats.rr_ms)
    assert [f[3] for f in table if f[2] == "phase"] == ["baseline", "imagery", "grounding"]
    assert {"suds", "note", "alert"} <= {f[2] for f in table}
    for written in [*out.rglob("*")]:
        assert written.stat().st_mode & 0o777 == (0o700 if written.is_dir() else 0o600), written
    again = run_export(str(path), "--format", "bids", "--out", str(out), "--bids-session", "3")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert len(again.stderr.splitlines()) == 1


@pytest.mark.parametrize("label", ["--bids-session", "--bids-task"])
def test_a_label_without_letters_or_digits_is_one_line(
    simulated_session: tuple[Path, SimulatedRecording], tmp_path: Path, label: str
) -> None:
    result = run_export(
        str(simulated_session[0]), "--format", "bids", "--out", str(tmp_path / "d"), label, "_._"
    )
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "BIDS label" in result.stderr
    assert not (tmp_path / "d").exists()
