"""A simulated Polar H10 through a real session engine, for the dashboard's ECG tests.

The simulator's true beats (HeartSimulator.true_rr) are the truth; the strap reports each one
(one notification per beat, ``LATENCY_S`` later); its ECG is synthesised around the same beats
(drivers/simulated_h10.py) and sent in PMD-sized runs of 73 samples, its ACC at 50 Hz in runs of
36. Everything goes through a real :class:`SessionEngine`; the tests look at the updates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drivers.events import (
    AccSamples,
    ConnectionState,
    DeviceInfo,
    EcgSamples,
    HeartRatePacket,
    SourceEvent,
    StateChanged,
)
from drivers.simulated_h10 import SimulatedEcg, synthesize_acc, synthesize_ecg
from drivers.simulator import HeartSimulator
from monitor.session.engine import SessionEngine, SessionUpdate

LATENCY_S = 0.05
ECG_FRAME_N = 73
ACC_FRAME_N = 36


@dataclass(frozen=True)
class H10Run:
    """The truth, what was fed and what the engine made of it."""

    beats_s: np.ndarray
    ecg: SimulatedEcg
    ecg_runs: list[EcgSamples]
    updates: list[SessionUpdate]


def h10_events(
    duration_s: float,
    *,
    seed: int = 3,
    ecg: bool = True,
    acc: bool = True,
    raw_data: str = "",
    breaths_per_min: float = 12.0,
) -> tuple[np.ndarray, SimulatedEcg, list[SourceEvent]]:
    """(true beats, the ECG, every event in order of arrival); the chest breathes at
    ``breaths_per_min``."""
    beats_s, _ = HeartSimulator(seed=seed).true_rr(duration_s)
    beats_s = beats_s[beats_s > 0.5]
    signal = synthesize_ecg(beats_s, seed=seed, duration_s=duration_s)
    rr_ms = np.diff(beats_s) * 1000.0
    stream: list[SourceEvent] = [
        HeartRatePacket(float(t + LATENCY_S), round(60000.0 / rr), (float(rr),), True)
        for t, rr in zip(beats_s[1:], rr_ms, strict=True)
    ]
    if ecg:
        stream += _runs(signal.t_s, signal.ecg_uv, signal.sample_hz, ECG_FRAME_N, EcgSamples)
    if acc:
        motion = synthesize_acc(
            duration_s, breaths_per_min=breaths_per_min, seed=seed, beat_times_s=beats_s
        )
        stream += _runs(motion.t_s, motion.acc_mg, motion.sample_hz, ACC_FRAME_N, AccSamples)
    start: list[SourceEvent] = [StateChanged(0.0, ConnectionState.CONNECTED, "simulated H10")]
    extra = {"raw_data": raw_data} if raw_data else {}
    start.append(DeviceInfo(0.0, "Polar H10 TEST", "AA:BB", extra=extra))
    return beats_s, signal, start + sorted(stream, key=lambda e: e.arrival_s)


def _runs(
    t_s: np.ndarray, values: np.ndarray, hz: float, frame_n: int, kind: type
) -> list[SourceEvent]:
    """Runs of ``frame_n`` samples, each arriving with its last sample."""
    rounded = np.round(values).astype(int)
    runs: list[SourceEvent] = []
    for i in range(0, t_s.size, frame_n):
        chunk = rounded[i : i + frame_n]
        samples = tuple(int(v) for v in chunk) if chunk.ndim == 1 else tuple(map(tuple, chunk))
        runs.append(kind(float(t_s[i + len(chunk) - 1]), float(t_s[i]), hz, samples))
    return runs


def run_h10(
    duration_s: float,
    *,
    then: tuple[SourceEvent, ...] = (),
    ecg: bool = True,
    acc: bool = True,
    raw_data: str = "",
    breaths_per_min: float = 12.0,
) -> H10Run:
    """Every update of a real engine fed a simulated H10 (no sleeping), then ``then``."""
    beats_s, signal, events = h10_events(
        duration_s, ecg=ecg, acc=acc, raw_data=raw_data, breaths_per_min=breaths_per_min
    )
    engine = SessionEngine()
    updates = [update for event in [*events, *then] for update in engine.handle(event)]
    runs = [e for e in events if isinstance(e, EcgSamples)]
    return H10Run(beats_s, signal, runs, updates)
