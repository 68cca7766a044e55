"""Replay a recorded session as a heart-rate source.

The replay re-emits what a source emitted during the session: it re-parses every stored
notification payload with :func:`drivers.hrs.parse_heart_rate_measurement` (so new parsing or
analysis settings apply) and interleaves the recorded state events (connection, battery,
contact, gaps, device). Events the session itself produced (phase markers, SUDS, notes, alerts)
can ride along as :class:`ReplayMarker` items at their times.

Times are the recorded ones (seconds since the session start), not the replay's wall clock. The
pace is 1x, Nx or as fast as possible (``speed=math.inf``), changeable while running; a seek
keeps downstream state exact: everything before the target is re-emitted at full speed (after a
:class:`ReplayRestarted` when seeking backwards), so what a replay shows at any time is what the
live session showed.

This module never imports ``monitor``: ``monitor.recording.reader.replay_source`` builds a
:class:`ReplaySource` from a session file.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass

from drivers.events import ConnectionState, HeartRatePacket, SourceEvent, StateChanged
from drivers.hrs import MalformedPacketError, parse_heart_rate_measurement
from drivers.pacing import PacingClock, check_speed

FAST = math.inf
"""``speed`` for as fast as possible."""

# At full speed, hand control back to the event loop every this many items so stop(), seek()
# and the rest of the loop stay responsive.
_ITEMS_PER_YIELD = 64

# Order of simultaneous items: a state change recorded at the same time as a packet happened
# before it (a source reports "connected" before the first notification).
_EVENT_RANK = 0
_PACKET_RANK = 1
_MARKER_RANK = 2


@dataclass(frozen=True, slots=True)
class ReplayMarker:
    """A recorded session event (phase, SUDS, note, alert) re-emitted at its time.

    Attributes
    ----------
    arrival_s : float
        The event's recorded time.
    payload : object
        The recorded event as the caller gave it (``monitor.recording.model.SessionEvent``).
    """

    arrival_s: float
    payload: object


@dataclass(frozen=True, slots=True)
class ReplayRestarted:
    """The replay went back to the start (a backward seek).

    Consumers must drop all state built from earlier items (beat clock, HRV engine, alerts);
    the items from the start up to ``target_s`` follow at full speed, then normal pace resumes.
    """

    arrival_s: float
    target_s: float


@dataclass(frozen=True, slots=True)
class TherapistItem:
    """An event of the therapist's own strap in a co-regulation recording (re-parsed packets,
    connection changes, gaps), replayed beside the client's so that it reaches the therapist's
    engine and never the client's."""

    event: SourceEvent

    @property
    def arrival_s(self) -> float:
        return self.event.arrival_s


ReplayItem = SourceEvent | ReplayMarker | TherapistItem | ReplayRestarted
"""Anything :meth:`ReplaySource.events` yields."""

PacketParser = Callable[[bytes, float], HeartRatePacket]


def _as_is(event: SourceEvent) -> SourceEvent:
    return event


@dataclass(frozen=True, slots=True)
class _Entry:
    t_s: float
    rank: int
    order: int
    item: SourceEvent | ReplayMarker | TherapistItem


class ReplaySource:
    """A recorded session as an async source (same shape as the strap and simulator sources).

    Parameters
    ----------
    packets : iterable of (arrival_s, raw bytes)
        Stored notifications in arrival order.
    events : iterable of SourceEvent, optional
        Recorded non-packet source events (``StateChanged``, ``BatteryLevel``,
        ``ContactChanged``, ``SignalGap``, ``DeviceInfo``); ``HeartRatePacket`` items are
        accepted too and are emitted as given.
    markers : iterable of (t_s, payload), optional
        Further recorded events to re-emit as :class:`ReplayMarker`.
    therapist_packets, therapist_events : iterable, optional
        The therapist's strap in a co-regulation recording, as ``packets`` and ``events``;
        emitted as :class:`TherapistItem`.
    speed : float, optional
        Recorded seconds per wall-clock second; :data:`FAST` for as fast as possible.
    start_s : float, optional
        Start the replay here (everything before is emitted at full speed first, see
        :meth:`seek`).
    parse : callable, optional
        ``parse(raw, arrival_s) -> HeartRatePacket``; the Heart Rate Service parser by default.
    clock : callable, optional
        Monotonic wall clock in seconds (tests may pass their own).

    Attributes
    ----------
    malformed_packets : int
        Stored payloads the parser rejected; they are skipped, as a live source would skip them.
    """

    def __init__(
        self,
        packets: Iterable[tuple[float, bytes]],
        events: Iterable[SourceEvent] = (),
        markers: Iterable[tuple[float, object]] = (),
        *,
        therapist_packets: Iterable[tuple[float, bytes]] = (),
        therapist_events: Iterable[SourceEvent] = (),
        speed: float = 1.0,
        start_s: float = 0.0,
        parse: PacketParser = parse_heart_rate_measurement,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_speed(speed)
        self.malformed_packets = 0
        entries: list[_Entry] = []
        for wrap, strap_packets, strap_events in (
            (_as_is, packets, events),
            (TherapistItem, therapist_packets, therapist_events),
        ):
            for arrival_s, raw in strap_packets:
                try:
                    packet = parse(bytes(raw), float(arrival_s))
                except MalformedPacketError:
                    self.malformed_packets += 1
                    continue
                entries.append(_Entry(float(arrival_s), _PACKET_RANK, len(entries), wrap(packet)))
            for event in strap_events:
                rank = _PACKET_RANK if isinstance(event, HeartRatePacket) else _EVENT_RANK
                entries.append(_Entry(float(event.arrival_s), rank, len(entries), wrap(event)))
        for t_s, payload in markers:
            marker = ReplayMarker(float(t_s), payload)
            entries.append(_Entry(float(t_s), _MARKER_RANK, len(entries), marker))
        entries.sort(key=lambda e: (e.t_s, e.rank, e.order))
        self._timeline = entries
        self._lock = threading.Lock()
        self._media = PacingClock(clock, float(speed))
        self._stop_requested = False
        self._seek_target_s: float | None = float(start_s) if start_s > 0 else None
        self._next = 0
        self._emitted_until_s = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    # -- information --------------------------------------------------------------------------

    @property
    def duration_s(self) -> float:
        """Time of the last recorded item (0 for an empty recording)."""
        return self._timeline[-1].t_s if self._timeline else 0.0

    @property
    def position_s(self) -> float:
        """Where the replay stands in recorded time (moves smoothly between items)."""
        with self._lock:
            return min(self._media.now(), self.duration_s)

    @property
    def speed(self) -> float:
        return self._media.speed

    @property
    def paused(self) -> bool:
        return self._media.paused

    def items(self) -> Iterator[SourceEvent | ReplayMarker | TherapistItem]:
        """Every item in replay order, at once (no pacing, no state): for batch analysis."""
        return (entry.item for entry in self._timeline)

    # -- control (thread-safe: call from any thread) ------------------------------------------

    def set_speed(self, speed: float) -> None:
        """Change the pace; takes effect at once, from the current position."""
        check_speed(speed)
        with self._lock:
            self._media.set_speed(float(speed))
        self._poke()

    def pause(self) -> None:
        """Hold the replay at its position until :meth:`resume`."""
        with self._lock:
            self._media.set_paused(True)
        self._poke()

    def resume(self) -> None:
        with self._lock:
            self._media.set_paused(False)
        self._poke()

    def seek(self, t_s: float) -> None:
        """Continue from recorded time ``t_s``.

        Forward: the items between the position and ``t_s`` are emitted at full speed.
        Backward: a :class:`ReplayRestarted` is emitted, then the items from the start up to
        ``t_s`` at full speed. Either way the consumer's state at ``t_s`` is what it would be
        after playing up to ``t_s``; normal pace resumes from there.
        """
        if not math.isfinite(t_s):
            raise ValueError(f"seek target must be finite, got {t_s}")
        with self._lock:
            self._seek_target_s = max(0.0, float(t_s))
        self._poke()

    def request_stop(self) -> None:
        """Ask :meth:`events` to finish (from any thread)."""
        with self._lock:
            self._stop_requested = True
        self._poke()

    async def stop(self) -> None:
        """Ask :meth:`events` to finish; it yields ``StateChanged`` stopped and ends."""
        self.request_stop()

    # -- the stream ---------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[ReplayItem]:
        """Yield the recorded items at the chosen pace.

        Yields
        ------
        SourceEvent, ReplayMarker, TherapistItem or ReplayRestarted
            Re-parsed packets and recorded events in recorded order, with their recorded
            times; a final ``StateChanged`` stopped if the recording does not end with one or
            the replay was stopped early.
        """
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        with self._lock:
            self._media.jump(0.0)
        catch_up_until_s = -math.inf
        since_yield = 0
        last_item: ReplayItem | None = None
        while True:
            with self._lock:
                stop = self._stop_requested
                target_s, self._seek_target_s = self._seek_target_s, None
                paused, speed = self._media.paused, self._media.speed
            if stop:
                yield StateChanged(self._emitted_until_s, ConnectionState.STOPPED, "replay stopped")
                return
            if target_s is not None:
                if self._next > 0 and target_s <= self._emitted_until_s:
                    self._next = 0
                    self._emitted_until_s = 0.0
                    yield ReplayRestarted(0.0, target_s)
                catch_up_until_s = target_s
                with self._lock:
                    self._media.jump(target_s)
            if paused:
                await self._sleep(None)
                continue
            if self._next >= len(self._timeline):
                break
            entry = self._timeline[self._next]
            if entry.t_s >= catch_up_until_s and not math.isinf(speed):
                with self._lock:
                    delay_s = self._media.wait_s(entry.t_s)
                if delay_s > 0:
                    await self._sleep(delay_s)
                    continue
            self._next += 1
            self._emitted_until_s = max(self._emitted_until_s, entry.t_s)
            with self._lock:
                # After a stretch at full speed the media clock lags the items; catch it up.
                if self._media.now() < entry.t_s and entry.t_s >= catch_up_until_s:
                    self._media.jump(entry.t_s)
            last_item = entry.item
            yield entry.item
            since_yield += 1
            if since_yield >= _ITEMS_PER_YIELD:
                since_yield = 0
                await asyncio.sleep(0)
        if not (isinstance(last_item, StateChanged) and last_item.state is ConnectionState.STOPPED):
            yield StateChanged(self._emitted_until_s, ConnectionState.STOPPED, "end of recording")

    # -- internals ----------------------------------------------------------------------------

    async def _sleep(self, delay_s: float | None) -> None:
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=delay_s)
        self._wake.clear()

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)
