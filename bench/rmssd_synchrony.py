"""Would synchrony of RMSSD find the simulator's coupling? (issue #18; why it is not shipped)

The surrogate synchrony of :mod:`monitor.core.synchrony` applied to each person's rolling RMSSD
instead of the 10-s heart rate, on simulated client/therapist pairs
(``HeartSimulator.therapist_of``) with a known coupling, and on independent pairs. Prints, per
setting, how many coupled sessions come out "above chance" and how many independent ones do.

Run: ``.venv/bin/python bench/rmssd_synchrony.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import numpy as np

from drivers.simulator import HeartSimulator
from monitor.core.synchrony import Synchrony, heart_rate_series, synchrony

SAMPLE_HZ = 2.0
SETTINGS = (  # (rolling RMSSD window s, segment s, largest lag s)
    (30.0, 60.0, 10.0),
    (10.0, 30.0, 5.0),
    (10.0, 15.0, 5.0),
)
COUPLINGS = ((0.6, 2.0), (0.6, 2.0), (0.6, 2.0), (0.3, 1.0), (0.3, 1.0))
INDEPENDENT_SEEDS = 15


def rolling_rmssd_ms(t_s: np.ndarray, rr_ms: np.ndarray, window_s: float) -> np.ndarray:
    """RMSSD of the successive differences in the trailing ``window_s`` at each beat."""
    out = np.full(t_s.size, np.nan)
    diffs = np.diff(rr_ms)
    first = 0
    for i in range(1, t_s.size):
        while t_s[first] < t_s[i] - window_s:
            first += 1
        window = diffs[first:i]
        if window.size >= 3:
            out[i] = float(np.sqrt(np.mean(window**2)))
    return out


def session(
    seed: int, strength: float, lag_s: float, setting: tuple[float, ...]
) -> Synchrony | None:
    window_s, segment_s, max_lag_s = setting
    client = HeartSimulator(seed=seed)
    therapist = client.therapist_of(strength=strength, lag_s=lag_s)
    (tc, rc), (tt, rt) = client.true_rr(), therapist.true_rr()
    end_s = float(min(tc[-1], tt[-1]))
    series = [
        heart_rate_series(t, rolling_rmssd_ms(t, rr, window_s), 0.0, end_s, SAMPLE_HZ)
        for t, rr in ((tc, rc), (tt, rt))
    ]
    return synchrony(series[0], series[1], SAMPLE_HZ, segment_s, max_lag_s)


def main() -> None:
    for setting in SETTINGS:
        coupled = [session(i, s, lag, setting) for i, (s, lag) in enumerate(COUPLINGS)]
        alone = [session(seed, 0.0, 0.0, setting) for seed in range(INDEPENDENT_SEEDS)]
        found = sum(bool(r and r.above_chance) for r in coupled)
        false = sum(bool(r and r.above_chance) for r in alone)
        print(
            f"RMSSD over {setting[0]:g} s, {setting[1]:g}-s stretches, lags ±{setting[2]:g} s: "
            f"coupled above chance {found} of {len(coupled)}; "
            f"independent above chance {false} of {len(alone)}"
        )


if __name__ == "__main__":
    main()
