"""The dashboard's ECG strip and the strap's data line, in a real MainWindow (Qt offscreen).

A simulated Polar H10 (tests/ui/h10_updates.py: the simulator's true beats, ECG synthesised
around them, ACC) goes through a real session engine; the window gets its updates as from the
session thread. The references are what was fed (the ECG runs) and the truth (the true beats),
never the strip's own output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from h10_updates import H10Run, run_h10
from PySide6.QtGui import QColor, QImage

from drivers.events import ConnectionState, StateChanged
from monitor.session.engine import ACC_BREATHING, RSA_BREATHING, SessionUpdate
from monitor.session.live import LiveOptions
from monitor.ui.dashboard.ecg_strip import PEAK_COLOUR
from monitor.ui.dashboard.window import MainWindow
from monitor.ui.screenshots import save_window_screenshots
from monitor.ui.settings_store import DashboardSettings
from monitor.ui.vitals import CHEST_BREATHING_SOURCE

RUN_S = 40.0
PEAK_TOL_S = 0.008
"""The R-peak accuracy issue #16 asks of the live detector."""
DECISION_LAG_S = 1.0
"""R peaks this close to the newest sample may not be decided yet (the detector's 0.6 s lag)."""


@pytest.fixture(scope="module")
def h10_run() -> H10Run:
    return run_h10(RUN_S, raw_data="ecg,acc")


def _window(qtbot: object, updates: list[SessionUpdate]) -> MainWindow:
    window = MainWindow(LiveOptions(simulate=True, client_code="C042"), DashboardSettings())
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    for update in updates:
        window.on_update(update)
    window.show()
    window.refresh()
    return window


def _fed_ecg(run: H10Run) -> tuple[np.ndarray, np.ndarray]:
    """Times and values of every ECG sample fed, in order."""
    t = np.concatenate([run_.times_s() for run_ in run.ecg_runs])
    uv = np.concatenate([np.asarray(run_.ecg_uv, dtype=float) for run_ in run.ecg_runs])
    return t, uv


def test_the_strip_shows_the_last_5_s_of_the_ecg_fed(
    qtbot: object, dashboard_app: object, h10_run: H10Run
) -> None:
    window = _window(qtbot, h10_run.updates)
    strip_view = window.ecg_strip
    assert strip_view.isVisible()
    shown = strip_view.shown
    assert shown is not None
    t, uv = _fed_ecg(h10_run)
    last_5_s = t >= t[-1] - 5.0
    np.testing.assert_array_equal(shown.ecg_uv, uv[last_5_s])
    np.testing.assert_allclose(shown.x_s, t[last_5_s] - t[-1], atol=1e-9)
    assert shown.end_s == pytest.approx(t[-1])
    # What the path item draws is that trace (one point per sample, 5 s wide).
    path = strip_view.curve.path()
    assert path.elementCount() == int(last_5_s.sum())
    assert path.elementAt(0).x == pytest.approx(-5.0, abs=1.0 / 130.0)
    assert path.elementAt(path.elementCount() - 1).x == pytest.approx(0.0)


def test_r_peak_marks_sit_on_the_true_r_waves(
    qtbot: object, dashboard_app: object, h10_run: H10Run
) -> None:
    window = _window(qtbot, h10_run.updates)
    shown = window.ecg_strip.shown
    assert shown is not None
    marks_x, marks_y = window.ecg_strip.peak_marks_data()
    end_s = shown.end_s
    true_x = h10_run.beats_s[(h10_run.beats_s >= end_s - 5.0) & (h10_run.beats_s <= end_s)] - end_s
    assert marks_x.size >= 4  # ~5 s at 60-80 bpm
    # Each mark within 8 ms of a true R peak, and every decided true R peak has its mark.
    nearest = np.abs(marks_x[:, None] - true_x[None, :]).min(axis=1)
    assert nearest.max() <= PEAK_TOL_S
    decided = true_x[true_x <= -DECISION_LAG_S]
    assert np.abs(decided[:, None] - marks_x[None, :]).min(axis=1).max() <= PEAK_TOL_S
    # The marks are the engine's detections, drawn just above the R wave's tip.
    detected = np.array([p for u in h10_run.updates for p in u.ecg_peaks_s]) - end_s
    np.testing.assert_allclose(marks_x, detected[detected >= shown.x_s[0]])
    t, uv = _fed_ecg(h10_run)
    tips_uv = np.array(
        [uv[np.abs(t - end_s - x) <= 0.02].max() for x in marks_x]
    )  # the R wave's highest sample within 20 ms
    assert np.all(marks_y > tips_uv)
    assert np.all(marks_y < tips_uv + 0.2 * np.ptp(shown.ecg_uv))


def test_the_strap_data_line_says_what_arrives(
    qtbot: object, dashboard_app: object, h10_run: H10Run
) -> None:
    window = _window(qtbot, h10_run.updates)
    assert window.status_strip.text("data") == "heart rate + RR + ECG + ACC"
    assert "ECG" in window.status_strip.fields["data"].toolTip()
    # The line sits under the strap's state: the dashboard still fits a 1440 px screen.
    assert window.status_strip.fields["data"].y() > window.status_strip.fields["strap"].y()
    assert window.minimumSizeHint().width() <= 1440


def test_the_breathing_readout_is_the_chest_accelerometers(
    qtbot: object, dashboard_app: object, h10_run: H10Run
) -> None:
    """With ACC the dashboard shows the chest's breathing rate (issue #16), not the heart
    rhythm's estimate: within 1/min of the 12/min the ACC was synthesised with, and the
    tooltip says where it comes from."""
    window = _window(qtbot, h10_run.updates)
    readout, source = window.model.breathing_readout()
    assert source == ACC_BREATHING
    assert readout.value is not None and abs(readout.value - 12.0) <= 1.0
    label = window.vitals.values["breathing"]
    assert label.text() == f"{readout.value:.1f} /min"
    assert label.toolTip() == CHEST_BREATHING_SOURCE


def test_the_client_controls_set_the_measured_breathing_against_the_guide(
    qtbot: object, dashboard_app: object, h10_run: H10Run
) -> None:
    """A chest breathing at 6/min follows a guide at 6/min, not one at 4.5/min; the 12/min of
    the shared run follows neither (the guide goes no higher than 7/min)."""
    window = _window(qtbot, run_h10(60.0, breaths_per_min=6.0, raw_data="ecg,acc").updates)
    label = window.client_controls.breathing_label
    window.client_controls.set_pacer_rate(6.0)
    window.refresh()
    assert not label.isHidden()
    assert "/min, with the guide 6.0/min" in label.text()
    window.client_controls.set_pacer_rate(4.5)
    window.refresh()
    assert "guide 4.5/min (not following)" in label.text()
    fast = _window(qtbot, h10_run.updates)
    fast.client_controls.set_pacer_rate(7.0)
    fast.refresh()
    assert "guide 7.0/min (not following)" in fast.client_controls.breathing_label.text()


def test_without_acc_the_breathing_readout_is_the_heart_rhythms(
    qtbot: object, dashboard_app: object
) -> None:
    run = run_h10(12.0, ecg=True, acc=False, raw_data="ecg")
    window = _window(qtbot, run.updates)
    assert window.model.breathing_readout()[1] == RSA_BREATHING
    assert window.model.chest_breathing is None
    assert window.client_controls.breathing_label.isHidden()


def test_without_ecg_the_strip_is_hidden_and_the_line_says_rr_only(
    qtbot: object, dashboard_app: object
) -> None:
    run = run_h10(12.0, ecg=False, acc=False, raw_data="none")
    window = _window(qtbot, run.updates)
    assert window.ecg_strip.isHidden() and window.ecg_strip.shown is None
    assert window.status_strip.text("data") == "heart rate + RR only"
    assert "no raw ECG" in window.status_strip.fields["data"].toolTip()


def test_an_h10_whose_ecg_is_not_arriving_says_so(qtbot: object, dashboard_app: object) -> None:
    run = run_h10(12.0, ecg=False, acc=True, raw_data="ecg,acc")
    window = _window(qtbot, run.updates)
    assert window.ecg_strip.isHidden()
    assert window.status_strip.text("data") == "heart rate + RR + ACC (ECG not arriving)"


def test_the_strip_goes_when_the_strap_is_lost(qtbot: object, dashboard_app: object) -> None:
    lost = StateChanged(12.5, ConnectionState.LOST, "out of range")
    run = run_h10(12.0, then=(lost,))
    window = _window(qtbot, run.updates[:-1])
    assert window.ecg_strip.isVisible()
    window.on_update(run.updates[-1])
    window.refresh()
    assert window.ecg_strip.isHidden()
    assert window.status_strip.text("data") == "—"


def test_a_screenshot_shows_the_strip_with_its_marks(
    qtbot: object, dashboard_app: object, h10_run: H10Run, tmp_path: Path
) -> None:
    window = _window(qtbot, h10_run.updates)
    with qtbot.waitExposed(window):  # type: ignore[attr-defined]
        pass
    written = save_window_screenshots(tmp_path / "shots")
    assert [p.name for p in written] == ["dashboard.png"]
    image = QImage(str(written[0])).convertToFormat(QImage.Format.Format_RGB32)
    plot = window.ecg_strip.plot_widget
    top_left = plot.mapTo(window, plot.rect().topLeft())
    region = image.copy(top_left.x(), top_left.y(), plot.width(), plot.height())
    width, height = region.width(), region.height()
    raw = np.frombuffer(region.constBits(), dtype=np.uint32, count=region.sizeInBytes() // 4)
    pixels = raw.reshape(height, region.bytesPerLine() // 4)[:, :width]
    red = np.uint32(QColor(PEAK_COLOUR).rgb())
    assert np.count_nonzero(pixels == red) >= 4 * 10  # four or more filled triangles
    # The trace (dark on the white panel) runs across the strip.
    grey = ((pixels >> 16) & 0xFF).astype(int) + ((pixels >> 8) & 0xFF) + (pixels & 0xFF)
    box = window.ecg_strip.plot.vb.sceneBoundingRect().toRect()  # the data area, no axes
    inside = grey[box.top() + 1 : box.bottom() - 1, box.left() + 1 : box.right() - 1]
    assert np.count_nonzero((inside < 3 * 110).any(axis=0)) > 0.8 * inside.shape[1]
