"""The simulated Polar H10 source (drivers/simulated_h10_stream.py): the simulator's packets
with ECG and ACC frames around its own beats and breathing, paced by the same clock.

The truth is taken from the simulator by another path (``HeartSimulator.true_rr``, the
script's breathing rates, the injected artefacts), and the signals are measured with scipy
here, independently of the session's own R-peak detector and breathing estimator.
"""

from __future__ import annotations

import asyncio
import itertools
import math

import numpy as np
import pytest
from scipy.signal import find_peaks, welch

from drivers.events import (
    AccSamples,
    ConnectionState,
    EcgSamples,
    HeartRatePacket,
    SourceEvent,
    StateChanged,
)
from drivers.simulated_h10_stream import (
    ACC_SAMPLE_HZ,
    ECG_FRAME_SAMPLES,
    SimulatedH10,
    SimulatedH10Source,
)
from drivers.simulator import Disturbances, HeartSimulator, phase_timeline

DROPOUT = (200.0, 215.0)
NO_CONTACT = (250.0, 258.0)


@pytest.fixture(scope="module")
def disturbed() -> tuple[SimulatedH10, list[SourceEvent]]:
    simulator = HeartSimulator(
        seed=4,
        disturbances=Disturbances(
            ectopic_rate=0.02, missed_rate=0.01, dropouts=(DROPOUT,), contact_loss=(NO_CONTACT,)
        ),
    )
    h10 = SimulatedH10(simulator)
    return h10, list(h10.events(300.0))


def test_frames_come_in_arrival_order_and_join_without_overlap(
    disturbed: tuple[SimulatedH10, list[SourceEvent]],
) -> None:
    _, events = disturbed
    arrivals = [e.arrival_s for e in events]
    assert arrivals == sorted(arrivals)
    last = events[-1]
    assert isinstance(last, StateChanged) and last.state is ConnectionState.STOPPED
    ecg = [e for e in events if isinstance(e, EcgSamples)]
    acc = [e for e in events if isinstance(e, AccSamples)]
    assert {len(e.ecg_uv) for e in ecg} == {ECG_FRAME_SAMPLES}
    assert {e.sample_hz for e in ecg} == {130.0} and {e.sample_hz for e in acc} == {ACC_SAMPLE_HZ}
    for frames, n_of in ((ecg, lambda e: len(e.ecg_uv)), (acc, lambda e: len(e.acc_mg))):
        for a, b in itertools.pairwise(frames):
            step_s = b.start_s - a.start_s
            # Consecutive frames join sample to sample, or a whole number of frames is missing.
            frames_on = step_s * a.sample_hz / n_of(a)
            assert frames_on == pytest.approx(round(frames_on), abs=1e-6) and round(frames_on) >= 1
        for frame in frames:  # a frame arrives after its last sample, within the radio's delay
            last_sample_s = frame.start_s + (n_of(frame) - 1) / frame.sample_hz
            assert 0.0 < frame.arrival_s - last_sample_s < 0.05
    assert len([e for e in events if isinstance(e, HeartRatePacket)]) > 250


def test_nothing_arrives_in_a_drop_out_and_no_ecg_without_contact(
    disturbed: tuple[SimulatedH10, list[SourceEvent]],
) -> None:
    _, events = disturbed

    def spans(kind: type) -> list[tuple[float, float]]:
        found = [
            e for e in events if isinstance(e, EcgSamples | AccSamples) and isinstance(e, kind)
        ]
        return [(e.start_s, e.arrival_s) for e in found]

    def overlaps(span: tuple[float, float], window: tuple[float, float]) -> bool:
        return span[0] < window[1] and window[0] < span[1]

    assert not any(overlaps(s, DROPOUT) for s in spans(EcgSamples) + spans(AccSamples))
    assert not any(overlaps(s, NO_CONTACT) for s in spans(EcgSamples))
    assert any(overlaps(s, NO_CONTACT) for s in spans(AccSamples))  # the chest still moves


def test_the_ecg_r_peaks_are_the_hearts_true_beats_and_its_ectopics(
    disturbed: tuple[SimulatedH10, list[SourceEvent]],
) -> None:
    h10, events = disturbed
    ecg = [e for e in events if isinstance(e, EcgSamples) and e.start_s < DROPOUT[0]]
    t_s = np.concatenate([np.asarray(e.times_s()) for e in ecg])
    uv = np.concatenate([np.asarray(e.ecg_uv, dtype=float) for e in ecg])
    peaks, _ = find_peaks(uv, height=600.0, distance=int(0.3 * 130))
    # Refined to the parabola's vertex through the three samples around each maximum.
    y0, y1, y2 = uv[peaks - 1], uv[peaks], uv[peaks + 1]
    peak_s = t_s[peaks] + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2) / 130.0

    true_t_s, _ = HeartSimulator(seed=4).true_rr(DROPOUT[0])
    injected = [a.t_s for a in h10.simulator.injected if a.kind == "ectopic"]
    assert injected, "the seed injects ectopic beats before the drop-out"
    expected = true_t_s.copy()
    for early_s in injected:  # a premature beat takes the place of the beat it came before
        i = int(np.searchsorted(expected, early_s))
        if i < expected.size:
            expected[i] = early_s
    expected = expected[(expected > t_s[0] + 0.5) & (expected < t_s[-1] - 0.5)]
    nearest = np.abs(peak_s[None, :] - expected[:, None]).min(axis=1)
    assert np.mean(nearest < 0.008) >= 0.99
    # A missed detection is the strap's error only: the ECG still has that beat.
    missed = [a.t_s for a in h10.simulator.injected if a.kind == "missed" and a.t_s < 190]
    assert missed
    for beat_s in missed:
        assert np.abs(peak_s - beat_s).min() < 0.008


def test_the_chest_breathes_at_the_scripts_rate() -> None:
    """The ACC's spectral peak in each calm phase at the script's breathing rate (±1/min)."""
    h10 = SimulatedH10(HeartSimulator(seed=2), movement_bouts_s=())
    events = list(h10.events())
    acc = [e for e in events if isinstance(e, AccSamples)]
    t_s = np.concatenate([np.asarray(e.times_s()) for e in acc])
    xyz = np.concatenate([np.asarray(e.acc_mg, dtype=float) for e in acc])
    spans = {s.name: s for s in phase_timeline(h10.simulator.script)}
    for name, per_min in (("baseline", 14.0), ("calm place", 6.0)):
        span = spans[name]
        inside = (t_s > span.start_s + 60.0) & (t_s < span.end_s)  # after the ramp
        part = xyz[inside] - xyz[inside].mean(axis=0)
        # The breathing axis: the signal's first principal component.
        main = part @ np.linalg.svd(part, full_matrices=False)[2][0]
        n = int(60 * ACC_SAMPLE_HZ)
        f_hz, power = welch(main, fs=ACC_SAMPLE_HZ, nperseg=n, nfft=8 * n)
        band = (f_hz > 0.05) & (f_hz < 0.7)
        peak_per_min = 60.0 * f_hz[band][np.argmax(power[band])]
        assert abs(peak_per_min - per_min) <= 1.0, name


def test_movement_bouts_are_large_and_only_where_asked() -> None:
    h10 = SimulatedH10(HeartSimulator(seed=1), movement_bouts_s=((40.0, 50.0),))
    acc = [e for e in h10.events(90.0) if isinstance(e, AccSamples)]
    t_s = np.concatenate([np.asarray(e.times_s()) for e in acc])
    xyz = np.concatenate([np.asarray(e.acc_mg, dtype=float) for e in acc])
    jerk = np.linalg.norm(np.diff(xyz, axis=0), axis=1)
    moving = (t_s[1:] > 42.0) & (t_s[1:] < 48.0)
    still = (t_s[1:] < 38.0) | (t_s[1:] > 52.0)
    assert np.median(jerk[moving]) > 10 * np.median(jerk[still])


def test_the_async_source_paces_the_same_events() -> None:
    """At any speed the source yields what the synchronous form does (here as fast as it can)."""
    source = SimulatedH10Source(seed=6, speed=math.inf, duration_s=30.0, clock_origin_s=100.0)

    async def collect() -> list[SourceEvent]:
        return [event async for event in source.events()]

    paced = asyncio.run(collect())
    direct = list(SimulatedH10(HeartSimulator(seed=6)).events(30.0, 100.0))
    assert [type(e) for e in paced] == [type(e) for e in direct]
    assert [e.arrival_s for e in paced] == [e.arrival_s for e in direct]
    ecg = [e for e in paced if isinstance(e, EcgSamples)]
    assert ecg and ecg[0].ecg_uv == next(e for e in direct if isinstance(e, EcgSamples)).ecg_uv
