"""A simulated therapist coupled to the simulated client (:mod:`drivers.simulated_coupling`),
measured by the synchrony of :mod:`monitor.core.synchrony` as a live session would: the 10-s
heart rate of each person at each of their beats (computed here by a plain trailing mean).

The simulator's coupling is the known answer: strength, sign and lag are set, and the synchrony
measure must recover them, and must not see synchrony between independent hearts.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from drivers.simulated_coupling import Coupling
from drivers.simulated_heart import SimulatedBeat, script_duration_s
from drivers.simulator import HeartSimulator
from monitor.core.synchrony import Synchrony, heart_rate_series, synchrony

SESSION_S = script_duration_s(HeartSimulator().script)


def hr_10s_bpm(t_s: np.ndarray, rr_ms: np.ndarray) -> np.ndarray:
    """Mean heart rate over the beats of the trailing 10 s, at each beat (plain loop)."""
    out = np.empty(t_s.size)
    first = 0
    for i in range(t_s.size):
        while t_s[first] < t_s[i] - 10.0:
            first += 1
        out[i] = 60000.0 / rr_ms[first : i + 1].mean()
    return out


def session_synchrony(seed: int, strength: float, lag_s: float) -> Synchrony | None:
    client = HeartSimulator(seed=seed)
    therapist = client.therapist_of(strength=strength, lag_s=lag_s)
    series = []
    for person in (client, therapist):
        t_s, rr_ms = person.true_rr(SESSION_S)
        series.append(heart_rate_series(t_s, hr_10s_bpm(t_s, rr_ms), 0.0, SESSION_S))
    return synchrony(series[0], series[1])


@pytest.mark.parametrize(("strength", "lag_s"), [(0.6, 3.0), (0.6, -2.0), (0.3, 1.0)])
def test_synchrony_recovers_the_coupling_and_its_lag(strength: float, lag_s: float) -> None:
    """Measured: the lag found is the set one in every seed tried (0.5-s steps)."""
    for seed in range(3):
        result = session_synchrony(seed, strength, lag_s)
        assert result is not None and result.above_chance and result.in_phase
        assert abs(result.lead_lag_s - lag_s) <= 0.5


def test_anti_phase_coupling_is_found_as_anti_phase() -> None:
    for seed in range(2):
        result = session_synchrony(seed, -0.6, 2.0)
        assert result is not None and result.above_chance and not result.in_phase
        assert abs(result.lead_lag_s - 2.0) <= 0.5


def test_independent_hearts_are_not_above_chance_in_95_percent_of_seeds() -> None:
    """Strength 0, 40 seeds: the client's scripted session against a calm therapist."""
    verdicts = []
    for seed in range(40):
        result = session_synchrony(seed, 0.0, 0.0)
        assert result is not None
        verdicts.append(result.above_chance)
    assert sum(verdicts) <= 0.05 * len(verdicts)


def test_without_coupling_the_therapist_heart_is_its_own() -> None:
    """Strength 0 changes nothing: the same beats as the same therapist with no coupling."""
    client = HeartSimulator(seed=4)
    coupled = client.therapist_of(strength=0.0, lag_s=2.0, seed=11)
    alone = HeartSimulator(coupled.script, seed=11)
    a_t, a_rr = coupled.true_rr(120.0)
    b_t, b_rr = alone.true_rr(120.0)
    assert np.array_equal(a_t, b_t) and np.array_equal(a_rr, b_rr)


def test_the_coupling_term_follows_the_leaders_period_changes() -> None:
    """Hand-worked: a leader whose intervals are 1000, 1000, 1200 ms (beats at 1, 2, 3.2 s).

    Interval middles: 0.5, 1.5, 2.6 s. Exponential mean over 60 s, weight 1 - exp(-rr/60000):
    1000, 1000, then 1000 + (1 - exp(-0.02)) * 200 = 1003.960... . Changes: 0, 0, 196.039... .
    With strength 0.5 and lag 1 s the term at t = 3.6 s is half the change at 2.6 s.
    """

    def leader() -> Iterator[SimulatedBeat]:
        yield from (SimulatedBeat(1.0, 1000.0), SimulatedBeat(2.0, 1000.0))
        yield from (SimulatedBeat(3.2, 1200.0), SimulatedBeat(4.2, 1000.0))
        yield SimulatedBeat(1e9, 1000.0)

    term = Coupling(leader, strength=0.5, lag_s=1.0).term().period_ms
    assert term(1.2) == 0.0  # 0.2 s: before the first interval's middle
    assert term(2.0) == pytest.approx(0.0)  # 1.0 s: between two unchanged intervals
    mean_ms = 1000.0 + (1.0 - np.exp(-1.2 / 60.0)) * 200.0
    # 2.05 s, half-way between the middles 1.5 s and 2.6 s: half the change (times increase,
    # as the heart model asks them).
    assert term(1.0 + 2.05) == pytest.approx(0.25 * (1200.0 - mean_ms), abs=1e-9)
    assert term(3.6) == pytest.approx(0.5 * (1200.0 - mean_ms), abs=1e-9)


@pytest.mark.parametrize(("strength", "lag_s"), [(1.5, 0.0), (0.5, 45.0), (-2.0, 1.0)])
def test_a_coupling_out_of_range_is_refused(strength: float, lag_s: float) -> None:
    with pytest.raises(ValueError, match="coupling"):
        Coupling(lambda: iter(()), strength, lag_s)


def test_the_coupling_term_carries_the_leaders_vagal_tone() -> None:
    """Hand-worked: the leader's vagal tone (ln RSA over its first phase) is 0, 0, -0.4 at the
    interval middles 0.5, 1.5, 2.6 s; with strength 0.5 and lag 1 s the therapist's log RSA
    gets half of it, interpolated between the middles."""

    def leader() -> Iterator[SimulatedBeat]:
        yield from (SimulatedBeat(1.0, 1000.0, 0.0, 0.0), SimulatedBeat(2.0, 1000.0, 0.0, 0.0))
        yield from (SimulatedBeat(3.2, 1200.0, 0.0, -0.4), SimulatedBeat(4.2, 1000.0))
        yield SimulatedBeat(1e9, 1000.0)

    term = Coupling(leader, strength=0.5, lag_s=1.0).term()
    assert term.vagal_ln(1.2) == 0.0  # before the first interval's middle
    assert term.vagal_ln(1.0 + 2.05) == pytest.approx(0.5 * 0.5 * -0.4, abs=1e-12)
    assert term.vagal_ln(3.6) == pytest.approx(0.5 * -0.4, abs=1e-12)


def vagal_tone_per_bin(simulator: HeartSimulator, bin_s: float = 15.0) -> np.ndarray:
    """Mean of the true beats' vagal tone (``SimulatedBeat.vagal_ln``) in each bin."""
    times, tones = [], []
    for beat in simulator.heart_beats():
        if beat.t_s > SESSION_S:
            break
        times.append(beat.t_s)
        tones.append(beat.vagal_ln)
    which = (np.asarray(times) // bin_s).astype(int)
    return np.bincount(which, weights=tones) / np.bincount(which)


def test_a_wandering_vagal_tone_is_followed_by_a_coupled_therapist() -> None:
    """Off by default (the scripted tone only); on, it drifts by about its set SD around the
    script, and a therapist coupled at 0.6 takes on that share of it: the two tones correlate
    strongly, an independent therapist's do not."""
    plain = HeartSimulator(seed=3)
    assert plain.vagal_wander_ln == 0.0
    baseline_s = plain.script[0].duration_s
    plain_tone = vagal_tone_per_bin(plain)
    assert plain_tone[: int(baseline_s // 15) - 2] == pytest.approx(0.0, abs=1e-12)
    client = HeartSimulator(seed=3, vagal_wander_ln=0.25)
    tone = vagal_tone_per_bin(client)
    drift = (tone - plain_tone)[: int(baseline_s // 15)]
    assert 0.1 < drift.std() < 0.4
    coupled = vagal_tone_per_bin(client.therapist_of(strength=0.6, lag_s=2.0))
    alone = vagal_tone_per_bin(client.therapist_of(strength=0.0))
    n = min(tone.size, coupled.size, alone.size)
    assert np.corrcoef(tone[:n], coupled[:n])[0, 1] > 0.6
    assert abs(np.corrcoef(tone[:n], alone[:n])[0, 1]) < 0.4
    with pytest.raises(ValueError, match="vagal_wander_ln"):
        HeartSimulator(vagal_wander_ln=1.5)
