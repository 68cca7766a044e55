"""The current values above the plots, in large type: HR, RMSSD, breathing rate, arousal."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from monitor.core.tolerance import Zone
from monitor.ui import theme
from monitor.ui.dashboard_model import DashboardModel
from monitor.ui.formatting import number_text

VITALS = (
    ("hr", "Heart rate (10 s)", theme.HR_COLOUR),
    ("rmssd", "RMSSD (60 s)", theme.RMSSD_COLOUR),
    ("breathing", "Breathing", theme.RR_COLOUR),
    ("arousal", "Arousal", theme.AROUSAL_COLOUR),
)


def vitals_text(model: DashboardModel) -> dict[str, str]:
    """Each value as shown (``—`` where the engine has none yet)."""
    indices = model.indices
    reading = model.reading
    arousal = "—"
    if reading is not None and reading.zone not in (Zone.CALIBRATING, Zone.SUSPENDED):
        arousal = f"{reading.arousal:+.1f} SD".replace("-", "−")
    if model.strap_is_down:
        return {"hr": "—", "rmssd": "—", "breathing": "—", "arousal": "—"}
    return {
        "hr": number_text(indices.hr_10s_bpm if indices else None, " bpm"),
        "rmssd": number_text(indices.rmssd_ms if indices else None, " ms"),
        "breathing": number_text(indices.resp_rate_bpm if indices else None, " /min", 1),
        "arousal": arousal,
    }


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

    def render(self, model: DashboardModel) -> None:
        """Show the model's latest values (labels change only when their text does)."""
        for name, text in vitals_text(model).items():
            label = self.values[name]
            if label.text() != text:
                label.setText(text)
