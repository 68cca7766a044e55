"""The notice that the session is no longer being recorded, while the live view goes on.

When the session file can no longer be written (the disk is full, the file was deleted, ...) the
engine keeps judging the beats and the dashboard keeps showing them: only the recording stops.
The therapist must not learn that afterwards. The status strip's recording field turns into a
filled "not recording", and this slim bar under it says why, since when, and what the file still
holds, until the session ends. It is calm on purpose (no sound, no flashing, not the colour of
the pause-for-grounding banner): it is about the file, not the client.

Its "Record again in a new file" button is the way forward once the cause has gone (space freed):
the dashboard ends this session, whose file keeps what it has, and starts another one into a new
file. The failed file is never written into again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from monitor.session.dashboard_model import DashboardModel
from monitor.ui import theme
from monitor.ui.alert_banner import title_and_detail
from monitor.ui.formatting import clock_text

RECORD_AGAIN_TEXT = "Record again in a new file"


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
        The session file as it is now (where it went if it was moved while recording), to say
        where what was recorded is kept; ``None`` if it was deleted.
    """
    if model.recording_error is None or model.ended:
        return NoticeState()
    since = clock_text(model.recording_failed_s or 0.0)
    if path is not None:
        saved = f"Nothing after {since} is saved. Everything before is kept in {path.name}. "
    else:  # the file was deleted: its reason (the title) says what was lost
        saved = "Nothing of this session is saved. "
    return NoticeState(
        title=f"Not recording — {model.recording_error}; the live view continues",
        detail=(
            f"{saved}Once the problem is solved (space freed), "
            f"“{RECORD_AGAIN_TEXT}” starts a new session into a new file; the live view starts "
            "over."
        ),
    )


class RecordingNotice(QFrame):
    """A full-width bar under the status strip, hidden while the recording is fine.

    Signals
    -------
    record_again()
        The therapist asked to record again into a new file (the button is then disabled until
        the notice shows a new failure, so one click starts one new session).
    """

    record_again = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recording-notice")
        self.setStyleSheet(
            f"QFrame#recording-notice {{ background: {theme.NOTICE_BACKGROUND}; "
            f"border: 1px solid {theme.STATE_WARN}; border-left: 6px solid {theme.STATE_WARN}; "
            "border-radius: 6px; }"
            "QLabel { background: transparent; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 6, 14, 6)
        row.setSpacing(12)
        text = QVBoxLayout()
        text.setSpacing(1)
        self.title, self.detail = title_and_detail(text, theme.STATUS_POINT_SIZE)
        self.title.setStyleSheet(f"color: {theme.STATE_WARN};")
        row.addLayout(text, 1)
        self.record_again_button = QPushButton(f"● {RECORD_AGAIN_TEXT}")
        # Like the strip's buttons: the therapist's keys must keep reaching the dashboard.
        self.record_again_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.record_again_button.setToolTip(
            "End this session (its file keeps everything recorded before the failure) and start "
            "a new one that records into a new file (with this session's baseline, if it was taken)"
        )
        self.record_again_button.clicked.connect(self._record_again_clicked)
        row.addWidget(self.record_again_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.state = NoticeState()
        self.hide()

    def _record_again_clicked(self) -> None:
        # Once: a second click while this session ends would otherwise ask for a second restart.
        self.record_again_button.setEnabled(False)
        self.record_again.emit()

    def show_model(self, model: DashboardModel, path: Path | None) -> None:
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
        self.record_again_button.setEnabled(True)
        self.show()
