"""The support log: warnings of real runs land in it owner-only, without client codes or paths."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.app_log import ScrubbingFormatter, scrub

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        (
            "cannot write /home/ann/recordings/C017_2025-03-01T101500Z.sqlite: disk full",
            "cannot write <file>: disk full",
        ),
        ("opened C017_2025-03-01T101500Z.sqlite for C017", "opened <file> for <client>"),
        (r"cannot open C:\Users\ann\report.pdf", "cannot open <file>"),
        ("pacer 6.0/min for client C017.", "pacer 6.0/min for client <client>."),
        ("C0170 is another code", "C0170 is another code"),
        ("Bluetooth adapter hci0 is off", "Bluetooth adapter hci0 is off"),
    ],
)
def test_client_codes_and_paths_are_scrubbed(text: str, scrubbed: str) -> None:
    assert scrub(text, ("C017",)) == scrubbed


def test_tracebacks_are_scrubbed_too() -> None:
    try:
        raise OSError("disk full writing /data/C017_x.sqlite")
    except OSError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = ScrubbingFormatter(("C017",)).format(record)
    assert "Traceback" in text and "C017" not in text and "/data" not in text
    assert __file__ not in text


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_a_failed_command_is_logged_owner_only_without_client_data(tmp_path: Path) -> None:
    log_dir = tmp_path / "log"
    existing = tmp_path / "K123_taken.sqlite"
    existing.write_bytes(b"precious")
    env = {**os.environ, "SESSION_MONITOR_LOG_DIR": str(log_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "record", "--simulate", "--headless", "--client",
         "K123", "--out", str(existing)],
        cwd=ROOT, env={**env}, capture_output=True, text=True, timeout=60,
        # a umask that would leave the log readable by all
        preexec_fn=lambda: os.umask(0o022),
    )  # fmt: skip
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, "said once on stderr, not again by the log"
    log_file = log_dir / "session-monitor.log"
    text = log_file.read_text(encoding="utf-8")
    assert " record WARNING monitor.cli: record: <file> already exists" in text
    assert " session-monitor " in text
    assert "K123" not in text and str(tmp_path) not in text
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(log_dir.stat().st_mode) == 0o700
