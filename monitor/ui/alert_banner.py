"""The pause-for-grounding banner, the gentle hypoarousal prompt and "ready to resume".

Only the engine's alert episodes raise the banner (sustained extremes with dwell and hysteresis,
:mod:`monitor.core.tolerance`), never a single high reading. A hyperarousal alert gets the one
strong colour of the screen; a hypoarousal alert is a soft blue prompt to check in (its heart
signature is inconsistent, so it is never an alarm); "ready to resume" is a calm green.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from drivers.events import ConnectionState
from monitor.core.tolerance import AlertKind
from monitor.session.dashboard_model import DashboardModel
from monitor.ui import theme
from monitor.ui.formatting import clock_text


@dataclass(frozen=True)
class BannerState:
    """What the banner shows; ``kind`` is ``"alert"``, ``"ready"``, ``"prompt"`` or ``None``."""

    kind: str | None
    title: str = ""
    detail: str = ""


def banner_state(model: DashboardModel) -> BannerState:
    """The banner for the model's alerts and recovery (alert before ready before prompt).

    Nothing once the session has stopped: an alert the engine left open at the end is history.
    """
    if model.ended or model.status.state is ConnectionState.STOPPED:
        return BannerState(None)
    hyper = model.open_alert(AlertKind.HYPER)
    if hyper is not None:
        grounding_s = model.grounding_since_s
        if grounding_s is not None and grounding_s >= hyper.start_s:
            follow_up = f"Grounding since {clock_text(grounding_s)}."
        else:
            follow_up = "Press G when grounding starts."
        return BannerState(
            "alert",
            "Pause for grounding",
            f"{hyper.text} (since {clock_text(hyper.start_s)}). {follow_up}",
        )
    if model.ready_to_resume:
        back_to = model.resume_phase
        resume = f"Resume (R) returns to {back_to}." if back_to else "Continue when you are ready."
        return BannerState(
            "ready",
            "Ready to resume",
            f"Back inside the window for {model.tolerance.ready_s:.0f} s. {resume}",
        )
    hypo = model.open_alert(AlertKind.HYPO)
    if hypo is not None:
        return BannerState("prompt", "Check in with the client", hypo.text)
    return BannerState(None)


def title_and_detail(
    layout: QVBoxLayout, title_point_size: int, detail_point_size: int | None = None
) -> tuple[QLabel, QLabel]:
    """A bold title over a wrapping detail line, added to ``layout``: the shape of every
    full-width notice (alert banner, recording notice). Neither takes focus or selection."""
    title = QLabel("")
    title_font = QFont(theme.FONT_FAMILY)
    title_font.setPointSize(title_point_size)
    title_font.setBold(True)
    title.setFont(title_font)
    detail = QLabel("")
    detail.setWordWrap(True)
    if detail_point_size is not None:
        detail_font = QFont(theme.FONT_FAMILY)
        detail_font.setPointSize(detail_point_size)
        detail.setFont(detail_font)
    for label in (title, detail):
        label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout.addWidget(label)
    return title, detail


BANNER_COLOURS = {
    "alert": theme.BANNER_ALERT,
    "ready": theme.BANNER_READY,
    "prompt": theme.BANNER_PROMPT,
}


class AlertBanner(QFrame):
    """A full-width banner that is hidden unless there is something to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 10, 18, 10)
        layout.setSpacing(2)
        self.title, self.detail = title_and_detail(
            layout, theme.BANNER_POINT_SIZE, detail_point_size=theme.BASE_POINT_SIZE + 2
        )
        self.state = BannerState(None)
        self.hide()

    def show_model(self, model: DashboardModel) -> None:
        """Show, change or hide the banner for the model's state."""
        state = banner_state(model)
        if state == self.state:
            return
        self.state = state
        if state.kind is None:
            self.hide()
            return
        colour = BANNER_COLOURS[state.kind]
        self.setStyleSheet(
            f"QFrame#banner {{ background: {colour}; border-radius: 8px; }}"
            f"QLabel {{ color: {theme.BANNER_TEXT}; background: transparent; }}"
        )
        self.title.setText(state.title)
        self.detail.setText(state.detail)
        self.show()
