"""Breathing from the chest accelerometer (monitor/core/acc_breathing.py) and movement
(monitor/core/movement.py), on simulated H10 ACC (drivers/simulated_h10.py).

The truth is the simulator's own breathing phase: the mean rate over the analysed window is the
number of phase cycles in it, computed independently of the estimator.
"""

from __future__ import annotations

import numpy as np
import pytest

from drivers.simulated_h10 import synthesize_acc
from monitor.core.acc_breathing import breathing_from_acc
from monitor.core.movement import is_moving, movement_windows


@pytest.mark.parametrize("breaths_per_min", [6.0, 12.0, 20.0])
@pytest.mark.parametrize("sample_hz", [25.0, 50.0, 200.0])
def test_rate_within_one_breath_per_minute(breaths_per_min: float, sample_hz: float) -> None:
    """Trailing 60 s, five seeds each: within 1/min of the true rate (the simulated rate
    wanders by up to 5 % around the set one, as a person's does)."""
    for seed in range(5):
        acc = synthesize_acc(
            90.0,
            breaths_per_min=breaths_per_min,
            seed=seed,
            sample_hz=sample_hz,
            beat_times_s=np.arange(0.4, 90.0, 0.85),
        )
        n = round(60 * sample_hz)
        result = breathing_from_acc(acc.t_s[-n:], acc.acc_mg[-n:], sample_hz)
        assert result.breaths_per_min is not None, result.reason
        truth = acc.true_breaths_per_min(acc.t_s[-n], acc.t_s[-1])
        assert abs(result.breaths_per_min - truth) <= 1.0


def test_shallow_breathing_in_more_noise() -> None:
    """Half a degree of tilt (~9 mg) in 5 mg of sensor noise is still read within 1/min."""
    for seed in range(3):
        acc = synthesize_acc(60.0, breaths_per_min=12.0, seed=seed, tilt_deg=0.5, noise_mg=5.0)
        result = breathing_from_acc(acc.t_s, acc.acc_mg, acc.sample_hz)
        assert result.breaths_per_min is not None, result.reason
        assert abs(result.breaths_per_min - acc.true_breaths_per_min(0.0, 60.0)) <= 1.0


def test_no_breathing_gives_no_rate() -> None:
    """A still sensor with noise only: "—" (None), not a rate counted in noise."""
    rng = np.random.default_rng(0)
    t_s = np.arange(3000) / 50.0
    acc_mg = np.array([-1000.0, 50.0, 20.0]) + 3.0 * rng.standard_normal((3000, 3))
    result = breathing_from_acc(t_s, acc_mg, 50.0)
    assert result.breaths_per_min is None
    assert result.reason != "ok"


def test_movement_suspends_the_rate() -> None:
    acc = synthesize_acc(60.0, breaths_per_min=12.0, seed=1, movement_bouts_s=[(20.0, 30.0)])
    result = breathing_from_acc(acc.t_s, acc.acc_mg, acc.sample_hz)
    assert result.breaths_per_min is None
    assert result.reason == "client moving"


def test_too_short_window() -> None:
    acc = synthesize_acc(10.0, breaths_per_min=12.0, seed=1)
    assert breathing_from_acc(acc.t_s, acc.acc_mg, acc.sample_hz).breaths_per_min is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_movement_windows_match_the_bouts(seed: int) -> None:
    """Windows inside a bout are "moving", windows well outside are not (breathing alone is
    well under the 50 mg threshold: it tilts the chest without changing |a|)."""
    bouts = [(20.0, 30.0), (70.0, 74.0)]
    acc = synthesize_acc(
        100.0, breaths_per_min=15.0, seed=seed, movement_bouts_s=bouts, tilt_deg=2.0
    )
    windows = movement_windows(acc.t_s, acc.acc_mg, acc.sample_hz)
    inside = ((windows.start_s >= 20.0) & (windows.start_s + 2.0 <= 30.0)) | (
        (windows.start_s >= 70.0) & (windows.start_s + 2.0 <= 74.0)
    )
    outside = np.ones_like(inside)
    for start_s, end_s in bouts:
        outside &= (windows.start_s + 2.0 <= start_s - 0.5) | (windows.start_s >= end_s + 0.5)
    assert np.all(windows.moving[inside])
    assert not np.any(windows.moving[outside])
    assert np.max(windows.rms_mg[outside]) < 15.0
    at_25_s = np.searchsorted(acc.t_s, 25.0)
    assert is_moving(acc.acc_mg[: at_25_s + 1], acc.sample_hz)
    assert not is_moving(acc.acc_mg[: round(15.0 * acc.sample_hz)], acc.sample_hz)


def test_missing_samples_and_bad_shapes() -> None:
    acc = synthesize_acc(60.0, breaths_per_min=12.0, seed=2)
    broken = acc.acc_mg.copy()
    broken[100, 1] = np.nan
    result = breathing_from_acc(acc.t_s, broken, acc.sample_hz)
    assert (result.breaths_per_min, result.reason) == (None, "ACC samples missing")
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        breathing_from_acc(acc.t_s, acc.acc_mg[:, :2], acc.sample_hz)
