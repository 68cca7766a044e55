"""The current values above the plots, in large type: HR, RMSSD, breathing rate, arousal."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from monitor.core.data_minimums import Readout
from monitor.core.tolerance import Zone
from monitor.session.dashboard_model import DashboardModel
from monitor.session.engine import ACC_BREATHING
from monitor.ui import theme
from monitor.ui.formatting import number_text

VITALS = (
    ("hr", "Heart rate (10 s)", theme.HR_COLOUR),
    ("rmssd", "RMSSD (60 s)", theme.RMSSD_COLOUR),
    ("breathing", "Breathing", theme.RR_COLOUR),
    ("arousal", "Arousal", theme.AROUSAL_COLOUR),
)


def vitals_readouts(model: DashboardModel) -> dict[str, Readout]:
    """Each readout's value, or why it has none (the tooltip of its ``—``)."""
    reading = model.reading
    if model.strap_is_down:
        arousal = model.index_readout("hr_10s_bpm")  # the same "no signal" reason
    elif reading is None:
        arousal = Readout.absent("no reading yet")
    elif reading.zone in (Zone.CALIBRATING, Zone.SUSPENDED):
        arousal = Readout.absent(reading.reason or str(reading.zone))
    else:
        arousal = Readout(reading.arousal)
    return {
        "hr": model.index_readout("hr_10s_bpm"),
        "rmssd": model.index_readout("rmssd_ms"),
        "breathing": model.breathing_readout()[0],
        "arousal": arousal,
    }


_UNITS = {"hr": (" bpm", 0), "rmssd": (" ms", 0), "breathing": (" /min", 1)}


def readout_text(name: str, readout: Readout) -> str:
    """One readout's value as shown, ``—`` when absent."""
    if name == "arousal":
        value = readout.value
        return "—" if value is None else f"{value:+.1f} SD".replace("-", "−")
    unit, digits = _UNITS[name]
    return number_text(readout.value, unit, digits)


BREATHING_SOURCE = (
    "Breaths counted in the heart rhythm's respiratory sinus arrhythmia over the last minute: "
    "an estimate, not measured."
)
"""The breathing rate's tooltip while it comes from the heart rhythm."""
CHEST_BREATHING_SOURCE = (
    "Measured from the chest's movement by the strap's accelerometer over the last minute."
)
"""The breathing rate's tooltip while it comes from the accelerometer."""


def readout_tooltip(readout: Readout, name: str = "", breathing_source: str = "") -> str:
    """Why a readout shows ``—``; while it has a value, empty (or, for the breathing rate,
    where the value comes from)."""
    if readout.absent_because is not None:
        return f"Not shown: {readout.absent_because}."
    if name != "breathing":
        return ""
    return CHEST_BREATHING_SOURCE if breathing_source == ACC_BREATHING else BREATHING_SOURCE


def vitals_text(model: DashboardModel) -> dict[str, str]:
    """Each value as shown (``—`` where there is none; its tooltip says why)."""
    return {name: readout_text(name, r) for name, r in vitals_readouts(model).items()}


def vitals_tooltips(model: DashboardModel) -> dict[str, str]:
    """Each readout's tooltip: why it shows ``—``, or where a breathing rate comes from."""
    source = model.breathing_readout()[1]
    return {name: readout_tooltip(r, name, source) for name, r in vitals_readouts(model).items()}


class VitalsRow(QFrame):
    """Caption-over-value readouts in one row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 4, 14, 4)
        layout.setSpacing(28)
        font = QFont(theme.FONT_FAMILY)
        font.setPointSize(theme.STATUS_POINT_SIZE + 3)
        font.setBold(True)
        self.values: dict[str, QLabel] = {}
        for name, caption, colour in VITALS:
            box = QVBoxLayout()
            box.setSpacing(0)
            caption_label = QLabel(caption)
            caption_label.setObjectName("hint")
            value = QLabel("—")
            value.setFont(font)
            value.setStyleSheet(f"color: {colour};")
            box.addWidget(caption_label)
            box.addWidget(value)
            layout.addLayout(box)
            self.values[name] = value
        layout.addStretch(1)

    def show_model(self, model: DashboardModel) -> None:
        """Show the model's latest values (labels change only when their text does)."""
        source = model.breathing_readout()[1]
        for name, readout in vitals_readouts(model).items():
            label = self.values[name]
            text = readout_text(name, readout)
            tooltip = readout_tooltip(readout, name, source)
            if label.text() != text:
                label.setText(text)
            if label.toolTip() != tooltip:
                label.setToolTip(tooltip)
