"""What the replay window decides without Qt: the session overview, the replay engine, what-if.

The replay must show what the therapist saw live, so it runs the live
:class:`~monitor.session.engine.SessionEngine` (with no recorder: the file is never touched) on
the raw packets of the file, built with the settings the session started with, and feeds it the
therapist's markers (phases, SUDS, notes, changes of the window) at their times, as the
dashboard fed them: a phase marker drives the baseline span and grounding, and a widened or
narrowed window judges the beats from there on, exactly as live. Recorded alerts are *not* fed
back: the engine raises them again from the beats.

What-if runs over the report's :class:`~monitor.report.analysis.SessionAnalysis` (its per-beat
timeline is computed once; only the window of tolerance is re-run,
:meth:`SessionAnalysis.with_settings`), and its alerts are compared episode by episode with the
recorded ones (:func:`monitor.core.what_if.compare_alerts`). The settings the session started
with stand for the session as recorded, live changes included, unless asked to hold for the whole
session (:func:`judged_with`, :class:`WhatIfRequest`); any other settings hold for the whole
session.

Everything here is plain data and functions; the Qt side only draws it.
"""

from __future__ import annotations

import bisect
import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.events import ConnectionState, StateChanged
from drivers.replay import ReplayMarker, ReplaySource, TherapistItem
from monitor.core.baseline import BaselineSettings
from monitor.core.clock_format import clock_text
from monitor.core.co_regulation import SpanSynchrony, synchrony_words
from monitor.core.judge import WHOLE_SESSION, SettingsChange
from monitor.core.settings import HrvWindows
from monitor.core.tolerance import Alert, AlertKind, ToleranceSettings
from monitor.core.what_if import compare_alerts
from monitor.recording.model import (
    EventKind,
    RecordedSession,
    SessionEvent,
    SessionMetadata,
    SourceKind,
)
from monitor.recording.tolerance_record import (
    recorded_reused_baseline,
    recorded_tolerance,
    settings_after,
    tolerance_changes,
)
from monitor.session.dashboard_model import Mark, Span
from monitor.session.engine import DEFAULT_PHASES, SessionEngine, SessionUpdate
from monitor.session.therapist_strap import TherapistStrap

if TYPE_CHECKING:
    from drivers.events import SourceEvent
    from monitor.report.analysis import SessionAnalysis

log = logging.getLogger(__name__)

ALERT_NAMES = {
    AlertKind.HYPER: "Pause for grounding",
    AlertKind.WARNING: "Early warning",
    AlertKind.HYPO: "Check in",
}
"""The alert kinds as the therapist knows them (the dashboard's banner words)."""


# -- the overview -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseSpan:
    """A protocol phase from its marker to the next one (or the end of the session)."""

    name: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SessionOverview:
    """The whole session at a glance, from what the file recorded.

    Attributes
    ----------
    path : Path
        The session file.
    metadata : SessionMetadata
    duration_s : float
        The last recorded packet, beat or event (the end of the replay).
    phases : tuple of PhaseSpan
    suds, notes : tuple of Mark
    alerts : tuple of Span
        The alerts the live session showed (stored in the file).
    gaps : tuple of Span
        Signal gaps.
    tolerance : ToleranceSettings
        The window-of-tolerance settings the session started with (the defaults when the file
        has none; a version-1 file holds those it ended with).
    tolerance_changes : tuple of SettingsChange
        The therapist's live changes of the window, in time order.
    """

    path: Path
    metadata: SessionMetadata
    duration_s: float
    phases: tuple[PhaseSpan, ...]
    suds: tuple[Mark, ...]
    notes: tuple[Mark, ...]
    alerts: tuple[Span, ...]
    gaps: tuple[Span, ...]
    tolerance: ToleranceSettings
    tolerance_changes: tuple[SettingsChange, ...] = ()

    @property
    def client_code(self) -> str:
        return self.metadata.client_code

    @property
    def imported(self) -> bool:
        """Imported from an RR file: no live session ran, so nothing was alerted live."""
        return self.metadata.source_kind is SourceKind.IMPORT

    @property
    def title(self) -> str:
        """Client, date and file, for the window title."""
        start = self.metadata.start_utc
        when = start.astimezone().strftime("%d %b %Y %H:%M") if start is not None else "no date"
        return f"{self.client_code} · {when} · {self.path.name}"


def session_overview(session: RecordedSession, path: str | Path) -> SessionOverview:
    """The overview of a recorded session (phases, SUDS, notes and changes of the window,
    recorded alerts, gaps)."""
    events = session.events
    ends = [0.0]
    if len(session.packets):
        ends.append(float(session.packets.arrival_s[-1]))
    if len(session.beats):
        ends.append(float(session.beats.t_s[-1]))
    ends += [e.t_s if e.end_s is None else e.end_s for e in events]
    duration_s = max(ends)
    marks = [e for e in events if e.kind == EventKind.PHASE and e.text]
    start = recorded_settings(session.metadata).tolerance
    phases = tuple(
        PhaseSpan(e.text, e.t_s, marks[i + 1].t_s if i + 1 < len(marks) else duration_s)
        for i, e in enumerate(marks)
    )
    return SessionOverview(
        path=Path(path),
        metadata=session.metadata,
        duration_s=duration_s,
        phases=phases,
        suds=tuple(Mark(e.t_s, e.text, e.value) for e in events if e.kind == EventKind.SUDS),
        notes=tuple(
            Mark(e.t_s, e.text) for e in events if e.kind in (EventKind.NOTE, EventKind.TOLERANCE)
        ),
        alerts=tuple(
            Span(a.start_s, a.end_s, str(a.kind), a.reason) for a in recorded_alerts(events)
        ),
        gaps=tuple(Span(e.t_s, e.end_s, "gap", e.text) for e in events if e.kind == EventKind.GAP),
        tolerance=start,
        tolerance_changes=tolerance_changes(events, start),
    )


def recorded_alerts(events: Iterable[SessionEvent]) -> list[Alert]:
    """The alert episodes a session file recorded, as :class:`Alert` objects."""
    alerts = []
    for event in events:
        if event.kind != EventKind.ALERT:
            continue
        try:
            kind = AlertKind(event.data.get("alert_kind", ""))
        except ValueError:
            log.warning("replay: alert of unknown kind at %.1f s ignored", event.t_s)
            continue
        alerts.append(Alert(kind, event.t_s, event.text, event.end_s))
    return alerts


# -- the replay engine --------------------------------------------------------------------------


@dataclass(frozen=True)
class EngineSettings:
    """The engine's settings as a session file recorded them (``SessionEngine.settings_dict``)."""

    windows: HrvWindows = field(default_factory=HrvWindows)
    tolerance: ToleranceSettings = field(default_factory=ToleranceSettings)
    baseline: BaselineSettings = field(default_factory=BaselineSettings)
    phases: tuple[str, ...] = DEFAULT_PHASES


def _from_mapping(kind: type, data: object, name: str) -> Any:
    """``kind(**data)`` for the fields ``kind`` knows; its defaults if the values are unusable."""
    if not isinstance(data, Mapping):
        return kind()
    known = {f.name for f in dataclasses.fields(kind)}
    try:
        return kind(**{k: v for k, v in data.items() if k in known})
    except (TypeError, ValueError) as error:
        log.warning("replay: recorded %s settings unusable (%s); using the defaults", name, error)
        return kind()


def recorded_settings(metadata: SessionMetadata) -> EngineSettings:
    """The settings a session started with (the defaults for anything the file does not hold).

    A window widened or narrowed during the session is a ``tolerance`` event, fed to the engine
    at its time (:func:`feed`). A version-1 file holds only the window the session ended with:
    its replay judges the whole session with that.
    """
    settings = metadata.settings
    phases = settings.get("phases")
    if not (isinstance(phases, list) and phases and all(isinstance(p, str) for p in phases)):
        phases = DEFAULT_PHASES
    return EngineSettings(
        windows=_from_mapping(HrvWindows, settings.get("hrv_windows"), "HRV window"),
        tolerance=recorded_tolerance(settings),
        baseline=_from_mapping(BaselineSettings, settings.get("baseline"), "baseline"),
        phases=tuple(phases),
    )


def replay_engine(metadata: SessionMetadata) -> SessionEngine:
    """A fresh engine as the session ran it (replay records nothing).

    A session that reused an earlier baseline is judged against that baseline from its first
    beat, as live, instead of calibrating (:func:`recorded_reused_baseline`; an unusable entry
    is logged and the session recalibrated).
    """
    settings = recorded_settings(metadata)
    return SessionEngine(
        windows=settings.windows,
        tolerance=settings.tolerance,
        baseline_settings=settings.baseline,
        reused_baseline=recorded_reused_baseline(metadata.settings),
        phases=settings.phases,
    )


def therapist_strap_for(session: RecordedSession) -> TherapistStrap | None:
    """The therapist's strap of a co-regulation recording as the live session ran it (its own
    engine with the live defaults: the therapist's baseline is the first minutes of their
    strap), or None for a session without one."""
    if session.therapist_packets is None:
        return None
    return TherapistStrap(SessionEngine())


def feed(
    engine: SessionEngine,
    item: SourceEvent | ReplayMarker | TherapistItem,
    therapist: TherapistStrap | None = None,
) -> list[SessionUpdate]:
    """Give one replayed item to the engine as the live session gave it; return the updates.

    Source events go to :meth:`SessionEngine.handle`; the therapist's markers to
    :meth:`~SessionEngine.add_phase`, :meth:`~SessionEngine.add_suds`,
    :meth:`~SessionEngine.add_note` and :meth:`~SessionEngine.set_tolerance` at their recorded
    times. Recorded alerts are skipped: the engine raises its own. In a co-regulation session
    the therapist strap's items go to ``therapist`` (:func:`therapist_strap_for`), and the
    client's updates carry the therapist's reading and the synchrony, as live.
    """
    if isinstance(item, TherapistItem):
        if therapist is not None:
            therapist.handle(item.event)
        return []
    updates = _feed_client(engine, item)
    return updates if therapist is None else [therapist.beside(u) for u in updates]


def _feed_client(engine: SessionEngine, item: SourceEvent | ReplayMarker) -> list[SessionUpdate]:
    if not isinstance(item, ReplayMarker):
        return engine.handle(item)
    event = item.payload
    if not isinstance(event, SessionEvent):
        return []
    try:
        match event.kind:
            case EventKind.PHASE if event.text:
                return engine.add_phase(event.t_s, event.text)
            case EventKind.SUDS:
                return engine.add_suds(event.t_s, int(event.value or 0), event.text)
            case EventKind.NOTE:
                return engine.add_note(event.t_s, event.text)
            case EventKind.TOLERANCE:
                settings = settings_after(engine.judge.settings, event)
                return engine.set_tolerance(event.t_s, settings)
    except ValueError as error:  # a SUDS rating out of range in a damaged file
        log.warning("replay: marker at %.1f s skipped (%s)", event.t_s, error)
    return []


def opening_updates(engine: SessionEngine, session: RecordedSession) -> list[SessionUpdate]:
    """What a fresh replay engine is told before the first item.

    A recording without any connection events (an RR file imported, no strap) would leave the
    views saying "connecting to the strap" for the whole replay: it is announced as connected
    at its start, which changes nothing the engine computes (only a lost strap suspends).
    """
    if any(e.kind == EventKind.CONNECTION for e in session.events):
        return []
    return engine.handle(StateChanged(0.0, ConnectionState.CONNECTED, "imported recording"))


def item_times(source: ReplaySource) -> list[float]:
    """The recorded time of each item of ``source``, in replay order (sorted)."""
    return [item.arrival_s for item in source.items()]


def items_before(times: Sequence[float], t_s: float) -> int:
    """How many items a replay has emitted once it stands at ``t_s`` (those strictly before)."""
    return bisect.bisect_left(times, t_s)


def synchrony_spans_text(spans: Mapping[str, SpanSynchrony]) -> str:
    """The synchrony of each span of a co-regulation session (whole session, each phase,
    around each grounding), a line each, in the session report's words."""
    lines = []
    for name, span in spans.items():
        when = f"{clock_text(span.start_s)}–{clock_text(span.end_s)}"
        words = f"heart rate {_span_words(span)}"
        if span.rmssd is not None:
            words += f"; RMSSD {_span_words(span.rmssd)}"
        lines.append(f"{name.capitalize()} {when}: {words}")
    return "Synchrony per span\n" + "\n".join(lines)


def _span_words(span: SpanSynchrony) -> str:
    verdict, relation = synchrony_words(span)
    if span.result is None:
        return f"none ({relation})"
    words = ", ".join(w for w in (verdict, relation) if w)
    return words + f" (ES {span.result.effect_size:.1f})"


# -- what-if ------------------------------------------------------------------------------------


def window_settings(
    base: ToleranceSettings, upper_sd: float, edge_sd: float, lower_sd: float, dwell_s: float
) -> ToleranceSettings:
    """``base`` with other bounds and dwell.

    Raises
    ------
    ValueError
        Bounds out of order (lower < 0 < edge < upper) or a dwell that is not positive.
    """
    if not dwell_s > 0:
        raise ValueError(f"the dwell must be positive, got {dwell_s:g} s")
    return dataclasses.replace(
        base, upper_sd=upper_sd, edge_sd=edge_sd, lower_sd=lower_sd, dwell_s=dwell_s
    )


def settings_text(settings: ToleranceSettings) -> str:
    """The four settings the what-if panel changes, in one line."""
    return (
        f"upper {settings.upper_sd:.2g} SD, edge {settings.edge_sd:.2g} SD, "
        f"lower {settings.lower_sd:.2g} SD, dwell {settings.dwell_s:.0f} s"
    ).replace("-", "−")


def span_text(start_s: float, end_s: float | None) -> str:
    """``7:21–16:08``; an episode still open at the end reads ``7:21–end``."""
    return f"{clock_text(start_s)}–{clock_text(end_s) if end_s is not None else 'end'}"


@dataclass(frozen=True)
class AlertRow:
    """One alert episode in the what-if list.

    Attributes
    ----------
    change : str
        ``"kept"`` (the same episode, maybe at other times), ``"removed"`` (recorded, gone
        with these settings) or ``"added"`` (new with these settings).
    kind : AlertKind
    start_s, end_s : float, float or None
        The episode with the what-if settings (the recorded one for a removed alert).
    reason : str
    was : tuple of (float, float or None), or None
        The recorded episode of a kept alert, when its times changed.
    """

    change: str
    kind: AlertKind
    start_s: float
    end_s: float | None
    reason: str
    was: tuple[float, float | None] | None = None

    @property
    def text(self) -> str:
        """``removed · Pause for grounding 7:21–16:08``."""
        line = f"{self.change} · {ALERT_NAMES.get(self.kind, str(self.kind))} "
        line += span_text(self.start_s, self.end_s)
        if self.was is not None:
            line += f" (was {span_text(*self.was)})"
        return line


@dataclass(frozen=True)
class WhatIfRequest:
    """What the what-if panel asks for: window settings, and whether they hold throughout.

    Attributes
    ----------
    settings : ToleranceSettings
    whole_session : bool
        The settings hold for the whole session, overriding the therapist's live changes of the
        window. Without it, the settings the session started with stand for the session as
        recorded, live changes included; any other settings hold for the whole session anyway
        (there is no recorded change to apply to them).
    """

    settings: ToleranceSettings
    whole_session: bool = False


@dataclass(frozen=True)
class WhatIfOutcome:
    """The whole session's alerts with some settings, against the reference alerts.

    Attributes
    ----------
    settings : ToleranceSettings
    whole_session : bool
        As asked (:attr:`WhatIfRequest.whole_session`).
    as_recorded : bool
        The alerts are those of the session as recorded (the start settings with any live
        changes, or settings that change nothing), not a what-if.
    reference_label : str
        What the alerts are compared with: ``"recorded"`` (the alerts the live session showed)
        or, for an imported recording that no live session judged, ``"at the recorded
        settings"`` (the analysis with the settings in the file).
    reference : tuple of Alert
    alerts : tuple of Alert
        The alerts with :attr:`settings`.
    rows : tuple of AlertRow
        Kept, removed and added episodes, in time order.
    time_above_s, time_below_s : float or None
        Time above and below the window over the whole session with :attr:`settings`.
    reference_above_s, reference_below_s : float or None
        The same with the settings the analysis was made at (the recorded ones).
    """

    settings: ToleranceSettings
    reference_label: str
    reference: tuple[Alert, ...]
    alerts: tuple[Alert, ...]
    rows: tuple[AlertRow, ...]
    time_above_s: float | None = None
    time_below_s: float | None = None
    reference_above_s: float | None = None
    reference_below_s: float | None = None
    whole_session: bool = False
    as_recorded: bool = False

    @property
    def request(self) -> WhatIfRequest:
        """The request this outcome answers."""
        return WhatIfRequest(self.settings, self.whole_session)

    def count(self, change: str) -> int:
        """How many rows are ``kept``, ``removed`` or ``added``."""
        return sum(1 for row in self.rows if row.change == change)

    @property
    def changed(self) -> bool:
        """Any alert added or removed, or a kept one at other times."""
        return any(row.change != "kept" or row.was is not None for row in self.rows)

    @property
    def summary(self) -> str:
        """One line: how many alerts, and what changed."""
        n = len(self.reference)
        alerts = f"alert{'s' if n != 1 else ''}"
        if self.reference_label == "recorded":
            head = f"{n} recorded {alerts} → {len(self.alerts)}"
        else:
            head = f"{n} {alerts} {self.reference_label} → {len(self.alerts)}"
        counts = ", ".join(f"{self.count(c)} {c}" for c in ("kept", "removed", "added"))
        return f"{head}: {counts}"

    def spans(self) -> list[Span]:
        """The what-if alerts as spans, for the overview."""
        return [Span(a.start_s, a.end_s, str(a.kind), a.reason) for a in self.alerts]


def reference_alerts(
    overview: SessionOverview, analysis: SessionAnalysis
) -> tuple[str, list[Alert]]:
    """What a what-if is compared with: the recorded alerts, or for an imported recording the
    alerts at the recorded settings (``analysis`` must be at those settings)."""
    if overview.imported:
        return "at the recorded settings", list(analysis.alerts)
    return "recorded", [Alert(AlertKind(a.kind), a.start_s, a.text, a.end_s)
                        for a in overview.alerts]  # fmt: skip


def judged_with(
    analysis: SessionAnalysis, settings: ToleranceSettings | WhatIfRequest
) -> SessionAnalysis:
    """The session judged with the what-if panel's ``settings``.

    The one place that decides what a what-if means (the panel's outcome, its overview row and
    the report all come from here).

    Parameters
    ----------
    analysis : SessionAnalysis
        The session as recorded: ``analysis.settings`` are those it started with, and
        ``analysis.settings_changes`` the therapist's live changes.
    settings : ToleranceSettings or WhatIfRequest
        Plain settings ask as a :class:`WhatIfRequest` without ``whole_session``: the start
        settings give the session as recorded, with its live changes; any others hold for the
        whole session. With ``whole_session``, the settings hold for the whole session even when
        they are the start ones (the live changes are ignored).

    Returns
    -------
    SessionAnalysis
        ``analysis`` itself when that is what was asked (or nothing would change).
    """
    request = settings if isinstance(settings, WhatIfRequest) else WhatIfRequest(settings)
    if not request.whole_session and request.settings == analysis.settings:
        return analysis
    # with_settings drops the live changes; it gives the analysis itself when it has none and
    # the settings are its own, so "whole session" at the start settings is then as recorded.
    return analysis.with_settings(request.settings)


def what_if_outcome(
    analysis: SessionAnalysis,
    settings: ToleranceSettings | WhatIfRequest,
    reference: Sequence[Alert],
    reference_label: str = "recorded",
) -> WhatIfOutcome:
    """The session's alerts with ``settings``, compared with ``reference``.

    Parameters
    ----------
    analysis : SessionAnalysis
        The analysed session as recorded (only the window of tolerance is re-run).
    settings : ToleranceSettings or WhatIfRequest
        What to judge the session with (:func:`judged_with` decides what it means).
    reference : sequence of Alert
        Usually the recorded alerts (:func:`reference_alerts`).
    reference_label : str
    """
    request = settings if isinstance(settings, WhatIfRequest) else WhatIfRequest(settings)
    result = judged_with(analysis, request)
    alerts = list(result.alerts)
    changes = compare_alerts(reference, alerts, analysis.duration_s)
    rows = []
    for old, new in changes.kept:
        moved = (old.start_s, old.end_s) != (new.start_s, new.end_s)
        was = (old.start_s, old.end_s) if moved else None
        rows.append(AlertRow("kept", new.kind, new.start_s, new.end_s, new.reason, was))
    rows += [AlertRow("removed", a.kind, a.start_s, a.end_s, a.reason) for a in changes.removed]
    rows += [AlertRow("added", a.kind, a.start_s, a.end_s, a.reason) for a in changes.added]
    rows.sort(key=lambda row: row.start_s)
    zones = result.tolerance.time_in_zones_s.get(WHOLE_SESSION, {})
    reference_zones = analysis.tolerance.time_in_zones_s.get(WHOLE_SESSION, {})
    return WhatIfOutcome(
        settings=request.settings,
        reference_label=reference_label,
        reference=tuple(reference),
        alerts=tuple(alerts),
        rows=tuple(rows),
        time_above_s=zones.get("above"),
        time_below_s=zones.get("below"),
        reference_above_s=reference_zones.get("above"),
        reference_below_s=reference_zones.get("below"),
        whole_session=request.whole_session,
        as_recorded=result is analysis,
    )
