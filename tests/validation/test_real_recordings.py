"""The window of tolerance on real recordings and on the same simulated person breathing faster
(issue #14). The figures are printed by ``bench/real_signals.py`` and discussed, with their
limits, in docs/window-of-tolerance.md; these tests hold the claims made there.

Where the reference values come from: the respiration belt, EDA and task triggers of the
systole recording (tests/data/README.md), counted here with numpy or plain loops; the CLI's own
output (a real subprocess of ``python -m monitor analyze``) for the harness itself; the
simulator's parameters for the breathing rate and HR of the simulated person.
"""

from __future__ import annotations

import functools
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from real_recordings import (
    DATA,
    REAL_RECORDINGS,
    WITH_REFERENCE,
    after_baseline,
    belt_dominant_per_min,
    breath_times_s,
    breathing_error,
    reference_breathing_per_min,
    run_window,
    simulated_breathing_run,
    task_blocks_s,
)

SEEDS = range(3)


@functools.cache
def real_run(name: str):
    return run_window(DATA / name)


@functools.cache
def breathing_run(tmp_root: str, breathing_per_min: float, hr_rise_bpm: float, seed: int):
    from pathlib import Path

    return simulated_breathing_run(Path(tmp_root), breathing_per_min, hr_rise_bpm, seed)


@pytest.fixture(scope="module")
def sim_folder(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("breathing"))


# ---------------------------------------------------------------------------------------------
# the harness is what analyze does
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [WITH_REFERENCE, "rest_rri.txt"])
def test_harness_gives_what_the_analyze_command_prints(name):
    """Time in the window and the alerts, from the harness and from a real ``analyze --json``
    subprocess on the same file, agree (to the CLI's rounding)."""
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "analyze", str(DATA / name), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    printed = json.loads(done.stdout)
    run = real_run(name)
    whole = run.summary.time_in_zones_s["whole session"]
    for key in ("inside", "above", "below", "unjudged"):
        assert printed["time_in_window"][f"{key}_s"] == pytest.approx(whole[key], abs=0.05)
    assert len(printed["alerts"]) == len(run.summary.alerts)


@pytest.mark.parametrize("name", REAL_RECORDINGS)
def test_every_real_recording_runs_through_the_window(name):
    """Each real recording: zone times that add up to the span of the readings, the first
    300 s calibrating (the default baseline), a judged index after it when the recording is
    longer (the 300-s pyhrv series is not), and alerts inside the recording."""
    run = real_run(name)
    t = run.reading_t_s
    zones = run.zone_seconds()
    assert sum(zones.values()) == pytest.approx(t[-1] - t[0], rel=1e-9)
    assert zones["calibrating"] == pytest.approx(min(300.0, t[-1] - t[0]), abs=2.0)
    assert np.isfinite(run.arousal).any() == (t[-1] - t[0] > 310.0)
    for alert in run.summary.alerts:
        assert t[0] <= alert.start_s <= t[-1]


# ---------------------------------------------------------------------------------------------
# breathing rate against the belt
# ---------------------------------------------------------------------------------------------


def test_reference_breath_count_matches_a_plain_count():
    """The reference (breaths in the trailing 60 s) against a plain loop over the belt's breath
    times, at every 37th beat."""
    run = real_run(WITH_REFERENCE)
    breaths = breath_times_s().tolist()
    ref = reference_breathing_per_min(run.beat_t_s)
    checked = 0
    for i in range(0, run.beat_t_s.size, 37):
        t = float(run.beat_t_s[i])
        if math.isnan(ref[i]):
            continue
        assert ref[i] == sum(1 for b in breaths if t - 60.0 < b <= t)
        checked += 1
    assert checked > 40
    # A resting adult: the belt's median rate lies in 10-30/min.
    assert 10.0 <= float(np.nanmedian(ref)) <= 30.0


def test_breathing_rate_meets_the_goal_of_issue_14():
    """Median |error| ≤ 1.5/min and ≥ 70 % of beats within 2/min of the belt's breaths in the
    trailing 60 s, where a number is shown. Measured (bench/real_signals.py): median 1.0/min,
    73 % within 2/min, a number at 72 % of the beats. The regularity limit of the count
    (breath_count.MAX_CYCLE_CV) was set on this recording, the only one with a belt; the
    counting band was set on the simulated failures (tests/core/test_respiration.py)."""
    error = breathing_error(real_run(WITH_REFERENCE))
    assert error.median_abs_per_min <= 1.5
    assert error.within_2_pct >= 70.0
    assert error.shown_pct >= 65.0


def test_breathing_rate_against_the_belts_dominant_frequency_is_bounded():
    """Against the second reading of the belt (its dominant frequency over the same 64 s).
    Measured: median |error| 2.3/min, 48 % within 2/min (the spectral peak before the count
    reached 1.0/min and 60 % here, but 2.6/min and 45 % against the count). The two belt
    references disagree with each other by a median 3.4/min on this irregular breather: sighs
    and pauses pull the dominant frequency to 6-7/min, which a count of breaths does not
    follow."""
    run = real_run(WITH_REFERENCE)
    error = breathing_error(run, belt_dominant_per_min(run.beat_t_s))
    assert error.median_abs_per_min <= 2.6
    assert error.within_2_pct >= 42.0


# ---------------------------------------------------------------------------------------------
# the task
# ---------------------------------------------------------------------------------------------


def test_task_blocks_are_the_six_blocks_of_twelve_pictures():
    """The trigger file holds 72 pictures in 6 blocks (the task of Legrand et al. 2020)."""
    blocks = task_blocks_s()
    assert len(blocks) == 6
    assert all(110.0 < end - start < 150.0 for start, end in blocks)


# ---------------------------------------------------------------------------------------------
# the same person breathing faster
# ---------------------------------------------------------------------------------------------


def test_faster_breathing_alone_raises_the_index_without_alerts(sim_folder):
    """Breathing 12 → 20 → 24/min at the same HR (the simulator's RSA shrinks with faster
    breathing): the median index rises step by step (measured +0.2 to +0.9 SD over 12/min), yet
    stays inside the window, without any alert, in every seed."""
    for seed in SEEDS:
        medians = []
        for per_min in (12.0, 20.0, 24.0):
            run = breathing_run(sim_folder, per_min, 0.0, seed)
            medians.append(float(np.median(after_baseline(run))))
            assert run.summary.alerts == [], (seed, per_min)
        assert medians[0] < medians[1] < medians[2], (seed, medians)


def test_faster_breathing_with_a_small_hr_rise_reaches_the_edge(sim_folder):
    """The limit docs/window-of-tolerance.md names: 24/min with HR 4 bpm higher, no distress
    at all, spends time at the upper edge with warnings in every seed (measured 194-527 s of
    600). The index cannot tell faster breathing from arousal."""
    for seed in SEEDS:
        run = breathing_run(sim_folder, 24.0, 4.0, seed)
        assert run.zone_seconds()["edge"] > 60.0, seed
        assert run.summary.alerts, seed
