"""The dashboard model stores what the engine decided: per-beat columns, readings, events, spans."""

from __future__ import annotations

import math

import numpy as np
from engine_runs import DROPOUT_S

from drivers.events import ConnectionState
from monitor.core.tolerance import Alert, AlertKind, ArousalReading, Zone
from monitor.recording.model import SessionEvent
from monitor.session.dashboard_model import BEAT_COLUMNS, DashboardModel
from monitor.session.engine import SessionUpdate, SourceStatus


def model_of(updates: list[SessionUpdate]) -> DashboardModel:
    model = DashboardModel()
    for update in updates:
        model.apply(update)
    return model


def test_every_beat_is_stored_with_the_engines_values(alert_run: list[SessionUpdate]) -> None:
    model = model_of(alert_run)
    beats = [u for u in alert_run if u.beat is not None]
    assert model.beats.beats == len(beats)
    t_s = model.beats.column("t_s")
    assert np.all(np.diff(t_s) >= 0)
    finite = ~np.isnan(model.beats.column("nn_ms"))
    assert finite.sum() == len(beats)
    np.testing.assert_array_equal(t_s[finite], [u.beat.t_s for u in beats])
    np.testing.assert_array_equal(
        model.beats.column("hr_bpm")[finite], [u.beat.indices.hr_10s_bpm for u in beats]
    )
    np.testing.assert_array_equal(
        model.beats.column("arousal")[finite], [u.reading.arousal for u in beats]
    )
    assert set(BEAT_COLUMNS) >= {"t_s", "hr_bpm", "nn_ms", "ln_rmssd", "arousal"}


def test_calibration_then_judged_readings_and_the_hyper_alert(
    alert_run: list[SessionUpdate],
) -> None:
    model = model_of(alert_run)
    arousal = model.beats.column("arousal")
    t_s = model.beats.column("t_s")
    assert np.all(np.isnan(arousal[t_s < 290]))  # calibrating: no index, nothing guessed
    assert np.isfinite(arousal[t_s > 320]).all()
    hyper = model.open_alert(AlertKind.HYPER)
    assert hyper is not None and 400 < hyper.start_s < ALERT_END_S
    assert "bpm" in hyper.text and "RMSSD" in hyper.text
    assert [p.text for p in model.phases] == ["baseline", "imagery"]
    assert model.current_phase == "imagery"
    assert model.reading is not None and model.reading.zone == Zone.HYPER


ALERT_END_S = 480.0


def test_a_dropout_breaks_the_lines_and_is_a_suspension(
    dropout_run: list[SessionUpdate],
) -> None:
    model = DashboardModel()
    states = []
    for update in dropout_run:
        model.apply(update)
        states.append(model.status.state)
    assert ConnectionState.RECONNECTING in states
    t_s = model.beats.column("t_s")
    nn_ms = model.beats.column("nn_ms")
    breaks = np.flatnonzero(np.isnan(nn_ms))
    # A break row sits between the last beat before the drop-out and the first after it.
    assert any(t_s[i] < DROPOUT_S[0] + 1 and t_s[i + 1] > DROPOUT_S[1] - 1 for i in breaks)
    # No judgement across the drop-out: a suspension span covers it.
    assert any(
        s.start_s <= DROPOUT_S[0] + 1 and (s.end_s is None or s.end_s >= DROPOUT_S[1])
        for s in model.suspensions
    )


def _reading(t_s: float, zone: Zone, **kwargs: object) -> SessionUpdate:
    return SessionUpdate(
        t_s,
        reading=ArousalReading(t_s, zone, arousal=0.0, reason="r", **kwargs),
        status=SourceStatus(state=ConnectionState.CONNECTED),
    )


def test_ready_to_resume_stays_until_the_therapist_resumes() -> None:
    model = DashboardModel()
    model.apply(SessionUpdate(10.0, events=(SessionEvent.phase(10.0, "imagery"),)))
    alert = Alert(AlertKind.HYPER, 20.0, "HR up")
    model.apply(_reading(20.0, Zone.HYPER, started=(alert,)))
    model.apply(SessionUpdate(25.0, events=(SessionEvent.phase(25.0, "grounding"),)))
    assert model.resume_phase == "imagery"
    assert model.grounding_since_s == 25.0
    alert.end_s = 40.0
    model.apply(_reading(60.0, Zone.INSIDE, ended=(alert,)))
    assert model.open_alert(AlertKind.HYPER) is None
    assert model.alerts[0].end_s == 40.0
    model.apply(_reading(70.0, Zone.INSIDE, ready_to_resume=True))
    model.apply(_reading(71.0, Zone.INSIDE))  # the engine says it once; the model keeps it
    assert model.ready_to_resume
    model.apply(SessionUpdate(80.0, events=(SessionEvent.phase(80.0, "imagery"),)))
    assert not model.ready_to_resume
    assert model.resume_phase is None


def test_break_rows_keep_time_sorted_and_values_nan() -> None:
    model = DashboardModel()
    columns = model.beats
    columns.append((1.0, 60.0, 1000.0, 1000.0, 0.0, 3.7, math.nan))
    columns.append((2.0, 60.0, 1000.0, 1000.0, 0.0, 3.7, math.nan))
    columns.append((30.0, 60.0, 1000.0, 1000.0, 0.0, 3.7, math.nan))  # 28 s later: not next
    assert len(columns) == 4 and columns.beats == 3
    assert columns.column("t_s").tolist() == [1.0, 2.0, 2.0, 30.0]
    assert math.isnan(columns.column("hr_bpm")[2])


def test_columns_grow_past_their_first_capacity() -> None:
    model = DashboardModel()
    for i in range(5000):
        model.beats.append((i * 0.8, 75.0, 800.0, 800.0, 0.0, 3.5, 0.1))
    assert model.beats.beats == 5000
    assert model.beats.column("t_s")[-1] == 4999 * 0.8
