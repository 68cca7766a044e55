"""The session's plots on a beat-time axis: events and SUDS, HR, the RR tachogram, RMSSD, arousal.

All five share one time axis (session time of each beat, never packet arrival time) and scroll
with the newest beat; a drag or wheel on any plot stops following so the therapist can look back,
and :meth:`SessionPlots.follow` (key F) brings the view back to now.

Drawing cost is bounded by what is visible, not by the session's length: each redraw builds the
curves from the visible slice of the per-beat columns only, and event overlays are created once
and only stretched while they are still open. pyqtgraph provides the axes and the coordinate
system; what is drawn inside is plain Qt graphics items (paths, rectangles, lines, text) that
paint in C++, because every beat scrolls the view and repaints everything, and per-item Python
paint calls made that repaint three times slower (bench/dashboard.py).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from monitor.core.tolerance import ToleranceSettings, Zone
from monitor.session.dashboard_model import DashboardModel, Span
from monitor.ui import theme
from monitor.ui.formatting import clock_text

TIME_TICK_STEPS_S = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
PIXELS_PER_TIME_TICK = 110
RMSSD_MAJOR_TICKS_MS = (5, 10, 20, 40, 80, 160, 320)
RMSSD_MINOR_TICKS_MS = (15, 30, 60, 120, 240)
FOLLOW_LEAD_S = 3.0
"""Room right of the newest beat while following (a beat is decided a few beats late)."""
LANE_Y_RANGE = (-2.0, 12.5)
LANE_BAR_Y = -1.0
SUDS_MAX = 10
ZONE_BAND_ALPHA = 55
ALERT_BAR_ALPHA = 230
LEFT_AXIS_WIDTH_PX = 64
FAR = 1e7
"""Extent of "infinite" bands and lines in data units (seconds or index units)."""
Y_REFIT_SLACK = 0.25
"""A plot's y range is only changed when the data leave it or use less than this much of it
less than the whole: a steady axis is calmer and cheaper than one that twitches every beat."""


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


def cosmetic_pen(
    colour: str | QColor, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine
) -> QPen:
    pen = QPen(QColor(colour), width, style)
    pen.setCosmetic(True)  # width in pixels, whatever the zoom
    return pen


def fitted_range(
    values: np.ndarray,
    current: tuple[float, float],
    minimum_span: float,
    pad_fraction: float = 0.12,
) -> tuple[float, float] | None:
    """A new y range for ``values``, or None to keep ``current`` (see :data:`Y_REFIT_SLACK`)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    if high - low < minimum_span:
        middle = 0.5 * (low + high)
        low, high = middle - minimum_span / 2, middle + minimum_span / 2
    pad = (high - low) * pad_fraction
    low, high = low - pad, high + pad
    current_low, current_high = current
    inside = current_low <= low and high <= current_high
    if inside and (high - low) >= (1.0 - Y_REFIT_SLACK) * (current_high - current_low):
        return None
    return low, high


class _Band(QGraphicsRectItem):
    """A shaded span across a plot: vertical (a time span) or horizontal (a value span)."""

    def __init__(self, brush: QBrush | QColor, *, vertical: bool = True) -> None:
        super().__init__()
        self.setBrush(brush)
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.vertical = vertical
        self.extent: tuple[float, float] | None = None

    def set_extent(self, low: float, high: float) -> None:
        if self.extent == (low, high):
            return
        self.extent = (low, high)
        if self.vertical:
            self.setRect(QRectF(low, -FAR, max(high - low, 0.0), 2 * FAR))
        else:
            self.setRect(QRectF(-FAR, low, 2 * FAR, max(high - low, 0.0)))


def _line(at: float, pen: QPen, *, vertical: bool = True) -> QGraphicsLineItem:
    item = QGraphicsLineItem(QLineF(at, -FAR, at, FAR) if vertical else QLineF(-FAR, at, FAR, at))
    item.setPen(pen)
    return item


def _text(text: str, colour: str, anchor: tuple[float, float] = (0.0, 0.0)) -> QGraphicsItem:
    """Text at a data position, drawn at screen size; ``anchor`` as in pyqtgraph's TextItem."""
    item = QGraphicsSimpleTextItem(text)
    item.setBrush(QColor(colour))
    font = QFont(theme.FONT_FAMILY)
    font.setPointSize(theme.BASE_POINT_SIZE - 1)
    item.setFont(font)
    item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
    box = item.boundingRect()
    item.setTransform(QTransform.fromTranslate(-box.width() * anchor[0], -box.height() * anchor[1]))
    return item


class Curve(QGraphicsPathItem):
    """A data line, antialiased (the rest of the plot is not: it costs twice the paint time)."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        super().paint(painter, option, widget)


def finite_path(t_s: np.ndarray, values: np.ndarray) -> QPainterPath:
    if t_s.size < 2:
        return QPainterPath()
    # connect="finite": a NaN (a break row, an index not ready) ends the line.
    return pg.arrayToQPath(t_s, values, connect="finite")


@dataclass
class _PhaseItems:
    band: _Band
    label: QGraphicsItem
    start_s: float


class _SpanItems:
    """An alert, gap or suspension in several plots: a shaded band, or in the lane a bar at its
    foot (so it does not hide the SUDS points)."""

    def __init__(self, span: Span, plots: tuple[pg.PlotItem, ...], lane: pg.PlotItem) -> None:
        self.items: list[_Band | QGraphicsLineItem] = []
        tip = f"{span.kind}: {span.text}" if span.text else span.kind
        for plot in plots:
            item: _Band | QGraphicsLineItem
            if plot is lane:
                item = QGraphicsLineItem()
                item.setPen(cosmetic_pen(_span_colour(span, ALERT_BAR_ALPHA), 9))
            else:
                alpha = {"gap": 110, "suspended": 45}.get(span.kind, 70)
                brush = QBrush(_span_colour(span, alpha))
                if span.kind == "gap":
                    brush.setStyle(Qt.BrushStyle.BDiagPattern)
                item = _Band(brush)
            item.setToolTip(tip)
            plot.addItem(item, ignoreBounds=True)
            item.setZValue(2)
            self.items.append(item)
        self.extent: tuple[float, float] | None = None

    def set_extent(self, start_s: float, end_s: float) -> None:
        if self.extent == (start_s, end_s):
            return
        self.extent = (start_s, end_s)
        for item in self.items:
            if isinstance(item, _Band):
                item.set_extent(start_s, end_s)
            else:
                item.setLine(QLineF(start_s, LANE_BAR_Y, end_s, LANE_BAR_Y))


def _span_colour(span: Span, alpha: int) -> QColor:
    if span.kind in ("gap", "suspended"):
        return QColor(*theme.with_alpha(theme.GAP_COLOUR, alpha))
    zone = {"hyper": Zone.HYPER, "hypo": Zone.HYPO}.get(span.kind, Zone.EDGE)
    if span.kind == "warning":
        alpha //= 2
    return QColor(*theme.with_alpha(theme.ZONE_COLOURS[zone], alpha))


class _ViewSignals(QObject):
    following_changed = Signal(bool)
    needs_frame = Signal()


class SessionPlots(pg.GraphicsLayoutWidget):
    """Five linked plots drawn from a :class:`DashboardModel`.

    Parameters
    ----------
    span_s : float
        Width of the followed view in seconds (``inf``: the whole session).
    """

    def __init__(
        self, span_s: float = 300.0, parent: object = None, *, synchrony: bool = False
    ) -> None:
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
        self.arousal = self._add_plot(4, "Arousal (SD)", bottom=not synchrony)
        self.plots: tuple[pg.PlotItem, ...] = (
            self.lane,
            self.hr,
            self.rr,
            self.rmssd,
            self.arousal,
        )
        # Co-regulation: the live synchrony under the arousal, as an effect size (filled
        # points: above chance); heart rate solid, RMSSD (vagal tone) dashed.
        self.synchrony: pg.PlotItem | None = None
        if synchrony:
            self.synchrony = self._add_plot(5, "Sync (ES)", height=96, bottom=True)
            self.plots = (*self.plots, self.synchrony)
            self.synchrony_curve = self._add_curve(self.synchrony, theme.SYNCHRONY_COLOUR, 1.4)
            self.synchrony_points = pg.ScatterPlotItem(
                size=7, pen=None, brush=theme.SYNCHRONY_COLOUR, symbol="o"
            )
            self.synchrony.addItem(self.synchrony_points, ignoreBounds=True)
            self.synchrony_points.setZValue(6)
            self.rmssd_synchrony_curve = Curve()
            self.rmssd_synchrony_curve.setPen(
                cosmetic_pen(theme.RMSSD_COLOUR, 1.4, Qt.PenStyle.DashLine)
            )
            self.synchrony.addItem(self.rmssd_synchrony_curve, ignoreBounds=True)
            self.rmssd_synchrony_curve.setZValue(5)
            self.rmssd_synchrony_points = pg.ScatterPlotItem(
                size=7, pen=None, brush=theme.RMSSD_COLOUR, symbol="s"
            )
            self.synchrony.addItem(self.rmssd_synchrony_points, ignoreBounds=True)
            self.rmssd_synchrony_points.setZValue(6)
            # The key, fixed in the plot's corner (a child of the view box, not of the data).
            key = pg.TextItem("── heart rate (5 min)   - - RMSSD (10 min)", color=theme.MUTED_TEXT)
            key.setParentItem(self.synchrony.vb)
            key.setPos(4.0, 0.0)
            self.synchrony.getAxis("left").setToolTip(
                "Synchrony as an effect size against chance: heart rate solid (last 5 min), "
                "RMSSD dashed (last 10 min); filled points: above chance"
            )
            self.synchrony.setYRange(-1.0, 8.0, padding=0)
        for plot in self.plots:
            if plot is not self.arousal:
                plot.setXLink(self.arousal)
        self.lane.setYRange(*LANE_Y_RANGE, padding=0)
        self.lane.getAxis("left").setTicks([[(0, "0"), (5, "5"), (10, "10")]])

        self.curves = {
            "hr_bpm": self._add_curve(self.hr, theme.HR_COLOUR, 1.6),
            "nn_ms": self._add_curve(self.rr, theme.RR_COLOUR, 1.0),
            "ln_rmssd": self._add_curve(self.rmssd, theme.RMSSD_COLOUR, 1.6),
            "arousal": self._add_curve(self.arousal, theme.AROUSAL_COLOUR, 1.6),
        }
        self.corrected_points = pg.ScatterPlotItem(
            size=7, pen=None, brush=theme.CORRECTED_COLOUR, symbol="o"
        )
        self.rr.addItem(self.corrected_points, ignoreBounds=True)
        self.corrected_points.setZValue(6)

        self.baseline_band = _Band(QColor(*theme.with_alpha(theme.RMSSD_COLOUR, 45)),
                                   vertical=False)  # fmt: skip
        self.baseline_line = _line(
            0.0, cosmetic_pen(theme.RMSSD_COLOUR, 1, Qt.PenStyle.DashLine), vertical=False
        )
        for item in (self.baseline_band, self.baseline_line):
            item.hide()
            self.rmssd.addItem(item, ignoreBounds=True)
            item.setZValue(1)

        self.zone_bands: dict[Zone, _Band] = {}
        for zone in (Zone.HYPO, Zone.INSIDE, Zone.EDGE, Zone.HYPER):
            colour = QColor(*theme.with_alpha(theme.ZONE_COLOURS[zone], ZONE_BAND_ALPHA))
            band = _Band(colour, vertical=False)
            self.arousal.addItem(band, ignoreBounds=True)
            band.setZValue(0)
            self.zone_bands[zone] = band

        self.suds_points = pg.ScatterPlotItem(
            size=11, brush=theme.SUDS_COLOUR, pen=None, hoverable=True
        )
        self.note_points = pg.ScatterPlotItem(
            size=12, symbol="t", brush=theme.NOTE_COLOUR, pen=None, hoverable=True,
            tip=lambda x, y, data: f"{clock_text(x)} {data}",
        )  # fmt: skip
        for item in (self.suds_points, self.note_points):
            self.lane.addItem(item, ignoreBounds=True)
            item.setZValue(6)

        # Overlays already drawn, so each redraw only adds what is new.
        self._phase_items: list[_PhaseItems] = []
        self._span_items: dict[str, list[tuple[Span, _SpanItems]]] = {
            "alerts": [], "gaps": [], "suspensions": [],
        }  # fmt: skip
        self._suds_count = 0
        self._suds_labels: list[QGraphicsItem] = []
        self._notes_count = 0
        self._tolerance: ToleranceSettings | None = None

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
        left = plot.getAxis("left")
        left.setWidth(LEFT_AXIS_WIDTH_PX)
        for name in ("left", "bottom"):
            plot.getAxis(name).setTextPen(theme.TEXT)
            plot.getAxis(name).setPen(theme.GRID)
        left.setLabel(label, color=theme.MUTED_TEXT)
        if not bottom:
            plot.hideAxis("bottom")
        if height is not None:
            plot.setMaximumHeight(height)
            plot.setMinimumHeight(height)
        return plot

    @staticmethod
    def _add_curve(plot: pg.PlotItem, colour: str, width: float) -> QGraphicsPathItem:
        curve = Curve()
        curve.setPen(cosmetic_pen(colour, width))
        plot.addItem(curve, ignoreBounds=True)
        curve.setZValue(5)
        return curve

    # -- following ----------------------------------------------------------------------------

    def follow(self) -> None:
        """Scroll with the newest beat again."""
        if not self.following:
            self.following = True
            self.signals.following_changed.emit(True)
        self._view_dirty = True
        self.signals.needs_frame.emit()

    def set_span(self, span_s: float) -> None:
        """Width of the followed view (``inf``: the whole session)."""
        self.span_s = span_s
        self.follow()

    def _manual_range_change(self, *_: object) -> None:
        if self.following:
            self.following = False
            self.signals.following_changed.emit(False)
        self._view_dirty = True
        self.signals.needs_frame.emit()

    def _range_changed(self, *_: object) -> None:
        if not self._setting_range:
            self._view_dirty = True
            self.signals.needs_frame.emit()

    # -- drawing ------------------------------------------------------------------------------

    def curve_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The (time, value) points a curve draws now (for tests and the benchmark)."""
        return self._shown.get(name, (np.empty(0), np.empty(0)))

    def show_model(self, model: DashboardModel) -> bool:
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
        self._shown: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, curve in self.curves.items():
            values = beats.column(name)[i0:i1]
            self._shown[name] = (t, values)
            curve.setPath(finite_path(t, values))
        corrected = beats.column("corrected")[i0:i1] == 1.0
        self.corrected_points.setData(t[corrected], self._shown["nn_ms"][1][corrected])
        self._draw_synchrony(model)
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
        self._fit_y(model)
        return True

    def _draw_synchrony(self, model: DashboardModel) -> None:
        if self.synchrony is None or not model.synchrony_trace:
            return
        highest = []
        for name, trace, curve, points in (
            ("synchrony", model.synchrony_trace, self.synchrony_curve, self.synchrony_points),
            (
                "rmssd_synchrony",
                model.rmssd_trace,
                self.rmssd_synchrony_curve,
                self.rmssd_synchrony_points,
            ),
        ):
            if not trace:
                continue
            t, effect, above = (np.array(column) for column in zip(*trace, strict=True))
            self._shown[name] = (t, effect)
            curve.setPath(finite_path(t, effect))
            shown = above.astype(bool)
            points.setData(t[shown], effect[shown])
            highest.extend(effect[np.isfinite(effect)])
        high = max(8.0, max(highest) + 1.0) if highest else 8.0
        if self.synchrony.vb.viewRange()[1][1] != high:
            self.synchrony.setYRange(-1.0, high, padding=0)

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

    def _fit_y(self, model: DashboardModel) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fits = (
                (self.hr, self._shown["hr_bpm"][1], 16.0),
                (self.rr, self._shown["nn_ms"][1], 250.0),
                (self.rmssd, self._with_baseline(self._shown["ln_rmssd"][1], model), 0.8),
            )
            for plot, values, minimum_span in fits:
                current = tuple(plot.vb.viewRange()[1])
                y_range = fitted_range(values, current, minimum_span)
                if y_range is not None:
                    plot.setYRange(*y_range, padding=0)
            s = model.tolerance
            arousal = self._shown["arousal"][1]
            finite = arousal[np.isfinite(arousal)]
            low = min(s.lower_sd - 1.0, float(finite.min()) if finite.size else 0.0) - 0.3
            high = max(s.upper_sd + 1.0, float(finite.max()) if finite.size else 0.0) + 0.3
            current = tuple(self.arousal.vb.viewRange()[1])
            fitted = fitted_range(np.array([low, high]), current, 0.0, pad_fraction=0.0)
            if fitted is not None:
                self.arousal.setYRange(*fitted, padding=0)

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

    def _draw_tolerance(self, model: DashboardModel) -> None:
        s = model.tolerance
        if s == self._tolerance:
            return
        self._tolerance = s
        bounds = {
            Zone.HYPO: (-FAR, s.lower_sd),
            Zone.INSIDE: (s.lower_sd, s.edge_sd),
            Zone.EDGE: (s.edge_sd, s.upper_sd),
            Zone.HYPER: (s.upper_sd, FAR),
        }
        for zone, (low, high) in bounds.items():
            self.zone_bands[zone].set_extent(low, high)

    def _draw_baseline(self, model: DashboardModel) -> None:
        baseline = model.baseline
        if baseline is None or not baseline.is_usable:
            self.baseline_band.hide()
            self.baseline_line.hide()
            return
        self.baseline_band.set_extent(
            baseline.ln_rmssd - baseline.ln_rmssd_spread,
            baseline.ln_rmssd + baseline.ln_rmssd_spread,
        )
        self.baseline_line.setLine(QLineF(-FAR, baseline.ln_rmssd, FAR, baseline.ln_rmssd))
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
                self._phase_items[index].band.set_extent(phase.t_s, max(end_s, phase.t_s))
                continue
            band = _Band(QColor(theme.phase_colour(phase.text)))
            band.set_extent(phase.t_s, max(end_s, phase.t_s))
            self.lane.addItem(band, ignoreBounds=True)
            band.setZValue(0)
            label = _text(phase.text, theme.TEXT)
            label.setPos(phase.t_s, LANE_Y_RANGE[1])
            self.lane.addItem(label, ignoreBounds=True)
            label.setZValue(7)
            for plot in self.plots[1:]:
                line = _line(phase.t_s, cosmetic_pen(theme.MUTED_TEXT, 1, Qt.PenStyle.DashLine))
                plot.addItem(line, ignoreBounds=True)
                line.setZValue(3)
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
                label = _text(f"{mark.value:.0f}", theme.SUDS_COLOUR, anchor=(0.5, 1.3))
                label.setPos(mark.t_s, float(mark.value or 0.0))
                self.lane.addItem(label, ignoreBounds=True)
                label.setZValue(7)
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
            items.set_extent(span.start_s, end_s)
        for span in spans[len(drawn) :]:
            end_s = max(span.end_s if span.end_s is not None else now_s, span.start_s)
            items = _SpanItems(span, plots, self.lane)
            items.set_extent(span.start_s, end_s)
            drawn.append((span, items))
