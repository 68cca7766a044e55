"""The plots paint with their axes and data (this also guards against PySide6 6.12, which crashes
pyqtgraph on the first paint of a plot, docs/architecture.md "Facts"), and a grabbed picture is
not empty."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from monitor.core.baseline import Baseline
from monitor.core.tolerance import Zone
from monitor.session.dashboard_model import DashboardModel
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions
from monitor.ui.dashboard.window import MainWindow
from monitor.ui.plots import LnMillisecondAxis, SessionPlots, TimeAxis
from monitor.ui.screenshots import save_window_screenshots
from monitor.ui.settings_store import DashboardSettings


def _distinct_colours(image: QImage, step: int = 3) -> int:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    width, height = image.width(), image.height()
    raw = np.frombuffer(image.constBits(), dtype=np.uint32, count=image.sizeInBytes() // 4)
    pixels = raw.reshape(height, image.bytesPerLine() // 4)[:, :width]
    return int(np.unique(pixels[::step, ::step]).size)


def _model(updates: list[SessionUpdate]) -> DashboardModel:
    model = DashboardModel()
    for update in updates:
        model.apply(update)
    model.set_baseline(
        Baseline(65.0, 3.0, math.log(40.0), 0.2, 0.0, 300.0, 300.0, 0.0, 10)
    )  # fmt: skip
    return model


def test_plots_paint_the_session_with_axes(
    qtbot: object, dashboard_app: object, alert_run: list[SessionUpdate]
) -> None:
    model = _model(alert_run)
    plots = SessionPlots(span_s=300.0)
    qtbot.addWidget(plots)
    plots.resize(900, 640)
    with qtbot.waitExposed(plots):
        plots.show()
    assert plots.show_model(model)
    assert not plots.show_model(model)  # nothing changed: nothing redrawn
    # The curves hold the visible slice of the engine's values.
    x, y = plots.curve_data("hr_bpm")
    assert x[-1] == pytest.approx(model.beats.column("t_s")[-1])
    assert x[0] >= model.latest_t_s - 300.0 - 5
    assert np.nanmax(y) > 75  # the imagery rise is in view
    (x0, x1), _ = plots.arousal.vb.viewRange()
    assert x1 - x0 == pytest.approx(300.0, abs=1)
    assert plots.baseline_band.isVisible()
    assert plots.baseline_band.extent == pytest.approx((math.log(40.0) - 0.2, math.log(40.0) + 0.2))
    assert plots.zone_bands[Zone.HYPO].extent[1] == -2.5
    assert plots.zone_bands[Zone.HYPER].extent[0] == 2.5
    image = plots.grab().toImage()
    assert not image.isNull() and image.width() == 900
    assert _distinct_colours(image) > 20
    bottom = plots.arousal.getAxis("bottom")
    assert bottom.tickStrings([300.0, 3725.0], 1.0, 60.0) == ["5:00", "1:02:05"]


def test_looking_back_stops_following_until_asked(
    qtbot: object, dashboard_app: object, alert_run: list[SessionUpdate]
) -> None:
    model = _model(alert_run)
    plots = SessionPlots(span_s=120.0)
    qtbot.addWidget(plots)
    plots.show_model(model)
    following = []
    plots.signals.following_changed.connect(following.append)
    plots.arousal.vb.sigRangeChangedManually.emit([True, False])
    plots.arousal.setXRange(100.0, 200.0, padding=0)
    plots.show_model(model)
    x, _ = plots.curve_data("hr_bpm")
    assert x[0] <= 100.0 + 2 and x[-1] <= 205.0
    assert following == [False]
    plots.follow()
    plots.show_model(model)
    assert following == [False, True]
    (x0, x1), _ = plots.arousal.vb.viewRange()
    assert x1 >= model.latest_t_s and x1 - x0 == pytest.approx(120.0, abs=1)


def test_axes_speak_clock_time_and_milliseconds() -> None:
    time_axis = TimeAxis("bottom")
    spacing = time_axis.tickSpacing(0.0, 600.0, 800.0)
    assert spacing[0][0] in (60.0, 120.0)
    rmssd_axis = LnMillisecondAxis("left")
    levels = rmssd_axis.tickValues(math.log(9.0), math.log(90.0), 200.0)
    assert [round(math.exp(v)) for v in levels[0][1]] == [10, 20, 40, 80]
    assert rmssd_axis.tickStrings([math.log(40.0)], 1.0, 1.0) == ["40"]


def test_window_screenshot_is_a_real_picture(
    qtbot: object, dashboard_app: object, alert_run: list[SessionUpdate], tmp_path: Path
) -> None:
    window = MainWindow(LiveOptions(simulate=True, client_code="C017"), DashboardSettings())
    qtbot.addWidget(window)
    for update in alert_run:
        window.on_update(update)
    with qtbot.waitExposed(window):
        window.show()
    window.refresh()
    written = save_window_screenshots(tmp_path / "shots")
    assert [p.name for p in written] == ["dashboard.png"]
    image = QImage(str(written[0]))
    assert image.width() >= 1000 and image.height() >= 600
    assert _distinct_colours(image) > 50
    assert window.banner.isVisible() and window.gauge.state.title == "Above the window"
