"""Beat times reconstructed from packets: anchoring, batching, gaps and drift."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.beat_clock import BeatClock
from drivers.events import HeartRatePacket
from drivers.simulator import HeartSimulator, Phase, simulated_rr


def packet(arrival_s: float, *rr_ms: float) -> HeartRatePacket:
    return HeartRatePacket(arrival_s=arrival_s, hr_bpm=70, rr_ms=tuple(rr_ms), contact=True)


def test_first_packet_anchors_its_last_beat_at_arrival() -> None:
    beats = BeatClock().push(packet(10.0, 800.0, 900.0))
    assert [b.t_s for b in beats] == pytest.approx([9.1, 10.0])
    assert [b.rr_ms for b in beats] == [800.0, 900.0]
    assert [b.arrival_s for b in beats] == [10.0, 10.0]
    assert [b.reanchored for b in beats] == [True, False]


def test_later_beats_follow_by_their_rr_intervals_not_by_arrival() -> None:
    clock = BeatClock()
    clock.push(packet(10.0, 1000.0))
    beats = clock.push(packet(11.3, 1000.0))  # arrived 0.3 s after the beat
    assert beats[0].t_s == pytest.approx(11.0)
    assert beats[0].arrival_s == 11.3
    assert not beats[0].reanchored


def test_a_batch_of_rr_in_one_packet_keeps_exact_spacing() -> None:
    clock = BeatClock()
    clock.push(packet(5.0, 900.0))
    beats = clock.push(packet(7.9, 950.0, 975.0, 925.0))
    times = [b.t_s for b in beats]
    assert times == pytest.approx([5.95, 6.925, 7.85])
    assert all(b.t_s <= b.arrival_s for b in beats)


def test_packets_without_rr_give_no_beats_and_move_nothing() -> None:
    clock = BeatClock()
    clock.push(packet(3.0, 1000.0))
    assert clock.push(packet(4.0)) == []
    assert clock.last_beat_s == pytest.approx(3.0)
    assert clock.push(packet(5.1, 1000.0, 1000.0))[-1].t_s == pytest.approx(5.0)


def test_a_beat_is_never_placed_after_its_arrival() -> None:
    clock = BeatClock()
    clock.push(packet(10.0, 1000.0))  # anchored as if it had no delay; it had 0.4 s
    beats = clock.push(packet(10.7, 1000.0))  # continuing would put the beat at 11.0
    assert beats[0].t_s == pytest.approx(10.7)
    assert beats[0].reanchored


def test_rr_sum_longer_than_elapsed_time_is_spread_in_order() -> None:
    clock = BeatClock()
    clock.push(packet(10.0, 1000.0))
    beats = clock.push(packet(10.5, 800.0, 800.0))
    assert 10.0 < beats[0].t_s < beats[1].t_s <= 10.5
    assert all(b.reanchored for b in beats)


def test_rr_lost_by_the_strap_reanchors_at_arrival() -> None:
    clock = BeatClock(max_lag_s=2.0)
    clock.push(packet(10.0, 1000.0))
    # Five seconds pass but only one RR arrives: the strap lost some.
    beats = clock.push(packet(15.0, 1000.0))
    assert beats[0].t_s == pytest.approx(15.0)
    assert beats[0].reanchored


def test_small_lag_is_not_mistaken_for_lost_rr() -> None:
    clock = BeatClock(max_lag_s=2.0)
    clock.push(packet(10.0, 1000.0))
    beats = clock.push(packet(12.5, 1000.0))
    assert beats[0].t_s == pytest.approx(11.0)
    assert not beats[0].reanchored


def test_reset_after_a_gap_reanchors_the_next_packet() -> None:
    clock = BeatClock()
    clock.push(packet(10.0, 1000.0))
    clock.reset()
    assert clock.last_beat_s is None
    beats = clock.push(packet(40.0, 900.0, 1000.0))
    assert [b.t_s for b in beats] == pytest.approx([39.0, 40.0])
    assert beats[0].reanchored


def test_rejects_a_nonsense_lag_limit() -> None:
    with pytest.raises(ValueError, match="positive"):
        BeatClock(max_lag_s=0)


packets_strategy = st.lists(
    st.tuples(
        st.floats(0.0, 3.0, allow_nan=False),  # time since the previous arrival
        st.lists(st.floats(250.0, 2500.0, allow_nan=False), max_size=4),
        st.booleans(),  # a gap (reset) before this packet
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(packets_strategy)
def test_beats_are_ordered_never_after_arrival_and_one_per_rr(stream) -> None:
    clock = BeatClock()
    arrival_s = 100.0
    previous_s = None
    rr_count = 0
    beat_count = 0
    for step_s, rr_ms, gap in stream:
        arrival_s += step_s
        if gap:
            clock.reset()
            previous_s = None
        beats = clock.push(packet(arrival_s, *rr_ms))
        rr_count += len(rr_ms)
        beat_count += len(beats)
        assert [b.rr_ms for b in beats] == rr_ms
        for beat in beats:
            # Only when packets arrive at (nearly) the same instant can order win over arrival.
            if previous_s is None or arrival_s - previous_s > 1e-9:
                assert beat.t_s <= beat.arrival_s
            if previous_s is not None:
                assert beat.t_s > previous_s
                if not beat.reanchored:
                    assert beat.t_s - previous_s == pytest.approx(beat.rr_ms / 1000.0)
            previous_s = beat.t_s
    assert beat_count == rr_count


def test_reconstruction_tracks_the_simulated_heart() -> None:
    """Against the simulator's ground truth: never before the true beat, soon within 0.1 s."""
    script = [Phase("rest", 240, hr_bpm=70, rsa_ms=35, breathing_per_min=14, lf_ms=30)]
    true_times, _ = simulated_rr(script, seed=11)
    clock = BeatClock()
    reconstructed = []
    for event in HeartSimulator(script, seed=11).events():
        if isinstance(event, HeartRatePacket):
            reconstructed.extend(clock.push(event))
    assert len(reconstructed) == len(true_times) > 250
    errors = [beat.t_s - true for beat, true in zip(reconstructed, true_times, strict=True)]
    assert min(errors) > -0.01  # never (beyond RR quantisation) before the beat happened
    assert max(errors[60:]) < 0.1  # the anchor converges to the smallest radio delay
    assert all(beat.t_s <= beat.arrival_s for beat in reconstructed)
