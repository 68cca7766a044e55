"""The window of tolerance over a whole recording: alerts, recoveries and time in each zone.

Runs the one :class:`~monitor.core.judge.ToleranceJudge` the live session runs over the per-beat
timeline, so the alerts offline are the alerts the therapist saw (or would have seen with other
settings: the "what-if" of replay). A window the therapist widened or narrowed during the
session is changed at the same beat as it was live (:class:`SettingsChange`).
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.core.baseline import Baseline, BaselineSettings
from monitor.core.engine import HrvSnapshot
from monitor.core.judge import (
    GapMarker,
    GroundingMarker,
    JudgeInput,
    PhaseMarker,
    SettingsChange,
    ToleranceSummary,
    judge_recording,
)
from monitor.core.protocol import Phase
from monitor.core.tolerance import ToleranceSettings


def evaluate_tolerance(
    snapshots: Sequence[HrvSnapshot],
    phases: Sequence[PhaseMarker] = (),
    grounding_s: Sequence[float] = (),
    gaps: Sequence[tuple[float, float]] = (),
    baseline_span_s: tuple[float, float] | None = None,
    settings: ToleranceSettings | None = None,
    baseline_settings: BaselineSettings | None = None,
    reused_baseline: Baseline | None = None,
    settings_changes: Sequence[SettingsChange] = (),
    signal_events: Sequence[JudgeInput] = (),
) -> ToleranceSummary:
    """Run the window of tolerance over a recording's per-beat snapshots.

    Parameters
    ----------
    snapshots : sequence of HrvSnapshot
        The engine's per-beat output (live, or :func:`monitor.core.analysis.hrv_timeline`
        through :func:`~monitor.core.analysis.snapshots_from_table`).
    phases : sequence of PhaseMarker
        Protocol phases: the end of a ``baseline`` phase recalibrates the baseline to it
        (unless ``baseline_span_s`` or ``reused_baseline`` is given), and each ``grounding``
        phase start is a grounding marker, as live.
    grounding_s : sequence of float
        Further grounding markers.
    gaps : sequence of (start_s, end_s)
        Signal gaps: the tracker is suspended through each.
    baseline_span_s : (start_s, end_s), optional
        An explicit baseline span; default: the marked baseline phase, else the first
        ``BaselineSettings.duration_s`` from the first beat.
    settings, baseline_settings : optional
        ``settings`` are the window's settings at the start.
    reused_baseline : Baseline, optional
        A baseline from an earlier session, used instead of calibrating.
    settings_changes : sequence of SettingsChange
        Changes of the window's settings during the session, each applied from the first beat
        it reached live.
    signal_events : sequence of ContactMarker or StrapLost
        Skin contact and connection changes the live session saw.
    """
    inputs: list[JudgeInput] = [
        *phases,
        *(GroundingMarker(t_s) for t_s in grounding_s),
        *(GapMarker(start_s, end_s) for start_s, end_s in gaps),
        *settings_changes,
        *signal_events,
    ]
    return judge_recording(
        snapshots,
        inputs,
        settings=settings,
        baseline_settings=baseline_settings,
        reused_baseline=reused_baseline,
        baseline_span_s=baseline_span_s,
    )


def marked_baseline_span(phases: Sequence[PhaseMarker]) -> tuple[float, float] | None:
    """The span of the first phase named "baseline" that another phase follows (from its marker
    to the next one), in time order; None when there is none (the first
    ``BaselineSettings.duration_s`` of the session is then the baseline)."""
    phases = sorted(phases, key=lambda p: p.t_s)
    for i, phase in enumerate(phases):
        if phase.phase is Phase.BASELINE and i + 1 < len(phases):
            return phase.t_s, phases[i + 1].t_s
    return None
