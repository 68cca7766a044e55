"""The app's name, icon and About box, and the demo's pictures at each phase and first alert."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel

from monitor import __version__
from monitor.app_log import log_file_path
from monitor.core.tolerance import AlertKind
from monitor.session.dashboard_model import DashboardModel
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions
from monitor.ui.about import ABOUT_TITLE, about_text
from monitor.ui.dashboard.moment_screenshots import MomentScreenshots
from monitor.ui.dashboard.window import MainWindow
from monitor.ui.settings_store import DashboardSettings

ROOT = Path(__file__).resolve().parents[2]


def test_the_application_carries_its_name_version_and_icon(dashboard_app: object) -> None:
    app = dashboard_app
    assert app.applicationName() == "Session Monitor"  # type: ignore[attr-defined]
    assert app.applicationVersion() == __version__  # type: ignore[attr-defined]
    assert app.desktopFileName() == "session-monitor"  # type: ignore[attr-defined]
    icon = app.windowIcon()  # type: ignore[attr-defined]
    assert not icon.isNull()
    picture = icon.pixmap(64, 64).toImage()
    assert picture.width() == 64 and picture.pixelColor(32, 32).alpha() == 255


def test_the_dashboard_has_help_about_with_the_version(
    qtbot: object, dashboard_app: object, tmp_path: Path
) -> None:
    window = MainWindow(
        LiveOptions(simulate=True), DashboardSettings(), settings_path=tmp_path / "s.json"
    )
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    (help_menu,) = [a.menu() for a in window.menuBar().actions() if a.text() == "&Help"]
    assert [a.text() for a in help_menu.actions()] == [ABOUT_TITLE]
    text = about_text()
    assert text.startswith(f"Session Monitor {__version__}\n")
    assert "not a medical device" in text
    assert f"Support log (no client data): {log_file_path()}" in text


@pytest.fixture
def probe_window(qtbot: object) -> Iterator[QLabel]:
    label = QLabel("probe")
    label.setObjectName("probe")
    label.resize(200, 100)
    qtbot.addWidget(label)  # type: ignore[attr-defined]
    label.show()
    yield label


def test_pictures_are_taken_at_each_phase_and_the_first_warning_and_alert(
    alert_run: list[SessionUpdate], probe_window: QLabel, tmp_path: Path
) -> None:
    """Fed update by update, as the dashboard's refresh does; the expected moments are read
    independently from the finished model, in time order."""
    model = DashboardModel()
    shots = MomentScreenshots(tmp_path)
    for update in alert_run:
        model.apply(update)
        shots.take_due(model)
    warning = next(s.start_s for s in model.alerts if s.kind == str(AlertKind.WARNING))
    alert = next(s.start_s for s in model.alerts if s.kind != str(AlertKind.WARNING))
    moments = sorted(
        [(m.t_s, f"phase-{m.text}") for m in model.phases]
        + [(warning, "first-warning"), (alert, "first-alert")]
    )
    expected = [f"{n:02d}-{name}" for n, (_, name) in enumerate(moments, start=1)]
    assert sorted(p.name for p in tmp_path.iterdir()) == expected
    for folder in expected:
        assert QImage(str(tmp_path / folder / "probe.png")).width() == 200
    assert len(shots.taken) >= len(expected)
    assert shots.take_due(model) == [], "each moment once"


def test_the_demo_prints_where_its_moment_pictures_are(tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "SESSION_MONITOR_CONFIG": str(tmp_path / "config.json"),
        "SESSION_MONITOR_RECORDINGS": str(tmp_path / "recordings"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "demo", "--speed", "60", "--duration", "330",
         "--screenshot-dir", str(shots)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"screenshots in {shots}:"
    listed = [Path(line.strip()) for line in lines[1:]]
    # The phases at 0 and 300 s; a slow machine may let the early warning (~390 s) in too.
    assert listed[:2] == [
        shots / "01-phase-baseline" / "dashboard.png",
        shots / "02-phase-imagery" / "dashboard.png",
    ]
    assert listed[-1] == shots / "dashboard.png" and len(listed) <= 4
    assert all(QImage(str(path)).width() >= 1000 for path in listed)
    assert "runs until you close" not in result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="no-display check is Linux's")
def test_the_demo_says_it_runs_until_closed_only_when_it_can_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from monitor.cli import main

    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    assert main(["demo"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("session-monitor demo: error: no display")


def test_the_demo_without_a_duration_says_it_runs_until_closed(tmp_path: Path) -> None:
    """The window is closed from outside (SIGINT, as Ctrl-C in the terminal) once it runs.

    The line comes once the window's event loop runs, so SIGINT right after it is the window's
    Ctrl-C (a clean close), however long the start took: no sleep decides it."""
    import signal

    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "SESSION_MONITOR_CONFIG": str(tmp_path / "config.json"),
        "SESSION_MONITOR_RECORDINGS": str(tmp_path / "recordings"),
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor", "demo"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stderr is not None
    first = child.stderr.readline()
    child.send_signal(signal.SIGINT)
    _, rest = child.communicate(timeout=60)
    assert first == (
        "session-monitor demo: runs until you close its window (--duration S stops it)\n"
    )
    assert child.returncode == 0, rest
