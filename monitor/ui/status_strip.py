"""The status strip across the top: everything about the session's state, readable at a glance.

Client code, session clock, current phase, recording, strap connection, which data the strap gives
(heart rate, RR, and a Polar H10's ECG and accelerometer), battery, skin contact and signal quality
(the share of corrected beats in the last minute). Plain words, and colour only
where something needs the therapist (a lost strap, no contact, a poor signal).
"""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from drivers.events import ConnectionState
from monitor.session.dashboard_controller import RecordingState
from monitor.session.dashboard_model import DashboardModel
from monitor.session.strap_data import NO_DATA
from monitor.ui import theme
from monitor.ui.formatting import clock_text

STATUS_FIELDS = (
    "client", "clock", "phase", "recording", "strap", "data", "battery", "contact", "signal"
)  # fmt: skip
FIELD_CAPTIONS = {
    "client": "Client",
    "clock": "Session",
    "phase": "Phase",
    "recording": "Recording",
    "strap": "Strap",
    "data": "Strap gives",
    "battery": "Battery",
    "contact": "Skin contact",
    "signal": "Signal (corrected beats)",
}

FIELDS_UNDER = {"data": "strap"}
"""Fields shown as a small line under another's value rather than in a column of their own."""
UNDER_POINT_SIZE = theme.BASE_POINT_SIZE - 2
"""Their type: "heart rate + RR + ECG + ACC" under "connected" keeps the strip within 1440 px."""

LOW_BATTERY_PCT = 15
GOOD_SIGNAL_MAX_PCT = 5.0


def status_values(
    model: DashboardModel, client_code: str, clock_s: float, recording: RecordingState
) -> dict[str, tuple[str, str]]:
    """Each field's text and colour for the model's state."""
    status = model.status
    state = status.state
    if state is ConnectionState.CONNECTED:
        strap = ("connected", theme.STATE_OK)
    elif state in (ConnectionState.LOST, ConnectionState.RECONNECTING):
        strap = (str(state), theme.STATE_WARN)
    else:
        strap = (str(state), theme.STATE_IDLE)
    battery_pct = status.battery_pct
    if battery_pct is None:
        battery = ("—", theme.STATE_IDLE)
    else:
        battery_colour = theme.STATE_WARN if battery_pct <= LOW_BATTERY_PCT else theme.TEXT
        battery = (f"{battery_pct} %", battery_colour)
    if status.contact is None:
        contact = ("—", theme.STATE_IDLE)
    elif status.contact:
        contact = ("good", theme.STATE_OK)
    else:
        contact = ("none: check strap", theme.STATE_WARN)
    data_text, _ = model.strap_data()
    if data_text == NO_DATA:
        data = (data_text, theme.STATE_IDLE)
    elif not model.rr_seen:
        data = (data_text, theme.STATE_WARN)  # no RR, no HRV: the therapist must know
    else:
        data = (data_text, theme.TEXT)
    artefact_pct = None if model.indices is None else model.indices.short_artefact_pct
    if artefact_pct is None or artefact_pct != artefact_pct:  # NaN: window not full yet
        signal = ("—", theme.STATE_IDLE)
    elif artefact_pct <= GOOD_SIGNAL_MAX_PCT:
        signal = (f"good · {artefact_pct:.0f} %", theme.STATE_OK)
    elif artefact_pct <= model.tolerance.max_artefact_pct:
        signal = (f"fair · {artefact_pct:.0f} %", theme.TEXT)
    else:
        signal = (f"poor · {artefact_pct:.0f} %", theme.STATE_WARN)
    return {
        "client": (client_code, theme.TEXT),
        "clock": (clock_text(clock_s), theme.TEXT),
        "phase": (model.current_phase or "—", theme.TEXT),
        "recording": (
            ("● " if recording.active else "") + recording.text,
            theme.STATE_WARN if recording.active or recording.failed else theme.STATE_IDLE,
        ),
        "strap": strap,
        "data": data,
        "battery": battery,
        "contact": contact,
        "signal": signal,
    }


class StatusStrip(QFrame):
    """One row of caption-over-value fields; extra widgets (buttons) can be added at the end."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(14, 6, 10, 6)
        self._layout.setSpacing(18)
        self.fields: dict[str, QLabel] = {}
        self.captions: dict[str, QLabel] = {}
        value_font = QFont(theme.FONT_FAMILY)
        value_font.setPointSize(theme.STATUS_POINT_SIZE)
        value_font.setBold(True)
        boxes: dict[str, QVBoxLayout] = {}
        for name in STATUS_FIELDS:
            caption = QLabel(FIELD_CAPTIONS[name])
            caption.setObjectName("hint")
            value = QLabel("—")
            under = FIELDS_UNDER.get(name)
            if under is not None:
                # A line in small type under another field's value, without a caption of its
                # own (its caption is the tooltip's): the strip must fit a 1440 px screen.
                value.setToolTip(FIELD_CAPTIONS[name])
                value.setStyleSheet(f"font-size: {UNDER_POINT_SIZE}pt;")
                boxes[under].addWidget(value)
            else:
                box = boxes[name] = QVBoxLayout()
                box.setSpacing(0)
                value.setFont(value_font)
                box.addWidget(caption)
                box.addWidget(value)
                self._layout.addLayout(box)
            self.fields[name] = value
            self.captions[name] = caption
        self._layout.addStretch(1)
        self._shown: dict[str, tuple[str, str]] = {}
        """Each field's text and style sheet as last set (only changes are applied)."""

    def add_widget(self, widget: QWidget) -> None:
        """Put a widget (a button) at the right end of the strip."""
        self._layout.addWidget(widget)

    def text(self, name: str) -> str:
        """The text a field shows now (one of :data:`STATUS_FIELDS`)."""
        return self.fields[name].text()

    def show_model(
        self, model: DashboardModel, client_code: str, clock_s: float, recording: RecordingState
    ) -> None:
        """Update the fields whose text or colour changed."""
        device = model.status.device_name
        caption = f"Strap · {device}" if device else FIELD_CAPTIONS["strap"]
        if self.captions["strap"].text() != caption:
            self.captions["strap"].setText(caption)
        _, data_tip = model.strap_data()
        if self.fields["data"].toolTip() != data_tip:
            self.fields["data"].setToolTip(data_tip)
        for name, (text, colour) in status_values(model, client_code, clock_s, recording).items():
            style = f"color: {colour};"
            if name in FIELDS_UNDER:
                style += f" font-size: {UNDER_POINT_SIZE}pt;"
            if name == "recording" and recording.failed:
                style = (
                    f"color: {theme.BANNER_TEXT}; background: {colour}; border-radius: 4px; "
                    "padding: 0px 6px;"
                )
            if self._shown.get(name) == (text, style):
                continue
            self._shown[name] = (text, style)
            label = self.fields[name]
            label.setText(text)
            label.setStyleSheet(style)
