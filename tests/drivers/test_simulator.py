"""The physiological strap simulator: reproducibility, realism, disturbances and pacing."""

from __future__ import annotations

import asyncio
import itertools
import math
import time

import numpy as np
import pytest
from scipy.signal import welch

from drivers.events import (
    ConnectionState,
    ContactChanged,
    DeviceInfo,
    HeartRatePacket,
    SignalGap,
    StateChanged,
)
from drivers.hrs import parse_heart_rate_measurement
from drivers.simulator import (
    Disturbances,
    HeartSimulator,
    Phase,
    SimulatedHeartRateSource,
    default_session_script,
    phase_timeline,
    resonance_gain,
    script_duration_s,
    simulated_rr,
)

BASELINE_SEEDS = range(6)


def sdnn_ms(rr_ms: np.ndarray) -> float:
    return float(np.std(rr_ms, ddof=1))


def rmssd_ms(rr_ms: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.diff(rr_ms) ** 2)))


def packet_rr(events, start_s: float, end_s: float) -> np.ndarray:
    """RR intervals of the packets that arrived in [start_s, end_s), as the strap sent them."""
    return np.array(
        [
            rr
            for event in events
            if isinstance(event, HeartRatePacket) and start_s <= event.arrival_s < end_s
            for rr in event.rr_ms
        ]
    )


def spans_by_name(script) -> dict:
    return {span.name: span for span in phase_timeline(script)}


def test_same_seed_same_session_other_seed_other_session() -> None:
    first = list(HeartSimulator(seed=5).events(duration_s=120))
    again = list(HeartSimulator(seed=5).events(duration_s=120))
    other = list(HeartSimulator(seed=6).events(duration_s=120))
    assert first == again
    assert packet_rr(first, 0, 120).tolist() != packet_rr(other, 0, 120).tolist()


def test_packets_look_like_a_strap_and_round_trip_through_the_parser() -> None:
    events = list(HeartSimulator(seed=1).events(duration_s=300))
    packets = [e for e in events if isinstance(e, HeartRatePacket)]
    assert 295 <= len(packets) <= 300  # about one a second
    assert {len(p.rr_ms) for p in packets} <= {0, 1, 2, 3}
    for previous, current in itertools.pairwise(packets):
        assert 0.9 < current.arrival_s - previous.arrival_s < 1.1
    for p in packets:
        assert parse_heart_rate_measurement(p.raw, p.arrival_s) == p
        assert p.contact is True
    assert isinstance(events[1], DeviceInfo)
    assert events[0] == StateChanged(0.0, ConnectionState.CONNECTING, "simulated strap")
    assert events[-1].state is ConnectionState.STOPPED


def test_timeline_of_the_default_script() -> None:
    script = default_session_script()
    spans = phase_timeline(script)
    assert [s.name for s in spans] == [
        "baseline",
        "imagery",
        "peak",
        "grounding",
        "recovery",
        "calm place",
    ]
    assert spans[0].start_s == 0 and spans[0].end_s == 300  # ~5 min calm baseline
    for previous, current in itertools.pairwise(spans):
        assert current.start_s == previous.end_s
    assert spans[-1].end_s == script_duration_s(script)
    assert script[-1].breathing_per_min == 6


@pytest.mark.parametrize("seed", BASELINE_SEEDS)
def test_five_minute_baseline_is_within_healthy_norms(seed: int) -> None:
    """Nunan et al. 2010: mean RR 926 ± 90 ms, SDNN 50 ± 16 ms, RMSSD 42 ± 15 ms."""
    events = list(HeartSimulator(seed=seed).events(duration_s=300))
    rr = packet_rr(events, 0, 301)
    assert 280 <= len(rr) <= 360
    assert 926 - 90 <= rr.mean() <= 926 + 90
    assert 50 - 16 <= sdnn_ms(rr) <= 50 + 16
    assert 42 - 15 <= rmssd_ms(rr) <= 42 + 15


@pytest.mark.parametrize("seed", BASELINE_SEEDS)
def test_activation_raises_hr_and_lowers_rmssd(seed: int) -> None:
    script = default_session_script()
    spans = spans_by_name(script)
    events = list(HeartSimulator(script, seed=seed).events())
    baseline = packet_rr(events, 0, spans["baseline"].end_s)
    peak = packet_rr(events, spans["peak"].start_s + 30, spans["peak"].end_s)
    hr_rise_bpm = 60000 / peak.mean() - 60000 / baseline.mean()
    assert 20 <= hr_rise_bpm <= 35
    assert rmssd_ms(peak) < 0.4 * rmssd_ms(baseline)


def _spectrum(t_s: np.ndarray, rr_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    grid_s = np.arange(t_s[0], t_s[-1], 0.25)  # 4 Hz resampling (Task Force 1996)
    series = np.interp(grid_s, t_s, rr_ms)
    return welch(series - series.mean(), fs=4.0, nperseg=512, detrend="linear")


@pytest.mark.parametrize("seed", BASELINE_SEEDS)
def test_slow_breathing_gives_a_strong_resonant_oscillation(seed: int) -> None:
    script = default_session_script()
    spans = spans_by_name(script)
    t_s, rr_ms = simulated_rr(script, seed=seed)
    calm = (t_s >= spans["calm place"].start_s + 60) & (t_s < spans["calm place"].end_s)
    base = t_s < spans["baseline"].end_s
    freqs, power = _spectrum(t_s[calm], rr_ms[calm])
    band = (freqs >= 0.04) & (freqs <= 0.4)
    peak_hz = freqs[band][np.argmax(power[band])]
    assert 0.08 <= peak_hz <= 0.12
    near_peak = band & (np.abs(freqs - 0.1) <= 0.02)
    assert power[near_peak].sum() > 0.6 * power[band].sum()
    assert rmssd_ms(rr_ms[calm]) > rmssd_ms(rr_ms[base])
    assert sdnn_ms(rr_ms[calm]) > 1.5 * sdnn_ms(rr_ms[base])


def test_resonance_gain_peaks_near_six_breaths_per_minute() -> None:
    assert resonance_gain(0.25) == pytest.approx(1.0)
    assert resonance_gain(0.1) > 3 * resonance_gain(0.25)
    assert resonance_gain(0.1) > resonance_gain(0.05)
    assert resonance_gain(0.33) < resonance_gain(0.25)


def test_a_custom_script_hovering_at_an_edge() -> None:
    script = [
        Phase("baseline", 120, hr_bpm=66, rsa_ms=38, breathing_per_min=14, lf_ms=36),
        Phase("edge", 240, hr_bpm=84, rsa_ms=15, breathing_per_min=17, lf_ms=18, ramp_s=30),
    ]
    spans = spans_by_name(script)
    assert spans["edge"].start_s == 120
    events = list(HeartSimulator(script, seed=2).events())
    edge = packet_rr(events, 180, 360)
    assert 80 <= 60000 / edge.mean() <= 88
    assert 360 <= events[-1].arrival_s < 360.1


def test_rejects_invalid_phases_and_disturbances() -> None:
    with pytest.raises(ValueError, match="hr_bpm"):
        Phase("x", 60, hr_bpm=400, rsa_ms=10, breathing_per_min=12, lf_ms=10)
    with pytest.raises(ValueError, match="ectopic_rate"):
        Disturbances(ectopic_rate=0.9)
    with pytest.raises(ValueError, match="dropouts"):
        Disturbances(dropouts=((30.0, 10.0),))


def _local_median(rr: np.ndarray, index: int) -> float:
    return float(np.median(rr[max(0, index - 5) : index + 6]))


def test_injected_ectopic_beats_appear_as_short_long_pairs() -> None:
    simulator = HeartSimulator(seed=4, disturbances=Disturbances(ectopic_rate=0.04))
    rr = packet_rr(list(simulator.events(duration_s=600)), 0, 601)
    pairs = sum(
        1
        for i in range(len(rr) - 1)
        if rr[i] < 0.8 * _local_median(rr, i) and rr[i + 1] > 1.15 * _local_median(rr, i)
    )
    injected = [a for a in simulator.injected if a.kind == "ectopic" and a.t_s < 600]
    assert len(injected) >= 15
    assert pairs >= 0.8 * len(injected)
    clean = packet_rr(list(HeartSimulator(seed=4).events(duration_s=600)), 0, 601)
    assert rmssd_ms(rr) > 1.5 * rmssd_ms(clean)


def test_injected_missed_and_extra_beats_appear() -> None:
    missed = HeartSimulator(seed=8, disturbances=Disturbances(missed_rate=0.03))
    rr = packet_rr(list(missed.events(duration_s=600)), 0, 601)
    long_rr = sum(1 for i in range(len(rr)) if rr[i] > 1.6 * _local_median(rr, i))
    injected = [a for a in missed.injected if a.t_s < 599]
    assert len(injected) >= 10
    assert long_rr >= 0.9 * len(injected)

    extra = HeartSimulator(seed=8, disturbances=Disturbances(extra_rate=0.03))
    rr = packet_rr(list(extra.events(duration_s=600)), 0, 601)
    short_rr = sum(1 for i in range(len(rr)) if rr[i] < 0.75 * _local_median(rr, i))
    injected = [a for a in extra.injected if a.t_s < 599]
    assert len(injected) >= 10
    assert short_rr >= 1.5 * len(injected)  # each spurious detection splits one RR in two


def test_contact_loss_is_flagged_and_reported_as_a_gap() -> None:
    simulator = HeartSimulator(seed=3, disturbances=Disturbances(contact_loss=((60.0, 75.0),)))
    events = list(simulator.events(duration_s=120))
    changes = [e for e in events if isinstance(e, ContactChanged)]
    assert [c.contact for c in changes] == [True, False, True]
    assert 60 <= changes[1].arrival_s < 61.1 and 75 <= changes[2].arrival_s < 76.1
    during = [e for e in events if isinstance(e, HeartRatePacket) and 61 < e.arrival_s < 75]
    assert during and all(p.contact is False and p.rr_ms == () for p in during)
    (gap,) = [e for e in events if isinstance(e, SignalGap)]
    assert gap.reason == "no skin contact"
    assert gap.start_s == changes[1].arrival_s and gap.end_s == changes[2].arrival_s
    # The gap comes before the packet that ends it, so a beat clock can reset first.
    index = events.index(gap)
    assert isinstance(events[index + 2], HeartRatePacket)


def test_dropouts_stop_packets_and_produce_a_signal_gap() -> None:
    simulator = HeartSimulator(seed=3, disturbances=Disturbances(dropouts=((100.0, 130.0),)))
    events = list(simulator.events(duration_s=200))
    packets = [e for e in events if isinstance(e, HeartRatePacket)]
    assert not [p for p in packets if 100 <= p.arrival_s < 130]
    (gap,) = [e for e in events if isinstance(e, SignalGap)]
    assert 99 <= gap.start_s < 100 and 130 <= gap.end_s < 131.1
    assert gap.end_s == min(p.arrival_s for p in packets if p.arrival_s > 100)
    states = [e.state for e in events if isinstance(e, StateChanged)]
    assert states == [
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.LOST,
        ConnectionState.RECONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.STOPPED,
    ]
    # RR that began during the drop-out are not reported as if they were whole.
    first_back = next(p for p in packets if p.arrival_s > 130)
    assert sum(first_back.rr_ms) / 1000 <= first_back.arrival_s - 130


async def _collect(source: SimulatedHeartRateSource) -> list:
    return [event async for event in source.events()]


async def test_async_source_paces_by_speed() -> None:
    started = time.monotonic()
    events = await _collect(SimulatedHeartRateSource(seed=1, speed=10, duration_s=3))
    elapsed_s = time.monotonic() - started
    # 3 s at 10x: it waits at least 0.3 s (less the first packet's wait), however loaded the
    # machine; how much longer it takes is the machine's, not the source's.
    assert 0.25 <= elapsed_s
    packets = [e for e in events if isinstance(e, HeartRatePacket)]
    assert len(packets) == 3
    assert events[-1].state is ConnectionState.STOPPED


async def test_async_source_at_infinite_speed_matches_the_sync_form() -> None:
    source = SimulatedHeartRateSource(seed=9, speed=math.inf, duration_s=600, clock_origin_s=0.0)
    events = await _collect(source)  # would take 600 s if paced
    assert events == list(HeartSimulator(seed=9).events(duration_s=600))


async def test_async_source_times_are_host_monotonic_at_speed_one() -> None:
    before = time.monotonic()
    source = SimulatedHeartRateSource(seed=2, speed=1.0, duration_s=1.2)
    events = await _collect(source)
    packet = next(e for e in events if isinstance(e, HeartRatePacket))
    assert before + 0.9 < packet.arrival_s < time.monotonic()


async def test_async_source_stops_on_request() -> None:
    source = SimulatedHeartRateSource(seed=2, speed=20)
    seen = []

    async def consume() -> None:
        async for event in source.events():
            seen.append(event)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)
    await source.stop()
    await asyncio.wait_for(task, timeout=60)  # a hang guard
    assert seen[-1].state is ConnectionState.STOPPED
    assert seen[-1].detail == "stopped"
    assert sum(isinstance(e, HeartRatePacket) for e in seen) < 20
