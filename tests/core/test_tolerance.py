"""The window-of-tolerance rules on hand-built index series, with hand-computed expectations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitor.core.baseline import Baseline, BaselineSettings, compute_baseline
from monitor.core.indices import WindowIndices
from monitor.core.judge import PhaseMarker
from monitor.core.tolerance import AlertKind, ToleranceSettings, ToleranceTracker, Zone
from monitor.core.tolerance_summary import marked_baseline_span

BASELINE = Baseline(
    hr_bpm=70.0, hr_spread_bpm=4.0, ln_rmssd=math.log(40.0), ln_rmssd_spread=0.25,
    start_s=0.0, end_s=300.0, usable_s=300.0, artefact_pct=0.0, subwindows=10,
)  # fmt: skip


def indices(hr: float, rmssd: float, resp: float = 14.0, coherence: float = 0.2,
            artefact_pct: float = 0.0) -> WindowIndices:  # fmt: skip
    return WindowIndices(
        hr_10s_bpm=hr, rmssd_ms=rmssd, ln_rmssd=math.log(rmssd), resp_rate_bpm=resp,
        coherence=coherence, short_artefact_pct=artefact_pct,
    )  # fmt: skip


def feed(tracker, values, start_s=0.0, step_s=1.0):
    readings = []
    for i, value in enumerate(values):
        readings.append(tracker.update(start_s + i * step_s, value))
    return readings


def test_arousal_is_the_mean_of_the_two_z_scores() -> None:
    tracker = ToleranceTracker(BASELINE)
    # HR +8 bpm → z 2.0; RMSSD 40 → 20 ms → z_vagal = ln 2 / 0.25 = 2.773; mean 2.386.
    reading = tracker.update(0.0, indices(78.0, 20.0))
    assert reading.z_hr == pytest.approx(2.0)
    assert reading.z_vagal == pytest.approx(math.log(2) / 0.25)
    assert reading.arousal == pytest.approx((2.0 + math.log(2) / 0.25) / 2)


def test_rmssd_above_baseline_counts_toward_calm_only_up_to_one_spread() -> None:
    tracker = ToleranceTracker(BASELINE)
    # Resonance breathing: RMSSD triples, HR unchanged → the vagal term is capped at −1.
    reading = tracker.update(0.0, indices(70.0, 120.0, resp=6.0, coherence=3.0))
    assert reading.arousal == pytest.approx(-0.5)
    assert reading.zone == Zone.INSIDE


def test_dwell_then_one_alert_with_a_reason_in_numbers() -> None:
    tracker = ToleranceTracker(BASELINE, ToleranceSettings(smoothing_s=0.001))
    readings = feed(tracker, [indices(70, 40)] * 10 + [indices(94, 18)] * 40)
    started = [a for r in readings for a in r.started if a.kind == AlertKind.HYPER]
    assert len(started) == 1
    # Above from t = 10 s: raised when 20 s have passed, at t = 30 s.
    assert started[0].start_s == pytest.approx(30.0)
    assert started[0].reason == "HR 94 bpm (+24 over baseline), RMSSD 18 ms (−55 %) for 20 s"


def test_an_alert_ends_only_after_clear_time_below_the_edge() -> None:
    settings = ToleranceSettings(smoothing_s=0.001)
    tracker = ToleranceTracker(BASELINE, settings)
    feed(tracker, [indices(94, 18)] * 30)
    # Back to z ≈ 1.9 (upper edge, not recovered), then to baseline.
    feed(tracker, [indices(78, 25)] * 60, start_s=30)
    assert tracker.alerts[0].end_s is None
    feed(tracker, [indices(70, 40)] * 30, start_s=90)
    assert tracker.alerts[0].end_s == pytest.approx(90.0)


def test_hypo_is_a_low_confidence_prompt_and_not_during_slow_breathing() -> None:
    settings = ToleranceSettings(smoothing_s=0.001)
    tracker = ToleranceTracker(BASELINE, settings)
    feed(tracker, [indices(48, 60)] * 40)  # HR −22 bpm: z_hr −5.5, vagal capped: −3.25
    hypo = [a for a in tracker.alerts if a.kind == AlertKind.HYPO]
    assert len(hypo) == 1 and "low confidence" in hypo[0].reason
    paced = ToleranceTracker(BASELINE, settings)
    readings = feed(paced, [indices(48, 60, resp=6.0, coherence=2.5)] * 40)
    assert paced.alerts == [] and all(r.zone != Zone.HYPO for r in readings)


def test_too_many_corrected_beats_suspend_and_say_so() -> None:
    tracker = ToleranceTracker(BASELINE)
    reading = tracker.update(0.0, indices(100, 15, artefact_pct=35.0))
    assert reading.zone == Zone.SUSPENDED and math.isnan(reading.arousal)
    assert "35 %" in reading.reason and "corrected" in reading.reason
    assert tracker.alerts == []


def test_suspension_restarts_the_dwell_clock() -> None:
    tracker = ToleranceTracker(BASELINE, ToleranceSettings(smoothing_s=0.001))
    feed(tracker, [indices(94, 18)] * 15)
    tracker.suspend(15.0, "skin contact lost")
    feed(tracker, [indices(94, 18)] * 15, start_s=16)
    assert tracker.alerts == []  # 15 s + 15 s with a break in between is not 20 s


def test_grounding_recovery_and_ready_to_resume() -> None:
    settings = ToleranceSettings(smoothing_s=0.001, ready_s=30.0)
    tracker = ToleranceTracker(BASELINE, settings)
    feed(tracker, [indices(94, 18)] * 40)
    tracker.mark_grounding(40.0)
    readings = feed(tracker, [indices(90, 20)] * 20 + [indices(70, 40)] * 60, start_s=40)
    grounding = next(r for r in tracker.recoveries if r.started_by == "grounding")
    assert grounding.inside_s == pytest.approx(60.0)
    assert grounding.recovery_s == pytest.approx(20.0)
    ready = [r.t_s for r in readings if r.ready_to_resume]
    assert ready and ready[0] == pytest.approx(90.0)


def test_widened_window_moves_both_bounds() -> None:
    wide = ToleranceSettings().widened(1.0)
    assert (wide.upper_sd, wide.edge_sd, wide.lower_sd) == (3.5, 2.5, -3.5)
    with pytest.raises(ValueError):
        ToleranceSettings(edge_sd=3.0, upper_sd=2.0)


def test_baseline_is_robust_to_a_noisy_minute_and_has_floors() -> None:
    t = np.arange(0, 300, 1.0)
    hr = 65 + 0.5 * np.sin(t / 7)
    ln_v = np.full(t.size, math.log(45.0))
    hr[120:150] = 110  # a cough, someone came in: one sub-window of nonsense
    baseline = compute_baseline(t, hr, ln_v, np.zeros(t.size, bool), 0.0, 300.0)
    assert baseline.hr_bpm == pytest.approx(65, abs=0.5)
    assert baseline.hr_spread_bpm == BaselineSettings().min_hr_spread_bpm  # floor
    assert baseline.rmssd_ms == pytest.approx(45.0)
    assert baseline.warnings == ()


def test_baseline_warnings_say_what_is_wrong() -> None:
    t = np.arange(0, 120, 1.0)
    corrected = np.zeros(t.size, bool)
    corrected[::5] = True
    settling = np.linspace(90, 66, t.size)
    baseline = compute_baseline(t, settling, np.full(t.size, 3.5), corrected, 0.0, 120.0)
    text = " ".join(baseline.warnings)
    assert "only 119 s" in text and "20 % corrected" in text and "HR fell by" in text


def test_a_stored_baseline_round_trips() -> None:
    again = Baseline.from_dict(BASELINE.as_dict(), source="session of 2026-11-14")
    assert again.hr_bpm == BASELINE.hr_bpm and again.ln_rmssd == BASELINE.ln_rmssd
    assert again.source == "session of 2026-11-14"


def test_a_change_that_rounds_to_zero_reads_plus_minus_zero() -> None:
    reading = ToleranceTracker(BASELINE).update(0.0, indices(70.3, 40.1))
    assert "HR 70 bpm (±0 over baseline)" in reading.reason
    assert "−0" not in reading.reason


def test_a_marked_baseline_phase_is_the_baseline_only_once_another_phase_ends_it() -> None:
    """The session report names "the marked baseline phase" from this same function, so it
    cannot claim a phase that the analysis did not use."""
    marked = [PhaseMarker(310.0, "imagery"), PhaseMarker(10.0, "Baseline")]  # any order
    assert marked_baseline_span(marked) == (10.0, 310.0)
    trailing = [PhaseMarker(0.0, "imagery"), PhaseMarker(600.0, "baseline")]
    assert marked_baseline_span(trailing) is None
    assert marked_baseline_span([]) is None
