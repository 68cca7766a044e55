"""Gauge, banner and status strip driven by real engine updates (assert on states, not pixels)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from engine_runs import DROPOUT_S

from drivers.events import ConnectionState
from monitor.core.engine import HrvEngine
from monitor.core.respiration import NO_CLEAR_PEAK_REASON
from monitor.core.tolerance import Alert, AlertKind, ArousalReading, Zone
from monitor.session.dashboard_model import DashboardModel
from monitor.session.engine import SessionUpdate, SourceStatus
from monitor.session.live import LiveOptions
from monitor.ui.alert_banner import BANNER_COLOURS, AlertBanner, banner_state
from monitor.ui.dashboard.chime import ChimePlayer
from monitor.ui.dashboard.window import MainWindow
from monitor.ui.gauge import ArousalGaugePanel, gauge_state
from monitor.ui.settings_store import DashboardSettings
from monitor.ui.status_strip import RecordingState, StatusStrip
from monitor.ui.vitals import BREATHING_SOURCE, VitalsRow


class CountingChime(ChimePlayer):
    """The real player class with its sound output replaced by a counter."""

    def __init__(self) -> None:
        super().__init__(backend="none")
        self.played: list[int] = []

    def play(self, volume_pct: int) -> bool:
        self.played.append(volume_pct)
        return True


def feed(updates: list[SessionUpdate], until_s: float | None = None) -> DashboardModel:
    model = DashboardModel()
    for update in updates:
        if until_s is not None and update.t_s > until_s:
            break
        model.apply(update)
    return model


def test_gauge_says_calibrating_and_why_instead_of_guessing(
    qtbot: object, dashboard_app: object, alert_run: list[SessionUpdate]
) -> None:
    model = feed(alert_run, until_s=120.0)
    panel = ArousalGaugePanel()
    qtbot.addWidget(panel)
    panel.show_model(model)
    assert panel.state.zone is None and panel.state.arousal is None
    assert panel.title.text() == "Calibrating the baseline"
    assert "s to go" in panel.reason.text()


def test_gauge_shows_the_zone_the_engine_decided(
    qtbot: object, dashboard_app: object, alert_run: list[SessionUpdate]
) -> None:
    model = feed(alert_run)
    panel = ArousalGaugePanel()
    qtbot.addWidget(panel)
    panel.show_model(model)
    assert panel.state.zone == Zone.HYPER == model.reading.zone
    assert panel.state.arousal == model.reading.arousal
    assert panel.title.text() == "Above the window"
    assert panel.reason.text() == model.reading.reason
    assert "SD from baseline" in panel.value.text()


def test_a_lost_strap_shows_reconnecting_and_no_zone(
    qtbot: object, dashboard_app: object, dropout_run: list[SessionUpdate]
) -> None:
    model = feed(dropout_run, until_s=DROPOUT_S[0] + 5)
    assert model.status.state == ConnectionState.RECONNECTING
    panel = ArousalGaugePanel()
    strip = StatusStrip()
    qtbot.addWidget(panel)
    qtbot.addWidget(strip)
    panel.show_model(model)
    strip.show_model(model, "C017", model.latest_t_s, RecordingState(True, "on"))
    assert panel.state.zone is None and panel.state.arousal is None
    assert "reconnecting" in panel.title.text().lower()
    assert strip.text("strap") == "reconnecting"
    # Back, the engine suspends judgement until its windows are full again: still no zone.
    model = feed(dropout_run, until_s=DROPOUT_S[1] + 5)
    panel.show_model(model)
    assert model.status.state == ConnectionState.CONNECTED
    assert panel.state.zone is None
    assert panel.title.text() == "Not judging right now"


def test_status_strip_reads_at_a_glance(
    qtbot: object, dashboard_app: object, alert_run: list[SessionUpdate]
) -> None:
    model = feed(alert_run)
    strip = StatusStrip()
    qtbot.addWidget(strip)
    strip.show_model(model, "C017", 3725.0, RecordingState(True, "on"))
    assert strip.text("client") == "C017"
    assert strip.text("clock") == "1:02:05"
    assert strip.text("phase") == "imagery"
    assert strip.text("recording") == "● on"
    assert strip.text("strap") == "connected"
    assert strip.text("battery") == "100 %"
    assert strip.text("contact") == "good"
    assert strip.text("signal").startswith("good · ")
    assert strip.captions["strap"].text() == "Strap · Simulated strap"


def test_hyper_alert_raises_the_banner_with_its_reason(
    qtbot: object, dashboard_app: object, alert_run: list[SessionUpdate]
) -> None:
    model = feed(alert_run)
    alert = model.open_alert(AlertKind.HYPER)
    banner = AlertBanner()
    qtbot.addWidget(banner)
    banner.show_model(model)
    assert not banner.isHidden()
    assert banner.state.kind == "alert"
    assert banner.title.text() == "Pause for grounding"
    assert alert.text in banner.detail.text()
    assert BANNER_COLOURS["alert"] in banner.styleSheet()
    before_alert = feed(alert_run, until_s=alert.start_s - 1)
    banner.show_model(before_alert)
    assert banner.isHidden()


def _hypo_model() -> DashboardModel:
    model = DashboardModel()
    status = SourceStatus(state=ConnectionState.CONNECTED)
    alert = Alert(AlertKind.HYPO, 500.0, "HR 52 bpm (−13 from baseline) for 20 s: possibly "
                  "shutting down; check in with the client (low confidence)")  # fmt: skip
    reading = ArousalReading(500.0, Zone.HYPO, arousal=-2.8, reason=alert.reason, started=(alert,))
    model.apply(SessionUpdate(500.0, reading=reading, status=status))
    return model


def test_hypo_is_a_gentle_prompt_never_an_alarm(qtbot: object, dashboard_app: object) -> None:
    model = _hypo_model()
    state = banner_state(model)
    assert state.kind == "prompt"
    assert state.title == "Check in with the client"
    assert "low confidence" in state.detail
    assert gauge_state(model).title == "Low arousal: check in"
    chime = CountingChime()
    window = MainWindow(LiveOptions(simulate=True), DashboardSettings(sound_on=True), chime=chime)
    qtbot.addWidget(window)
    window.model = model
    window.refresh()
    assert window.banner.state.kind == "prompt"
    assert chime.played == []


@pytest.mark.parametrize("sound_on", [True, False])
def test_the_chime_follows_the_setting(
    qtbot: object, dashboard_app: object, alert_run: list[SessionUpdate], sound_on: bool
) -> None:
    chime = CountingChime()
    settings = DashboardSettings(sound_on=sound_on, volume_pct=35)
    window = MainWindow(LiveOptions(simulate=True), settings, chime=chime)
    qtbot.addWidget(window)
    for update in alert_run:
        window.on_update(update)
    window.refresh()
    window.refresh()  # one alert, one chime
    assert chime.played == ([35] if sound_on else [])
    assert window.banner.state.kind == "alert"


def test_sound_is_off_by_default(tmp_path: Path) -> None:
    assert DashboardSettings().sound_on is False


def _model_after_engine(rr_ms: np.ndarray) -> DashboardModel:
    """A dashboard model holding what the real HRV engine computed after the last of these
    beats (the indices a SessionUpdate would carry)."""
    engine = HrvEngine()
    t_s = np.cumsum(rr_ms) / 1000.0
    for t, rr in zip(t_s, rr_ms, strict=True):
        engine.push(float(t), float(rr))
    engine.flush()
    model = DashboardModel()
    model.status = SourceStatus(state=ConnectionState.CONNECTED)
    assert engine.latest is not None
    model.indices = engine.latest.indices
    model.stretch_start_s, model.latest_t_s = 0.0, float(t_s[-1])
    return model


def test_breathing_without_a_clear_peak_shows_a_dash_and_says_why(
    qtbot: object, dashboard_app: object
) -> None:
    """Uncorrelated RR intervals hold no respiratory peak: "—", and the tooltip says why; a
    15/min RSA rhythm shows its rate, and the tooltip where it comes from."""
    rng = np.random.default_rng(3)
    noise = _model_after_engine(850 + 30 * rng.standard_normal(150))
    beats = np.arange(150)
    rsa = _model_after_engine(850 + 25 * np.sin(2 * np.pi * 0.25 * beats * 0.85))
    row = VitalsRow()
    qtbot.addWidget(row)
    assert not noise.strap_is_down and np.isfinite(noise.indices.coherence)
    row.show_model(noise)
    assert row.values["breathing"].text() == "—"
    assert row.values["breathing"].toolTip() == f"Not shown: {NO_CLEAR_PEAK_REASON}."
    row.show_model(rsa)
    assert row.values["breathing"].text() == "15.0 /min"
    assert row.values["breathing"].toolTip() == BREATHING_SOURCE
