"""The replay window on the real example session: overview, play, exact seek, what-if, report.

Real Qt (offscreen), the real replay thread and analysis thread, the real session file from
``recordings/``. The state after a seek is checked against a straight run of a fresh engine over
the same items up to that time, and the session file must be byte for byte unchanged afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from drivers.replay import ReplayMarker
from monitor.core.tolerance import AlertKind, ToleranceSettings
from monitor.recording.model import EventKind, RecordedSession
from monitor.recording.reader import read_session, replay_source
from monitor.session.dashboard_model import BEAT_COLUMNS, DashboardModel
from monitor.session.engine import SessionEngine
from monitor.session.replay_model import recorded_settings
from monitor.ui.formatting import clock_text
from monitor.ui.replay.recent import RecentFiles
from monitor.ui.replay.window import ReplayWindow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "recordings" / "example_simulated_session.sqlite"
WAIT_MS = 120_000  # a hang guard only: conditions are awaited, never timed
WIDER = ToleranceSettings().widened(1.0)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def example() -> RecordedSession:
    return read_session(EXAMPLE)


@pytest.fixture
def window(qtbot: object, dashboard_app: object, tmp_path: Path) -> Iterator[ReplayWindow]:
    before = digest(EXAMPLE)
    replay = ReplayWindow(recent=RecentFiles(tmp_path / "recent.json"))
    with qtbot.waitExposed(replay):
        replay.show()
    yield replay
    replay.close()
    replay.deleteLater()
    # Replay, what-if and reports only ever read the session file.
    assert digest(EXAMPLE) == before


def straight_run(session: RecordedSession, until_s: float) -> DashboardModel:
    """A fresh engine fed every recorded item before ``until_s``, markers as the dashboard gave
    them (written out here rather than reusing the replay's own dispatch)."""
    settings = recorded_settings(session.metadata)
    engine = SessionEngine(tolerance=settings.tolerance, windows=settings.windows)
    model = DashboardModel(tolerance=settings.tolerance, window_from_events=True)
    for item in replay_source(session).items():
        if item.arrival_s >= until_s:
            break
        if isinstance(item, ReplayMarker):
            event = item.payload
            if event.kind == EventKind.PHASE:
                updates = engine.add_phase(event.t_s, event.text)
            elif event.kind == EventKind.SUDS:
                updates = engine.add_suds(event.t_s, int(event.value), event.text)
            elif event.kind == EventKind.NOTE:
                updates = engine.add_note(event.t_s, event.text)
            elif event.kind == EventKind.TOLERANCE:
                wider = ToleranceSettings(**event.data["settings"])
                updates = engine.set_tolerance(event.t_s, wider)
            else:
                updates = []  # recorded alerts: the engine raises its own
        else:
            updates = engine.handle(item)
        for update in updates:
            model.apply(update)
        model.set_baseline(engine.judge.baseline)
    return model


def settle(qtbot: object, window: ReplayWindow) -> None:
    """Wait until the seek has caught up, then take everything it produced."""
    qtbot.waitUntil(lambda: window.runner.settled, timeout=WAIT_MS)
    window.refresh()


def assert_same_state(shown: DashboardModel, expected: DashboardModel) -> None:
    assert shown.beats.beats == expected.beats.beats > 0
    for name in BEAT_COLUMNS:
        np.testing.assert_array_equal(shown.beats.column(name), expected.beats.column(name))
    assert shown.reading is not None and expected.reading is not None
    assert shown.reading.zone == expected.reading.zone
    assert shown.reading.reason == expected.reading.reason
    assert [(a.kind, a.start_s, a.end_s) for a in shown.alerts] == [
        (a.kind, a.start_s, a.end_s) for a in expected.alerts
    ]
    assert [m.text for m in shown.phases] == [m.text for m in expected.phases]
    assert [m.value for m in shown.suds] == [m.value for m in expected.suds]
    assert shown.baseline == expected.baseline


def wait_for_outcome(qtbot: object, window: ReplayWindow, upper_sd: float) -> None:
    qtbot.waitUntil(
        lambda: (
            window.what_if.outcome is not None
            and window.what_if.outcome.settings.upper_sd == upper_sd
        ),
        timeout=WAIT_MS,
    )


def test_opening_the_example_shows_its_overview(
    qtbot: object, window: ReplayWindow, tmp_path: Path
) -> None:
    assert window.open_file(EXAMPLE)
    overview = window.strip.overview
    assert overview is not None and overview.client_code == "DEMO01"
    assert [p.name for p in overview.phases] == [
        "baseline", "imagery", "grounding", "rescripting", "calm place",
    ]  # fmt: skip
    assert overview.phases[-1].end_s == pytest.approx(overview.duration_s)
    assert overview.duration_s == pytest.approx(1290.0, abs=1.0)
    assert [a.kind for a in overview.alerts] == ["warning", "hyper"]
    assert [round(g.start_s) for g in overview.gaps] == [904]
    assert [m.value for m in overview.suds] == [1, 5, 8, 6, 3, 1]
    assert len(overview.notes) == 5
    assert "DEMO01" in window.file_label.text() and "DEMO01" in window.windowTitle()
    # Opened, not playing: held at the start.
    assert window.replay_state() == "paused" and window.runner.position_s() == 0.0
    # The what-if starts at the recorded settings: every recorded alert kept as it was.
    wait_for_outcome(qtbot, window, overview.tolerance.upper_sd)
    outcome = window.what_if.outcome
    assert outcome is not None and not outcome.changed and outcome.count("kept") == 2
    assert window.strip.what_if_alerts is None
    # The recent-files list has it, privately.
    assert window.recent.paths() == [EXAMPLE.resolve()]
    recent_file = tmp_path / "recent.json"
    assert json.loads(recent_file.read_text())["files"] == [str(EXAMPLE.resolve())]
    assert stat.S_IMODE(os.stat(recent_file).st_mode) == 0o600


def test_playing_at_60x_advances(qtbot: object, window: ReplayWindow) -> None:
    assert window.open_file(EXAMPLE)
    window.set_speed(60.0)
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.runner.playing and window.replay_state() == "playing 60×"
    qtbot.waitUntil(lambda: window.runner.position_s() > 40.0, timeout=WAIT_MS)
    window.refresh()
    assert window.play_button.text() == "❚❚ Pause"
    qtbot.waitUntil(lambda: window.model.beats.beats > 30, timeout=WAIT_MS)
    assert window.status_strip.text("clock") != "0:00"
    assert window.status_strip.text("phase") == "baseline"
    # 60× is about a minute of session per second of wall time, never ahead of the engine.
    newest_beat_s = float(window.model.beats.column("t_s")[-1])
    assert window.runner.position_s() >= newest_beat_s - 3.0
    window.pause()
    qtbot.waitUntil(lambda: not window.runner.playing, timeout=WAIT_MS)
    qtbot.wait(300)
    held_s = window.runner.position_s()
    qtbot.wait(300)
    assert window.runner.position_s() == pytest.approx(held_s)


def test_seeking_shows_the_state_at_that_time(
    qtbot: object, window: ReplayWindow, example: RecordedSession
) -> None:
    assert window.open_file(EXAMPLE)
    window.seek(600.0)
    settle(qtbot, window)
    assert window.runner.position_s() == 600.0 and not window.runner.playing
    assert_same_state(window.model, straight_run(example, 600.0))
    # At 10:00 the client was above the window since 7:21: the banner says pause for grounding.
    assert window.banner.state.kind == "alert"
    assert window.gauge.state.title == "Above the window"
    assert window.status_strip.text("clock") == "10:00"
    assert window.position_label.text() == "10:00 / 21:30"

    # Backwards: the replay restarts, the views are rebuilt from the start up to the target.
    plots_before = window.plots
    window.seek(350.0)
    settle(qtbot, window)
    assert window.plots is not plots_before
    assert float(window.model.beats.column("t_s")[0]) < 5.0
    assert_same_state(window.model, straight_run(example, 350.0))
    assert window.banner.state.kind is None

    # Forwards: the items in between are added to what is there.
    window.seek(480.0)
    settle(qtbot, window)
    assert_same_state(window.model, straight_run(example, 480.0))

    # A click on the overview strip goes there.
    strip = window.strip
    x = int(strip.x_of(1000.0))
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(x, strip.height() // 2))
    settle(qtbot, window)
    target_s = window.runner.position_s()
    assert abs(target_s - 1000.0) < 2 * strip.duration_s / strip.width()
    assert_same_state(window.model, straight_run(example, target_s))
    assert window.model.current_phase == "calm place"

    # So does a click on a plot, at the time under the pointer.
    wanted_s = target_s - 120.0
    scene_pos = window.plots.arousal.vb.mapViewToScene(QPointF(wanted_s, 0.0))
    pos = window.plots.mapFromScene(scene_pos)
    qtbot.mouseClick(window.plots.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    settle(qtbot, window)
    assert window.runner.position_s() == pytest.approx(wanted_s, abs=2.0)
    assert_same_state(window.model, straight_run(example, window.runner.position_s()))


def test_seeking_back_while_playing_starts_over_cleanly(
    qtbot: object, window: ReplayWindow
) -> None:
    assert window.open_file(EXAMPLE, play=True, start_s=700.0)
    window.set_speed(30.0)
    qtbot.waitUntil(lambda: window.runner.position_s() > 720.0, timeout=WAIT_MS)
    window.seek(100.0)
    qtbot.waitUntil(lambda: window.runner.settled, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.runner.position_s() > 110.0, timeout=WAIT_MS)
    window.pause()
    qtbot.waitUntil(lambda: not window.runner.playing, timeout=WAIT_MS)
    window.refresh()
    t_s = window.model.beats.column("t_s")
    finite = t_s[np.isfinite(t_s)]
    # One pass from the start: no beat twice, none from before the seek back.
    assert finite[0] < 5.0 and np.all(np.diff(finite) >= 0)
    assert finite[-1] < 200.0
    assert [m.text for m in window.model.phases] == ["baseline"]


def test_what_if_widening_removes_the_hyper_alert(qtbot: object, window: ReplayWindow) -> None:
    assert window.open_file(EXAMPLE)
    panel = window.what_if
    wait_for_outcome(qtbot, window, 2.5)
    # The example's arousal peaks near +9.6 SD: a bound of 11 SD is never crossed.
    panel.upper.setValue(11.0)
    wait_for_outcome(qtbot, window, 11.0)
    outcome = panel.outcome
    assert outcome is not None
    removed = [row for row in outcome.rows if row.change == "removed"]
    assert [row.kind for row in removed] == [AlertKind.HYPER]
    assert all(a.kind != AlertKind.HYPER for a in outcome.alerts)
    assert any(text.startswith("removed · Pause for grounding 7:20") for text in
               panel.alert_texts())  # fmt: skip
    assert "1 removed" in panel.summary.text()
    assert window.strip.what_if_alerts is not None
    assert all(span.kind != "hyper" for span in window.strip.what_if_alerts)

    # Narrower: the hyper alert stays the same episode but starts earlier.
    panel.reset()
    wait_for_outcome(qtbot, window, 2.5)
    assert window.strip.what_if_alerts is None
    panel.narrower_button.click()
    wait_for_outcome(qtbot, window, 2.0)
    (hyper,) = [row for row in panel.outcome.rows if row.kind == AlertKind.HYPER]
    assert hyper.change == "kept" and hyper.was is not None and hyper.start_s < hyper.was[0]

    # Bounds out of order are refused in words and not evaluated.
    panel.edge.setValue(3.0)
    assert panel.settings() is None and "Not valid" in panel.message.text()


def test_the_report_is_written_with_the_what_if_settings(
    qtbot: object, window: ReplayWindow, tmp_path: Path
) -> None:
    assert window.open_file(EXAMPLE)
    window.what_if.upper.setValue(11.0)
    out = tmp_path / "reports" / "what_if.html"
    assert window.write_report(out)
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=120_000)
    assert window.last_report == (out, "")
    assert "Report saved" in window.statusBar().currentMessage()
    text = out.read_text(encoding="utf-8")
    assert "What-if" in text and "upper 11" in text
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    # A report name the report writer does not know is refused in one line.
    window.write_report(tmp_path / "report.docx")
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=120_000)
    _, error = window.last_report
    assert ".docx" in error and "\n" not in error


def test_an_imported_recording_replays_and_takes_what_if(
    qtbot: object, window: ReplayWindow
) -> None:
    rest = ROOT / "recordings" / "example_rest_rri_import.sqlite"
    before = digest(rest)
    assert window.open_file(rest)
    window.seek(500.0)
    settle(qtbot, window)
    # No strap events in an import: it still counts as connected, so the views judge it.
    assert window.status_strip.text("strap") == "connected"
    assert window.gauge.state.zone is not None
    wait_for_outcome(qtbot, window, 2.5)
    assert window.what_if.outcome is not None
    assert window.what_if.outcome.summary.startswith("0 alerts at the recorded settings")
    # A real resting recording has no alert; a window this narrow raises one (0.9 SD: 1.0 SD
    # raised one until the artefact filter stopped flagging this recording's healthy beats,
    # issue #14, and none since).
    window.what_if.set_values(0.9, 0.5, -2.5, 20.0)
    wait_for_outcome(qtbot, window, 0.9)
    added = [row.kind for row in window.what_if.outcome.rows if row.change == "added"]
    assert added.count(AlertKind.HYPER) == 1
    assert digest(rest) == before


def test_a_window_widened_live_is_widened_in_the_replay_where_it_was(
    qtbot: object, window: ReplayWindow, widened_live: Path
) -> None:
    session = read_session(widened_live)
    (change,) = [e for e in session.events if e.kind == EventKind.TOLERANCE]
    assert window.open_file(widened_live)
    window.seek(change.t_s - 30.0)
    settle(qtbot, window)
    assert window.model.tolerance == ToleranceSettings()
    assert_same_state(window.model, straight_run(session, change.t_s - 30.0))
    window.seek(change.t_s + 60.0)
    settle(qtbot, window)
    assert window.model.tolerance == WIDER
    assert any(m.text.startswith("window set to upper 3.5") for m in window.model.notes)
    assert_same_state(window.model, straight_run(session, change.t_s + 60.0))

    # What-if: the recorded settings (those at the start) stand for the session as it ran,
    # live change included: the alerts are the recorded ones.
    wait_for_outcome(qtbot, window, 2.5)
    panel = window.what_if
    assert not panel.outcome.changed
    assert f"changed live at {clock_text(change.t_s)}" in panel.message.text()
    assert window.strip.what_if_alerts is None
    # Other values hold for the whole session: widened from the start, the early warning
    # before the live change is gone.
    panel.set_values(WIDER.upper_sd, WIDER.edge_sd, WIDER.lower_sd, WIDER.dwell_s)
    wait_for_outcome(qtbot, window, WIDER.upper_sd)
    assert panel.outcome.changed
    assert panel.message.text().startswith("What-if, for the whole session")
    removed = [row for row in panel.outcome.rows if row.change == "removed"]
    assert any(row.kind == AlertKind.WARNING and row.start_s < change.t_s for row in removed)


@pytest.mark.parametrize("kind", ["foreign", "truncated"])
def test_an_unreadable_file_is_refused_in_one_line(
    window: ReplayWindow, tmp_path: Path, kind: str
) -> None:
    bad = tmp_path / "bad.sqlite"
    if kind == "foreign":
        bad.write_text("t_s,rr_ms\n0.0,812\n", encoding="utf-8")
    else:
        bad.write_bytes(EXAMPLE.read_bytes()[:5000])
    assert not window.open_file(bad)
    message = window.statusBar().currentMessage()
    assert message.startswith("Cannot open:") and str(bad) in message and "\n" not in message
    assert window.session is None and window.replay_state() == "no file"
    assert window.recent.paths() == []
    # The window still opens a good file afterwards.
    assert window.open_file(EXAMPLE)


def test_recent_files_keep_the_newest_first(tmp_path: Path) -> None:
    files = []
    for index in range(4):
        path = tmp_path / f"C{index:03d}.sqlite"
        path.write_bytes(b"x")
        files.append(path)
    recent = RecentFiles(tmp_path / "config" / "recent.json", limit=3)
    for path in (files[0], files[1], files[2], files[0], files[3]):
        recent.add(path)
    assert recent.paths() == [files[3].resolve(), files[0].resolve(), files[2].resolve()]
    files[0].unlink()
    assert recent.paths() == [files[3].resolve(), files[2].resolve()]
    (tmp_path / "config" / "recent.json").write_text("{not json", encoding="utf-8")
    assert recent.paths() == []
