"""``session-monitor record --headless`` as a user runs it: Ctrl-C ends it cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

from monitor.core.baseline import Baseline
from monitor.recording.client_sessions import latest_baseline
from monitor.recording.model import EventKind
from monitor.recording.reader import read_session
from monitor.recording.tolerance_record import recorded_reused_baseline
from monitor.session.replay_model import replay_engine


def committed_beats(path: Path) -> int:
    """Beats another reader can see in the file now (0 before it holds any)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return int(db.execute("SELECT COUNT(*) FROM beats").fetchone()[0])
    except sqlite3.Error:
        return 0


def start_recording(out: Path, *args: str, beats: int = 50) -> subprocess.Popen[str]:
    """A headless simulated recording at 30× into ``out``, once ``beats`` beats are committed.

    Waits on the file, never on the clock: a loaded machine only takes longer (the 300-s
    guard turns a hang into a failure).
    """
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor", "record", "--simulate", "--headless", "--speed", "30",
         "--out", str(out), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while committed_beats(out) < beats and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return child


def test_ctrl_c_ends_a_recording_cleanly_and_says_where_the_file_is(tmp_path: Path) -> None:
    out = tmp_path / "session.sqlite"
    child = start_recording(out, "--client", "T042")
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=300)
    assert child.returncode == 0, stderr
    assert f"session saved: {out}" in stdout
    assert "Traceback" not in stderr
    session = read_session(out)
    assert session.metadata.end_utc is not None, "closed cleanly, not a crash"
    assert session.metadata.client_code == "T042"
    assert len(session.beats) > 40 and (session.beats.beat_class >= 0).all()
    assert next(e.text for e in session.events if e.kind == EventKind.PHASE) == "baseline"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert not Path(f"{out}-wal").exists()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=300
    )


def test_bad_flags_give_one_line_and_exit_2(tmp_path: Path) -> None:
    existing = tmp_path / "taken.sqlite"
    existing.write_bytes(b"precious")
    cases = [
        ("record", "--simulate", "--headless", "--out", str(existing)),
        ("record", "--simulate", "--headless", "--duration", "-5"),
        ("record", "--simulate", "--headless", "--client", "Jane Doe"),
        ("record", "--simulate", "--headless", "--speed", "0"),
    ]
    for args in cases:
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert existing.read_bytes() == b"precious"
    assert run("record", "--headless").returncode == 2  # neither --device nor --simulate


def test_a_later_session_can_reuse_the_clients_earlier_baseline(tmp_path: Path) -> None:
    first = run("record", "--simulate", "--headless", "--speed", "inf", "--duration", "400",
                "--folder", str(tmp_path), "--client", "R7")  # fmt: skip
    assert first.returncode == 0, first.stderr
    (earlier,) = list(tmp_path.glob("R7_*.sqlite"))
    stored = read_session(earlier).metadata.settings["baseline_result"]
    second_out = tmp_path / "second.sqlite"
    second = run("record", "--simulate", "--headless", "--speed", "inf", "--duration", "120",
                 "--folder", str(tmp_path), "--client", "R7", "--reuse-baseline",
                 "--out", str(second_out), "--seed", "5")  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert earlier.name in second.stderr
    session = read_session(second_out)
    notes = [e.text for e in session.events if e.kind == EventKind.NOTE]
    assert any(n.startswith("Baseline reused from the session of") for n in notes)
    # The 120-s session judged with the old baseline, kept in its settings with where it came
    # from; it calibrated none of its own, so it leaves none to reuse: a later reuse still
    # finds the earlier session, under that session's date.
    reused = recorded_reused_baseline(session.metadata.settings)
    assert reused is not None and reused.hr_bpm == stored["hr_bpm"]
    assert reused.source.startswith("session of ") and earlier.name in reused.source
    assert "baseline_result" not in session.metadata.settings
    found = latest_baseline("R7", tmp_path)
    assert found is not None and found[1] == earlier
    missing = run("record", "--simulate", "--headless", "--duration", "5", "--folder",
                  str(tmp_path), "--client", "NEW1", "--reuse-baseline")  # fmt: skip
    assert missing.returncode == 2 and "no earlier session of NEW1" in missing.stderr


def test_a_recording_that_fails_ends_the_session_with_one_line_and_keeps_the_file(
    tmp_path: Path,
) -> None:
    """Headless, the file is all the command makes: when it can no longer be written (here the
    kernel refuses to let any file of the process grow past 160 kB, as ``ulimit -f`` does) the
    session ends at once, says so in one line, and what was written before still opens."""
    import resource

    out = tmp_path / "session.sqlite"
    limit = 160_000

    def limit_file_size() -> None:
        resource.setrlimit(
            resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1])
        )

    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "record", "--simulate", "--headless", "--speed", "30",
         "--duration", "1200", "--out", str(out), "--client", "T043"],
        capture_output=True, text=True, timeout=60, preexec_fn=limit_file_size,
    )  # fmt: skip
    assert time.monotonic() - started < 30, "ended at the failure, not at --duration (40 s)"
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "session saved" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if "recording stopped" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("session-monitor record: error: recording stopped at ")
    assert lines[0].endswith(
        ": the disk refused a write (disk I/O error); the session was ended; "
        f"{out} keeps everything recorded before"
    )
    session = read_session(out)
    assert session.metadata.end_utc is None, "cut short, and says so"
    assert session.metadata.client_code == "T043"
    assert len(session.beats) > 60
    assert next(e.text for e in session.events if e.kind == EventKind.PHASE) == "baseline"


def test_a_session_killed_mid_way_still_replays_against_the_reused_baseline(
    tmp_path: Path,
) -> None:
    """The reused baseline is in the file from the start, not only once the session ends."""
    first = run("record", "--simulate", "--headless", "--speed", "inf", "--duration", "400",
                "--folder", str(tmp_path), "--client", "K3")  # fmt: skip
    assert first.returncode == 0, first.stderr
    (earlier,) = list(tmp_path.glob("K3_*.sqlite"))
    stored = Baseline.from_dict(read_session(earlier).metadata.settings["baseline_result"])
    out = tmp_path / "killed.sqlite"
    child = start_recording(
        out, "--folder", str(tmp_path), "--client", "K3", "--reuse-baseline", beats=30
    )
    child.kill()  # SIGKILL: no clean end, as a crash or a pulled plug
    child.communicate(timeout=300)
    session = read_session(out)
    assert session.metadata.end_utc is None, "killed, not closed"
    assert len(session.beats) > 20
    engine = replay_engine(session.metadata)
    assert engine.judge.baseline is not None
    assert engine.judge.baseline.hr_bpm == stored.hr_bpm
    assert earlier.name in engine.judge.baseline.source


def test_a_file_moved_while_recording_is_named_where_it_went(tmp_path: Path) -> None:
    """The closing line names the file's new place, not the old path (issue #13)."""
    out = tmp_path / "session.sqlite"
    moved = tmp_path / "elsewhere.sqlite"
    child = start_recording(out, "--duration", "3000")
    os.rename(out, moved)
    _, stderr = child.communicate(timeout=300)
    last = stderr.strip().splitlines()[-1]
    assert child.returncode == 2 and "Traceback" not in stderr, stderr
    assert str(moved) in last and f"{out} keeps" not in last, last
    assert len(read_session(moved).beats) >= 50


def test_a_failed_device_recording_leaves_no_empty_file(tmp_path: Path) -> None:
    """No strap (here: no Bluetooth service at all): one line, and no empty session file that
    would block the next try or read as a broken session in the client's progress."""
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path / 'no-bus'}"}
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "record", "--device", "Polar H10 0000", "--headless",
         "--folder", str(tmp_path / "recordings"), "--client", "C1"],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    # Headless record logs its progress on stderr; the error is its one closing line.
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "doctor" in result.stderr.strip().splitlines()[-1]
    folder = tmp_path / "recordings"
    assert not folder.exists() or list(folder.glob("*.sqlite*")) == []
