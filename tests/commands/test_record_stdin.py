"""Marks typed into ``record --headless``'s standard input: parsed, recorded, typos ignored.

The end-to-end test runs the real command in a subprocess, writes to its stdin through a pipe
while it records, and reads the marks back from the session file it wrote.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.commands.stdin_marks import BadLine, Mark, parse_line
from monitor.recording.model import EventKind
from monitor.recording.reader import read_session


@pytest.mark.parametrize(
    ("line", "mark"),
    [
        ("phase imagery", Mark("phase", "imagery")),
        ("  PHASE   Calm   Place ", Mark("phase", "calm place")),
        ("phase grounding", Mark("grounding")),
        ("suds 0", Mark("suds", rating=0)),
        ("SUDS 10", Mark("suds", rating=10)),
        ("note  client: chest feels tight ", Mark("note", "client: chest feels tight")),
        ("g", Mark("grounding")),
        ("R", Mark("resume")),
        ("end", Mark("end")),
        ("", None),
        ("   ", None),
        ("# the client arrived late", None),
    ],
)
def test_lines_become_marks(line: str, mark: Mark | None) -> None:
    assert parse_line(line) == mark


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("sud 6", "not a mark"),
        ("suds 11", "0 to 10"),
        ("suds -1", "0 to 10"),
        ("suds 5.5", "0 to 10"),
        ("suds", "0 to 10"),
        ("note", "needs its text"),
        ("phase nowhere", "unknown phase 'nowhere'"),
        ("g now", "not a mark"),
    ],
)
def test_bad_lines_say_why(line: str, reason: str) -> None:
    with pytest.raises(BadLine, match=reason):
        parse_line(line)


def test_marks_on_stdin_are_recorded_and_bad_lines_ignored(tmp_path: Path) -> None:
    out = tmp_path / "session.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor", "record", "--simulate", "--headless", "--speed", "30",
         "--duration", "150", "--out", str(out)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdin is not None
    deadline = time.monotonic() + 30
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)

    def send(*lines: str) -> None:
        child.stdin.write("".join(f"{line}\n" for line in lines))
        child.stdin.flush()

    send("phase imagery", "suds 6", "sud 7", "note chest feels tight")
    time.sleep(0.5)
    send("g", "suds 11")
    time.sleep(0.5)
    # communicate() writes the last lines and closes stdin: the end of the input ends only the
    # reading, and the recording goes on to its duration.
    stdout, stderr = child.communicate("r\n# a comment\nphase calm place\n", timeout=60)

    assert child.returncode == 0, stderr
    assert f"session saved: {out}" in stdout
    ignored = [line for line in stderr.splitlines() if "ignored" in line]
    assert ignored == [
        "session-monitor record: line 3 ignored ('sud 7'): not a mark; use phase NAME, "
        "suds 0-10, note TEXT, g (grounding), r (resume) or end",
        "session-monitor record: line 6 ignored ('suds 11'): SUDS must be a whole number 0 to "
        "10, not '11'",
    ]
    assert "Traceback" not in stderr
    session = read_session(out)
    kinds = (EventKind.PHASE, EventKind.SUDS, EventKind.NOTE)
    recorded = [e for e in session.events if e.kind in kinds]
    marks = [(e.kind, e.text, e.value) for e in recorded]
    assert marks == [
        (EventKind.PHASE, "baseline", None),  # the simulator's own marker at 0 s
        (EventKind.PHASE, "imagery", None),
        (EventKind.SUDS, "", 6.0),
        (EventKind.NOTE, "chest feels tight", None),
        (EventKind.PHASE, "grounding", None),
        (EventKind.PHASE, "imagery", None),  # r: back to the phase before grounding
        (EventKind.PHASE, "calm place", None),
    ]
    times_s = [e.t_s for e in recorded]
    assert times_s == sorted(times_s) and times_s[-1] > times_s[1]
    # The recording went on to its full duration after the typos and the end of the input.
    assert session.beats.t_s[-1] > 140.0


def test_stdin_is_read_from_a_pipe_and_not_when_there_is_none() -> None:
    import io
    import os

    from monitor.commands.stdin_marks import stdin_can_be_read

    read_end, write_end = os.pipe()
    try:
        with os.fdopen(read_end, "r") as pipe:
            assert stdin_can_be_read(pipe) is True
    finally:
        os.close(write_end)
    assert stdin_can_be_read(io.StringIO("phase imagery\n")) is False  # no descriptor at all
