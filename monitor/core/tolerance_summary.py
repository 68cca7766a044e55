"""The window of tolerance over a whole recording: alerts, recoveries and time in each zone.

Runs the same :class:`~monitor.core.tolerance.WindowOfTolerance` the live session runs over the
per-beat timeline, so the alerts offline are the alerts the therapist saw (or would have seen
with other settings: the "what-if" of replay). A window the therapist widened or narrowed
during the session is changed at the same beat as it was live (:class:`SettingsChange`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from monitor.core.baseline import Baseline, BaselineSettings, not_at_rest_warning
from monitor.core.engine import HrvSnapshot
from monitor.core.tolerance import (
    Alert,
    ArousalReading,
    Recovery,
    ToleranceSettings,
    WindowOfTolerance,
    Zone,
)

MAX_BEAT_SPACING_S = 5.0
"""A stretch between two beats longer than this is missing signal, not time in a zone."""

_ZONE_CATEGORY = {
    Zone.INSIDE: "inside",
    Zone.EDGE: "inside",
    Zone.HYPER: "above",
    Zone.HYPO: "below",
    Zone.CALIBRATING: "unjudged",
    Zone.SUSPENDED: "unjudged",
}


@dataclass(frozen=True)
class PhaseMarker:
    """A protocol phase starting at ``t_s`` (it lasts until the next marker)."""

    t_s: float
    name: str


@dataclass(frozen=True)
class SettingsChange:
    """The therapist changed the window's settings during the session.

    Attributes
    ----------
    t_s : float
        When.
    settings : ToleranceSettings
        The settings from then on.
    after_beat_s : float or None
        The time of the last beat the live session judged with the earlier settings: a beat is
        judged a few beats after it arrives, so a change reaches beats somewhat older than
        itself, and this says exactly which. ``-inf``: from the first beat on. ``None`` when
        unknown (an imported annotation): then from the first beat at or after ``t_s``.
    """

    t_s: float
    settings: ToleranceSettings
    after_beat_s: float | None = None

    def applies_to(self, beat_t_s: float) -> bool:
        """Whether the beat at ``beat_t_s`` was judged with these settings (or later ones)."""
        if self.after_beat_s is None:
            return beat_t_s >= self.t_s
        return beat_t_s > self.after_beat_s


@dataclass
class ToleranceSummary:
    """What the window of tolerance made of a recording (times in the recording's beat time)."""

    baseline: Baseline | None
    alerts: list[Alert]
    recoveries: list[Recovery]
    readings: list[ArousalReading]
    time_in_zones_s: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per phase name (and ``"whole session"``): seconds inside, above, below, unjudged."""


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
) -> ToleranceSummary:
    """Run the window of tolerance over a recording's per-beat snapshots.

    Parameters
    ----------
    snapshots : sequence of HrvSnapshot
        The engine's per-beat output (live, or :func:`monitor.core.analysis.hrv_timeline`
        through :func:`~monitor.core.analysis.snapshots_from_table`).
    phases : sequence of PhaseMarker
        Protocol phases; a phase named ``"baseline"`` is the baseline span unless
        ``baseline_span_s`` is given, and each ``"grounding"`` phase start is a grounding marker.
    grounding_s : sequence of float
        Further grounding markers.
    gaps : sequence of (start_s, end_s)
        Signal gaps: the tracker is suspended through each.
    baseline_span_s : (start_s, end_s), optional
        The baseline span; default: the marked baseline phase, else the first
        ``BaselineSettings.duration_s`` from the first beat.
    settings, baseline_settings : optional
        ``settings`` are the window's settings at the start.
    reused_baseline : Baseline, optional
        A baseline from an earlier session, used instead of calibrating.
    settings_changes : sequence of SettingsChange
        Changes of the window's settings during the session, each applied from the first beat
        it reached live.
    """
    window = WindowOfTolerance(settings, baseline_settings, reused_baseline)
    pending_changes = sorted(settings_changes, key=lambda c: c.t_s)
    ordered_phases = sorted(phases, key=lambda p: p.t_s)
    span = baseline_span_s or marked_baseline_span(ordered_phases)
    if span is not None and reused_baseline is None:
        window.mark_baseline(*span)
    markers = sorted(
        list(grounding_s) + [p.t_s for p in ordered_phases if p.name.lower() == "grounding"]
    )
    pending_gaps = sorted(gaps)
    readings: list[ArousalReading] = []
    for snap in snapshots:
        while markers and markers[0] <= snap.t_s:
            window.mark_grounding(markers.pop(0))
        while pending_gaps and pending_gaps[0][0] <= snap.t_s:
            gap_start_s, _ = pending_gaps.pop(0)
            readings.append(window.suspend(gap_start_s, "signal lost (gap)"))
        while pending_changes and pending_changes[0].applies_to(snap.t_s):
            window.set_settings(pending_changes.pop(0).settings)
        readings.append(window.update(snap.t_s, snap.indices, snap.corrected))
    baseline = window.baseline_so_far()
    if baseline is not None:
        warning = not_at_rest_warning(baseline, [s.indices.hr_10s_bpm for s in snapshots])
        if warning is not None:
            baseline = Baseline(**{**baseline.__dict__, "warnings": (*baseline.warnings, warning)})
    return ToleranceSummary(
        baseline=baseline,
        alerts=window.alerts,
        recoveries=window.recoveries,
        readings=readings,
        time_in_zones_s=_time_in_zones(readings, ordered_phases),
    )


def marked_baseline_span(phases: Sequence[PhaseMarker]) -> tuple[float, float] | None:
    """The span of the first phase named "baseline" that another phase follows (from its marker
    to the next one), in time order; None when there is none (the first
    ``BaselineSettings.duration_s`` of the session is then the baseline)."""
    phases = sorted(phases, key=lambda p: p.t_s)
    for i, phase in enumerate(phases):
        if phase.name.lower() == "baseline" and i + 1 < len(phases):
            return phase.t_s, phases[i + 1].t_s
    return None


def _time_in_zones(
    readings: Sequence[ArousalReading], phases: Sequence[PhaseMarker]
) -> dict[str, dict[str, float]]:
    def empty() -> dict[str, float]:
        return {"inside": 0.0, "above": 0.0, "below": 0.0, "unjudged": 0.0}

    totals: dict[str, dict[str, float]] = {"whole session": empty()}
    for current, following in pairwise(readings):
        duration_s = following.t_s - current.t_s
        if duration_s <= 0:
            continue
        category = _ZONE_CATEGORY[current.zone]
        if duration_s > MAX_BEAT_SPACING_S:
            category = "unjudged"
        totals["whole session"][category] += duration_s
        phase = _phase_at(phases, current.t_s)
        if phase is not None:
            totals.setdefault(phase, empty())[category] += duration_s
    return totals


def _phase_at(phases: Sequence[PhaseMarker], t_s: float) -> str | None:
    name = None
    for phase in phases:
        if phase.t_s > t_s:
            break
        name = phase.name
    return name
