"""The client's calm-place view on a second computer, following a session over LSL.

``client-view --lsl`` makes a :class:`~monitor.ui.client.view.ClientView` and lets a
:class:`~monitor.session.lsl_follower.SessionFollower` drive it: the settings the therapist
makes on the dashboard (mode, pacer, prompt, meter) and the scene's driving index, exactly as
the local view gets them. Until the session is found, and whenever it goes away, the view rests
in its paused mode and the window title says it is waiting; nothing alarming is shown.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from monitor.client.calm_scene import ClientMode
from monitor.client.view_state import ClientViewState
from monitor.session.lsl_follower import Found, Lost, SessionFollower
from monitor.ui.client.view import ClientView

POLL_MS = 50
DRIVES_KEPT = 10_000
"""About three hours of beats: enough to look back over a session, bounded for a long one."""
WAITING_TITLE = "Calm place — waiting for the session"
FOLLOWING_TITLE = "Calm place"


class RemoteClientView(QObject):
    """Applies a follower's news to a client view, from the GUI thread.

    Parameters
    ----------
    view : ClientView
    follower : SessionFollower
        Started here; stopped by :meth:`stop`.
    say : callable, optional
        Told in plain words when the session is found or lost (the command prints it).
    """

    def __init__(
        self,
        view: ClientView,
        follower: SessionFollower,
        say: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(view)
        self.view = view
        self.follower = follower
        self.say = say or (lambda text: None)
        self.following = False
        self.states_applied = 0
        self.drives: deque[float] = deque(maxlen=DRIVES_KEPT)
        """The latest driving indices received, in order (what the scene was given)."""
        self._wait()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.poll)
        self.timer.start(POLL_MS)
        follower.start()

    def poll(self) -> None:
        """Apply everything the follower has received since the last poll."""
        for news in self.follower.take():
            if isinstance(news, Found):
                self.following = True
                self.view.setWindowTitle(FOLLOWING_TITLE)
                others = f" ({news.others} older ones ignored)" if news.others else ""
                self.say(f"following the session's client view{others}")
            elif isinstance(news, Lost):
                self.say("the session's stream stopped; waiting for it to come back")
                self._wait()
            elif isinstance(news, ClientViewState):
                if self.following:
                    self.view.apply_state(news)
                    self.states_applied += 1
            elif self.following:
                self.drives.append(news)
                self.view.observe_drive(news)

    def _wait(self) -> None:
        self.following = False
        self.view.setWindowTitle(WAITING_TITLE)
        self.view.set_mode(ClientMode.PAUSED)
        self.view.observe_drive(math.nan)  # the scene rests

    def stop(self) -> None:
        self.timer.stop()
        self.follower.stop()
