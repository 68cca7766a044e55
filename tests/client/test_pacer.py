"""The breathing pacer: exact timing as a function of the clock, continuity across changes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.client.pacer import (
    DEFAULT_INHALE_FRACTION,
    DEFAULT_RATE_PER_MIN,
    BreathPacer,
    PacerTimeline,
    clamp_rate_per_min,
    eased_size,
    inhale_fraction_from_ratio,
)

TEN_MINUTES_S = 600.0
MAX_PHASE_ERROR_S = 0.050


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start_s: float = 12_345.678) -> None:
        self.t_s = start_s

    def __call__(self) -> float:
        return self.t_s


def jittery_frames(start_s: float, duration_s: float, seed: int) -> np.ndarray:
    """Frame times of a 60-Hz display that is sometimes late: ±4 ms jitter, and 1 frame in 50
    held back by up to 120 ms (a busy machine)."""
    rng = np.random.default_rng(seed)
    intervals = 1 / 60 + rng.uniform(-0.004, 0.004, int(duration_s * 62))
    stalls = rng.random(intervals.size) < 0.02
    intervals[stalls] += rng.uniform(0.02, 0.12, stalls.sum())
    times = start_s + np.cumsum(intervals)
    return times[times <= start_s + duration_s]


def reference_position(
    onsets: list[tuple[float, float, float]], t_s: float
) -> tuple[int, bool, float]:
    """(breath index, inhaling, fraction of the part) from an independent list of breaths
    (start, duration, inhale fraction)."""
    index = int(np.searchsorted([b[0] for b in onsets], t_s, side="right")) - 1
    start, duration, fraction = onsets[index]
    u = (t_s - start) / duration
    if u < fraction:
        return index, True, u / fraction
    return index, False, (u - fraction) / (1 - fraction)


def build_onsets(
    start_s: float, end_s: float, requests: list[tuple[float, float, float]]
) -> list[tuple[float, float, float]]:
    """The intended breaths: each breath uses the latest timing asked for before it began,
    breath by breath (a different construction from the pacer's closed form)."""
    rate, fraction = DEFAULT_RATE_PER_MIN, DEFAULT_INHALE_FRACTION
    pending = sorted(requests)
    onsets = []
    t = start_s
    while t <= end_s + 60:
        while pending and pending[0][0] < t:
            _, rate, fraction = pending.pop(0)
        onsets.append((t, 60.0 / rate, fraction))
        t += 60.0 / rate
    return onsets


def position_error_s(state, expected: tuple[int, bool, float], duration_s: float) -> float:
    """How far (in seconds of the breath) the pacer's position is from the intended one."""
    index, inhaling, part = expected
    fraction = state.inhale_fraction

    def within(inh: bool, p: float) -> float:
        return p * fraction if inh else fraction + p * (1 - fraction)

    got = state.breath_index + within(state.inhaling, state.part_fraction)
    want = index + within(inhaling, part)
    return abs(got - want) * duration_s


def test_the_first_breath_starts_small_and_the_turns_fall_where_the_ratio_says() -> None:
    timeline = PacerTimeline.starting(100.0, 6.0, 0.4)
    start = timeline.state_at(100.0)
    assert start.inhaling and start.size == 0.0 and start.breath_index == 0
    assert timeline.state_at(103.999).inhaling
    top = timeline.state_at(104.0)
    assert not top.inhaling and top.size == pytest.approx(1.0)
    assert timeline.state_at(104.001).size < 1.0
    assert timeline.state_at(110.0).breath_index == 1
    assert timeline.state_at(110.0).size == pytest.approx(0.0, abs=1e-12)
    assert timeline.state_at(107.0).part_fraction == pytest.approx(0.5)
    assert timeline.state_at(101.0).part_left_s == pytest.approx(3.0)


def test_easing_has_zero_speed_at_the_turns_and_stays_within_zero_and_one() -> None:
    u = np.linspace(0, 1, 1001)
    rise = np.array([eased_size(True, x) for x in u])
    fall = np.array([eased_size(False, x) for x in u])
    assert rise.min() == 0.0 and rise.max() == 1.0
    assert np.all(np.diff(rise) >= 0) and np.all(np.diff(fall) <= 0)
    step = u[1] - u[0]
    assert (rise[1] - rise[0]) / step < 0.01 and (rise[-1] - rise[-2]) / step < 0.01
    assert (rise[501] - rise[500]) / step == pytest.approx(math.pi / 2, rel=1e-3)


def test_ratio_helpers() -> None:
    assert inhale_fraction_from_ratio(4, 6) == pytest.approx(0.4)
    assert inhale_fraction_from_ratio(3, 7) == pytest.approx(0.3)
    assert clamp_rate_per_min(12) == 7.0 and clamp_rate_per_min(3) == 4.5
    with pytest.raises(ValueError):
        inhale_fraction_from_ratio(0, 6)
    with pytest.raises(ValueError):
        PacerTimeline.starting(0.0, 1.0)
    with pytest.raises(ValueError):
        PacerTimeline.starting(0.0, 6.0, 0.9)


def test_timing_stays_exact_over_ten_minutes_of_jittery_frames_and_rate_changes() -> None:
    clock = FakeClock()
    start_s = clock.t_s
    pacer = BreathPacer(clock)
    # The therapist moves the rate and the ratio at odd moments, once twice within one breath.
    requests = [
        (start_s + 47.3, 5.5, 0.4),
        (start_s + 130.1, 5.0, 0.35),
        (start_s + 131.0, 4.5, 0.35),
        (start_s + 290.7, 6.5, 0.45),
        (start_s + 402.2, 7.0, 0.4),
        (start_s + 515.9, 6.0, 0.4),
    ]
    onsets = build_onsets(start_s, start_s + TEN_MINUTES_S, requests)
    frames = jittery_frames(start_s, TEN_MINUTES_S, seed=4)
    pending = list(requests)
    errors = []
    for t in frames:
        while pending and pending[0][0] <= t:
            clock.t_s, rate, fraction = pending.pop(0)
            pacer.set_timing(rate, fraction)
        clock.t_s = float(t)
        state = pacer.state()
        index, _, _ = expected = reference_position(onsets, t)
        errors.append(position_error_s(state, expected, onsets[index][1]))
        assert state.rate_per_min == pytest.approx(60.0 / onsets[index][1])
    max_error_s = max(errors)
    print(f"pacer max phase error over 10 min of {frames.size} frames: {max_error_s * 1e3:.2e} ms")
    assert max_error_s < MAX_PHASE_ERROR_S
    assert max_error_s < 1e-6  # exact up to floating point: nothing accumulates
    assert frames.size > 30_000


def test_a_per_frame_increment_drifts_where_the_closed_form_does_not() -> None:
    # Why the pacer reads the clock: advancing the phase by rate x nominal frame time per frame
    # falls behind by every late frame.
    start_s = 0.0
    frames = jittery_frames(start_s, TEN_MINUTES_S, seed=4)
    timeline = PacerTimeline.starting(start_s)
    naive_breaths = 0.0
    for _ in frames:
        naive_breaths += DEFAULT_RATE_PER_MIN / 60.0 / 60.0
    exact = timeline.breaths_at(float(frames[-1]))
    naive_error_s = abs(exact - naive_breaths) * 10.0
    assert naive_error_s > 1.0  # seconds behind after ten minutes
    assert exact == pytest.approx((frames[-1] - start_s) / 10.0, abs=1e-9)


def test_a_change_waits_for_the_next_breath_and_nothing_jumps() -> None:
    timeline = PacerTimeline.starting(0.0, 6.0, 0.4)
    changed = timeline.with_settings(12.5, 4.5, 0.3)  # asked mid-breath (breath 1)
    boundary_s = changed.segments[-1].start_s
    assert boundary_s == pytest.approx(20.0)
    # Until the boundary nothing differs; after it the new timing runs from a fresh breath.
    for t in np.linspace(12.5, 19.999, 50):
        assert changed.state_at(t) == timeline.state_at(t)
    before, after = changed.state_at(boundary_s - 1e-9), changed.state_at(boundary_s + 1e-9)
    assert after.breaths - before.breaths == pytest.approx(0.0, abs=1e-8)
    assert abs(after.size - before.size) < 1e-12
    assert after.inhaling and after.rate_per_min == 4.5 and after.inhale_fraction == 0.3
    # The next breath takes 60/4.5 s: 4 s in, 9.33 s out.
    assert changed.state_at(boundary_s + 4.0 - 1e-6).inhaling
    assert not changed.state_at(boundary_s + 4.0 + 1e-6).inhaling
    assert changed.state_at(boundary_s + 60 / 4.5 + 1e-6).breath_index == 3


def test_a_second_change_replaces_a_pending_one_and_asking_for_the_current_cancels() -> None:
    timeline = PacerTimeline.starting(0.0).with_settings(3.0, 5.0)
    assert timeline.latest_settings() == (5.0, 0.4)
    replaced = timeline.with_settings(6.0, 5.5)
    assert len(replaced.segments) == 2 and replaced.latest_settings() == (5.5, 0.4)
    cancelled = replaced.with_settings(7.0, 6.0, 0.4)
    assert len(cancelled.segments) == 1 and cancelled.latest_settings() == (6.0, 0.4)
    # Once in force, older segments are dropped: the timeline stays small.
    later = replaced.with_settings(100.0, 6.5)
    assert len(later.segments) == 2 and later.segments[0].rate_per_min == 5.5


def test_breath_pacer_reports_when_a_change_takes_effect_and_restarts_fresh() -> None:
    clock = FakeClock(50.0)
    pacer = BreathPacer(clock)
    clock.t_s = 52.0
    assert pacer.set_timing(5.0) == pytest.approx(60.0)
    assert pacer.rate_per_min == 5.0 and pacer.state().rate_per_min == 6.0
    clock.t_s = 61.0
    assert pacer.state().rate_per_min == 5.0
    clock.t_s = 70.0
    pacer.restart()
    assert pacer.state().size == 0.0 and pacer.state().breath_index == 0


def test_the_cue_word_fades_at_each_turn() -> None:
    timeline = PacerTimeline.starting(0.0, 6.0, 0.4)
    assert timeline.state_at(0.0).cue_alpha == pytest.approx(0.0)
    assert timeline.state_at(2.0).cue_alpha == pytest.approx(1.0)
    assert timeline.state_at(4.0 - 1e-9).cue_alpha == pytest.approx(0.0, abs=1e-6)
    assert timeline.state_at(7.0).cue_alpha == pytest.approx(1.0)


@settings(max_examples=150, deadline=None)
@given(
    changes=st.lists(
        st.tuples(
            st.floats(0.0, 300.0),
            st.floats(4.5, 7.0),
            st.floats(0.25, 0.55),
        ),
        max_size=6,
    ),
    probes=st.lists(st.floats(0.0, 400.0), min_size=2, max_size=40),
)
def test_position_never_goes_back_and_the_shape_stays_in_bounds(changes, probes) -> None:
    timeline = PacerTimeline.starting(0.0)
    for t, rate, fraction in sorted(changes):
        timeline = timeline.with_settings(t, rate, fraction)
    times = sorted(probes)
    # Evaluate only where the final timeline is authoritative (after the last change request).
    since = max((c[0] for c in changes), default=0.0)
    times = [t for t in times if t >= since]
    states = [timeline.state_at(t) for t in times]
    for a, b in itertools.pairwise(states):
        assert b.breaths >= a.breaths - 1e-9
    for state in states:
        assert 0.0 <= state.size <= 1.0 and 0.0 <= state.part_fraction <= 1.0
    # Continuity at every segment boundary.
    for segment in timeline.segments[1:]:
        left = timeline.state_at(np.nextafter(segment.start_s, -np.inf))
        right = timeline.state_at(segment.start_s)
        assert abs(right.breaths - left.breaths) < 1e-6
        assert abs(right.size - left.size) < 1e-6
