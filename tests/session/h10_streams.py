"""Event streams of a simulated Polar H10 for the engine tests: the strap's RR notifications,
ECG runs of 73 samples (one PMD frame at 130 Hz) and ACC runs, in order of arrival.

The truth is a REAL RR series (tests/data/rest_rri.txt) with real-looking sinus events (a sudden
35 % longer beat, normal QRS) and true ventricular ectopics (wide QRS, premature, compensatory
pause); the ECG is synthesised around the true beats (drivers/simulated_h10.py) and the strap's
RR stream gets missed and extra detections on top (as tests/core/test_ecg_verified_beats.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drivers.events import AccSamples, EcgSamples, HeartRatePacket, SourceEvent
from drivers.simulated_h10 import synthesize_acc, synthesize_ecg

DATA = Path(__file__).resolve().parent.parent / "data"
ECG_FRAME_N = 73
ACC_FRAME_N = 36
STRAP_LATENCY_S = 0.05


@dataclass(frozen=True)
class H10Scenario:
    """The truth and what the strap reports."""

    beats_s: np.ndarray  # true R peaks (s)
    rr_ms: np.ndarray  # true RR, rr_ms[k] ends at beats_s[k + 1]
    judged: np.ndarray  # true RR that are sinus (not around a PVC)
    strap_s: np.ndarray  # beat times the strap reports, with its missed and extra beats
    ectopic: np.ndarray  # per true beat: ventricular ectopic


def artefact_scenario(seed: int, beats: int = 400) -> H10Scenario:
    rng = np.random.default_rng(seed)
    rr_ms = np.loadtxt(DATA / "rest_rri.txt")[:beats].copy()
    ectopic = np.zeros(rr_ms.size + 1, dtype=bool)
    rr_ms[np.arange(40, beats - 40, 61)] *= 1.35
    pvcs = np.arange(70, beats - 40, 97)
    for k in pvcs:
        early = 0.35 * rr_ms[k]
        rr_ms[k] -= early
        rr_ms[k + 1] += early
        ectopic[k + 1] = True
    beats_s = 3.0 + np.concatenate(([0.0], np.cumsum(rr_ms) / 1000.0))
    strap_s = beats_s + rng.normal(0.0, 0.001, beats_s.size)
    missed = np.arange(25, beats - 20, 83)
    extra = np.arange(55, beats - 20, 89)
    keep = np.ones(strap_s.size, dtype=bool)
    keep[missed] = False
    halfway = 0.5 * (strap_s[extra] + strap_s[extra + 1])
    strap_s = np.sort(np.concatenate((strap_s[keep], halfway)))
    judged = np.ones(rr_ms.size, dtype=bool)
    for k in pvcs:
        judged[[k, k + 1]] = False
    return H10Scenario(beats_s, rr_ms, judged, strap_s, ectopic)


def strap_packets(strap_s: np.ndarray) -> list[HeartRatePacket]:
    """One notification per beat, arriving ``STRAP_LATENCY_S`` after it."""
    rr_ms = np.diff(strap_s) * 1000.0
    return [
        HeartRatePacket(float(t + STRAP_LATENCY_S), round(60000.0 / rr), (float(rr),), True)
        for t, rr in zip(strap_s[1:], rr_ms, strict=True)
    ]


def ecg_runs(t_s: np.ndarray, ecg_uv: np.ndarray, sample_hz: float) -> list[EcgSamples]:
    """The ECG in PMD-sized runs, each arriving with its last sample."""
    return [
        EcgSamples(
            float(t_s[min(i + ECG_FRAME_N, t_s.size) - 1]),
            float(t_s[i]),
            sample_hz,
            tuple(int(v) for v in np.round(ecg_uv[i : i + ECG_FRAME_N])),
        )
        for i in range(0, t_s.size, ECG_FRAME_N)
    ]


def acc_runs(t_s: np.ndarray, acc_mg: np.ndarray, sample_hz: float) -> list[AccSamples]:
    """The ACC in runs of ``ACC_FRAME_N`` samples, each arriving with its last sample."""
    rounded = np.round(acc_mg).astype(int)
    return [
        AccSamples(
            float(t_s[min(i + ACC_FRAME_N, t_s.size) - 1]),
            float(t_s[i]),
            sample_hz,
            tuple((int(x), int(y), int(z)) for x, y, z in rounded[i : i + ACC_FRAME_N]),
        )
        for i in range(0, t_s.size, ACC_FRAME_N)
    ]


def in_arrival_order(*streams: list[SourceEvent]) -> list[SourceEvent]:
    """All events sorted by arrival (stable: a stream's own order is kept)."""
    events = [e for stream in streams for e in stream]
    return sorted(events, key=lambda e: e.arrival_s)


def h10_events(sc: H10Scenario, seed: int) -> tuple[list[SourceEvent], list[SourceEvent]]:
    """(RR only, RR + ECG) event lists of one scenario."""
    ecg = synthesize_ecg(sc.beats_s, seed=seed, ectopic=sc.ectopic)
    packets: list[SourceEvent] = list(strap_packets(sc.strap_s))
    runs: list[SourceEvent] = list(ecg_runs(ecg.t_s, ecg.ecg_uv, ecg.sample_hz))
    return packets, in_arrival_order(packets, runs)


def breathing_events(
    breaths_per_min: float,
    duration_s: float,
    seed: int,
    movement_bouts_s: tuple[tuple[float, float], ...] = (),
    rr_ms: float = 900.0,
) -> list[SourceEvent]:
    """Steady beats with ACC of a wearer breathing at ``breaths_per_min``."""
    beats_s = np.arange(1.0, duration_s, rr_ms / 1000.0)
    acc = synthesize_acc(
        duration_s,
        breaths_per_min=breaths_per_min,
        seed=seed,
        movement_bouts_s=movement_bouts_s,
        beat_times_s=beats_s,
    )
    packets: list[SourceEvent] = list(strap_packets(beats_s))
    runs: list[SourceEvent] = list(acc_runs(acc.t_s, acc.acc_mg, acc.sample_hz))
    return in_arrival_order(packets, runs)
