"""The replay source: re-parsed packets in recorded order, paced, seekable, stoppable."""

from __future__ import annotations

import asyncio
import math
import threading
from pathlib import Path

import pytest
from recording_helpers import SimulatedRecording

from drivers.beat_clock import BeatClock
from drivers.events import (
    BatteryLevel,
    ConnectionState,
    HeartRatePacket,
    SignalGap,
    StateChanged,
)
from drivers.hrs import encode_heart_rate_measurement, parse_heart_rate_measurement
from drivers.replay import FAST, ReplayMarker, ReplayRestarted, ReplaySource
from monitor.recording.model import THERAPIST_EVENT_KINDS, SessionEvent
from monitor.recording.reader import read_session, replay_source


def packets_every(step_s: float, count: int) -> list[tuple[float, bytes]]:
    return [
        (i * step_s, encode_heart_rate_measurement(70, [800.0 + i], contact=True))
        for i in range(count)
    ]


async def collect(source: ReplaySource) -> list[object]:
    return [item async for item in source.events()]


def times(items: list[object]) -> list[float]:
    return [item.arrival_s for item in items]  # type: ignore[attr-defined]


async def test_a_recorded_session_replays_to_the_same_beats(
    simulated_session: tuple[Path, SimulatedRecording],
) -> None:
    path, sent = simulated_session
    session = read_session(path)
    items = await collect(replay_source(session, speed=FAST))

    packets = [i for i in items if isinstance(i, HeartRatePacket)]
    assert [(p.arrival_s, p.raw) for p in packets] == sent.packets
    assert packets == [parse_heart_rate_measurement(raw, t) for t, raw in sent.packets]
    # What the beat clock made live, it makes again from the replay.
    clock = BeatClock()
    beats = [(b.t_s, b.rr_ms, b.arrival_s) for p in packets for b in clock.push(p)]
    assert beats == sent.beats

    markers = [i.payload for i in items if isinstance(i, ReplayMarker)]
    assert markers == [e for e in session.events if e.kind in THERAPIST_EVENT_KINDS]
    assert all(isinstance(m, SessionEvent) for m in markers)
    assert any(isinstance(i, BatteryLevel) for i in items)
    assert times(items) == sorted(times(items))
    last = items[-1]
    assert isinstance(last, StateChanged) and last.state is ConnectionState.STOPPED


class ControlledClock:
    """A wall clock the test controls: the replay's waits advance it instead of passing.

    Pacing is then a number the schedule decides (recorded seconds / speed), the same on a
    quiet and on a loaded machine. The replay's one waiting point, ``_sleep``, is replaced by
    one that moves this clock on by the delay asked for (``None``, paused, only yields).
    """

    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s

    def drive(self, source: ReplaySource) -> ReplaySource:
        async def advance(delay_s: float | None) -> None:
            if delay_s is not None:
                self.now_s += delay_s
            await asyncio.sleep(0)

        source._sleep = advance  # type: ignore[method-assign]
        return source


async def test_pace_follows_the_speed() -> None:
    clock = ControlledClock()
    source = clock.drive(ReplaySource(packets_every(0.5, 5), speed=10.0, clock=clock))
    items = await collect(source)  # 2 s recorded at 10x: 0.2 s
    assert len([i for i in items if isinstance(i, HeartRatePacket)]) == 5
    assert clock.now_s == pytest.approx(0.2, abs=1e-9)

    clock = ControlledClock()
    source = ReplaySource(packets_every(0.5, 5), speed=1.0, start_s=1.6, clock=clock)
    await collect(clock.drive(source))
    assert clock.now_s == pytest.approx(0.4, abs=1e-9)  # only 1.6 s -> 2.0 s is paced


async def test_fast_replay_does_not_wait() -> None:
    clock = ControlledClock()
    items = await collect(
        clock.drive(ReplaySource(packets_every(1.0, 3000), speed=FAST, clock=clock))
    )
    assert clock.now_s == 0.0
    assert len(items) == 3001


async def test_a_forward_seek_catches_up_at_full_speed_then_paces() -> None:
    clock = ControlledClock()
    source = clock.drive(ReplaySource(packets_every(0.1, 100), speed=1.0, clock=clock))
    seen: list[float] = []
    async for item in source.events():  # 10 s recorded
        seen.append(item.arrival_s)  # type: ignore[union-attr]
        if len(seen) == 2:
            source.seek(9.5)
    packet_times = seen[:-1]
    assert packet_times == pytest.approx([i * 0.1 for i in range(100)])  # nothing skipped
    # 0.1 s to the second packet, the jump to 9.5 s at full speed, then 9.5 s -> 9.9 s at 1x.
    assert clock.now_s == pytest.approx(0.5, abs=1e-9)


async def test_a_backward_seek_restarts_from_the_beginning() -> None:
    source = ReplaySource(packets_every(0.01, 50), speed=FAST)
    items: list[object] = []
    async for item in source.events():
        items.append(item)
        if len(items) == 40:
            source.seek(0.2)
    restarts = [i for i in items if isinstance(i, ReplayRestarted)]
    assert restarts == [ReplayRestarted(0.0, 0.2)]
    after = items[items.index(restarts[0]) + 1 :]
    assert times(after[:-1]) == pytest.approx([i * 0.01 for i in range(50)])


async def test_stop_from_another_thread_ends_the_stream() -> None:
    source = ReplaySource(packets_every(1.0, 600), speed=1.0)
    threading.Timer(0.15, source.request_stop).start()
    # 600 s at 1x: ending at all (the collect returns) shows the stop was heard; the
    # timeout only guards against a hang.
    items = await asyncio.wait_for(collect(source), timeout=300.0)
    assert items[-1] == StateChanged(0.0, ConnectionState.STOPPED, "replay stopped")


async def test_pause_holds_and_resume_continues() -> None:
    source = ReplaySource(packets_every(0.05, 10), speed=1.0)
    source.pause()
    task = asyncio.create_task(collect(source))
    await asyncio.sleep(0.3)
    assert not task.done() and source.paused
    source.resume()
    items = await asyncio.wait_for(task, timeout=60.0)  # a hang guard, not a speed bound
    assert len(items) == 11


async def test_async_stop_and_speed_change() -> None:
    source = ReplaySource(packets_every(0.1, 100), speed=1.0)
    items: list[object] = []
    async for item in source.events():
        items.append(item)
        if len(items) == 2:
            source.set_speed(100.0)
        if len(items) == 50:
            await source.stop()
    assert 50 <= len(items) <= 52
    assert isinstance(items[-1], StateChanged)


def test_malformed_payloads_are_skipped_and_counted() -> None:
    packets = [(0.0, b"\x10\x46\x00\x03"), (1.0, b""), (2.0, b"\x10\x46\x01")]
    source = ReplaySource(packets, [SignalGap(0.5, 1.5, "test")])
    assert source.malformed_packets == 2
    items = list(source.items())
    assert [type(i).__name__ for i in items] == ["HeartRatePacket", "SignalGap"]
    assert source.duration_s == 1.5


def test_bad_speeds_are_refused() -> None:
    with pytest.raises(ValueError, match="speed"):
        ReplaySource([], speed=0)
    with pytest.raises(ValueError, match="finite"):
        ReplaySource([]).seek(math.nan)
