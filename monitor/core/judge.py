"""The one judge of the window of tolerance: live, in replay, in ``analyze``, reports and what-if.

:class:`~monitor.core.tolerance.WindowOfTolerance` turns one beat's indices into a reading. What
the rest of a session does to it is decided here, once, for every caller:

* a signal gap, a lost strap or lost skin contact suspends judging (a gap never reads as calm);
* the end of a ``baseline`` phase recalibrates the baseline to the marked span, unless the
  session reuses an earlier baseline or an explicit span was asked for;
* the start of ``grounding`` (phase or button) starts a recovery measurement;
* a window the therapist widened or narrowed judges the beats from the one it reached live.

Inputs are typed (:data:`JudgeInput`) and **take effect at the first beat at or after their
time** (a gap: after its start, which is the last beat before it; a settings change: after the
beat it records), in time order, whenever they are told.
A live session tells them as they happen, while its newest beats still wait for the artefact
filter's look-ahead; ``analyze`` tells them all before the first beat. Both give the same
readings, so what a report or replay says is what the therapist saw (docs/architecture.md, "The
flow of one beat"). A live view that must show a suspension at once asks for
:meth:`ToleranceJudge.announce`, which changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from monitor.core.baseline import Baseline, BaselineSettings, not_at_rest_warning
from monitor.core.engine import HrvSnapshot
from monitor.core.protocol import Phase, phase_of
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

WHOLE_SESSION = "whole session"
"""The key of :attr:`ToleranceSummary.time_in_zones_s` for the whole recording."""

GAP_REASON = "signal lost (gap)"
CONTACT_LOST_REASON = "skin contact lost"
MOVING_REASON = "client moving"

_ZONE_CATEGORY = {
    Zone.INSIDE: "inside",
    Zone.EDGE: "inside",
    Zone.HYPER: "above",
    Zone.HYPO: "below",
    Zone.CALIBRATING: "unjudged",
    Zone.SUSPENDED: "unjudged",
}


# -- what the judge is told ---------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseMarker:
    """A protocol phase starting at ``t_s`` (it lasts until the next marker)."""

    t_s: float
    name: str

    @property
    def phase(self) -> Phase | None:
        """The protocol phase it stands for (None for a session's own phase name)."""
        return phase_of(self.name)


@dataclass(frozen=True)
class GroundingMarker:
    """Grounding started without a phase marker (an imported annotation, a what-if)."""

    t_s: float


@dataclass(frozen=True)
class GapMarker:
    """No beats from ``start_s`` to ``end_s``: the strap reported none, or beats went missing."""

    start_s: float
    end_s: float
    reason: str = GAP_REASON

    @property
    def t_s(self) -> float:
        return self.start_s


@dataclass(frozen=True)
class ContactMarker:
    """The strap's skin contact changed at ``t_s``: beats without contact are not judged."""

    t_s: float
    contact: bool


@dataclass(frozen=True)
class MovementMarker:
    """The chest accelerometer's movement verdict changed at ``t_s``: beats while the client
    moves are not judged (movement raises the heart rate for reasons outside the session's
    content, and spoils the ECG and breathing signals; :mod:`monitor.core.movement`)."""

    t_s: float
    moving: bool


@dataclass(frozen=True)
class StrapLost:
    """The connection to the strap was lost (or is being re-established) at ``t_s``."""

    t_s: float
    reason: str


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


JudgeInput = (
    PhaseMarker
    | GroundingMarker
    | GapMarker
    | ContactMarker
    | MovementMarker
    | StrapLost
    | SettingsChange
)
"""Everything besides beats that changes how the window of tolerance judges."""


def _due(item: JudgeInput, beat_t_s: float) -> bool:
    if isinstance(item, SettingsChange):
        return item.applies_to(beat_t_s)
    if isinstance(item, GapMarker):
        # A gap starts at the last beat before it (or later): that beat is judged before it.
        return item.start_s < beat_t_s
    return item.t_s <= beat_t_s


# -- what it says -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertChange:
    """An alert that started or ended, with its number in the session (1, 2, ...), which stays
    the same from its start to its end: a recorder finds the event to close by it."""

    number: int
    alert: Alert
    ended: bool


@dataclass
class ToleranceSummary:
    """What the window of tolerance made of a recording (times in the recording's beat time)."""

    baseline: Baseline | None
    alerts: list[Alert]
    recoveries: list[Recovery]
    readings: list[ArousalReading]
    time_in_zones_s: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per phase name (and ``"whole session"``): seconds inside, above, below, unjudged."""


class ToleranceJudge:
    """The window of tolerance with the session's rules: feed it beats and what happened.

    Parameters
    ----------
    settings : ToleranceSettings, optional
        The window's settings at the start.
    baseline_settings : BaselineSettings, optional
    reused_baseline : Baseline, optional
        An earlier session's baseline for the same client: the whole session is judged against
        it, and a marked ``baseline`` phase does not recalibrate.
    baseline_span_s : (start_s, end_s), optional
        An explicit baseline span (``analyze --baseline-s``): marked phases do not move it.
    """

    def __init__(
        self,
        settings: ToleranceSettings | None = None,
        baseline_settings: BaselineSettings | None = None,
        reused_baseline: Baseline | None = None,
        baseline_span_s: tuple[float, float] | None = None,
    ) -> None:
        self.window = WindowOfTolerance(settings, baseline_settings, reused_baseline)
        self.start_settings = self.window.settings
        """The window as the session started (the session file's settings keep it)."""
        self.reused_baseline = reused_baseline
        self.readings: list[ArousalReading] = []
        """Every reading in time order: one per beat, and one per suspension."""
        self.phases: list[PhaseMarker] = []
        """The phase markers that took effect, in time order."""
        self.last_judged_s: float | None = None
        """The time of the newest beat judged (a settings change records it)."""
        self._phases_set_baseline = reused_baseline is None and baseline_span_s is None
        if baseline_span_s is not None and reused_baseline is None:
            self.window.mark_baseline(*baseline_span_s)
        self._pending: list[JudgeInput] = []
        self._current_phase: Phase | None = None
        self._baseline_phase_start_s: float | None = None
        self._contact = True
        self._moving = False
        self._hr_bpm: list[float] = []
        self._alert_numbers: dict[int, int] = {}

    # -- state ----------------------------------------------------------------------------------

    @property
    def settings(self) -> ToleranceSettings:
        """The window's settings as last set (a change told but not yet reached included)."""
        changes = [i for i in self._pending if isinstance(i, SettingsChange)]
        return changes[-1].settings if changes else self.window.settings

    @property
    def baseline(self) -> Baseline | None:
        return self.window.baseline

    @property
    def alerts(self) -> list[Alert]:
        return self.window.alerts

    @property
    def recoveries(self) -> list[Recovery]:
        return self.window.recoveries

    # -- input ----------------------------------------------------------------------------------

    def tell(self, item: JudgeInput) -> None:
        """Something happened; it takes effect at the first beat at or after its time."""
        self._pending.append(item)

    def judge(self, snapshot: HrvSnapshot) -> list[ArousalReading]:
        """Judge one beat's live indices; return the readings it brings, in time order.

        The readings of inputs that took effect before the beat (a gap's suspension, say) come
        first, the beat's own reading last.
        """
        readings = self._apply_due(snapshot.t_s)
        if not self._contact:
            reading = self.window.suspend(snapshot.t_s, CONTACT_LOST_REASON)
        elif self._moving:
            reading = self.window.suspend(snapshot.t_s, MOVING_REASON)
        else:
            reading = self.window.update(snapshot.t_s, snapshot.indices, snapshot.corrected)
        self.last_judged_s = snapshot.t_s
        self._hr_bpm.append(snapshot.indices.hr_10s_bpm)
        self.readings.append(reading)
        return [*readings, reading]

    def finish(self) -> list[ArousalReading]:
        """The recording ended: what is still waiting for a beat takes effect now."""
        return self._apply_due(math.inf)

    def announce(self, t_s: float, reason: str) -> ArousalReading:
        """A suspension to show at once (the strap or contact was just lost); changes nothing.

        The suspension itself takes effect, and is counted, at the next beat (:meth:`tell`).
        """
        zone = Zone.CALIBRATING if self.window.tracker is None else Zone.SUSPENDED
        return ArousalReading(t_s=t_s, zone=zone, reason=reason)

    # -- results --------------------------------------------------------------------------------

    def alert_changes(self, readings: Iterable[ArousalReading]) -> list[AlertChange]:
        """The alerts that started or ended at ``readings`` (which this judge gave), numbered."""
        changes = []
        for reading in readings:
            for alert in reading.started:
                self._alert_numbers[id(alert)] = len(self._alert_numbers) + 1
                changes.append(AlertChange(self._alert_numbers[id(alert)], alert, ended=False))
            for alert in reading.ended:
                changes.append(AlertChange(self._alert_numbers[id(alert)], alert, ended=True))
        return changes

    def baseline_so_far(self) -> Baseline | None:
        """The baseline, or the one the beats so far give (see
        :meth:`WindowOfTolerance.baseline_so_far`)."""
        return self.window.baseline_so_far()

    def summary(self) -> ToleranceSummary:
        """Baseline, alerts, recoveries, readings and time in each zone so far.

        A calibrated baseline whose heart rate was well above the rest of the session gets a
        warning that the client may not have been at rest (:func:`not_at_rest_warning`).
        """
        baseline = self.baseline_so_far()
        if baseline is not None:
            warning = not_at_rest_warning(baseline, self._hr_bpm)
            if warning is not None:
                baseline = Baseline(
                    **{**baseline.__dict__, "warnings": (*baseline.warnings, warning)}
                )
        return ToleranceSummary(
            baseline=baseline,
            alerts=self.alerts,
            recoveries=self.recoveries,
            readings=self.readings,
            time_in_zones_s=time_in_zones(self.readings, self.phases),
        )

    # -- the rules ------------------------------------------------------------------------------

    def _apply_due(self, beat_t_s: float) -> list[ArousalReading]:
        due = [item for item in self._pending if _due(item, beat_t_s)]
        if not due:
            return []
        self._pending = [item for item in self._pending if not _due(item, beat_t_s)]
        readings = []
        # sorted() is stable: inputs of one time keep the order they were told in.
        for item in sorted(due, key=lambda i: i.t_s):
            reading = self._apply(item)
            if reading is not None:
                self.readings.append(reading)
                readings.append(reading)
        return readings

    def _apply(self, item: JudgeInput) -> ArousalReading | None:
        match item:
            case PhaseMarker():
                self._start_phase(item)
            case GroundingMarker(t_s=t_s):
                self.window.mark_grounding(t_s)
            case GapMarker(start_s=start_s, reason=reason):
                return self.window.suspend(start_s, reason)
            case StrapLost(t_s=t_s, reason=reason):
                return self.window.suspend(t_s, reason)
            case ContactMarker(t_s=t_s, contact=contact):
                self._contact = contact
                if not contact:
                    return self.window.suspend(t_s, CONTACT_LOST_REASON)
            case MovementMarker(t_s=t_s, moving=moving):
                self._moving = moving
                if moving and self._contact:
                    return self.window.suspend(t_s, MOVING_REASON)
            case SettingsChange(settings=settings):
                self.window.set_settings(settings)
        return None

    def _start_phase(self, marker: PhaseMarker) -> None:
        if (
            self._current_phase is Phase.BASELINE
            and self._baseline_phase_start_s is not None
            and self._phases_set_baseline
        ):
            self.window.mark_baseline(self._baseline_phase_start_s, marker.t_s)
        phase = marker.phase
        if phase is Phase.BASELINE:
            self._baseline_phase_start_s = marker.t_s
        if phase is Phase.GROUNDING:
            self.window.mark_grounding(marker.t_s)
        self._current_phase = phase
        self.phases.append(marker)


def judge_recording(
    snapshots: Iterable[HrvSnapshot],
    inputs: Iterable[JudgeInput],
    settings: ToleranceSettings | None = None,
    baseline_settings: BaselineSettings | None = None,
    reused_baseline: Baseline | None = None,
    baseline_span_s: tuple[float, float] | None = None,
) -> ToleranceSummary:
    """A whole recording through one :class:`ToleranceJudge`, as a live session judged it.

    Parameters
    ----------
    snapshots : iterable of HrvSnapshot
        The per-beat live indices, in time order.
    inputs : iterable of JudgeInput
        Phases, grounding, gaps, contact, strap and settings changes (any order).
    settings, baseline_settings, reused_baseline, baseline_span_s
        As for :class:`ToleranceJudge`.
    """
    judge = ToleranceJudge(settings, baseline_settings, reused_baseline, baseline_span_s)
    for item in inputs:
        judge.tell(item)
    for snapshot in snapshots:
        judge.judge(snapshot)
    judge.finish()
    return judge.summary()


def time_in_zones(
    readings: Sequence[ArousalReading], phases: Sequence[PhaseMarker]
) -> dict[str, dict[str, float]]:
    """Seconds inside, above, below and unjudged, over the whole session and per phase.

    Each reading holds until the next one; a stretch longer than ``MAX_BEAT_SPACING_S`` is
    missing signal and counts as unjudged.
    """

    def empty() -> dict[str, float]:
        return {"inside": 0.0, "above": 0.0, "below": 0.0, "unjudged": 0.0}

    ordered_phases = sorted(phases, key=lambda p: p.t_s)
    totals: dict[str, dict[str, float]] = {WHOLE_SESSION: empty()}
    for current, following in pairwise(readings):
        duration_s = following.t_s - current.t_s
        if duration_s <= 0:
            continue
        category = _ZONE_CATEGORY[current.zone]
        if duration_s > MAX_BEAT_SPACING_S:
            category = "unjudged"
        totals[WHOLE_SESSION][category] += duration_s
        phase = _phase_at(ordered_phases, current.t_s)
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
