"""A simulated Polar H10 for the dashboard benchmark: beats, ECG and ACC fed at real time.

The simulator's true beats (``HeartSimulator.true_rr``, the default session script) are the
heart; the strap notifies each beat's RR ``LATENCY_S`` after it; its ECG (130 Hz, synthesised
around the same beats, drivers/simulated_h10.py) comes in PMD frames of 73 samples and its ACC
(50 Hz, breathing at 12/min) in frames of 36, each arriving with its last sample, as the H10
sends them. This is a benchmark's stand-in, not the product's simulated H10 (which the
``--h10`` flags of record and demo get), so the dashboard's cost with the ECG strip live can be
measured on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator

import numpy as np

from drivers.events import (
    AccSamples,
    ConnectionState,
    DeviceInfo,
    EcgSamples,
    HeartRatePacket,
    SignalGap,
    SourceEvent,
    StateChanged,
)
from drivers.simulated_h10 import synthesize_acc, synthesize_ecg
from drivers.simulator import HeartSimulator

LATENCY_S = 0.05
ECG_FRAME_N = 73
ACC_FRAME_N = 36
BREATHS_PER_MIN = 12.0


def h10_events(duration_s: float, seed: int = 1) -> list[SourceEvent]:
    """Every event of ``duration_s`` seconds of a simulated H10, by arrival (s from 0)."""
    beats_s, _ = HeartSimulator(seed=seed).true_rr(duration_s)
    beats_s = beats_s[beats_s > 0.5]
    ecg = synthesize_ecg(beats_s, seed=seed, duration_s=duration_s)
    acc = synthesize_acc(
        duration_s, breaths_per_min=BREATHS_PER_MIN, seed=seed, beat_times_s=beats_s
    )
    rr_ms = np.diff(beats_s) * 1000.0
    stream: list[SourceEvent] = [
        HeartRatePacket(float(t + LATENCY_S), round(60000.0 / rr), (float(rr),), True)
        for t, rr in zip(beats_s[1:], rr_ms, strict=True)
    ]
    ecg_uv = np.round(ecg.ecg_uv).astype(int)
    for i in range(0, ecg.t_s.size, ECG_FRAME_N):
        chunk = ecg_uv[i : i + ECG_FRAME_N]
        arrival_s = float(ecg.t_s[i + chunk.size - 1])
        stream.append(
            EcgSamples(arrival_s, float(ecg.t_s[i]), ecg.sample_hz, tuple(chunk.tolist()))
        )
    acc_mg = np.round(acc.acc_mg).astype(int)
    for i in range(0, acc.t_s.size, ACC_FRAME_N):
        rows = acc_mg[i : i + ACC_FRAME_N]
        arrival_s = float(acc.t_s[i + len(rows) - 1])
        xyz = tuple((int(x), int(y), int(z)) for x, y, z in rows)
        stream.append(AccSamples(arrival_s, float(acc.t_s[i]), acc.sample_hz, xyz))
    stream.sort(key=lambda event: event.arrival_s)
    start: list[SourceEvent] = [
        StateChanged(0.0, ConnectionState.CONNECTED, "simulated H10 (bench)"),
        DeviceInfo(0.0, "Polar H10 BENCH", "00:00:00:00:00:10", extra={"raw_data": "ecg,acc"}),
    ]
    return start + stream


class H10BenchSource:
    """:func:`h10_events` as a live source at 1x: each event on ``time.monotonic()`` at its time.

    Parameters
    ----------
    duration_s : float
        Seconds to simulate (then ``StateChanged`` stopped).
    seed : int
    """

    def __init__(self, duration_s: float, seed: int = 1) -> None:
        self._events = h10_events(duration_s, seed)
        self._stop = asyncio.Event()

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Yield the events at real time; ends with ``StateChanged`` stopped."""
        self._stop = asyncio.Event()
        origin_s = time.monotonic()
        for event in self._events:
            delay_s = origin_s + event.arrival_s - time.monotonic()
            if delay_s > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=delay_s)
            if self._stop.is_set():
                break
            yield _on_clock(event, origin_s)
        yield StateChanged(time.monotonic(), ConnectionState.STOPPED, "stopped")

    async def stop(self) -> None:
        """End :meth:`events` soon."""
        self._stop.set()


def _on_clock(event: SourceEvent, origin_s: float) -> SourceEvent:
    """The event with its times on the host's monotonic clock (as a live strap's are)."""
    if isinstance(event, EcgSamples | AccSamples):
        return dataclasses.replace(
            event, arrival_s=event.arrival_s + origin_s, start_s=event.start_s + origin_s
        )
    assert not isinstance(event, SignalGap)  # (none in this feed)
    return dataclasses.replace(event, arrival_s=event.arrival_s + origin_s)
