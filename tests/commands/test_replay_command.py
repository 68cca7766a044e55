"""``session-monitor replay``: the real window in a subprocess (offscreen); one-line refusals."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "recordings" / "example_simulated_session.sqlite"


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "SESSION_MONITOR_CONFIG": str(tmp_path / "config" / "dashboard.json"),
        "SESSION_MONITOR_RECORDINGS": str(tmp_path / "recordings"),
    }


def _run(args: list[str], tmp_path: Path, timeout_s: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "replay", *args],
        cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=timeout_s,
    )  # fmt: skip


def test_replay_plays_its_duration_and_saves_a_screenshot(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    before = hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    shots = tmp_path / "shots"
    result = _run(
        [str(EXAMPLE), "--speed", "60", "--duration", "30", "--screenshot-dir", str(shots)],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    pictures = sorted(shots.glob("*.png"))
    assert [p.name for p in pictures] == ["replay.png"]
    assert result.stdout.strip() == str(pictures[0])
    image = QImage(str(pictures[0]))
    assert not image.isNull() and image.width() >= 1000
    assert "Traceback" not in result.stderr
    assert hashlib.sha256(EXAMPLE.read_bytes()).hexdigest() == before
    # The file went into the recent list, in the (test's) config folder.
    assert (tmp_path / "config" / "replay-recent.json").exists()


@pytest.mark.parametrize("kind", ["foreign", "truncated", "missing"])
def test_an_unreadable_file_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    bad = tmp_path / "bad.sqlite"
    if kind == "foreign":
        bad.write_text("t_s,rr_ms\n0.0,812\n", encoding="utf-8")
    elif kind == "truncated":
        bad.write_bytes(EXAMPLE.read_bytes()[:5000])
    # In-process: the file is checked before Qt is loaded, so no window can appear.
    assert main(["replay", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("session-monitor replay: error:") and str(bad) in err
    assert len(err.splitlines()) == 1


def test_a_truncated_file_in_a_subprocess_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "cut.sqlite"
    bad.write_bytes(EXAMPLE.read_bytes()[:5000])
    result = _run([str(bad), "--speed", "60", "--duration", "30"], tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "truncated" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--speed", "0"], "--speed must be a number from 1 to 60"),
        (["--speed", "120"], "--speed must be a number from 1 to 60"),
        (["--duration", "-5"], "--duration must be a positive number"),
        (["--start", "nan"], "--start must be zero or a positive number"),
        (["--screenshot-dir", "shots"], "--screenshot-dir goes with --duration"),
    ],
)
def test_bad_flags_are_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["replay", str(EXAMPLE), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_duration_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--duration", "30"]) == 2
    assert "need a session FILE" in capsys.readouterr().err


def test_without_a_display_replay_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["replay", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err.strip()
    assert "no display" in err and len(err.splitlines()) == 1


def test_replay_help_loads_no_qt_and_no_analysis_stack(tmp_path: Path) -> None:
    code = (
        "import argparse, sys\n"
        "from monitor.commands import replay\n"
        "parser = argparse.ArgumentParser(prog='session-monitor')\n"
        "replay.register(parser.add_subparsers(dest='command'))\n"
        "try:\n"
        "    parser.parse_args(['replay', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('scipy', 'matplotlib', 'PySide6', 'pyqtgraph', 'numpy')\n"
        "print('LOADED', sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_env(tmp_path), capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "--speed" in result.stdout and "--screenshot-dir" in result.stdout
    assert "LOADED []" in result.stdout
