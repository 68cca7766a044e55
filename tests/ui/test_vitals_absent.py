"""A readout without a value shows "—" and its tooltip says why (real Qt, offscreen).

The updates are a real session engine's over the simulator (``engine_runs``). The expected
reasons are worked out here from the windows (RMSSD over 60 s, shown from 90 % of it: 54 s)
and the beat times of the updates themselves.
"""

from __future__ import annotations

import math

from engine_runs import DROPOUT_S

from drivers.events import ConnectionState
from monitor.core.data_minimums import Readout
from monitor.session.dashboard_model import DashboardModel
from monitor.session.engine import SessionUpdate
from monitor.ui.vitals import VitalsRow


def model_until(updates: list[SessionUpdate], until_s: float) -> DashboardModel:
    """The model after every update up to the one that brought the first beat after
    ``until_s`` (beats arrive a few beats late, after status updates of later times)."""
    model = DashboardModel()
    for update in updates:
        model.apply(update)
        if update.beat is not None and update.beat.t_s > until_s:
            break
    return model


def test_rmssd_while_its_window_fills_says_how_long_it_waits(
    qtbot: object, dashboard_app: object, alert_run: list[SessionUpdate]
) -> None:
    model = model_until(alert_run, 30.0)
    first = next(u.beat for u in alert_run if u.beat is not None)
    so_far_s = model.latest_t_s - (first.t_s - first.nn_ms / 1000.0)
    assert 25.0 < so_far_s <= 30.0
    row = VitalsRow()
    qtbot.addWidget(row)
    row.show_model(model)
    assert row.values["rmssd"].text() == "—"
    assert row.values["rmssd"].toolTip() == (
        "Not shown: calibrating: needs 54 s of signal (90% of its 60-s window) since the start "
        f"or the last gap; {so_far_s:.0f} s so far."
    )
    # The 10-s heart rate has its value, and no tooltip.
    assert row.values["hr"].text().endswith(" bpm") and row.values["hr"].toolTip() == ""

    later = model_until(alert_run, 70.0)
    row.show_model(later)
    assert row.values["rmssd"].text().endswith(" ms")
    assert row.values["rmssd"].toolTip() == ""


def test_a_lost_strap_says_so_on_every_readout(
    qtbot: object, dashboard_app: object, dropout_run: list[SessionUpdate]
) -> None:
    model = DashboardModel()
    for update in dropout_run:
        if update.t_s > DROPOUT_S[0] + 5.0:
            break
        model.apply(update)
    assert model.status.state is not ConnectionState.CONNECTED
    row = VitalsRow()
    qtbot.addWidget(row)
    row.show_model(model)
    state = model.status.state.value
    for name in ("hr", "rmssd", "breathing", "arousal"):
        assert row.values[name].text() == "—", name
        assert row.values[name].toolTip() == f"Not shown: no signal (strap {state}).", name


def test_after_a_gap_the_windows_wait_again(dropout_run: list[SessionUpdate]) -> None:
    """The model's stretch restarts at the first beat after the gap, as the engine's does."""
    after = [u for u in dropout_run if u.beat is not None and u.t_s > DROPOUT_S[1]]
    first = after[0].beat
    model = model_until(dropout_run, first.t_s + 10.0)  # the run ends at 360 s
    assert model.stretch_start_s == first.t_s - first.nn_ms / 1000.0
    readout = model.index_readout("rmssd_ms")
    assert readout.value is None and readout.absent_because is not None
    assert readout.absent_because.startswith("calibrating: needs 54 s of signal")


def test_a_readout_has_a_value_or_a_reason() -> None:
    assert Readout.of(12.5) == Readout(12.5)
    assert Readout.of(math.nan, "why") == Readout(None, "why")
    for bad in ((None, None), (1.0, "both")):
        try:
            Readout(*bad)
        except ValueError:
            continue
        raise AssertionError(f"Readout{bad} was accepted")
