"""The replay source: re-parsed packets in recorded order, paced, seekable, stoppable."""

from __future__ import annotations

import asyncio
import math
import threading
import time
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


async def test_pace_follows_the_speed() -> None:
    source = ReplaySource(packets_every(0.5, 5), speed=10.0)  # 2 s recorded -> 0.2 s
    started = time.monotonic()
    items = await collect(source)
    elapsed = time.monotonic() - started
    assert len([i for i in items if isinstance(i, HeartRatePacket)]) == 5
    assert 0.18 <= elapsed < 0.5

    started = time.monotonic()
    await collect(ReplaySource(packets_every(0.5, 5), speed=1.0, start_s=1.6))
    assert 0.35 <= time.monotonic() - started < 0.7  # only 1.6 s -> 2.0 s is paced


async def test_fast_replay_does_not_wait() -> None:
    started = time.monotonic()
    items = await collect(ReplaySource(packets_every(1.0, 3000), speed=FAST))
    assert time.monotonic() - started < 2.0
    assert len(items) == 3001


async def test_a_forward_seek_catches_up_at_full_speed_then_paces() -> None:
    source = ReplaySource(packets_every(0.1, 100), speed=1.0)  # 10 s recorded
    seen: list[float] = []
    started = time.monotonic()
    async for item in source.events():
        seen.append(item.arrival_s)  # type: ignore[union-attr]
        if len(seen) == 2:
            source.seek(9.5)
    elapsed = time.monotonic() - started
    packet_times = seen[:-1]
    assert packet_times == pytest.approx([i * 0.1 for i in range(100)])  # nothing skipped
    assert 0.45 <= elapsed < 1.0  # 0.1 s, the jump, then 9.5 s -> 9.9 s at 1x


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
    started = time.monotonic()
    items = await collect(source)
    assert time.monotonic() - started < 1.0
    assert items[-1] == StateChanged(0.0, ConnectionState.STOPPED, "replay stopped")


async def test_pause_holds_and_resume_continues() -> None:
    source = ReplaySource(packets_every(0.05, 10), speed=1.0)
    source.pause()
    task = asyncio.create_task(collect(source))
    await asyncio.sleep(0.3)
    assert not task.done() and source.paused
    source.resume()
    items = await asyncio.wait_for(task, timeout=2.0)
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
