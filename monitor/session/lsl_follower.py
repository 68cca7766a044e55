"""Follow a session's ``ClientView`` stream from another computer (``client-view --lsl``).

A background thread looks for the stream ``{name}-ClientView`` on the local network, opens an
inlet, and hands each sample on as news (the view's settings, or the scene's driving index);
when the session machine goes away it says so and looks again, for a new session too (each has
a new source id). Nothing here draws: :mod:`monitor.ui.client.remote` applies the news to a
:class:`~monitor.ui.client.view.ClientView`.

This module and :mod:`monitor.session.lsl_outlets` are the only ones of ``monitor`` that import
pylsl. Following a stream opens no listening port of ours: the inlet connects to the outlet.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass

import pylsl
from pylsl.util import LostError

from drivers.lsl_quiet import quiet_liblsl
from monitor.client.view_state import ClientViewState, parse_message
from monitor.session.lsl_streams import client_view_spec

quiet_liblsl()  # before liblsl's first call, which reads its configuration

log = logging.getLogger(__name__)

RESOLVE_S = 1.0
"""How long one look for the stream waits (the thread looks again at once)."""
PULL_S = 0.2


@dataclass(frozen=True)
class Found:
    """The session's stream was found (``source_id`` says which session)."""

    source_id: str
    others: int
    """Other sessions publishing the same name (the newest is followed)."""


@dataclass(frozen=True)
class Lost:
    """The session's stream went away (the session ended, or its machine left)."""


FollowerNews = Found | Lost | ClientViewState | float
"""What the follower hands on: found or lost, the view's settings, or a driving index."""


class SessionFollower:
    """The thread that follows ``{name_prefix}-ClientView`` (see the module notes).

    Parameters
    ----------
    name_prefix : str
        The session's ``--lsl`` name (``SessionMonitor`` by default).
    """

    def __init__(self, name_prefix: str = "SessionMonitor") -> None:
        self.stream_name = client_view_spec(name_prefix).name
        self.news: queue.Queue[FollowerNews] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lsl-follower", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop following (returns once the thread has ended, or after ``timeout_s``)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def take(self) -> list[FollowerNews]:
        """Everything that came since the last call, in order."""
        out: list[FollowerNews] = []
        while True:
            try:
                out.append(self.news.get_nowait())
            except queue.Empty:
                return out

    # -- the thread -----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            inlet = self._find()
            if inlet is None:
                continue
            try:
                self._follow(inlet)
            except LostError:
                self.news.put(Lost())
            finally:
                inlet.close_stream()

    def _find(self) -> pylsl.StreamInlet | None:
        found = pylsl.resolve_byprop("name", self.stream_name, timeout=RESOLVE_S)
        if not found or self._stop.is_set():
            return None
        newest = max(found, key=lambda info: info.created_at())
        # recover=False: a session that ends is lost for good; the next one is looked for by
        # name (it has a new source id).
        inlet = pylsl.StreamInlet(newest, max_buflen=60, recover=False)
        try:
            inlet.open_stream(timeout=RESOLVE_S * 5)
        except (pylsl.util.TimeoutError, LostError):
            return None
        self.news.put(Found(newest.source_id(), len(found) - 1))
        return inlet

    def _follow(self, inlet: pylsl.StreamInlet) -> None:
        while not self._stop.is_set():
            samples, _ = inlet.pull_chunk(timeout=PULL_S)
            for sample in samples:
                try:
                    self.news.put(parse_message(str(sample[0])))
                except ValueError as error:
                    log.warning("client view stream: sample skipped (%s)", error)
