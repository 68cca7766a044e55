"""The whole session in one strip: phases, SUDS and notes, alerts, gaps and where the replay is.

Rows from the top: the protocol phases (coloured bands with their names), SUDS ratings (dots
with the rating) and notes (ticks), the alerts the live session showed, and, once the what-if
settings differ from the recorded ones, the alerts with those settings. Signal gaps are hatched
across all rows. The playhead marks the replay's position; a click (or a drag, on release)
anywhere on the strip asks to seek there.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from monitor.core.tolerance import Zone
from monitor.session.dashboard_model import Span
from monitor.session.replay_model import SessionOverview
from monitor.ui import theme
from monitor.ui.formatting import clock_text

LABEL_WIDTH_PX = 74
RIGHT_MARGIN_PX = 14
ROW_HEIGHTS_PX = {"phases": 22, "suds": 20, "alerts": 12, "what-if": 12}
ROW_GAP_PX = 4
AXIS_HEIGHT_PX = 16
TOP_MARGIN_PX = 6
TICK_STEPS_S = (30, 60, 120, 300, 600, 900, 1800, 3600)
MIN_TICK_SPACING_PX = 70
ROW_CAPTIONS = {"phases": "Phases", "suds": "SUDS", "alerts": "Alerts", "what-if": "What-if"}


@dataclass(frozen=True)
class _Row:
    name: str
    top: float
    height: float


def alert_colour(kind: str, alpha: int = 255) -> QColor:
    """An alert's colour: its zone's, the early warning in the upper edge's."""
    zone = {"hyper": Zone.HYPER, "hypo": Zone.HYPO}.get(kind, Zone.EDGE)
    return QColor(*theme.with_alpha(theme.ZONE_COLOURS[zone], alpha))


class OverviewStrip(QWidget):
    """The session overview with a playhead; emits :attr:`seek_requested` on a click.

    Signals
    -------
    seek_requested(float)
        Session time the therapist clicked (or released a drag) at.
    """

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.overview: SessionOverview | None = None
        self.what_if_alerts: list[Span] | None = None
        """The what-if alerts, or ``None`` while the settings are the recorded ones."""
        self.position_s = 0.0
        self._dragging_to_s: float | None = None
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self._height())
        self.setToolTip("Click to go to that moment of the session")

    def _rows(self) -> list[_Row]:
        rows, top = [], float(TOP_MARGIN_PX)
        for name, height in ROW_HEIGHTS_PX.items():
            rows.append(_Row(name, top, float(height)))
            top += height + ROW_GAP_PX
        return rows

    def _height(self) -> int:
        return int(self._rows()[-1].top + ROW_HEIGHTS_PX["what-if"] + AXIS_HEIGHT_PX + 6)

    def sizeHint(self) -> QSize:
        return QSize(900, self._height())

    # -- content --------------------------------------------------------------------------------

    def set_overview(self, overview: SessionOverview | None) -> None:
        """Show another session (``None``: nothing open)."""
        self.overview = overview
        self.what_if_alerts = None
        self.position_s = 0.0
        self._dragging_to_s = None
        self.update()

    def set_what_if_alerts(self, alerts: list[Span] | None) -> None:
        """The what-if alerts (``None`` hides their row's content)."""
        if alerts != self.what_if_alerts:
            self.what_if_alerts = alerts
            self.update()

    def set_position(self, t_s: float) -> None:
        """Move the playhead (repaints only when it moves by a pixel or more)."""
        if self.x_of(t_s) != self.x_of(self.position_s):
            self.update()
        self.position_s = t_s

    # -- geometry -------------------------------------------------------------------------------

    @property
    def duration_s(self) -> float:
        return max(self.overview.duration_s, 1.0) if self.overview is not None else 1.0

    def x_of(self, t_s: float) -> float:
        """Pixel column of session time ``t_s``."""
        width = max(self.width() - LABEL_WIDTH_PX - RIGHT_MARGIN_PX, 1)
        fraction = min(max(t_s / self.duration_s, 0.0), 1.0)
        return LABEL_WIDTH_PX + fraction * width

    def time_at(self, x: float) -> float:
        """Session time at pixel column ``x`` (clamped to the session)."""
        width = max(self.width() - LABEL_WIDTH_PX - RIGHT_MARGIN_PX, 1)
        fraction = min(max((x - LABEL_WIDTH_PX) / width, 0.0), 1.0)
        return fraction * self.duration_s

    # -- input ----------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.overview is not None:
            self._dragging_to_s = self.time_at(event.position().x())
            self.update()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._dragging_to_s is not None:
            self._dragging_to_s = self.time_at(event.position().x())
            self.update()
        elif self.overview is not None:
            self.setToolTip(f"Go to {clock_text(self.time_at(event.position().x()))}")
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        # Seek on release only: every seek re-runs the engine up to its target, so a drag
        # previews the playhead and seeks once.
        if event.button() == Qt.MouseButton.LeftButton and self._dragging_to_s is not None:
            t_s = self.time_at(event.position().x())
            self._dragging_to_s = None
            self.position_s = t_s
            self.update()
            self.seek_requested.emit(t_s)
        super().mouseReleaseEvent(event)

    # -- painting -------------------------------------------------------------------------------

    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(theme.PANEL))
        font = QFont(theme.FONT_FAMILY)
        font.setPointSize(theme.BASE_POINT_SIZE - 2)
        painter.setFont(font)
        rows = {row.name: row for row in self._rows()}
        for row in rows.values():
            painter.setPen(QColor(theme.MUTED_TEXT))
            caption = QRectF(4, row.top, LABEL_WIDTH_PX - 10, row.height)
            painter.drawText(caption, Qt.AlignmentFlag.AlignVCenter, ROW_CAPTIONS[row.name])
            lane = QRectF(LABEL_WIDTH_PX, row.top, self.x_of(self.duration_s) - LABEL_WIDTH_PX,
                          row.height)  # fmt: skip
            painter.fillRect(lane, QColor("#F1EFEA"))
        overview = self.overview
        if overview is not None:
            self._paint_phases(painter, overview, rows["phases"])
            self._paint_marks(painter, overview, rows["suds"])
            self._paint_alerts(painter, list(overview.alerts), rows["alerts"])
            if self.what_if_alerts is not None:
                self._paint_alerts(painter, self.what_if_alerts, rows["what-if"])
            else:
                painter.setPen(QColor(theme.MUTED_TEXT))
                lane = QRectF(LABEL_WIDTH_PX + 6, rows["what-if"].top - 2, 400,
                              rows["what-if"].height + 4)  # fmt: skip
                painter.drawText(lane, Qt.AlignmentFlag.AlignVCenter, "as recorded")
            self._paint_gaps(painter, overview, rows)
            self._paint_axis(painter, rows["what-if"].top + rows["what-if"].height + 3)
            self._paint_playhead(painter, rows)
        painter.end()

    def _paint_phases(self, painter: QPainter, overview: SessionOverview, row: _Row) -> None:
        for phase in overview.phases:
            x0, x1 = self.x_of(phase.start_s), self.x_of(phase.end_s)
            rect = QRectF(x0, row.top, max(x1 - x0, 1.0), row.height)
            painter.fillRect(rect, QColor(theme.phase_colour(phase.name)))
            painter.setPen(QPen(QColor(theme.PANEL), 1))
            painter.drawLine(QPointF(x0, row.top), QPointF(x0, row.top + row.height))
            painter.setPen(QColor(theme.TEXT))
            text_rect = rect.adjusted(4, 0, -2, 0)
            metrics = painter.fontMetrics()
            text = metrics.elidedText(phase.name, Qt.TextElideMode.ElideRight,
                                      int(text_rect.width()))  # fmt: skip
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter, text)

    def _paint_marks(self, painter: QPainter, overview: SessionOverview, row: _Row) -> None:
        middle = row.top + row.height / 2
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        # Notes as small triangles (the plots' note marker), SUDS as numbered dots over them.
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.NOTE_COLOUR))
        for note in overview.notes:
            x = self.x_of(note.t_s)
            painter.drawPolygon(QPolygonF([QPointF(x - 4.5, row.top + 3),
                                           QPointF(x + 4.5, row.top + 3),
                                           QPointF(x, row.top + row.height - 4)]))  # fmt: skip
        for mark in overview.suds:
            x = self.x_of(mark.t_s)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(theme.SUDS_COLOUR))
            painter.drawEllipse(QPointF(x, middle), 8.5, 8.5)
            painter.setPen(QColor(theme.BANNER_TEXT))
            box = QRectF(x - 9, middle - 9, 18, 18)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, f"{mark.value or 0:.0f}")
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_alerts(self, painter: QPainter, alerts: list[Span], row: _Row) -> None:
        for span in alerts:
            end_s = span.end_s if span.end_s is not None else self.duration_s
            x0, x1 = self.x_of(span.start_s), self.x_of(end_s)
            alpha = 150 if span.kind == "warning" else 255
            rect = QRectF(x0, row.top + 1, max(x1 - x0, 2.0), row.height - 2)
            painter.fillRect(rect, alert_colour(span.kind, alpha))

    def _paint_gaps(self, painter: QPainter, overview: SessionOverview, rows: dict) -> None:
        top = rows["phases"].top
        bottom = rows["what-if"].top + rows["what-if"].height
        brush = QBrush(QColor(*theme.with_alpha(theme.GAP_COLOUR, 200)),
                       Qt.BrushStyle.BDiagPattern)  # fmt: skip
        for gap in overview.gaps:
            end_s = gap.end_s if gap.end_s is not None else gap.start_s
            x0, x1 = self.x_of(gap.start_s), self.x_of(end_s)
            rect = QRectF(x0, top, max(x1 - x0, 3.0), bottom - top)
            painter.fillRect(rect, QColor(*theme.with_alpha(theme.PANEL, 160)))
            painter.fillRect(rect, brush)

    def _paint_axis(self, painter: QPainter, top: float) -> None:
        width = self.x_of(self.duration_s) - LABEL_WIDTH_PX
        step = next(
            (s for s in TICK_STEPS_S if width * s / self.duration_s >= MIN_TICK_SPACING_PX),
            TICK_STEPS_S[-1],
        )
        painter.setPen(QColor(theme.MUTED_TEXT))
        t_s = 0.0
        while t_s <= self.duration_s:
            x = self.x_of(t_s)
            painter.drawLine(QPointF(x, top), QPointF(x, top + 3))
            painter.drawText(QRectF(x - 30, top + 2, 60, AXIS_HEIGHT_PX),
                             Qt.AlignmentFlag.AlignHCenter, clock_text(t_s))  # fmt: skip
            t_s += step

    def _paint_playhead(self, painter: QPainter, rows: dict) -> None:
        t_s = self._dragging_to_s if self._dragging_to_s is not None else self.position_s
        x = self.x_of(t_s)
        top = rows["phases"].top - 4
        bottom = rows["what-if"].top + rows["what-if"].height + 2
        # The part already played is veiled lightly, so "where am I" reads at a glance.
        painter.fillRect(QRectF(LABEL_WIDTH_PX, top + 4, x - LABEL_WIDTH_PX, bottom - top - 6),
                         QColor(*theme.with_alpha(theme.TEXT, 18)))  # fmt: skip
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor(theme.TEXT), 2))
        painter.drawLine(QPointF(x, top), QPointF(x, bottom))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.TEXT))
        painter.drawPolygon(QPolygonF([QPointF(x - 6, top - 2), QPointF(x + 6, top - 2),
                                       QPointF(x, top + 6)]))  # fmt: skip
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
