"""Surrogate synchrony (:mod:`monitor.core.synchrony`) against a reference written here, on
coupled and uncoupled heart rates.

The heart rates are smooth random processes with the slow drifts real heart rates have
(Ornstein-Uhlenbeck, 20-s time constant, plus a shared slow trend where said), sampled at the
module's 2 Hz; a coupled therapist follows the client's heart rate with a set lag and strength.
The reference recomputes every segment's lagged Pearson r in plain loops with
``scipy.signal.detrend`` (the module's linear detrending, done independently) and
``numpy.corrcoef``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import detrend

from monitor.core.synchrony import (
    ALPHA,
    MIN_SEGMENTS,
    SAMPLE_HZ,
    SEGMENT_S,
    heart_rate_series,
    synchrony,
)

DURATION_S = 900.0


def ou(n: int, rng: np.random.Generator, tau_s: float = 20.0, sd_bpm: float = 3.0) -> np.ndarray:
    """An Ornstein-Uhlenbeck heart-rate wander sampled at ``SAMPLE_HZ``."""
    step = 1.0 / SAMPLE_HZ
    keep = np.exp(-step / tau_s)
    noise = rng.normal(0.0, sd_bpm * np.sqrt(1 - keep * keep), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sd_bpm)
    for i in range(1, n):
        out[i] = keep * out[i - 1] + noise[i]
    return out


def coupled_pair(
    seed: int, lag_s: float, strength: float, sign: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Client and therapist HR (bpm): the therapist follows the client ``lag_s`` later."""
    rng = np.random.default_rng(seed)
    n = int(DURATION_S * SAMPLE_HZ)
    lag = round(lag_s * SAMPLE_HZ)
    client = ou(n + lag, rng)
    own = ou(n, rng)
    therapist = strength * sign * client[:n] + np.sqrt(1 - strength**2) * own
    return 70.0 + client[lag:], 65.0 + therapist


def reference_z_at_lag(client: np.ndarray, therapist: np.ndarray, max_lag: int) -> np.ndarray:
    """Mean Fisher z over segments at each lag, by loops, scipy's detrend and numpy.corrcoef."""
    per = int(SEGMENT_S * SAMPLE_HZ)
    means = []
    for lag in range(-max_lag, max_lag + 1):
        zs = []
        for s in range(len(client) // per):
            a = client[s * per : (s + 1) * per]
            b = therapist[s * per : (s + 1) * per]
            if lag >= 0:
                x, y = a[: per - lag], b[lag:]
            else:
                x, y = a[-lag:], b[: per + lag]
            r = np.corrcoef(detrend(x), detrend(y))[0, 1]
            zs.append(np.arctanh(r))
        means.append(np.mean(zs))
    return np.array(means)


def test_equals_the_reference_to_1e_9() -> None:
    client, therapist = coupled_pair(seed=1, lag_s=2.0, strength=0.6)
    result = synchrony(client, therapist)
    assert result is not None
    max_lag = (len(result.lags_s) - 1) // 2
    reference = reference_z_at_lag(client, therapist, max_lag)
    assert np.allclose(result.z_at_lag, reference, rtol=0, atol=1e-9)


@pytest.mark.parametrize("lag_s", [0.0, 2.0, 4.0])
def test_recovers_the_coupling_its_lag_and_that_the_client_leads(lag_s: float) -> None:
    client, therapist = coupled_pair(seed=7, lag_s=lag_s, strength=0.7)
    result = synchrony(client, therapist)
    assert result is not None and result.above_chance and result.in_phase
    assert result.lead_lag_s == lag_s
    assert result.effect_size > 5.0
    swapped = synchrony(therapist, client)  # the other way round the therapist leads
    assert swapped is not None and swapped.lead_lag_s == -lag_s


def test_anti_phase_is_told_apart_from_in_phase() -> None:
    client, therapist = coupled_pair(seed=3, lag_s=1.0, strength=0.7, sign=-1.0)
    result = synchrony(client, therapist)
    assert result is not None and result.above_chance and not result.in_phase
    assert result.lead_lag_s == 1.0


def test_uncoupled_heart_rates_are_not_above_chance_in_95_percent_of_seeds() -> None:
    """Independent people who share a slow drift (a warm room): the drift alone must not count."""
    verdicts = []
    for seed in range(60):
        rng = np.random.default_rng(1000 + seed)
        n = int(DURATION_S * SAMPLE_HZ)
        drift = np.linspace(0.0, rng.normal(0, 6.0), n)  # both heart rates drift the same way
        client = 70.0 + drift + ou(n, rng)
        therapist = 65.0 + drift + ou(n, rng)
        result = synchrony(client, therapist)
        assert result is not None
        verdicts.append(result.above_chance)
    assert sum(verdicts) <= 0.05 * len(verdicts)
    assert ALPHA == 0.01


def test_weak_coupling_is_found_more_often_than_chance_gives() -> None:
    results = [synchrony(*coupled_pair(seed=seed, lag_s=1.0, strength=0.3)) for seed in range(20)]
    assert sum(r is not None and r.above_chance for r in results) >= 15


def test_segments_with_missing_or_flat_heart_rate_are_left_out() -> None:
    client, therapist = coupled_pair(seed=5, lag_s=0.0, strength=0.7)
    per = int(SEGMENT_S * SAMPLE_HZ)
    therapist = therapist.copy()
    therapist[3 * per + 4] = np.nan  # one missing sample spoils its segment
    client = client.copy()
    client[10 * per : 11 * per] = 72.0  # a flat segment has no correlation
    result = synchrony(client, therapist)
    assert result is not None and result.segments == int(DURATION_S / SEGMENT_S) - 2
    short = synchrony(client[: (MIN_SEGMENTS - 1) * per], therapist[: (MIN_SEGMENTS - 1) * per])
    assert short is None


def test_the_same_beats_always_give_the_same_verdict() -> None:
    client, therapist = coupled_pair(seed=9, lag_s=0.5, strength=0.2)
    first, second = synchrony(client, therapist), synchrony(client, therapist)
    assert first == second


def test_heart_rate_series_interpolates_between_beats_and_never_bridges_a_gap() -> None:
    t_s = np.array([0.0, 1.0, 2.0, 10.0, 11.0])
    hr = np.array([60.0, 62.0, 64.0, 70.0, 72.0])
    series = heart_rate_series(t_s, hr, 0.0, 12.0, sample_hz=2.0)
    assert series.shape == (24,)
    assert series[:5].tolist() == [60.0, 61.0, 62.0, 63.0, 64.0]  # hand-worked: linear
    assert np.isnan(series[5:20]).all()  # 2 s → 10 s: 8 s without a beat
    assert series[20:23].tolist() == [70.0, 71.0, 72.0]
    assert np.isnan(series[23])  # after the last beat
