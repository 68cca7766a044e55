"""``session-monitor demo`` in a subprocess: the real dashboard, offscreen, quits by itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from monitor.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], tmp_path: Path, timeout_s: float = 300) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "SESSION_MONITOR_CONFIG": str(tmp_path / "config.json"),
        "SESSION_MONITOR_RECORDINGS": str(tmp_path / "recordings"),
    }
    return subprocess.run(
        [sys.executable, "-m", "monitor", "demo", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s,
    )  # fmt: skip


def test_demo_runs_to_its_duration_and_saves_screenshots(tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    result = _run(["--speed", "50", "--duration", "60", "--screenshot-dir", str(shots)], tmp_path)
    assert result.returncode == 0, result.stderr
    pictures = sorted(shots.glob("*.png"))
    assert [p.name for p in pictures] == ["dashboard.png"]
    image = QImage(str(pictures[0]))
    assert not image.isNull() and image.width() >= 1000
    # Nothing kept: the demo's session file lived in a temporary folder.
    assert not (tmp_path / "recordings").exists()
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--speed", "0"], "--speed must be a positive number"),
        (["--duration", "-5"], "--duration must be a positive number"),
        (["--client", "Jane Doe"], "client code"),
    ],
)
def test_demo_refuses_bad_flags_in_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    # In-process through the real command line (the subprocess test above covers the rest).
    assert main(["demo", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_demo_help_names_the_default_speed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--help"])
    assert exit_info.value.code == 0
    assert "default 10" in capsys.readouterr().out


def test_without_a_display_the_demo_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["demo", "--duration", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no display" in err and "QT_QPA_PLATFORM=offscreen" in err
    assert len(err.splitlines()) == 1
