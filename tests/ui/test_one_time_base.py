"""One time base: an alert starts at the same second in every output, written the same way.

The example session (``recordings/``) recorded a pause-for-grounding alert at 440.980 s from the
session start. Hand value: 440.98 s = 7 min 20.98 s, which every clock writes "7:20" (truncated
to the whole second, :mod:`monitor.core.clock_format`). Checked in the session file, the events
CSV of ``export`` and ``analyze --json`` (subprocesses), on the dashboard fed what the live
session fed it (real Qt, offscreen), in the replay window, and in the HTML report's text.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.core.clock_format import clock_text
from monitor.recording.model import EventKind
from monitor.recording.reader import read_session, replay_source
from monitor.report import formatting as report_formatting
from monitor.session.dashboard_model import DashboardModel
from monitor.session.live import LiveOptions
from monitor.session.replay_model import feed, opening_updates, recorded_settings, replay_engine
from monitor.ui import formatting as ui_formatting
from monitor.ui.dashboard.window import MainWindow
from monitor.ui.replay.recent import RecentFiles
from monitor.ui.replay.window import ReplayWindow
from monitor.ui.settings_store import DashboardSettings
from tests.report.conftest import html_tables

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "recordings" / "example_simulated_session.sqlite"
ALERT_START_S = 440.98044418702733
"""The hyper alert's start as the file records it."""
SHOWN = "7:20"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=300
    )


def test_there_is_one_clock_formatter() -> None:
    assert ui_formatting.clock_text is clock_text
    assert report_formatting.clock is clock_text
    assert clock_text(ALERT_START_S) == SHOWN
    assert clock_text(59.99) == "0:59" and clock_text(3600.0) == "1:00:00"


def test_the_file_the_events_csv_and_analyze_give_the_same_second(tmp_path: Path) -> None:
    hyper = [
        e
        for e in read_session(EXAMPLE).events
        if e.kind == EventKind.ALERT and e.data.get("alert_kind") == "hyper"
    ]
    assert [e.t_s for e in hyper] == [ALERT_START_S]

    out = tmp_path / "example.csv"
    exported = run_cli("export", str(EXAMPLE), "--format", "csv", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    with (tmp_path / "example.events.csv").open(encoding="utf-8") as file:
        rows = [r for r in csv.DictReader(file) if r["kind"] == "alert"]
    starts = [float(r["t_s"]) for r in rows if json.loads(r["data_json"])["alert_kind"] == "hyper"]
    assert starts == [ALERT_START_S]  # the shortest round-trip form: bit for bit

    analyzed = run_cli("analyze", str(EXAMPLE), "--json")
    assert analyzed.returncode == 0, analyzed.stderr
    summary = json.loads(analyzed.stdout)
    alerts = [a for a in summary["alerts"] if a["kind"] == "hyper"]
    # analyze judges the beats again, as the session did live, and rounds to 1 ms
    assert [a["start_s"] for a in alerts] == [pytest.approx(ALERT_START_S, abs=0.0005)]
    assert summary["baseline"]["start_s"] >= 0.0  # not before the session start

    text = run_cli("analyze", str(EXAMPLE))
    assert f"{SHOWN} ({ALERT_START_S:.2f} s)" in text.stdout


def test_the_report_writes_it_as_the_dashboard_does(tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = run_cli("report", str(EXAMPLE), "--out", str(html))
    assert result.returncode == 0, result.stderr
    rows = [r for r in html_tables(html)["Alert"] if r[0] == "Pause for grounding"]
    assert [r[1] for r in rows] == [SHOWN]


def test_the_dashboard_and_the_replay_show_the_same_string(
    qtbot: object, dashboard_app: object, tmp_path: Path
) -> None:
    # The dashboard, given the updates the live session gave it up to 10:00.
    session = read_session(EXAMPLE)
    engine = replay_engine(session.metadata)
    model = DashboardModel(tolerance=recorded_settings(session.metadata).tolerance)
    for update in opening_updates(engine, session):
        model.apply(update)
    for item in replay_source(session).items():
        if item.arrival_s >= 600.0:
            break
        for update in feed(engine, item):
            model.apply(update)
    hyper = model.open_alert("hyper")
    assert hyper is not None and hyper.start_s == pytest.approx(ALERT_START_S, abs=1e-6)
    dashboard = MainWindow(LiveOptions(simulate=True), DashboardSettings())
    qtbot.addWidget(dashboard)
    dashboard.model = model
    dashboard.refresh()
    assert f"(since {SHOWN})" in dashboard.banner.detail.text()

    # The replay window at 10:00.
    replay = ReplayWindow(recent=RecentFiles(tmp_path / "recent.json"))
    qtbot.addWidget(replay)
    assert replay.open_file(EXAMPLE)
    replay.seek(600.0)
    qtbot.waitUntil(lambda: replay.runner.settled, timeout=120_000)
    replay.refresh()
    assert f"(since {SHOWN})" in replay.banner.detail.text()
    # The overview strip's recorded alert, in the same form.
    (recorded,) = [a for a in replay.overview.alerts if a.kind == "hyper"]
    assert clock_text(recorded.start_s) == SHOWN
