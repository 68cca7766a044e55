"""The arousal gauge: where the client is now against their own window of tolerance.

A vertical bar in the usual window-of-tolerance picture (hyperarousal above, hypoarousal below,
Siegel 1999), a marker at the engine's arousal index, the zone's name in large type and the
engine's reason below. When the engine is not judging (calibrating, suspended) or the strap is not
delivering, the gauge says so and why, greys out and shows no marker: it never guesses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from drivers.events import ConnectionState
from monitor.core.tolerance import ToleranceSettings, Zone
from monitor.session.dashboard_model import DashboardModel
from monitor.ui import theme

ZONE_TITLES: dict[Zone, str] = {
    Zone.HYPO: "Low arousal: check in",
    Zone.INSIDE: "Inside the window",
    Zone.EDGE: "Near the upper edge",
    Zone.HYPER: "Above the window",
    Zone.CALIBRATING: "Calibrating the baseline",
    Zone.SUSPENDED: "Not judging right now",
}

STRAP_TITLES: dict[ConnectionState, str] = {
    ConnectionState.SCANNING: "Looking for the strap…",
    ConnectionState.CONNECTING: "Connecting to the strap…",
    ConnectionState.LOST: "Strap lost: reconnecting…",
    ConnectionState.RECONNECTING: "Strap reconnecting…",
    ConnectionState.STOPPED: "Session stopped",
}

SCALE_MARGIN_SD = 1.5
"""The bar extends this far beyond the outer bounds, so the marker has room on both sides."""


@dataclass(frozen=True)
class GaugeState:
    """What the gauge shows (decided from the model; tests read this, not pixels).

    Attributes
    ----------
    title : str
        Large text: the zone, or why there is none.
    detail : str
        The engine's reason (or the strap's state detail).
    zone : Zone or None
        The judged zone; ``None`` when nothing is judged (no marker, bar greyed).
    arousal : float or None
        Marker position in baseline SDs; ``None`` without a judged zone.
    warning : bool
        The engine's early warning is on.
    """

    title: str
    detail: str
    zone: Zone | None
    arousal: float | None
    warning: bool = False


def gauge_state(model: DashboardModel) -> GaugeState:
    """The gauge's content for the model's latest reading and strap status."""
    status = model.status
    if model.ended:
        detail = model.end_reason or status.detail
        return GaugeState(STRAP_TITLES[ConnectionState.STOPPED], detail, None, None)
    if model.strap_is_down:
        title = STRAP_TITLES.get(status.state, str(status.state))
        reason = model.reading.reason if model.reading is not None else ""
        detail = status.detail or reason
        if status.state in (ConnectionState.LOST, ConnectionState.RECONNECTING):
            detail = f"{detail}. Nothing is judged until the signal is back; the gap is marked."
        return GaugeState(title, detail.lstrip(". "), None, None)
    reading = model.reading
    if reading is None:
        return GaugeState("Waiting for the first beats", "", None, None)
    title = ZONE_TITLES[reading.zone]
    if reading.zone in (Zone.CALIBRATING, Zone.SUSPENDED) or math.isnan(reading.arousal):
        return GaugeState(title, reading.reason, None, None)
    return GaugeState(title, reading.reason, reading.zone, reading.arousal, reading.warning)


class GaugeBar(QWidget):
    """The painted bar: four zone segments from the window's bounds and the arousal marker."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = GaugeState("", "", None, None)
        self._tolerance = ToleranceSettings()
        self.setMinimumSize(200, 170)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(240, 260)

    def set_state(self, state: GaugeState, tolerance: ToleranceSettings) -> None:
        """Show ``state`` against the window ``tolerance`` (repaints only on a change)."""
        if state != self._state or tolerance != self._tolerance:
            self._state = state
            self._tolerance = tolerance
            self.update()

    def _scale(self) -> tuple[float, float]:
        s = self._tolerance
        return min(s.lower_sd - SCALE_MARGIN_SD, -4.0), max(s.upper_sd + SCALE_MARGIN_SD, 4.0)

    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        s, state = self._tolerance, self._state
        bar = QRectF(8, 10, 64, self.height() - 20)
        low_sd, high_sd = self._scale()

        def y_of(value_sd: float) -> float:
            value_sd = min(max(value_sd, low_sd), high_sd)
            return bar.bottom() - (value_sd - low_sd) / (high_sd - low_sd) * bar.height()

        segments = (
            (Zone.HYPER, s.upper_sd, high_sd, "above (hyper)"),
            (Zone.EDGE, s.edge_sd, s.upper_sd, "upper edge"),
            (Zone.INSIDE, s.lower_sd, s.edge_sd, "inside the window"),
            (Zone.HYPO, low_sd, s.lower_sd, "below (hypo)"),
        )
        label_font = QFont(theme.FONT_FAMILY)
        label_font.setPointSize(theme.BASE_POINT_SIZE - 1)
        painter.setFont(label_font)
        for zone, low, high, label in segments:
            rect = QRectF(bar.left(), y_of(high), bar.width(), y_of(low) - y_of(high))
            colour = QColor(theme.ZONE_COLOURS[zone] if state.zone else "#D5D7DA")
            if state.zone is not None and zone != state.zone:
                colour.setAlpha(90)
            painter.fillRect(rect, colour)
            text_colour = theme.ZONE_TEXT_COLOURS[zone] if state.zone else theme.MUTED_TEXT
            painter.setPen(QColor(text_colour))
            label_rect = QRectF(bar.right() + 10, rect.top(), self.width() - bar.right() - 12,
                                rect.height())  # fmt: skip
            painter.drawText(label_rect, Qt.AlignmentFlag.AlignVCenter, label)
        painter.setPen(QPen(QColor(theme.GRID), 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(bar, 6, 6)
        if state.zone is not None and state.arousal is not None:
            # Off-scale values sit at the bar's end (the value is printed below the bar).
            y = min(max(y_of(state.arousal), bar.top() + 11), bar.bottom() - 11)
            painter.setPen(QPen(QColor(theme.TEXT), 3))
            painter.drawLine(QPointF(bar.left() - 4, y), QPointF(bar.right() + 4, y))
            painter.setBrush(QColor(theme.ZONE_COLOURS[state.zone]))
            painter.drawEllipse(QPointF(bar.center().x(), y), 11, 11)
        painter.end()


class ArousalGaugePanel(QFrame):
    """Zone title, the bar, the arousal value and the engine's reason, in one panel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        self.title = QLabel("Waiting for the first beats")
        title_font = QFont(theme.FONT_FAMILY)
        title_font.setPointSize(theme.ZONE_TITLE_POINT_SIZE)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.title.setWordWrap(True)
        self.bar = GaugeBar()
        self.value = QLabel("")
        self.value.setObjectName("hint")
        self.reason = QLabel("")
        self.reason.setWordWrap(True)
        reason_font = QFont(theme.FONT_FAMILY)
        reason_font.setPointSize(theme.BASE_POINT_SIZE + 1)
        self.reason.setFont(reason_font)
        self.reason.setMinimumHeight(48)
        self.reason.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.title)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.value)
        layout.addWidget(self.reason)
        self.state = GaugeState("", "", None, None)

    def show_model(self, model: DashboardModel) -> None:
        """Show the model's latest reading (cheap when nothing changed)."""
        state = gauge_state(model)
        self.bar.set_state(state, model.tolerance)
        if state == self.state:
            return
        self.state = state
        colour = theme.ZONE_TEXT_COLOURS[state.zone] if state.zone else theme.MUTED_TEXT
        self.title.setText(state.title)
        self.title.setStyleSheet(f"color: {colour};")
        if state.arousal is None:
            self.value.setText("")
        else:
            early = "  ·  early warning" if state.warning else ""
            self.value.setText(f"arousal {state.arousal:+.1f} SD from baseline{early}"
                               .replace("-", "−"))  # fmt: skip
        self.reason.setText(state.detail)
