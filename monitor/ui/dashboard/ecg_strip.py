"""The ECG strip: the last ~5 s of the strap's ECG with the detected R peaks marked.

Shown only while a Polar H10 streams its ECG (:attr:`DashboardModel.shows_ecg`), so the
therapist can judge the signal: a clean trace with a mark on every R wave, or noise, a flat line,
marks in the wrong places. It draws :meth:`monitor.session.ecg_strip.EcgRing.strip` as it is
(nothing computed here) and only when the ring changed, from the dashboard's ~30 Hz frame.
The trace is a plain Qt path item in a pyqtgraph plot, as in :mod:`monitor.ui.plots` (C++ paint).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from monitor.session.dashboard_model import DashboardModel
from monitor.session.ecg_strip import ECG_STRIP_S, EcgRing, EcgStrip
from monitor.ui import theme
from monitor.ui.plots import LEFT_AXIS_WIDTH_PX, Curve, cosmetic_pen, finite_path, fitted_range

STRIP_HEIGHT_PX = 120
ECG_COLOUR = "#2F3B45"
PEAK_COLOUR = "#C0392B"
MARK_LIFT = 0.07
"""How far above the R wave its mark sits, as a share of the strip's height."""
MIN_SPAN_UV = 400.0
"""Smallest y span: a flat or tiny trace is shown as small, not blown up to fill the strip."""


class EcgStripView(QWidget):
    """A caption and one plot of the model's ECG strip; hidden while there is no ECG."""

    def __init__(self, span_s: float = ECG_STRIP_S, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ecg-strip")
        self.span_s = span_s
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.caption = QLabel(f"ECG from the strap · last {span_s:g} s · R peaks the monitor found")
        self.caption.setObjectName("hint")
        layout.addWidget(self.caption)
        self.plot_widget = pg.PlotWidget(background=theme.PANEL)
        self.plot_widget.setFixedHeight(STRIP_HEIGHT_PX)
        plot = self.plot_widget.getPlotItem()
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        for name in ("left", "bottom"):
            plot.getAxis(name).setTextPen(theme.TEXT)
            plot.getAxis(name).setPen(theme.GRID)
        plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH_PX)
        plot.getAxis("left").setLabel("ECG (µV)", color=theme.MUTED_TEXT)
        plot.getAxis("bottom").setTicks(
            [[(-float(s), f"−{s} s" if s else "now") for s in range(int(span_s), -1, -1)]]
        )
        plot.setXRange(-span_s, 0.0, padding=0.01)
        self.plot = plot
        self.curve = Curve()
        self.curve.setPen(cosmetic_pen(ECG_COLOUR, 1.2))
        plot.addItem(self.curve, ignoreBounds=True)
        self.peak_marks = pg.ScatterPlotItem(
            size=9, symbol="t", pen=None, brush=PEAK_COLOUR
        )  # "t": a triangle pointing down at the R wave
        plot.addItem(self.peak_marks, ignoreBounds=True)
        self.peak_marks.setZValue(6)
        layout.addWidget(self.plot_widget)
        self._rendered_ring: EcgRing | None = None
        self._rendered_revision = -1
        self.shown: EcgStrip | None = None
        """The strip drawn last (for tests and the benchmark)."""
        self.hide()

    def show_model(self, model: DashboardModel) -> bool:
        """Show or hide the strip and redraw it if the ECG changed; True if anything was drawn."""
        if not model.shows_ecg:
            if self.isVisible() or not self.isHidden():
                self.hide()
            return False
        if self.isHidden():
            self.show()
        ring = model.ecg
        # (A new session brings a new ring, whose revisions count afresh.)
        if ring is self._rendered_ring and ring.revision == self._rendered_revision:
            return False
        strip = ring.strip(self.span_s)
        if strip is None:
            return False
        self._rendered_ring, self._rendered_revision = ring, ring.revision
        self.shown = strip
        self.curve.setPath(finite_path(strip.x_s, strip.ecg_uv))
        current = self.plot.vb.viewRange()[1]
        y_range = fitted_range(strip.ecg_uv, (current[0], current[1]), MIN_SPAN_UV, 0.15)
        if y_range is not None:
            self.plot.setYRange(*y_range, padding=0)
        low, high = y_range or current
        # Marks sit a little above the R wave (a screen offset) so they do not hide its tip.
        self.peak_marks.setData(strip.peak_x_s, strip.peak_uv + MARK_LIFT * (high - low))
        return True

    def peak_marks_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The (x, y) of the R-peak marks as drawn."""
        x, y = self.peak_marks.getData()
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
