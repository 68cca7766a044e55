"""RMSSD (vagal) synchrony (:mod:`monitor.core.vagal_synchrony`) against a reference written
here, on hand-made ln RMSSD series and on the simulator's coupled hearts.

The reference recomputes the lagged correlations in plain loops with ``scipy.signal.detrend``
and ``numpy.corrcoef``, and the surrogates with an orthonormal DCT-II matrix built from its
definition (``numpy.cos``), drawing the same random signs from the module's seed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import detrend

from drivers.simulated_coupling import CO_REGULATION_VAGAL_WANDER_LN
from drivers.simulator import HeartSimulator
from monitor.core import vagal_synchrony as vs
from monitor.core.synchrony import ALPHA, SURROGATES
from monitor.core.vagal_synchrony import (
    BIN_S,
    MIN_BINS,
    MIN_DIFFERENCES,
    ln_rmssd_bins,
    vagal_synchrony,
)


def slow_pair(
    seed: int, lag_bins: int, strength: float, bins: int = 100, tau_bins: float = 4.0
) -> tuple[np.ndarray, np.ndarray]:
    """Client and therapist ln RMSSD per bin: AR(1) vagal drifts plus estimation noise; the
    therapist takes on ``strength`` of the client's drift ``lag_bins`` bins later."""
    rng = np.random.default_rng(seed)
    keep = np.exp(-1.0 / tau_bins)

    def drift(n: int) -> np.ndarray:
        out = np.empty(n)
        out[0] = rng.normal()
        for i in range(1, n):
            out[i] = keep * out[i - 1] + np.sqrt(1 - keep * keep) * rng.normal()
        return out

    start = abs(lag_bins)
    client = drift(bins + 2 * start)
    own = drift(bins)
    leading = client[start - lag_bins : start - lag_bins + bins]
    therapist = strength * leading + np.sqrt(1 - strength**2) * own
    noise = 0.3 * rng.normal(size=(2, bins))
    return 3.6 + 0.3 * client[start : start + bins] + noise[0], 3.2 + 0.3 * therapist + noise[1]


def reference(client: np.ndarray, therapist: np.ndarray, max_lag: int) -> tuple[np.ndarray, float]:
    """The lag profile (Fisher z per lag) and the surrogate p-value, by loops."""
    a, b = detrend(client), detrend(therapist)

    def profile(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        n = x.size
        out = []
        for lag in range(-max_lag, max_lag + 1):
            pair = (x[: n - lag], y[lag:]) if lag >= 0 else (x[-lag:], y[: n + lag])
            out.append(np.arctanh(np.corrcoef(*pair)[0, 1]))
        return np.array(out)

    z = profile(a, b)
    n = b.size
    k, i = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    dct = np.sqrt(2.0 / n) * np.cos(np.pi * k * (2 * i + 1) / (2 * n))
    dct[0] /= np.sqrt(2.0)
    coefficients = dct @ b
    rng = np.random.default_rng(vs._SEED)
    signs = np.where(rng.random((SURROGATES, n)) < 0.5, -1.0, 1.0)
    signs[:, 0] = 1.0
    statistic = np.abs(z).max()
    reached = 0
    for row in signs:
        surrogate = dct.T @ (coefficients * row)
        reached += np.abs(profile(a, surrogate)).max() >= statistic
    return z, (1 + reached) / (1 + SURROGATES)


def test_ln_rmssd_bins_hand_worked() -> None:
    """Beats 1000/1100 ms alternating (60 beats, 1 s to 63 s): every successive difference is
    ±100 ms, so each bin's RMSSD is 100 ms. A beat missing from the NN beats (a stretch the
    engine left out) leaves out both differences it belongs to: counted, the one across the
    hole would be 1000 - 1000 = 0 ms and pull the RMSSD below 100. A bin with fewer than
    MIN_DIFFERENCES differences is missing."""
    nn = np.tile([1000.0, 1100.0], 30)
    t = np.cumsum(nn) / 1000.0
    bins = ln_rmssd_bins(t, nn, 0.0, 60.0)
    assert bins == pytest.approx(np.full(4, np.log(100.0)), abs=1e-12)
    hole = np.delete(np.arange(nn.size), 5)  # the beat at 6.3 s
    assert ln_rmssd_bins(t[hole], nn[hole], 0.0, 15.0)[0] == pytest.approx(np.log(100.0))
    few = ln_rmssd_bins(t[:MIN_DIFFERENCES], nn[:MIN_DIFFERENCES], 0.0, 15.0)
    assert np.isnan(few[0])  # MIN_DIFFERENCES beats give one difference fewer
    assert ln_rmssd_bins(t, nn, 0.0, 14.9).size == 0  # no whole bin


def test_equals_the_reference_to_1e_9() -> None:
    client, therapist = slow_pair(seed=4, lag_bins=1, strength=0.7)
    found = vagal_synchrony(client, therapist)
    assert found is not None
    z, p_value = reference(client, therapist, max_lag=2)
    assert np.array(found.z_at_lag) == pytest.approx(z, abs=1e-9)
    assert found.p_value == pytest.approx(p_value, abs=1e-12)
    assert found.lags_s == (-30.0, -15.0, 0.0, 15.0, 30.0)


@pytest.mark.parametrize(("lag_bins", "lead_s"), [(0, 0.0), (1, 15.0), (-2, -30.0)])
def test_recovers_a_coupling_and_its_lag_in_bins(lag_bins: int, lead_s: float) -> None:
    client, therapist = slow_pair(seed=11, lag_bins=lag_bins, strength=0.8, bins=160)
    found = vagal_synchrony(client, therapist)
    assert found is not None and found.above_chance and found.in_phase
    assert found.lead_lag_s == lead_s


def test_anti_phase_is_told_apart() -> None:
    client, therapist = slow_pair(seed=12, lag_bins=0, strength=-0.8, bins=160)
    found = vagal_synchrony(client, therapist)
    assert found is not None and found.above_chance and not found.in_phase


def test_uncoupled_series_are_not_above_chance_in_95_percent_of_seeds() -> None:
    """And the test is not merely timid: under no coupling its p-values spread over 0..1
    (median near 0.5), as a calibrated test's do."""
    found = [vagal_synchrony(*slow_pair(seed, 0, 0.0)) for seed in range(100)]
    assert all(f is not None for f in found)
    above = sum(f.above_chance for f in found if f is not None)
    median_p = float(np.median([f.p_value for f in found if f is not None]))
    assert above <= 5 and 0.3 <= median_p <= 0.7


def test_too_few_bins_or_a_flat_series_give_none() -> None:
    client, therapist = slow_pair(seed=3, lag_bins=0, strength=0.5, bins=60)
    holes = therapist.copy()
    holes[MIN_BINS - 1 :] = np.nan
    assert vagal_synchrony(client, holes) is None
    assert vagal_synchrony(client, np.full(60, 3.0)) is None
    gappy = therapist.copy()
    gappy[10:15] = np.nan  # a drop-out: the rest still counts
    found = vagal_synchrony(client, gappy)
    assert found is not None and found.segments == 55


def test_the_same_series_always_give_the_same_verdict() -> None:
    client, therapist = slow_pair(seed=5, lag_bins=0, strength=0.4)
    assert vagal_synchrony(client, therapist) == vagal_synchrony(client, therapist)


def simulated_pair(seed: int, strength: float, lag_s: float) -> tuple[np.ndarray, np.ndarray]:
    """The simulator's client (vagal tone wandering, the whole scripted session) and a
    therapist coupled to it, as ln RMSSD bins of their true beats."""
    client = HeartSimulator(seed=seed, vagal_wander_ln=CO_REGULATION_VAGAL_WANDER_LN)
    therapist = client.therapist_of(strength=strength, lag_s=lag_s)
    (t_c, rr_c), (t_t, rr_t) = client.true_rr(), therapist.true_rr()
    end_s = float(min(t_c[-1], t_t[-1]))
    return ln_rmssd_bins(t_c, rr_c, 0.0, end_s), ln_rmssd_bins(t_t, rr_t, 0.0, end_s)


def test_finds_the_simulators_vagal_coupling_and_its_lag() -> None:
    """Coupling 0.6, the therapist 15 s (one bin) behind: found above chance in most of ten
    simulated sessions (21.5 min each), and whenever found, in phase with the client leading
    by one bin. ``bench/rmssd_synchrony.py`` prints the rates over more seeds."""
    found = [vagal_synchrony(*simulated_pair(seed, 0.6, 15.0)) for seed in range(10)]
    above = [f for f in found if f is not None and f.above_chance]
    assert len(above) >= 5
    assert all(f.in_phase for f in above)
    assert sum(f.lead_lag_s == BIN_S for f in above) >= len(above) - 1


def test_independent_simulated_hearts_are_not_above_chance_in_95_percent_of_seeds() -> None:
    found = [vagal_synchrony(*simulated_pair(seed, 0.0, 0.0)) for seed in range(100, 140)]
    assert all(f is not None for f in found)
    assert sum(f.above_chance for f in found if f is not None) <= 2
    assert ALPHA == 0.01
