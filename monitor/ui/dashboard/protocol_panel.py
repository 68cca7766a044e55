"""The therapist's controls: grounding and resume, phase markers, SUDS, notes, the window's width.

Buttons never take the keyboard focus, so the single-key shortcuts keep working after a click;
only the note field does, and Enter or Esc gives the focus back.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.core.protocol import Phase, is_phase
from monitor.core.tolerance import ToleranceSettings
from monitor.session.dashboard_model import DashboardModel
from monitor.ui.dashboard.shortcuts import (
    GROUNDING_KEY,
    NARROW_KEY,
    NOTE_KEY,
    RESUME_KEY,
    WINDOW_STEP_SD,
)

SUDS_VALUES = tuple(range(11))


def _button(text: str, *, checkable: bool = False, primary: bool = False) -> QPushButton:
    button = QPushButton(text)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setCheckable(checkable)
    if primary:
        button.setObjectName("primary")
    return button


class NoteField(QLineEdit):
    """The note field: Enter saves, Esc leaves without saving; both give the focus back."""

    submitted = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            text = self.text().strip()
            self.clear()
            self.clearFocus()
            if text:
                self.submitted.emit(text)
            return
        if event.key() == Qt.Key.Key_Escape:
            self.clearFocus()
            return
        super().keyPressEvent(event)


class ProtocolPanel(QFrame):
    """Buttons and fields that become engine calls (through the main window).

    Parameters
    ----------
    phases : sequence of str
        The protocol's phases.
    phase_keys : dict
        Phase → key letter (shown on its button).

    Signals
    -------
    phase_clicked(str), suds_clicked(int), note_submitted(str), grounding_clicked(),
    resume_clicked(), window_step(float)
    """

    phase_clicked = Signal(str)
    suds_clicked = Signal(int)
    note_submitted = Signal(str)
    grounding_clicked = Signal()
    resume_clicked = Signal()
    window_step = Signal(float)

    def __init__(
        self, phases: Sequence[str], phase_keys: dict[str, str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)

        # The two big buttons sit under the gauge (the main window places them there).
        self.action_row = QWidget()
        row = QVBoxLayout(self.action_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.grounding_button = _button(
            f"Grounding started  [{GROUNDING_KEY}]", checkable=True, primary=True
        )
        self.resume_button = _button(f"Resume  [{RESUME_KEY}]", primary=True)
        self.grounding_button.clicked.connect(self.grounding_clicked)
        self.resume_button.clicked.connect(self.resume_clicked)
        row.addWidget(self.grounding_button)
        row.addWidget(self.resume_button)

        layout.addWidget(self._section("Phase"))
        self.phase_buttons: dict[str, QPushButton] = {}
        for name in phases:
            if is_phase(name, Phase.GROUNDING):
                continue
            key = phase_keys.get(name)
            button = _button(f"[{key}]  {name}" if key else name, checkable=True)
            button.setStyleSheet("text-align: left; padding-left: 10px;")
            button.clicked.connect(lambda _=False, n=name: self.phase_clicked.emit(n))
            layout.addWidget(button)
            self.phase_buttons[name] = button

        layout.addWidget(self._section("SUDS  (keys 0–10)"))
        grid = QGridLayout()
        grid.setSpacing(4)
        self.suds_buttons: list[QPushButton] = []
        for value in SUDS_VALUES:
            button = _button(str(value))
            button.setMinimumWidth(30)
            button.clicked.connect(lambda _=False, v=value: self.suds_clicked.emit(v))
            grid.addWidget(button, value // 6, value % 6)
            self.suds_buttons.append(button)
        layout.addLayout(grid)
        self.suds_status = QLabel("")
        self.suds_status.setObjectName("hint")
        layout.addWidget(self.suds_status)

        self.note_field = NoteField()
        self.note_field.setPlaceholderText(f"Note [{NOTE_KEY}], Enter saves")
        self.note_field.submitted.connect(self.note_submitted)
        layout.addWidget(self.note_field)

        layout.addWidget(self._section("Window of tolerance"))
        self.window_label = QLabel("")
        layout.addWidget(self.window_label)
        window_row = QHBoxLayout()
        self.narrow_button = _button(f"narrower [{NARROW_KEY}]")
        self.widen_button = _button("wider [+]")
        self.narrow_button.clicked.connect(lambda: self.window_step.emit(-WINDOW_STEP_SD))
        self.widen_button.clicked.connect(lambda: self.window_step.emit(WINDOW_STEP_SD))
        window_row.addWidget(self.narrow_button)
        window_row.addWidget(self.widen_button)
        layout.addLayout(window_row)
        layout.addStretch(1)
        self._shown_tolerance: ToleranceSettings | None = None

    @staticmethod
    def _section(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("section")
        return label

    def set_suds_status(self, text: str) -> None:
        """Show what the SUDS keypad is waiting for (empty: nothing)."""
        self.suds_status.setText(text)

    def show_model(self, model: DashboardModel, session_running: bool) -> None:
        """Reflect the current phase, what resume would do and the window's bounds."""
        current = model.current_phase
        for name, button in self.phase_buttons.items():
            if button.isChecked() != (name == current):
                button.setChecked(name == current)
        grounding = is_phase(current, Phase.GROUNDING)
        if self.grounding_button.isChecked() != grounding:
            self.grounding_button.setChecked(grounding)
        if self.grounding_button.isEnabled() != session_running:
            self.grounding_button.setEnabled(session_running)
        resume_target = model.resume_phase
        resume_enabled = session_running and resume_target is not None
        if self.resume_button.isEnabled() != resume_enabled:
            self.resume_button.setEnabled(resume_enabled)
        back_to = f" {resume_target}" if grounding and resume_target else ""
        resume_text = f"Resume{back_to} [{RESUME_KEY}]"
        if self.resume_button.text() != resume_text:
            self.resume_button.setText(resume_text)
        s = model.tolerance
        if s != self._shown_tolerance:
            self._shown_tolerance = s
            text = (
                f"above ≥ {s.upper_sd:.2f} · edge ≥ {s.edge_sd:.2f}\n"
                f"below ≤ {s.lower_sd:.2f} (baseline SD)\n"
                f"alert after {s.dwell_s:.0f} s beyond"
            )
            self.window_label.setText(text.replace("-", "−"))
