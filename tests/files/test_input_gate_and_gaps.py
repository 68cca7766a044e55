"""Only regular files are read (a FIFO or a device never blocks or fills memory), and a gap
survives a round trip through every export (issue #13).

Real files, a real FIFO, the real ``/dev/zero``, real subprocesses of the CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from monitor.recording.input_files import SIZE_CAPS_BYTES
from monitor.recording.model import EventKind
from monitor.recording.reader import read_session

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "recordings" / "example_simulated_session.sqlite"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    # The timeout only turns a regression (a blocked open) into a failure instead of a hang.
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=120
    )


def one_line_refusal(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["import", "{path}", "--out", "{out}"],
        ["analyze", "{path}"],
        ["export", "{path}", "--format", "csv", "--out", "{out}"],
        ["report", "{path}", "--out", "{out}.html"],
    ],
)
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, command: list[str]) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # nobody ever writes: opening it for reading would block forever
    args = [a.format(path=fifo, out=tmp_path / "out") for a in command]
    one_line_refusal(cli(*args), "named pipe")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.txt"]


@pytest.mark.parametrize(
    "command", [["import", "/dev/zero", "--out", "{out}"], ["analyze", "/dev/zero"]]
)
def test_a_device_is_refused(tmp_path: Path, command: list[str]) -> None:
    args = [a.format(out=tmp_path / "out.sqlite") for a in command]
    one_line_refusal(cli(*args), "device")
    assert list(tmp_path.iterdir()) == []


def test_a_text_file_over_the_cap_is_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as file:  # sparse: no disk is spent on it
        file.truncate(SIZE_CAPS_BYTES["text"] + 1)
    one_line_refusal(cli("analyze", str(huge)), "MiB at most")


def session_with_a_gap(tmp_path: Path) -> tuple[Path, float, float]:
    path = tmp_path / "session.sqlite"
    shutil.copyfile(EXAMPLE, path)
    session = read_session(path)
    (gap,) = [e for e in session.events if e.kind == EventKind.GAP]
    assert gap.end_s is not None
    return path, gap.t_s, gap.end_s


def test_a_gap_survives_the_kubios_round_trip(tmp_path: Path) -> None:
    """The example session's 30-s drop-out: before, the re-import bridged it and every later
    beat (and alert) moved earlier by the gap's length."""
    path, gap_start_s, gap_end_s = session_with_a_gap(tmp_path)
    original = read_session(path)
    text = tmp_path / "rr.txt"
    assert cli("export", str(path), "--format", "kubios", "--out", str(text)).returncode == 0
    imported = tmp_path / "back.sqlite"
    assert cli("import", str(text), "--out", str(imported)).returncode == 0
    back = read_session(imported)
    assert back.metadata.client_code == original.metadata.client_code
    (gap,) = [e for e in back.events if e.kind == EventKind.GAP]
    assert (gap.t_s, gap.end_s) == pytest.approx((gap_start_s, gap_end_s), abs=5e-4)
    # Beats after the gap keep their times within the strap's anchoring (a beat's time is
    # rebuilt from RR sums, the original from packet arrivals): a second, never the gap's 30 s.
    after = original.beats.t_s > gap_end_s
    assert after.sum() > 100
    shift_s = back.beats.t_s[after] - original.beats.t_s[after]
    assert np.max(np.abs(shift_s)) < 2.0
    summaries = [json.loads(cli("analyze", str(p), "--json").stdout) for p in (path, imported)]
    starts = [[a["start_s"] for a in s["alerts"]] for s in summaries]
    assert len(starts[0]) == len(starts[1])
    assert np.allclose(starts[0], starts[1], atol=2.0)


@pytest.mark.parametrize("fmt", ["kubios", "csv", "edf"])
def test_round_trips_keep_client_code_start_gaps_and_events(tmp_path: Path, fmt: str) -> None:
    """Export then import, each through the CLI: whose session, when it started, its gap and
    every event come back at the same session times (before, CSV lost the client code, Kubios
    every event, and EDF+ moved everything by the start's fraction of a second)."""
    path, gap_start_s, gap_end_s = session_with_a_gap(tmp_path)
    original = read_session(path)
    out = tmp_path / ("export.txt" if fmt == "kubios" else f"export.{fmt}")
    assert cli("export", str(path), "--format", fmt, "--out", str(out)).returncode == 0
    imported = tmp_path / "back.sqlite"
    assert cli("import", str(out), "--out", str(imported)).returncode == 0
    back = read_session(imported)
    assert back.metadata.client_code == original.metadata.client_code == "DEMO01"
    assert back.metadata.start_utc is not None and original.metadata.start_utc is not None
    start_error_s = (back.metadata.start_utc - original.metadata.start_utc).total_seconds()
    # EDF+ onsets have a resolution of 100 us; the others keep the start to the microsecond.
    assert abs(start_error_s) <= (1e-4 if fmt == "edf" else 0.0)
    (gap,) = [e for e in back.events if e.kind == EventKind.GAP]
    assert (gap.t_s, gap.end_s) == pytest.approx((gap_start_s, gap_end_s), abs=5e-4)

    def marks(events: list, kinds: tuple[EventKind, ...]) -> list[tuple]:
        return [(e.kind, round(e.t_s, 3), e.value, e.text) for e in events if e.kind in kinds]

    # EDF+ keeps what its annotations can say (README, export_edf.py); the others keep all.
    kinds = (
        (EventKind.PHASE, EventKind.SUDS, EventKind.NOTE, EventKind.ALERT)
        if fmt == "edf"
        else tuple(k for k in EventKind if k is not EventKind.GAP)
    )
    assert len(marks(original.events, kinds)) >= 18
    assert marks(back.events, kinds) == marks(original.events, kinds)
    if fmt != "edf":
        ours = [e for e in original.events if e.kind is not EventKind.GAP]
        assert [e for e in back.events if e.kind is not EventKind.GAP] == ours
    summaries = [json.loads(cli("analyze", str(p), "--json").stdout) for p in (path, imported)]
    starts = [[a["start_s"] for a in s["alerts"]] for s in summaries]
    assert len(starts[0]) == len(starts[1]) > 0
    assert np.allclose(starts[0], starts[1], atol=2.0)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (
            '# Event: {"t_s": 1, "kind": "zap", "value": null, "text": "", "end_s": null, '
            '"data": {}}',
            "not a valid EventKind",
        ),
        (
            '# Event: {"t_s": 1, "kind": "suds", "value": Infinity, "text": "", "end_s": null, '
            '"data": {}}',
            "not finite",
        ),
        (
            '# Event: {"t_s": 1e400, "kind": "note", "value": null, "text": "", "end_s": null, '
            '"data": {}}',
            "not finite",
        ),
        (
            '# Event: {"t_s": 1, "kind": "note", "value": null, "text": "", "end_s": null, '
            '"data": {"x": NaN}}',
            "not JSON compliant",
        ),
        ("# Event: " + "[" * 5000, "not an event"),
        ("# First beat: nan s after start", "gives no time"),
        ("# File: session of client C1, start (UTC) 9999-12-31T23:59:59+00:00", "no UTC start"),
        ("# File: session of client C1, start (UTC) 2026-12-03T10:00:00", "no UTC start"),
    ],
    ids=["kind", "suds-inf", "time-huge", "data-nan", "deep", "first-beat", "year", "naive"],
)
def test_a_damaged_kubios_header_line_is_refused_with_its_line(
    tmp_path: Path, line: str, fragment: str
) -> None:
    """Our export's header lines are read back, so a damaged one is named, never skipped."""
    text = tmp_path / "rr.txt"
    text.write_text(f"# SIGNAL/SERIES EXPORT - KUBIOS\n{line}\n812\n790\n805\n")
    out = tmp_path / "back.sqlite"
    result = cli("import", str(text), "--out", str(out))
    one_line_refusal(result, "line 2")
    assert fragment in result.stderr and not out.exists()
