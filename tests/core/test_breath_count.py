"""Breaths counted in the RSA (monitor.core.breath_count, Schäfer & Kratky's count-adv).

References are hand-worked: for an RR series modulated by one sinusoid, the breaths in the last
minute are the sinusoid's maxima in that minute, counted from its formula, independently of the
filter; and the filter matrix is checked against scipy's own sosfiltfilt.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import sosfiltfilt

from monitor.core import breath_count
from monitor.core.breath_count import (
    breath_maxima_s,
    breaths_per_min_of_windows,
    count_breaths,
)


def beats(rate_hz: float, *, seconds: float = 64.0, mean_rr_ms: float = 850.0, **extra: float):
    """Beat times and NN of a heart modulated at ``rate_hz`` (RSA of 30 ms), beat by beat.

    ``extra``: ``mayer_ms`` (a 0.1-Hz wave), ``alternation_ms`` (beat-to-beat), ``ripple_ms``
    (a 0.4-Hz ripple).
    """
    t, times, intervals, sign = 0.0, [], [], 1.0
    while t < seconds:
        rr = (
            mean_rr_ms
            + 30.0 * math.sin(2 * math.pi * rate_hz * t)
            + extra.get("mayer_ms", 0.0) * math.sin(2 * math.pi * 0.1 * t + 1.0)
            + extra.get("ripple_ms", 0.0) * math.sin(2 * math.pi * 0.4 * t)
            + extra.get("alternation_ms", 0.0) * sign
        )
        sign = -sign
        t += rr / 1000.0
        times.append(t)
        intervals.append(rr)
    return np.array(times), np.array(intervals)


def maxima_of_sine_in_last_minute(rate_hz: float, end_s: float) -> int:
    """sin(2π f t) peaks at t = (k + 1/4)/f: those in (end − 60, end]."""
    first = math.floor((end_s - 60.0) * rate_hz - 0.25) + 1
    last = math.floor(end_s * rate_hz - 0.25)
    return last - first + 1


@pytest.mark.parametrize("breaths_per_min", [8, 10, 12, 15, 18, 20, 24])
def test_a_steady_rsa_is_counted_breath_for_breath(breaths_per_min: int) -> None:
    t, nn = beats(breaths_per_min / 60.0)
    count = count_breaths(t, nn)
    expected = maxima_of_sine_in_last_minute(breaths_per_min / 60.0, float(t[-1]))
    assert count.breaths_per_min == expected
    assert count.cycle_cv < 0.05


def test_maxima_sit_at_the_breaths() -> None:
    """Each maximum away from the window's ends lies within 0.3 s of a peak of the modulating
    sinusoid, one beat (0.85 s) late: an interval is set when it starts and stamped with the
    time it ends, as a strap stamps its beats."""
    rate_hz = 0.25
    t, nn = beats(rate_hz)
    maxima = breath_maxima_s(t, nn)
    inner = maxima[(maxima > 8.0) & (maxima < t[-1] - 8.0)]
    assert inner.size >= 10
    phase = ((inner - 0.85) * rate_hz - 0.25) % 1.0
    assert np.all(np.minimum(phase, 1.0 - phase) / rate_hz < 0.3)


def test_a_mayer_wave_larger_than_the_rsa_is_not_counted() -> None:
    """A 0.1-Hz wave of 45 ms beside 30 ms of RSA at 15/min: still 15 breaths, not 6."""
    t, nn = beats(0.25, mayer_ms=45.0)
    assert count_breaths(t, nn).breaths_per_min == maxima_of_sine_in_last_minute(0.25, t[-1])


def test_beat_to_beat_alternation_is_not_counted() -> None:
    """25 ms of alternation at 62 bpm (0.52 Hz) beside RSA at 12/min: 12 breaths, not 31."""
    t, nn = beats(0.2, alternation_ms=25.0, mean_rr_ms=960.0)
    assert count_breaths(t, nn).breaths_per_min == maxima_of_sine_in_last_minute(0.2, t[-1])


def test_a_small_ripple_between_breaths_is_removed() -> None:
    """A 0.4-Hz ripple of 4 ms on 10/min breathing leaves small extrema on every breath; they are
    closer than 0.3 × Q3 and removed (count-adv's threshold)."""
    t, nn = beats(10 / 60.0, ripple_ms=4.0)
    assert count_breaths(t, nn).breaths_per_min == maxima_of_sine_in_last_minute(1 / 6, t[-1])


def test_breathing_with_pauses_gives_no_rate() -> None:
    """Runs of 3-s breaths broken by 12-s pauses (breath-holding, sighs): the cycle lengths'
    CV is 0.74, above the limit, and no rate is shown. (Merely uneven breaths of 2.5-8.5 s
    come out of the band-pass far more even, CV ~0.25, and are counted: the limit was set on
    real breathing, bench/real_signals.py.)"""
    edges = np.cumsum([3.0, 3.0, 3.0, 12.0, 3.0, 3.0, 12.0, 3.0, 3.0, 3.0, 12.0, 3.0])
    t = np.cumsum(np.full(80, 0.85))
    breath_phase = np.interp(t, np.concatenate(([0.0], edges)), np.arange(edges.size + 1))
    nn = 850 + 30 * np.sin(2 * np.pi * breath_phase)
    count = count_breaths(t, nn)
    assert count.cycle_cv > breath_count.MAX_CYCLE_CV
    assert math.isnan(count.breaths_per_min)


@pytest.mark.parametrize(
    "t_s, nn_ms",
    [
        (np.array([]), np.array([])),
        (np.array([1.0, 2.0]), np.array([1000.0, 1000.0])),
        (np.cumsum(np.full(80, 0.8)), np.full(80, 800.0)),  # flat: rounding only
        (np.cumsum(np.full(80, 0.8)), 800 + 0.3 * np.sin(np.arange(80))),  # below 1 ms
        (np.cumsum(np.full(80, 0.8)), np.r_[np.full(79, 800.0), np.nan]),
    ],
    ids=["empty", "two beats", "flat", "sub-ms swing", "NaN"],
)
def test_too_little_or_no_rhythm_gives_nan(t_s: np.ndarray, nn_ms: np.ndarray) -> None:
    assert math.isnan(count_breaths(t_s, nn_ms).breaths_per_min)


@pytest.mark.parametrize("samples", [breath_count._PAD_SAMPLES + 1, 200, 256, 300])
def test_the_filter_matrix_is_scipys_filter(samples: int) -> None:
    x = np.random.default_rng(samples).standard_normal(samples)
    expected = sosfiltfilt(breath_count._SOS, x)
    np.testing.assert_allclose(breath_count._band_pass_matrix(samples) @ x, expected, atol=1e-9)


def test_the_batch_form_counts_each_window_alone() -> None:
    t, nn = beats(0.3, seconds=200.0)
    stops = np.arange(100, t.size + 1, 17)
    starts = t.searchsorted(t[stops - 1] - 64.0, side="right")
    batch = breaths_per_min_of_windows(t, nn, starts, stops)
    pairs = zip(starts.tolist(), stops.tolist(), strict=True)
    one_by_one = [count_breaths(t[a:b], nn[a:b]).breaths_per_min for a, b in pairs]
    np.testing.assert_array_equal(batch, one_by_one)
