"""The settings dialog: window bounds, dwell, the chime and the Bluetooth adapter."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from monitor.ui.dashboard.chime import ChimePlayer
from monitor.ui.settings_store import DashboardSettings


def _spin(low: float, high: float, step: float, value: float, suffix: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setDecimals(2)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin


class SettingsDialog(QDialog):
    """Edit :class:`DashboardSettings`; :meth:`settings` gives the result after OK.

    Parameters
    ----------
    settings : DashboardSettings
        The values to start from.
    chime : ChimePlayer
        For "Test chime" and to say how (or whether) sound can be played.
    settings_path : Path, optional
        Shown so the therapist knows where the file lives.
    """

    def __init__(
        self,
        settings: DashboardSettings,
        chime: ChimePlayer,
        settings_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._chime = chime
        self._result = settings
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.upper = _spin(0.5, 8.0, 0.25, settings.upper_sd, " SD")
        self.edge = _spin(0.25, 7.0, 0.25, settings.edge_sd, " SD")
        # Not ``lower``: that would hide QWidget.lower() (send the widget to the back).
        self.lower_bound = _spin(-8.0, -0.25, 0.25, settings.lower_sd, " SD")
        self.dwell = _spin(5.0, 180.0, 5.0, settings.dwell_s, " s")
        self.dwell.setDecimals(0)
        form.addRow("Above the window from", self.upper)
        form.addRow("Upper edge (early warning) from", self.edge)
        form.addRow("Below the window from", self.lower_bound)
        form.addRow("Alert after staying beyond for", self.dwell)

        self.sound = QCheckBox("Soft chime when a pause-for-grounding alert starts")
        self.sound.setChecked(settings.sound_on)
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setValue(settings.volume_pct)
        self.volume_label = QLabel(f"{settings.volume_pct} %")
        self.volume.valueChanged.connect(lambda v: self.volume_label.setText(f"{v} %"))
        self.test_button = QPushButton("Test chime")
        self.test_button.clicked.connect(lambda: self._chime.play(self.volume.value()))
        self.test_button.setEnabled(chime.available)
        volume_row = QHBoxLayout()
        volume_row.addWidget(self.volume, 1)
        volume_row.addWidget(self.volume_label)
        volume_row.addWidget(self.test_button)
        form.addRow(self.sound)
        form.addRow("Volume", volume_row)
        chime_note = QLabel(f"Chime: {chime.describe()}")
        chime_note.setObjectName("hint")
        chime_note.setWordWrap(True)
        form.addRow(chime_note)

        self.adapter = QLineEdit(settings.adapter)
        self.adapter.setPlaceholderText("system default (e.g. hci0)")
        form.addRow("Bluetooth adapter", self.adapter)
        layout.addLayout(form)

        note = "Window bounds are in baseline SDs of the arousal index. Changes here apply now "
        note += "and to the next sessions; + / − change the window for this session only."
        if settings_path is not None:
            note += f"\nSaved on this computer only: {settings_path}"
        hint = QLabel(note)
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #B4541A;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def edited(self) -> DashboardSettings:
        """The values in the form (raises ``ValueError`` when they do not make a window)."""
        # replace(): settings the dialog does not show (plot span, client screen) are kept.
        return dataclasses.replace(
            self._result,
            upper_sd=self.upper.value(),
            edge_sd=self.edge.value(),
            lower_sd=self.lower_bound.value(),
            dwell_s=self.dwell.value(),
            sound_on=self.sound.isChecked(),
            volume_pct=self.volume.value(),
            adapter=self.adapter.text().strip(),
        )

    def accept(self) -> None:
        """OK: keep the values if they make a window, else say why and stay open."""
        try:
            self._result = self.edited()
        except ValueError as error:
            self.error.setText(str(error))
            return
        super().accept()

    def settings(self) -> DashboardSettings:
        """The accepted settings (the starting ones after Cancel)."""
        return self._result
