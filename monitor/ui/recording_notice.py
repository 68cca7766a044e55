"""The notice that the session is no longer being recorded, while the live view goes on.

When the session file can no longer be written (the disk is full, the file was deleted, ...) the
engine keeps judging the beats and the dashboard keeps showing them: only the recording stops.
The therapist must not learn that afterwards. The status strip's recording field turns into a
filled "not recording", and this slim bar under it says why, since when, and what the file still
holds, until the session ends. It is calm on purpose (no sound, no flashing, not the colour of
the pause-for-grounding banner): it is about the file, not the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from monitor.ui import theme
from monitor.ui.alert_banner import title_and_detail
from monitor.ui.dashboard_model import DashboardModel
from monitor.ui.formatting import clock_text


@dataclass(frozen=True)
class NoticeState:
    """What the notice says; an empty ``title`` hides it."""

    title: str = ""
    detail: str = ""


def recording_notice(model: DashboardModel, path: Path | None) -> NoticeState:
    """The notice for a session whose recording failed (nothing once the session has ended).

    Parameters
    ----------
    model : DashboardModel
        The session as the dashboard knows it (its ``recording_error``).
    path : Path or None
        The session file, to say where what was recorded is kept.
    """
    if model.recording_error is None or model.ended:
        return NoticeState()
    since = clock_text(model.recording_failed_s or 0.0)
    kept = f"Everything before is kept in {path.name}. " if path is not None else ""
    return NoticeState(
        title=f"Not recording — {model.recording_error}; the live view continues",
        detail=(
            f"Nothing after {since} is saved. {kept}To record again, end this session and start "
            "a new one once the problem is solved."
        ),
    )


class RecordingNotice(QFrame):
    """A full-width bar under the status strip, hidden while the recording is fine."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recording-notice")
        self.setStyleSheet(
            f"QFrame#recording-notice {{ background: {theme.NOTICE_BACKGROUND}; "
            f"border: 1px solid {theme.STATE_WARN}; border-left: 6px solid {theme.STATE_WARN}; "
            "border-radius: 6px; }"
            "QLabel { background: transparent; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 6, 14, 6)
        layout.setSpacing(1)
        self.title, self.detail = title_and_detail(layout, theme.STATUS_POINT_SIZE)
        self.title.setStyleSheet(f"color: {theme.STATE_WARN};")
        self.state = NoticeState()
        self.hide()

    def render(self, model: DashboardModel, path: Path | None) -> None:
        """Show, change or hide the notice for the model's state."""
        state = recording_notice(model, path)
        if state == self.state:
            return
        self.state = state
        if not state.title:
            self.hide()
            return
        self.title.setText(state.title)
        self.detail.setText(state.detail)
        self.show()
