"""The session's plots on a beat-time axis: events and SUDS, HR, the RR tachogram, RMSSD, arousal.

All five share one time axis (session time of each beat, never packet arrival time) and scroll
with the newest beat; a drag or wheel on any plot stops following so the therapist can look back,
and :meth:`SessionPlots.follow` (key F) brings the view back to now.

Drawing cost is bounded by what is visible, not by the session's length: each redraw hands
pyqtgraph only the visible slice of the per-beat columns, and event overlays are created once and
only stretched while they are still open. Nothing is redrawn when the model did not change.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from monitor.core.tolerance import Zone
from monitor.ui import theme
from monitor.ui.dashboard_model import DashboardModel, Span
from monitor.ui.formatting import clock_text, number_text

TIME_TICK_STEPS_S = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
PIXELS_PER_TIME_TICK = 110
RMSSD_MAJOR_TICKS_MS = (5, 10, 20, 40, 80, 160, 320)
RMSSD_MINOR_TICKS_MS = (15, 30, 60, 120, 240)
FOLLOW_LEAD_S = 3.0
"""Room right of the newest beat while following (a beat is decided a few beats late)."""
LANE_Y_RANGE = (-2.0, 12.5)
SUDS_MAX = 10
ZONE_BAND_ALPHA = 55
ALERT_BAND_ALPHA = 70
LEFT_AXIS_WIDTH_PX = 64


class TimeAxis(pg.AxisItem):
    """Session time as m:ss / h:mm:ss with steps a clock reader expects (15 s, 1 min, 5 min…)."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        span_s = max(maxVal - minVal, 1e-9)
        wanted = max(size / PIXELS_PER_TIME_TICK, 1.0)
        major = next((s for s in TIME_TICK_STEPS_S if span_s / s <= wanted), 3600 * 6)
        minor = next((s for s in reversed(TIME_TICK_STEPS_S) if s < major), major)
        return [(float(major), 0.0), (float(minor), 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [clock_text(value) for value in values]


class LnMillisecondAxis(pg.AxisItem):
    """An axis for lnRMSSD values labelled in milliseconds (a log scale a therapist can read)."""

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        def within(levels_ms: tuple[int, ...]) -> list[float]:
            return [math.log(ms) for ms in levels_ms if minVal <= math.log(ms) <= maxVal]

        # Octaves are the major ticks; the steps between them appear when there is room.
        return [(1.0, within(RMSSD_MAJOR_TICKS_MS)), (0.5, within(RMSSD_MINOR_TICKS_MS))]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [f"{math.exp(value):.0f}" for value in values]


def _pen(colour: str, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> object:
    return pg.mkPen(color=colour, width=width, style=style)


def _visible_y_range(
    values: np.ndarray, minimum_span: float, pad_fraction: float = 0.12
) -> tuple[float, float] | None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    if high - low < minimum_span:
        middle = 0.5 * (low + high)
        low, high = middle - minimum_span / 2, middle + minimum_span / 2
    pad = (high - low) * pad_fraction
    return low - pad, high + pad


@dataclass
class _PhaseItems:
    band: pg.LinearRegionItem
    label: pg.TextItem
    start_s: float


class _ViewSignals(QObject):
    following_changed = Signal(bool)


class SessionPlots(pg.GraphicsLayoutWidget):
    """Five linked plots drawn from a :class:`DashboardModel`.

    Parameters
    ----------
    span_s : float
        Width of the followed view in seconds (``inf``: the whole session).
    """

    def __init__(self, span_s: float = 300.0, parent: object = None) -> None:
        super().__init__(parent=parent)
        self.setBackground(theme.PANEL)
        self.signals = _ViewSignals()
        self.span_s = span_s
        self.following = True
        self._rendered_revision = -1
        self._view_dirty = True
        self._setting_range = False

        self.lane = self._add_plot(0, "Events · SUDS", height=96)
        self.hr = self._add_plot(1, "HR (bpm)")
        self.rr = self._add_plot(2, "RR (ms)")
        self.rmssd = self._add_plot(3, "RMSSD (ms)", axis=LnMillisecondAxis("left"))
        self.arousal = self._add_plot(4, "Arousal (SD)", bottom=True)
        self.plots = (self.lane, self.hr, self.rr, self.rmssd, self.arousal)
        for plot in self.plots[:-1]:
            plot.setXLink(self.arousal)
        self.lane.setYRange(*LANE_Y_RANGE, padding=0)
        self.lane.getAxis("left").setTicks([[(0, "0"), (5, "5"), (10, "10")]])

        self.hr_curve = self.hr.plot(pen=_pen(theme.HR_COLOUR), connect="finite")
        self.rr_curve = self.rr.plot(pen=_pen(theme.RR_COLOUR, 1.5), connect="finite")
        self.corrected_points = self.rr.plot(
            pen=None, symbol="o", symbolSize=7, symbolPen=None,
            symbolBrush=theme.CORRECTED_COLOUR,
        )  # fmt: skip
        self.rmssd_curve = self.rmssd.plot(pen=_pen(theme.RMSSD_COLOUR), connect="finite")
        self.arousal_curve = self.arousal.plot(pen=_pen(theme.AROUSAL_COLOUR), connect="finite")
        for curve in (self.hr_curve, self.rr_curve, self.rmssd_curve, self.arousal_curve):
            curve.setDownsampling(auto=True, method="peak")

        self.baseline_band = pg.LinearRegionItem(
            orientation="horizontal", movable=False,
            brush=theme.with_alpha(theme.RMSSD_COLOUR, 45), pen=pg.mkPen(None),
        )  # fmt: skip
        self.baseline_line = pg.InfiniteLine(
            angle=0, pen=_pen(theme.RMSSD_COLOUR, 1, Qt.PenStyle.DashLine)
        )
        for item in (self.baseline_band, self.baseline_line):
            item.setZValue(-5)
            item.hide()
            self.rmssd.addItem(item)

        self.zone_bands: dict[Zone, pg.LinearRegionItem] = {}
        for zone in (Zone.HYPO, Zone.INSIDE, Zone.EDGE, Zone.HYPER):
            band = pg.LinearRegionItem(
                orientation="horizontal", movable=False,
                brush=theme.with_alpha(theme.ZONE_COLOURS[zone], ZONE_BAND_ALPHA),
                pen=pg.mkPen(None),
            )  # fmt: skip
            band.setZValue(-20)
            self.arousal.addItem(band)
            self.zone_bands[zone] = band

        self.suds_points = pg.ScatterPlotItem(
            size=11, brush=theme.SUDS_COLOUR, pen=None, hoverable=True
        )
        self.note_points = pg.ScatterPlotItem(
            size=12, symbol="t", brush=theme.NOTE_COLOUR, pen=None, hoverable=True,
            tip=lambda x, y, data: f"{clock_text(x)} {data}",
        )  # fmt: skip
        self.lane.addItem(self.suds_points)
        self.lane.addItem(self.note_points)

        self.value_labels = {
            plot: pg.TextItem("", color=theme.TEXT, anchor=(1, 0)) for plot in self.plots[1:]
        }
        for plot, label in self.value_labels.items():
            label.setZValue(10)
            plot.addItem(label, ignoreBounds=True)

        # Overlays already drawn, so each redraw only adds what is new.
        self._phase_items: list[_PhaseItems] = []
        self._span_items: dict[str, list[tuple[Span, list[_SpanItem]]]] = {
            "alerts": [], "gaps": [], "suspensions": [],
        }  # fmt: skip
        self._suds_count = 0
        self._suds_labels: list[pg.TextItem] = []
        self._notes_count = 0
        self._tolerance = None

        for plot in self.plots:
            plot.vb.sigRangeChangedManually.connect(self._manual_range_change)
            plot.vb.sigXRangeChanged.connect(self._range_changed)

    # -- construction -----------------------------------------------------------------------------

    def _add_plot(
        self,
        row: int,
        label: str,
        *,
        height: int | None = None,
        bottom: bool = False,
        axis: pg.AxisItem | None = None,
    ) -> pg.PlotItem:
        axes = {"bottom": TimeAxis("bottom")}
        if axis is not None:
            axes["left"] = axis
        plot = self.addPlot(row=row, col=0, axisItems=axes)
        plot.setMouseEnabled(x=True, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.showGrid(x=True, y=True, alpha=0.18)
        left = plot.getAxis("left")
        left.setWidth(LEFT_AXIS_WIDTH_PX)
        for name in ("left", "bottom"):
            plot.getAxis(name).setTextPen(theme.TEXT)
            plot.getAxis(name).setPen(theme.GRID)
        left.setLabel(label, color=theme.MUTED_TEXT)
        if not bottom:
            plot.getAxis("bottom").setStyle(showValues=False)
            plot.getAxis("bottom").setHeight(4)
        if height is not None:
            plot.setMaximumHeight(height)
            plot.setMinimumHeight(height)
        return plot

    # -- following ----------------------------------------------------------------------------

    def follow(self) -> None:
        """Scroll with the newest beat again."""
        if not self.following:
            self.following = True
            self.signals.following_changed.emit(True)
        self._view_dirty = True

    def set_span(self, span_s: float) -> None:
        """Width of the followed view (``inf``: the whole session)."""
        self.span_s = span_s
        self.follow()

    def _manual_range_change(self, *_: object) -> None:
        if self.following:
            self.following = False
            self.signals.following_changed.emit(False)
        self._view_dirty = True

    def _range_changed(self, *_: object) -> None:
        if not self._setting_range:
            self._view_dirty = True

    # -- drawing ------------------------------------------------------------------------------

    def render(self, model: DashboardModel) -> bool:
        """Redraw from the model if it changed (or the view moved); True if anything was drawn."""
        if model.revision == self._rendered_revision and not self._view_dirty:
            return False
        self._rendered_revision = model.revision
        self._view_dirty = False
        x0, x1 = self._x_window(model)
        beats = model.beats
        t_s = beats.column("t_s")
        i0 = int(np.searchsorted(t_s, x0, side="left"))
        i1 = int(np.searchsorted(t_s, x1, side="right"))
        # One beat beyond each edge, so lines run to the border instead of stopping short.
        i0, i1 = max(i0 - 1, 0), min(i1 + 1, len(t_s))
        t = t_s[i0:i1]
        columns = {name: beats.column(name)[i0:i1] for name in
                   ("hr_bpm", "nn_ms", "corrected", "ln_rmssd", "arousal")}  # fmt: skip
        self.hr_curve.setData(t, columns["hr_bpm"])
        self.rr_curve.setData(t, columns["nn_ms"])
        corrected = columns["corrected"] == 1.0
        self.corrected_points.setData(t[corrected], columns["nn_ms"][corrected])
        self.rmssd_curve.setData(t, columns["ln_rmssd"])
        self.arousal_curve.setData(t, columns["arousal"])
        self._draw_overlays(model)
        self._pin_phase_labels(model, x0)
        self._draw_tolerance(model)
        self._draw_baseline(model)
        if self.following:
            self._setting_range = True
            try:
                self.arousal.setXRange(x0, x1, padding=0)
            finally:
                self._setting_range = False
        self._fit_y(columns, model)
        self._draw_values(model, x1)
        return True

    def _x_window(self, model: DashboardModel) -> tuple[float, float]:
        if not self.following:
            (x0, x1), _ = self.arousal.vb.viewRange()
            return x0, x1
        t_s = model.beats.column("t_s")
        newest_s = float(t_s[-1]) if len(t_s) else 0.0
        right_s = max(newest_s, model.latest_t_s) + FOLLOW_LEAD_S
        if math.isinf(self.span_s):
            left_s = float(t_s[0]) if len(t_s) else 0.0
            return min(left_s, right_s - 60.0), right_s
        return right_s - self.span_s, right_s

    def _fit_y(self, columns: dict[str, np.ndarray], model: DashboardModel) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fits = (
                (self.hr, columns["hr_bpm"], 16.0),
                (self.rr, columns["nn_ms"], 250.0),
                (self.rmssd, self._with_baseline(columns["ln_rmssd"], model), 0.8),
            )
            for plot, values, minimum_span in fits:
                y_range = _visible_y_range(values, minimum_span)
                if y_range is not None:
                    plot.setYRange(*y_range, padding=0)
            s = model.tolerance
            arousal = columns["arousal"]
            finite = arousal[np.isfinite(arousal)]
            low = min(s.lower_sd - 1.0, float(finite.min()) if finite.size else 0.0)
            high = max(s.upper_sd + 1.0, float(finite.max()) if finite.size else 0.0)
            self.arousal.setYRange(low - 0.3, high + 0.3, padding=0)

    @staticmethod
    def _with_baseline(ln_rmssd: np.ndarray, model: DashboardModel) -> np.ndarray:
        baseline = model.baseline
        if baseline is None or not baseline.is_usable:
            return ln_rmssd
        band = (
            baseline.ln_rmssd - baseline.ln_rmssd_spread,
            baseline.ln_rmssd + baseline.ln_rmssd_spread,
        )
        return np.concatenate([ln_rmssd, band])

    def _draw_values(self, model: DashboardModel, x1: float) -> None:
        indices = model.indices
        nn_ms = model.beats.column("nn_ms")
        reading = model.reading
        arousal = None
        if reading is not None and reading.zone not in (Zone.CALIBRATING, Zone.SUSPENDED):
            arousal = reading.arousal
        texts = {
            self.hr: f"HR {number_text(indices.hr_10s_bpm if indices else None, ' bpm')}",
            self.rr: f"last RR {number_text(float(nn_ms[-1]) if len(nn_ms) else None, ' ms')}",
            self.rmssd: f"RMSSD {number_text(indices.rmssd_ms if indices else None, ' ms')}",
            self.arousal: "arousal "
            + ("—" if arousal is None else f"{arousal:+.1f} SD".replace("-", "−")),
        }
        for plot, text in texts.items():
            label = self.value_labels[plot]
            label.setText(text)
            (_, top) = plot.vb.viewRange()[1]
            label.setPos(x1, top)

    def _draw_tolerance(self, model: DashboardModel) -> None:
        s = model.tolerance
        if s == self._tolerance:
            return
        self._tolerance = s
        far = 1e3
        bounds = {
            Zone.HYPO: (-far, s.lower_sd),
            Zone.INSIDE: (s.lower_sd, s.edge_sd),
            Zone.EDGE: (s.edge_sd, s.upper_sd),
            Zone.HYPER: (s.upper_sd, far),
        }
        for zone, region in bounds.items():
            self.zone_bands[zone].setRegion(region)

    def _draw_baseline(self, model: DashboardModel) -> None:
        baseline = model.baseline
        if baseline is None or not baseline.is_usable:
            self.baseline_band.hide()
            self.baseline_line.hide()
            return
        self.baseline_band.setRegion(
            (
                baseline.ln_rmssd - baseline.ln_rmssd_spread,
                baseline.ln_rmssd + baseline.ln_rmssd_spread,
            )
        )
        self.baseline_line.setPos(baseline.ln_rmssd)
        self.baseline_band.show()
        self.baseline_line.show()

    # -- overlays -----------------------------------------------------------------------------

    def _draw_overlays(self, model: DashboardModel) -> None:
        now_s = model.latest_t_s
        # Phases: a coloured band with its name in the lane, a thin line where it starts in
        # the other plots (bands there would muddy the window's zone colours).
        # Only the last drawn phase can still change its end; earlier ones are settled.
        for index in range(max(len(self._phase_items) - 1, 0), len(model.phases)):
            phase = model.phases[index]
            end_s = model.phases[index + 1].t_s if index + 1 < len(model.phases) else now_s
            if index < len(self._phase_items):
                self._phase_items[index].band.setRegion((phase.t_s, max(end_s, phase.t_s)))
                continue
            band = pg.LinearRegionItem(
                values=(phase.t_s, max(end_s, phase.t_s)), movable=False,
                brush=theme.with_alpha(theme.phase_colour(phase.text), 255), pen=pg.mkPen(None),
            )  # fmt: skip
            band.setZValue(-30)
            self.lane.addItem(band, ignoreBounds=True)
            label = pg.TextItem(phase.text, color=theme.TEXT, anchor=(0, 0))
            label.setPos(phase.t_s, LANE_Y_RANGE[1])
            self.lane.addItem(label, ignoreBounds=True)
            for plot in self.plots[1:]:
                line = pg.InfiniteLine(
                    pos=phase.t_s, angle=90, pen=_pen(theme.MUTED_TEXT, 1, Qt.PenStyle.DashLine)
                )
                line.setZValue(-8)
                plot.addItem(line, ignoreBounds=True)
            self._phase_items.append(_PhaseItems(band, label, phase.t_s))

        self._draw_spans("alerts", model.alerts, now_s, (self.lane,))
        self._draw_spans("gaps", model.gaps, now_s, self.plots)
        self._draw_spans("suspensions", model.suspensions, now_s, (self.arousal,))

        if len(model.suds) != self._suds_count:
            self._suds_count = len(model.suds)
            xs = [mark.t_s for mark in model.suds]
            ys = [float(mark.value or 0.0) for mark in model.suds]
            self.suds_points.setData(x=xs, y=ys, data=[mark.text for mark in model.suds])
            for mark in model.suds[len(self._suds_labels) :]:
                label = pg.TextItem(f"{mark.value:.0f}", color=theme.SUDS_COLOUR, anchor=(0.5, 1.1))
                label.setPos(mark.t_s, float(mark.value or 0.0))
                self.lane.addItem(label, ignoreBounds=True)
                self._suds_labels.append(label)
        if len(model.notes) != self._notes_count:
            self._notes_count = len(model.notes)
            self.note_points.setData(
                x=[mark.t_s for mark in model.notes],
                y=[SUDS_MAX + 1.0] * len(model.notes),
                data=[mark.text for mark in model.notes],
            )

    def _pin_phase_labels(self, model: DashboardModel, x0: float) -> None:
        """Keep the name of a phase that began left of the view at the view's left edge."""
        for index, items in enumerate(self._phase_items):
            next_start_s = (
                model.phases[index + 1].t_s if index + 1 < len(model.phases) else math.inf
            )
            x = max(items.start_s, x0) if next_start_s > x0 else items.start_s
            if items.label.pos().x() != x:
                items.label.setPos(x, LANE_Y_RANGE[1])

    def _draw_spans(
        self, name: str, spans: list[Span], now_s: float, plots: tuple[pg.PlotItem, ...]
    ) -> None:
        drawn = self._span_items[name]
        for span, items in drawn:
            end_s = max(span.end_s if span.end_s is not None else now_s, span.start_s)
            for item in items:
                item.set_extent(span.start_s, end_s)
        for span in spans[len(drawn) :]:
            end_s = max(span.end_s if span.end_s is not None else now_s, span.start_s)
            items = [_SpanItem(plot, span, lane=plot is self.lane) for plot in plots]
            for item in items:
                item.set_extent(span.start_s, end_s)
            drawn.append((span, items))


def _span_colour(span: Span, alpha: int) -> QColor:
    if span.kind in ("gap", "suspended"):
        return QColor(*theme.with_alpha(theme.GAP_COLOUR, alpha))
    zone = {"hyper": Zone.HYPER, "hypo": Zone.HYPO}.get(span.kind, Zone.EDGE)
    if span.kind == "warning":
        alpha //= 2
    return QColor(*theme.with_alpha(theme.ZONE_COLOURS[zone], alpha))


class _SpanItem:
    """An alert, gap or suspension in one plot: a shaded band, or in the lane a bar at its foot
    (so it does not hide the SUDS points)."""

    LANE_BAR_Y = -1.0

    def __init__(self, plot: pg.PlotItem, span: Span, *, lane: bool) -> None:
        self._extent: tuple[float, float] | None = None
        tip = f"{span.kind}: {span.text}" if span.text else span.kind
        if lane:
            pen = pg.mkPen(color=_span_colour(span, 230), width=9)
            self.item = pg.PlotDataItem(pen=pen)
            self.item.setToolTip(tip)
            self._band = None
        else:
            alpha = {"gap": 110, "suspended": 45}.get(span.kind, ALERT_BAND_ALPHA)
            brush = QBrush(_span_colour(span, alpha))
            if span.kind == "gap":
                brush.setStyle(Qt.BrushStyle.BDiagPattern)
            self.item = pg.LinearRegionItem(movable=False, brush=brush, pen=pg.mkPen(None))
            self.item.setZValue(-15)
            self.item.setToolTip(tip)
            self._band = self.item
        plot.addItem(self.item, ignoreBounds=True)

    def set_extent(self, start_s: float, end_s: float) -> None:
        if self._extent == (start_s, end_s):
            return
        self._extent = (start_s, end_s)
        if self._band is not None:
            self._band.setRegion((start_s, end_s))
        else:
            self.item.setData([start_s, end_s], [self.LANE_BAR_Y, self.LANE_BAR_Y])
