"""The live session on its own thread, talking to the GUI only through queued Qt signals.

docs/architecture.md, "Threading": bleak runs in one asyncio loop on a worker thread,
``asyncio.run`` once, and every bleak object is created and closed inside it.
:class:`SessionRunner` starts a plain Python thread that runs :meth:`LiveSession.run` in
``asyncio.run``; the session's ``on_update`` callback (called in that thread) emits
:attr:`SessionRunner.update`, which Qt queues to the runner's own thread, the GUI thread,
because the emitting thread is not the receiver's. Going the other way, clicks and keys become
:meth:`call` (``loop.call_soon_threadsafe`` inside :class:`LiveSession`), so the engine is only
ever touched from the session thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from monitor.core.baseline import Baseline
from monitor.recording.session_file import SessionWriteError
from monitor.session.engine import SessionEngine, SessionUpdate
from monitor.session.live import LiveOptions, LiveSession
from monitor.session.worker_threads import stop_and_join

log = logging.getLogger(__name__)

EngineAction = Callable[[SessionEngine, float], list[SessionUpdate]]
"""A therapist's action, run in the session thread: ``action(engine, now_s) -> updates``."""


class SessionRunner(QObject):
    """Runs one :class:`LiveSession` at a time on a worker thread.

    Parameters
    ----------
    parent : QObject, optional
    session_factory : callable, optional
        Makes the session from its options (:class:`LiveSession`; the benchmark times a subclass).

    Signals
    -------
    update(SessionUpdate)
        Every update of the engine, in order (queued to the GUI thread).
    baseline(Baseline)
        The engine's baseline, when it is calibrated or recalibrated.
    recording(Path)
        The session file, once it exists.
    finished(object, str)
        The session ended: its file (or None) and a one-line error ("" for a clean end).
    """

    update = Signal(object)
    baseline = Signal(object)
    recording = Signal(object)
    finished = Signal(object, str)

    def __init__(
        self,
        parent: QObject | None = None,
        session_factory: Callable[[LiveOptions], LiveSession] = LiveSession,
    ) -> None:
        super().__init__(parent)
        self._session: LiveSession | None = None
        self._thread: threading.Thread | None = None
        self._announced_end: threading.Thread | None = None
        self._session_factory = session_factory

    @property
    def running(self) -> bool:
        """A session runs: its thread is alive and has not yet announced its end.

        The thread emits ``finished`` and only then exits; the GUI's handler of ``finished``
        must already see the session as over (else it would show "End session" for a session
        that has ended), so the end counts from the announcement, not from the thread's exit.
        """
        thread = self._thread
        return thread is not None and thread.is_alive() and thread is not self._announced_end

    @property
    def session(self) -> LiveSession | None:
        """The current (or last) session."""
        return self._session

    def start(self, options: LiveOptions) -> None:
        """Start a session (raises ``ValueError`` for options the session refuses).

        Raises
        ------
        RuntimeError
            A session is already running.
        """
        if self.running:
            raise RuntimeError("a session is already running")
        session = self._session_factory(options)
        session.on_update = self._make_forwarder(session)
        self._session = session
        self._thread = threading.Thread(
            target=self._run, args=(session,), name="session-loop", daemon=True
        )
        self._thread.start()

    def _make_forwarder(self, session: LiveSession) -> Callable[[SessionUpdate], None]:
        announced = False
        last_baseline: Baseline | None = None

        def forward(update: SessionUpdate) -> None:
            # Runs in the session thread: read the session's state here, never from the GUI.
            nonlocal announced, last_baseline
            if not announced and session.path is not None:
                announced = True
                self.recording.emit(session.path)
            if update.reading is not None and update.baseline is not last_baseline:
                last_baseline = update.baseline
                self.baseline.emit(update.baseline)
            self.update.emit(update)

        return forward

    def _run(self, session: LiveSession) -> None:
        path: Path | None = None
        error = ""
        try:
            path = asyncio.run(session.run())
        except SessionWriteError as exc:
            # Expected when the disk fails; the updates have already said so since it happened.
            log.error("session ended without its recording: %s", exc)
            error = str(exc)
            path = session.path
        except Exception as exc:  # StrapError, ...: shown as one line
            log.exception("session ended with an error")
            error = str(exc) or type(exc).__name__
            if type(exc).__name__ == "StrapError":
                from drivers.ble import with_doctor_hint

                error = with_doctor_hint(error)
            path = session.path
        self._announced_end = threading.current_thread()
        self.finished.emit(path, error)

    def call(self, action: EngineAction) -> bool:
        """Run ``action(engine, now_s)`` in the session thread; False when no session runs."""
        if not self.running or self._session is None:
            return False
        self._session.call(action)
        return True

    def now_s(self) -> float | None:
        """Session time now, or None when no session runs."""
        if not self.running or self._session is None:
            return None
        return self._session.now_s()

    def stop(self) -> None:
        """Ask the session to end (the file is closed cleanly; :attr:`finished` follows)."""
        if self._session is not None:
            self._session.request_stop()

    def wait(self, timeout_s: float = 10.0) -> bool:
        """Block until the session thread ended (at exit); True if it did within the timeout."""
        return stop_and_join(self._thread, self.stop, timeout_s)
