"""A recorded session replayed through the session engine on a worker thread, without Qt.

The replay window (:mod:`monitor.ui.replay.window`) only draws what this controller gives it
(docs/architecture.md, "The rooms"). As for a live session (:mod:`monitor.ui.session_runner`),
one plain Python thread runs an asyncio loop (``asyncio.run`` once per opened file) that pumps a
:class:`~drivers.replay.ReplaySource` through a fresh
:class:`~monitor.session.engine.SessionEngine`; the engine is only ever touched from that thread.
The GUI's clicks (play, pause, seek, speed) become commands run in that loop
(``call_soon_threadsafe``).

Going the other way, the updates are not sent one signal each: a seek re-emits the whole
session before the target at full speed, tens of thousands of updates. They are appended to an
outbox under a lock; the GUI takes everything at once with :meth:`ReplayRunner.take` at its own
frame rate and draws at its own pace (:attr:`ReplayRunner.on_ready` is called, from the worker,
when the outbox stops being empty, for a view that would rather be told than look).

Seeking is exact: the source re-emits everything before the target (after
:class:`~drivers.replay.ReplayRestarted` for a backward seek, on which the engine is replaced and a
:class:`Restarted` entry tells the GUI to drop its model). Seeking while paused plays the
catch-up and holds the replay again right after the last item before the target (a
:class:`Held` entry), so the views show the state at the target without playing on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from drivers.replay import ReplayItem, ReplayRestarted, ReplaySource
from monitor.core.baseline import Baseline
from monitor.recording.model import RecordedSession
from monitor.recording.reader import replay_source
from monitor.session.engine import SessionEngine, SessionUpdate
from monitor.session.pump import pump
from monitor.session.replay_model import (
    feed,
    item_times,
    items_before,
    opening_updates,
    replay_engine,
    therapist_strap_for,
)
from monitor.session.therapist_strap import TherapistStrap
from monitor.session.worker_threads import stop_and_join

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Restarted:
    """The replay went back to the start: drop everything shown; the catch-up to ``target_s``
    follows."""

    target_s: float


@dataclass(frozen=True)
class BaselineChanged:
    """The engine calibrated (or recalibrated) the client's baseline."""

    baseline: Baseline | None


@dataclass(frozen=True)
class Held:
    """The replay is paused at ``t_s`` with everything before it shown (after a seek)."""

    t_s: float


@dataclass(frozen=True)
class Ended:
    """The replay reached the end of the recording (or failed: ``error``)."""

    error: str = ""


RunnerEntry = SessionUpdate | Restarted | BaselineChanged | Held | Ended
"""What :meth:`ReplayRunner.take` returns, in order."""


class ReplayRunner:
    """Replays one recorded session at a time on a worker thread.

    Attributes
    ----------
    on_ready : callable
        Called from the worker thread when entries start waiting in the outbox (once until
        :meth:`take` empties it).
    """

    def __init__(self) -> None:
        self.on_ready: Callable[[], None] = lambda: None
        self._thread: threading.Thread | None = None
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._outbox: list[RunnerEntry] = []
        self._outbox_lock = threading.Lock()
        self._notified = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # Written by the worker, read by the GUI for the playhead (single attribute reads and
        # writes: no lock needed).
        self._source: ReplaySource | None = None
        self._held_at_s: float | None = 0.0
        self._catching_up_s: float | None = None
        self._next_item_s = 0.0
        self._requested = 0
        self._reached_request = 0
        self._ended = False
        self._playing = False
        self._speed = 1.0
        self.duration_s = 0.0
        # Worker-only state.
        self._session: RecordedSession | None = None
        self._engine: SessionEngine | None = None
        self._therapist: TherapistStrap | None = None
        self._times: list[float] = []
        self._count = 0
        self._target: _Target | None = None
        self._restart_at_s: float | None = None
        self._restart_request = 0
        self._baseline: Baseline | None = None
        self._quit = False
        self._wake: asyncio.Event | None = None

    # -- state (GUI thread) -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """A replay thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def playing(self) -> bool:
        """Playing (not paused, not held, not at the end)."""
        return self._playing and not self._ended

    @property
    def ended(self) -> bool:
        """The replay reached the end of the recording."""
        return self._ended

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def settled(self) -> bool:
        """The last seek (or the start) has caught up: everything before its target is in the
        outbox (numbered requests, so a seek not yet seen by the worker is not taken as done)."""
        return self._reached_request >= self._requested

    def position_s(self) -> float:
        """Where the replay stands in recorded time, as far as the engine has got.

        While a seek catches up, its target; otherwise the source's clock, but never beyond the
        next item the engine has not had yet: when the worker lags behind the clock (a busy
        machine), the playhead must not run ahead of what the views show.
        """
        for fixed in (self._held_at_s, self._catching_up_s):
            if fixed is not None:
                return fixed
        if self._ended:
            return self.duration_s
        source = self._source
        if source is None:
            return 0.0
        return min(source.position_s, self._next_item_s)

    # -- control (GUI thread) -----------------------------------------------------------------

    def start(
        self,
        session: RecordedSession,
        duration_s: float,
        *,
        speed: float = 1.0,
        start_s: float = 0.0,
        play: bool = True,
    ) -> None:
        """Replay ``session`` from ``start_s`` (playing, or held there with ``play=False``).

        Raises
        ------
        RuntimeError
            A replay is running: :meth:`stop` and :meth:`wait` first.
        """
        if self.running:
            raise RuntimeError("a replay is already running")
        self._commands = queue.SimpleQueue()
        with self._outbox_lock:
            self._outbox = []
            self._notified = False
        self._loop = None
        self._source = None
        self._session = session
        self.duration_s = duration_s
        self._speed = float(speed)
        self._playing = play
        self._ended = False
        self._quit = False
        start_s = min(max(start_s, 0.0), duration_s)
        self._held_at_s = None if play else start_s
        self._catching_up_s = start_s if start_s > 0 else None
        self._next_item_s = 0.0
        # Request 0 is the start itself.
        self._requested = 0
        self._reached_request = -1
        self._thread = threading.Thread(
            target=self._run, args=(start_s,), name="replay-loop", daemon=True
        )
        self._thread.start()

    def play(self) -> None:
        """Play on (from the start again once the end was reached)."""
        self._playing = True
        self._held_at_s = None
        self._call(self._do_play)

    def pause(self) -> None:
        """Hold the replay where it is."""
        self._playing = False
        self._call(self._do_pause)

    def seek(self, t_s: float) -> None:
        """Go to recorded time ``t_s`` (exactly: everything before it is re-emitted)."""
        if not math.isfinite(t_s):
            return
        t_s = min(max(t_s, 0.0), self.duration_s)
        # The playhead goes there at once; the worker clears this once the engine is there.
        self._catching_up_s = t_s
        if not self._playing:
            self._held_at_s = t_s
        self._requested += 1
        request = self._requested
        self._call(lambda: self._do_seek(t_s, request))

    def set_speed(self, speed: float) -> None:
        """Recorded seconds per wall-clock second."""
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self._speed = float(speed)
        self._call(self._do_speed)

    def stop(self) -> None:
        """End the replay thread (:meth:`wait` for it)."""
        self._call(self._do_stop)

    def wait(self, timeout_s: float = 10.0) -> bool:
        """Block until the replay thread ended; True if it did within the timeout."""
        return stop_and_join(self._thread, self.stop, timeout_s)

    def take(self) -> list[RunnerEntry]:
        """Everything the replay produced since the last call, in order."""
        with self._outbox_lock:
            entries, self._outbox = self._outbox, []
            self._notified = False
        return entries

    def _call(self, command: Callable[[], None]) -> None:
        self._commands.put(command)
        loop = self._loop
        if loop is not None:
            # A closed loop raises: the thread is ending anyway.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._run_commands)

    # -- the worker thread ----------------------------------------------------------------------

    def _push(self, entry: RunnerEntry) -> None:
        with self._outbox_lock:
            self._outbox.append(entry)
            notify = not self._notified
            self._notified = True
        if notify:
            self.on_ready()

    def _run(self, start_s: float) -> None:
        try:
            asyncio.run(self._main(start_s))
        except Exception as exc:  # a damaged packet the parser let through, a bug: one line
            log.exception("replay ended with an error")
            self._ended = True
            self._push(Ended(str(exc) or type(exc).__name__))

    def _run_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            command()

    async def _main(self, start_s: float) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        request = 0
        while not self._quit:
            await self._play_through(start_s, request)
            if self._quit:
                break
            # At the end the replay stands still: a seek then holds, play starts again.
            self._playing = False
            self._ended = True
            self._held_at_s = None
            self._restart_at_s = None
            while not self._quit and self._restart_at_s is None:
                await self._wake.wait()
                self._wake.clear()
            if self._quit or self._restart_at_s is None:
                break
            start_s, request = self._restart_at_s, self._restart_request
            self._ended = False
            self._push(Restarted(start_s))

    async def _play_through(self, start_s: float, request: int) -> None:
        assert self._session is not None
        source = replay_source(self._session, speed=self._speed, start_s=start_s)
        self._times = item_times(source)
        self._engine = self._new_engine()
        self._count = 0
        self._next_item_s = self._times[0] if self._times else 0.0
        self._baseline = None
        self._target = None
        self._source = source
        self._aim(start_s, request, restarts=False)
        # Anything asked before the source existed (a seek right after opening) applies now.
        self._run_commands()
        await pump(source, self._on_item)
        self._catching_up_s = None
        if self._quit:
            return
        for update in self._engine.finish():
            self._emit(update)
        self._push(Ended())

    def _on_item(self, item: ReplayItem) -> None:
        if isinstance(item, ReplayRestarted):
            self._count = 0
            self._baseline = None
            if self._target is not None:
                self._target.restarting = False
            self._push(Restarted(item.target_s))
            self._engine = self._new_engine()
        else:
            self._count += 1
            assert self._engine is not None  # made before the source's first item
            for update in feed(self._engine, item, self._therapist):
                self._emit(update)
        self._next_item_s = (
            self._times[self._count] if self._count < len(self._times) else self.duration_s
        )
        self._check_target()

    def _new_engine(self) -> SessionEngine:
        """A fresh engine, told what it must know before the first item."""
        assert self._session is not None
        engine = replay_engine(self._session.metadata)
        self._engine = engine
        self._therapist = therapist_strap_for(self._session)
        for update in opening_updates(engine, self._session):
            self._emit(update)
        return engine

    def _emit(self, update: SessionUpdate) -> None:
        self._push(update)
        if update.reading is not None:
            baseline = update.baseline
            if baseline is not self._baseline:
                self._baseline = baseline
                self._push(BaselineChanged(baseline))

    def _aim(self, t_s: float, request: int, *, restarts: bool) -> None:
        """The source goes to ``t_s``: show that until it is there, hold there if paused."""
        assert self._source is not None
        hold = not self._playing
        self._target = _Target(t_s, items_before(self._times, t_s), restarts, hold, request)
        self._catching_up_s = t_s
        if hold:
            # The source only catches up while it runs: run it until the target is reached.
            self._source.resume()
        self._check_target()

    def _check_target(self) -> None:
        """Once everything before the target is out: stop showing the target, hold if asked."""
        target = self._target
        if target is None or target.restarting or self._count < target.index:
            return
        self._target = None
        if target.hold:
            assert self._source is not None
            self._source.pause()
            self._held_at_s = target.t_s
            self._push(Held(target.t_s))
        self._catching_up_s = None
        self._reached_request = max(self._reached_request, target.request)

    # -- commands (run in the worker loop) ------------------------------------------------------

    def _do_play(self) -> None:
        self._playing = True  # again here: the end of the recording may have cleared it
        self._held_at_s = None
        if self._target is not None:
            self._target.hold = False
        if self._ended:
            self._restart_at_s = 0.0
            self._restart_request = self._requested
            if self._wake is not None:
                self._wake.set()
        elif self._source is not None:
            self._source.set_speed(self._speed)
            self._source.resume()

    def _do_pause(self) -> None:
        if self._target is not None:
            self._target.hold = True  # finish the catch-up, then hold at its target
        elif self._source is not None and not self._ended:
            self._source.pause()

    def _do_seek(self, t_s: float, request: int) -> None:
        source = self._source
        if self._ended or source is None:
            self._restart_at_s = t_s
            self._restart_request = request
            if self._wake is not None:
                self._wake.set()
            return
        # The source restarts from its first item when the target is not after what it has
        # already emitted (a ReplayRestarted comes first and resets the count).
        restarts = self._count > 0 and t_s <= self._times[self._count - 1]
        source.seek(t_s)
        self._aim(t_s, request, restarts=restarts)

    def _do_speed(self) -> None:
        if self._source is not None:
            self._source.set_speed(self._speed)

    def _do_stop(self) -> None:
        self._quit = True
        if self._source is not None:
            self._source.request_stop()
        if self._wake is not None:
            self._wake.set()


@dataclass
class _Target:
    """Where a seek (or the start) goes: ``index`` items are out once it is reached."""

    t_s: float
    index: int
    restarting: bool
    hold: bool
    request: int
