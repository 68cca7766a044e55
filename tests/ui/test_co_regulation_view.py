"""The co-regulation trace on the dashboard (issue #18): real Qt offscreen, fed by a real live
session with a simulated coupled therapist."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from monitor.core.tolerance import Alert, AlertKind, ArousalReading, Zone
from monitor.session.dashboard_model import DashboardModel
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions
from monitor.ui.dashboard.window import MainWindow
from monitor.ui.plots import SessionPlots
from monitor.ui.replay.recent import RecentFiles
from monitor.ui.replay.window import ReplayWindow
from monitor.ui.settings_store import DashboardSettings
from tests.session.coupled_session import run_coupled_session


def test_the_synchrony_trace_draws_each_live_synchrony_under_the_arousal(
    qtbot: object, dashboard_app: object, tmp_path: Path
) -> None:
    model = DashboardModel()
    for update in run_coupled_session(tmp_path / "co.sqlite", duration_s=480)[0]:
        model.apply(update)
    trace = np.array(model.synchrony_trace, dtype=float)
    # One value per 15-s bin from the first, each span ending 15 s after the one before.
    assert len(trace) > 20 and np.allclose(np.diff(trace[:, 0]), 15.0, atol=1.0)
    assert trace[-1, 2] == 1.0  # coupled: the latest is above chance
    plots = SessionPlots(span_s=math.inf, synchrony=True)
    qtbot.addWidget(plots)
    plots.resize(900, 700)
    with qtbot.waitExposed(plots):
        plots.show()
    assert plots.show_model(model)
    x, y = plots.curve_data("synchrony")
    np.testing.assert_array_equal(x, trace[:, 0])
    np.testing.assert_array_equal(y, trace[:, 1])
    assert plots.synchrony is not None and plots.synchrony.getAxis("bottom").isVisible()
    assert not plots.arousal.getAxis("bottom").isVisible()
    # A session without a therapist keeps the five plots, the arousal's time axis at the bottom.
    plain = SessionPlots(span_s=300.0)
    qtbot.addWidget(plain)
    assert plain.synchrony is None and len(plain.plots) == 5


def _therapist_update(t_s: float, started: tuple = (), ended: tuple = ()) -> SessionUpdate:
    reading = ArousalReading(t_s, Zone.HYPER, started=started, ended=ended)
    return SessionUpdate(t_s=t_s, therapist_reading=reading)


def test_the_therapist_cue_shows_only_while_their_own_alert_is_open_and_only_when_asked(
    qtbot: object, dashboard_app: object, tmp_path: Path
) -> None:
    """The therapist's own judge opens and closes alerts as the client's does; the cue follows
    them (a warning alone is no cue), and only with ``therapist_cue``."""
    asked = MainWindow(
        LiveOptions(simulate=True, therapist_simulate=True, therapist_cue=True),
        DashboardSettings(),
        settings_path=tmp_path / "asked.json",
    )
    unasked = MainWindow(
        LiveOptions(simulate=True, therapist_simulate=True),
        DashboardSettings(),
        settings_path=tmp_path / "unasked.json",
    )
    for window in (asked, unasked):
        qtbot.addWidget(window)
    hyper = Alert(AlertKind.HYPER, 400.0, "above the window for 30 s")
    warning = Alert(AlertKind.WARNING, 380.0, "rising fast")
    timeline = [
        (_therapist_update(380.0, started=(warning,)), None),
        (_therapist_update(400.0, started=(hyper,)), "above your own window"),
        (_therapist_update(410.0), "above your own window"),
        (_therapist_update(450.0, ended=(dataclasses.replace(hyper, end_s=450.0),)), None),
    ]
    for update, expected in timeline:
        for window in (asked, unasked):
            window.model.apply(update)
            window.refresh()
        if expected is None:
            assert asked.therapist_cue.isHidden()
        else:
            assert not asked.therapist_cue.isHidden()
            assert expected in asked.therapist_cue.text()
        assert unasked.therapist_cue.isHidden()
    assert asked.model.therapist_alert is None


def test_the_replay_window_shows_the_therapist_and_the_synchrony_per_span(
    qtbot: object, dashboard_app: object, tmp_path: Path
) -> None:
    """A co-regulation file in the replay window: the synchrony row under the arousal, the
    dashboard's co-regulation line (from the therapist's packets replayed through their own
    engine), and the synchrony of each span once the analysis thread has it. A file without a
    therapist shows none of them."""
    path = tmp_path / "co.sqlite"
    run_coupled_session(path, duration_s=480, coupling=0.5)
    replay = ReplayWindow(recent=RecentFiles(tmp_path / "recent.json"))
    qtbot.addWidget(replay)
    with qtbot.waitExposed(replay):
        replay.show()
    assert replay.open_file(path, start_s=420.0)
    qtbot.waitUntil(lambda: replay.runner.settled, timeout=120_000)
    qtbot.waitUntil(lambda: not replay.synchrony_spans.isHidden(), timeout=120_000)
    replay.refresh()
    assert replay.plots.synchrony is not None
    assert replay.model.co_regulation and replay.model.synchrony is not None
    assert not replay.co_regulation_line.isHidden()
    assert "Synchrony (last 5 min)" in replay.co_regulation_line.text()
    spans = replay.synchrony_spans.text()
    assert "Whole session 0:02–7:59: heart rate above chance" in spans
    assert "Baseline 0:00–5:00" in spans and "; RMSSD " in spans
    assert "Imagery 5:00–7:59" in spans
    example = (
        Path(__file__).resolve().parents[2] / "recordings" / "example_simulated_session.sqlite"
    )
    assert replay.open_file(example)
    qtbot.waitUntil(lambda: replay.analyst.ready, timeout=120_000)
    replay.refresh()
    assert replay.plots.synchrony is None
    assert replay.co_regulation_line.isHidden() and replay.synchrony_spans.isHidden()
    replay.runner.stop()
