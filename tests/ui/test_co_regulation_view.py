"""The co-regulation trace on the dashboard (issue #18): real Qt offscreen, fed by a real live
session with a simulated coupled therapist."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import numpy as np

from monitor.session.dashboard_model import DashboardModel
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions, LiveSession
from monitor.ui.plots import SessionPlots


def co_regulation_updates(folder: Path) -> list[SessionUpdate]:
    updates: list[SessionUpdate] = []
    options = LiveOptions(
        simulate=True,
        therapist_simulate=True,
        therapist_coupling=0.6,
        therapist_lag_s=2.0,
        speed=math.inf,
        duration_s=480,
        out=folder / "co.sqlite",
    )
    asyncio.run(LiveSession(options, on_update=updates.append).run())
    return updates


def test_the_synchrony_trace_draws_each_live_synchrony_under_the_arousal(
    qtbot: object, dashboard_app: object, tmp_path: Path
) -> None:
    model = DashboardModel()
    for update in co_regulation_updates(tmp_path):
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
