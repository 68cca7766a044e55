"""What-if: a whole session's window of tolerance again, with other bounds or dwell.

The per-beat HRV timeline of a recording does not depend on the window of tolerance, so it is
computed once (:func:`monitor.core.analysis.hrv_timeline`, or the parallel form in
:mod:`monitor.timeline`) and kept; what-if re-runs only
:func:`monitor.core.tolerance_summary.evaluate_tolerance` over it: the same baseline, the same
readings, the same episode rules the live session ran, with the new
:class:`~monitor.core.tolerance.ToleranceSettings`. Nothing is read or written: the session
file is untouched.

The baseline does not depend on the window's bounds (:class:`~monitor.core.baseline.
BaselineSettings` are separate), so a what-if changes zones, alerts, recoveries and time in each
zone, never the baseline.

A session judged *as recorded* starts with the settings it started with and applies each live
change of the window at the beat it reached live (:class:`~monitor.core.tolerance_summary.
SettingsChange`); a what-if overrides all of that: its settings hold for the whole session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from monitor.core.baseline import Baseline, BaselineSettings
from monitor.core.engine import HrvSnapshot
from monitor.core.judge import (
    ContactMarker,
    PhaseMarker,
    SettingsChange,
    StrapLost,
    ToleranceSummary,
)
from monitor.core.tolerance import Alert, ToleranceSettings
from monitor.core.tolerance_summary import evaluate_tolerance


@dataclass(frozen=True)
class ToleranceInputs:
    """Everything :func:`evaluate_tolerance` needs besides the settings, computed once.

    Attributes
    ----------
    snapshots : sequence of HrvSnapshot
        The per-beat timeline (one snapshot per NN beat).
    phases : tuple of PhaseMarker
        Protocol phase markers (a ``baseline`` phase marks the baseline span, each
        ``grounding`` phase start is a grounding marker).
    gaps : tuple of (start_s, end_s)
        Signal gaps.
    grounding_s : tuple of float
        Further grounding markers.
    baseline_span_s : (start_s, end_s) or None
        An explicit baseline span; ``None``: the marked baseline phase, else the first
        ``baseline_settings.duration_s``.
    baseline_settings : BaselineSettings
    reused_baseline : Baseline or None
        An earlier session's baseline used instead of calibrating.
    recorded_settings : ToleranceSettings
        The window's settings at the start of the recording (the defaults when it has none).
    settings_changes : tuple of SettingsChange
        The therapist's live changes of the window, in time order.
    signal_events : tuple of ContactMarker or StrapLost
        Where the live session lost skin contact or the strap (judging stopped there).
    """

    snapshots: Sequence[HrvSnapshot]
    phases: tuple[PhaseMarker, ...] = ()
    gaps: tuple[tuple[float, float], ...] = ()
    grounding_s: tuple[float, ...] = ()
    baseline_span_s: tuple[float, float] | None = None
    baseline_settings: BaselineSettings = field(default_factory=BaselineSettings)
    reused_baseline: Baseline | None = None
    recorded_settings: ToleranceSettings = field(default_factory=ToleranceSettings)
    settings_changes: tuple[SettingsChange, ...] = ()
    signal_events: tuple[ContactMarker | StrapLost, ...] = ()

    def evaluate(self, settings: ToleranceSettings | None = None) -> ToleranceSummary:
        """The window of tolerance over these inputs.

        Parameters
        ----------
        settings : ToleranceSettings, optional
            Omitted: as recorded (:attr:`recorded_settings`, then each live change at its beat).
            Given: a what-if, with these settings for the whole session.
        """
        as_recorded = settings is None
        return evaluate_tolerance(
            self.snapshots,
            phases=self.phases,
            grounding_s=self.grounding_s,
            gaps=self.gaps,
            baseline_span_s=self.baseline_span_s,
            settings=self.recorded_settings if as_recorded else settings,
            baseline_settings=self.baseline_settings,
            reused_baseline=self.reused_baseline,
            settings_changes=self.settings_changes if as_recorded else (),
            signal_events=self.signal_events,
        )


@runtime_checkable
class HasToleranceInputs(Protocol):
    """Anything carrying its :class:`ToleranceInputs` (e.g. a report's session analysis)."""

    @property
    def tolerance_inputs(self) -> ToleranceInputs: ...


def what_if(
    analysis: ToleranceInputs | HasToleranceInputs, settings: ToleranceSettings
) -> ToleranceSummary:
    """The window of tolerance of a whole analysed session with other settings.

    Parameters
    ----------
    analysis : ToleranceInputs or object with a ``tolerance_inputs`` attribute
        The session's already computed per-beat timeline and markers
        (``monitor.report.SessionAnalysis`` has one); the HRV engine is not run again.
    settings : ToleranceSettings
        The bounds, dwell and timing to try, e.g. ``ToleranceSettings().widened(1.0)`` or
        ``dataclasses.replace(ToleranceSettings(), dwell_s=40.0)``.

    Returns
    -------
    ToleranceSummary
        Baseline, alerts, recoveries, per-beat readings and time in each zone under
        ``settings``. Costs about 25 µs per beat (40 ms for a 20-minute session).

    Examples
    --------
    >>> wider = what_if(analysis, ToleranceSettings().widened(1.0))
    >>> changes = compare_alerts(analysis.tolerance.alerts, wider.alerts)
    >>> [str(a.kind) for a in changes.removed]
    ['hyper']
    """
    inputs = analysis if isinstance(analysis, ToleranceInputs) else analysis.tolerance_inputs
    return inputs.evaluate(settings)


@dataclass(frozen=True)
class AlertChanges:
    """How the alerts of a what-if differ from the original ones.

    Attributes
    ----------
    kept : tuple of (Alert, Alert)
        Pairs (original, what-if) of the same kind whose spans overlap: the same episode,
        possibly starting or ending at another time.
    removed : tuple of Alert
        Original alerts with no overlapping what-if alert of their kind.
    added : tuple of Alert
        What-if alerts with no overlapping original alert of their kind.
    """

    kept: tuple[tuple[Alert, Alert], ...]
    removed: tuple[Alert, ...]
    added: tuple[Alert, ...]

    @property
    def unchanged(self) -> bool:
        """No alert added or removed, and every kept one at the same times."""
        return (
            not self.removed
            and not self.added
            and all(a.start_s == b.start_s and a.end_s == b.end_s for a, b in self.kept)
        )


def compare_alerts(
    original: Sequence[Alert], changed: Sequence[Alert], end_of_session_s: float = float("inf")
) -> AlertChanges:
    """Match two alert lists episode by episode (same kind, overlapping in time).

    Parameters
    ----------
    original, changed : sequence of Alert
        E.g. the session's alerts and those of :func:`what_if`.
    end_of_session_s : float
        The end used for alerts still open at the end of the recording.
    """
    unmatched = list(changed)
    kept: list[tuple[Alert, Alert]] = []
    removed: list[Alert] = []
    for alert in original:
        match = next(
            (
                other
                for other in unmatched
                if other.kind == alert.kind and _overlap(alert, other, end_of_session_s)
            ),
            None,
        )
        if match is None:
            removed.append(alert)
        else:
            unmatched.remove(match)
            kept.append((alert, match))
    return AlertChanges(kept=tuple(kept), removed=tuple(removed), added=tuple(unmatched))


def _overlap(a: Alert, b: Alert, end_of_session_s: float) -> bool:
    a_end_s = end_of_session_s if a.end_s is None else a.end_s
    b_end_s = end_of_session_s if b.end_s is None else b.end_s
    return a.start_s <= b_end_s and b.start_s <= a_end_s
