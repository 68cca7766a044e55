"""What the dashboard shows, accumulated from the session's updates (no Qt, no physiology).

The session thread produces :class:`~monitor.session.engine.SessionUpdate` objects; the GUI thread
feeds each one to :meth:`DashboardModel.apply`, which only *stores* what the engine decided: the
per-beat values to plot, the latest reading and strap status, phases, SUDS ratings, notes, alert
episodes and spans without a judgement. The widgets draw from this model on a timer and compare
:attr:`DashboardModel.revision` to know whether anything changed.

Per-beat values live in growable numpy columns (amortised doubling), so a three-hour session costs
about a megabyte and appending stays O(1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from drivers.events import ConnectionState, EcgSamples, HeartRatePacket
from monitor.core.baseline import Baseline
from monitor.core.co_regulation import SpanSynchrony, relation_words
from monitor.core.data_minimums import Readout, live_absence_reason
from monitor.core.indices import WindowIndices
from monitor.core.protocol import Phase, is_phase
from monitor.core.settings import HrvWindows
from monitor.core.tolerance import AlertKind, ArousalReading, ToleranceSettings, Zone
from monitor.recording.model import EventKind
from monitor.recording.tolerance_record import settings_after
from monitor.session.ecg_strip import EcgRing
from monitor.session.engine import (
    ACC_BREATHING,
    RSA_BREATHING,
    BreathingReading,
    SessionUpdate,
    SourceStatus,
)
from monitor.session.resonance_finder import PACER_FOLLOW_TOL_PER_MIN
from monitor.session.strap_data import NO_DATA, strap_data_text

BEAT_COLUMNS = ("t_s", "hr_bpm", "nn_ms", "raw_rr_ms", "corrected", "ln_rmssd", "arousal")
"""The per-beat columns kept for the plots (``corrected`` is 1.0 for corrected beats)."""

_UNJOINED_SLACK_S = 1.0
"""A beat more than its own RR interval plus this after the previous one does not follow it."""

_INITIAL_CAPACITY = 2048


class BeatColumns:
    """Append-only per-beat columns with a NaN row wherever the beat series breaks.

    A *break row* (time of the previous beat, every value NaN) goes in when a beat does not follow
    the one before it (a gap, lost contact, a restart of the windows): plotted with
    ``connect="finite"`` no line is drawn across missing data (docs/architecture.md, "Time").
    """

    def __init__(self) -> None:
        self._data = np.full((len(BEAT_COLUMNS), _INITIAL_CAPACITY), np.nan)
        self._count = 0
        self.beats = 0

    def __len__(self) -> int:
        return self._count

    @property
    def last_t_s(self) -> float | None:
        """Time of the latest beat (None before the first)."""
        return float(self._data[0, self._count - 1]) if self._count else None

    def column(self, name: str) -> np.ndarray:
        """A read-only view of one column (rows 0 … len-1)."""
        view = self._data[BEAT_COLUMNS.index(name), : self._count]
        view.flags.writeable = False
        return view

    def append(self, values: tuple[float, ...]) -> bool:
        """Add one beat's row (in :data:`BEAT_COLUMNS` order), after a break row if needed;
        True when the beat does not follow the one before (or is the first)."""
        t_s, nn_ms = values[0], values[2]
        follows = False
        if self._count:
            last_t_s = self._data[0, self._count - 1]
            follows = t_s - last_t_s <= nn_ms / 1000.0 + _UNJOINED_SLACK_S
            if not follows:
                self._append_row((last_t_s,) + (math.nan,) * (len(BEAT_COLUMNS) - 1))
        self._append_row(values)
        self.beats += 1
        return not follows

    def _append_row(self, values: tuple[float, ...]) -> None:
        if self._count == self._data.shape[1]:
            grown = np.full((len(BEAT_COLUMNS), 2 * self._data.shape[1]), np.nan)
            grown[:, : self._count] = self._data
            self._data = grown
        self._data[:, self._count] = values
        self._count += 1


@dataclass
class Span:
    """Something with a start and (once over) an end: an alert, a gap, a suspension.

    Attributes
    ----------
    start_s, end_s : float, float or None
        Session times; ``end_s`` is ``None`` while it goes on.
    kind : str
        ``hyper``, ``hypo``, ``warning``, ``gap`` or ``suspended``.
    text : str
        The engine's reason.
    """

    start_s: float
    end_s: float | None
    kind: str
    text: str = ""


@dataclass
class Mark:
    """A point event: a phase start, a SUDS rating or a note."""

    t_s: float
    text: str
    value: float | None = None


@dataclass
class DashboardModel:
    """Everything the dashboard draws, fed by :meth:`apply` with each update in order.

    Attributes
    ----------
    beats : BeatColumns
        Per-beat values for the plots.
    status : SourceStatus
        The strap's latest state.
    reading : ArousalReading or None
        The latest window-of-tolerance reading (kept across updates that carry none).
    indices : WindowIndices or None
        The latest beat's live HRV indices.
    phases, suds, notes : list of Mark
        (Changes of the window are shown among the notes.)
    alerts, gaps, suspensions : list of Span
    baseline : Baseline or None
        The client's baseline, once calibrated (set by the session runner).
    tolerance : ToleranceSettings
        The window's bounds in force (the dashboard sets them; the engine applies them).
    window_from_events : bool
        Take :attr:`tolerance` from the ``tolerance`` events of the updates: a replay learns the
        therapist's live changes this way. (The live dashboard sets the bounds itself the moment
        the therapist asks; an event arriving after a quick second key press must not undo
        it.)
    ready_to_resume : bool
        The engine said "ready to resume"; stays on until the therapist resumes, another phase
        starts or arousal is back above the window.
    ended : bool
        The session is over (its thread finished); ``end_reason`` says why when it failed.
    recording_error : str or None
        Why the session file stopped being written (plain words), from the first update that
        said so; kept for the rest of the session.
    recording_failed_s : float or None
        Session time of that first update.
    windows : HrvWindows
        The live indices' windows (to say why an index has no value yet).
    stretch_start_s : float or None
        When the current stretch of signal began (the first beat's interval after the start,
        a gap or a break in the beats); None until the next beat after a gap.
    revision : int
        Grows with every change, so the views can skip redraws when nothing happened.
    ecg : EcgRing
        The newest seconds of the strap's ECG and the R peaks found in them (the ECG strip).
    heart_rate_seen, rr_seen : bool
        Heart-rate notifications have arrived; some carried RR intervals (which data the
        strap gives, :meth:`strap_data`).
    chest_breathing : BreathingReading or None
        The latest breathing estimate from the strap's accelerometer, while the strap sends
        ACC (:meth:`breathing_readout` shows it instead of the heart-rhythm estimate).
    """

    beats: BeatColumns = field(default_factory=BeatColumns)
    status: SourceStatus = field(default_factory=SourceStatus)
    reading: ArousalReading | None = None
    indices: WindowIndices | None = None
    chest_breathing: BreathingReading | None = None
    phases: list[Mark] = field(default_factory=list)
    suds: list[Mark] = field(default_factory=list)
    notes: list[Mark] = field(default_factory=list)
    alerts: list[Span] = field(default_factory=list)
    gaps: list[Span] = field(default_factory=list)
    suspensions: list[Span] = field(default_factory=list)
    baseline: Baseline | None = None
    tolerance: ToleranceSettings = field(default_factory=ToleranceSettings)
    window_from_events: bool = False
    ready_to_resume: bool = False
    latest_t_s: float = 0.0
    revision: int = 0
    ended: bool = False
    end_reason: str = ""
    recording_error: str | None = None
    recording_failed_s: float | None = None
    windows: HrvWindows = field(default_factory=HrvWindows)
    stretch_start_s: float | None = None
    therapist_reading: ArousalReading | None = None
    synchrony: SpanSynchrony | None = None
    co_regulation: bool = False
    synchrony_trace: list[tuple[float, float, bool]] = field(default_factory=list)
    """Each live synchrony as it came: (end of its span, effect size, above chance)."""
    rmssd_trace: list[tuple[float, float, bool]] = field(default_factory=list)
    """The same for the live RMSSD (vagal) synchrony."""
    therapist_alert: str | None = None
    """The kind ("hyper" or "hypo") of the therapist's own open alert, if any."""
    ecg: EcgRing = field(default_factory=EcgRing)
    heart_rate_seen: bool = False
    rr_seen: bool = False
    _resume_phase: str | None = None

    # -- input ----------------------------------------------------------------------------------

    def apply(self, update: SessionUpdate) -> None:
        """Store one update from the session engine."""
        self.revision += 1
        self.latest_t_s = max(self.latest_t_s, update.t_s)
        self.status = update.status
        for source_event in update.source_events:
            if isinstance(source_event, EcgSamples):
                self.ecg.push(source_event)
            elif isinstance(source_event, HeartRatePacket):
                self.heart_rate_seen = True
                self.rr_seen = self.rr_seen or bool(source_event.rr_ms)
        if update.ecg_peaks_s:
            self.ecg.push_peaks(update.ecg_peaks_s)
        if update.breathing is not None:
            self.chest_breathing = update.breathing
        if not update.status.acc:
            self.chest_breathing = None  # the engine stopped reading ACC (stale or none)
        if update.recording_error is not None and self.recording_error is None:
            self.recording_error = update.recording_error
            self.recording_failed_s = update.t_s
        for event in update.events:
            if event.kind == EventKind.TOLERANCE and self.window_from_events:
                self.tolerance = settings_after(self.tolerance, event)
            self._apply_event(event.kind, event.t_s, event.end_s, event.text, event.value)
        if update.reading is not None:
            self._apply_reading(update.reading)
        if update.therapist_reading is not None or update.synchrony is not None:
            self.co_regulation = True
            self.therapist_reading = update.therapist_reading or self.therapist_reading
            if update.therapist_reading is not None:
                self._apply_therapist_alerts(update.therapist_reading)
            if update.synchrony is not None and update.synchrony is not self.synchrony:
                self.synchrony = update.synchrony
                self.synchrony_trace.append(_trace_point(update.synchrony))
                if update.synchrony.rmssd is not None:
                    self.rmssd_trace.append(_trace_point(update.synchrony.rmssd))
        if update.beat is not None:
            beat = update.beat
            self.indices = beat.indices
            arousal = update.reading.arousal if update.reading is not None else math.nan
            breaks = self.beats.append(
                (
                    beat.t_s,
                    beat.indices.hr_10s_bpm,
                    beat.nn_ms,
                    beat.raw_rr_ms,
                    1.0 if beat.corrected else 0.0,
                    beat.indices.ln_rmssd,
                    arousal,
                )
            )
            if breaks or self.stretch_start_s is None:
                # as engine.stretch_start_s: the start of the first interval of the stretch
                self.stretch_start_s = beat.t_s - beat.nn_ms / 1000.0

    def set_baseline(self, baseline: Baseline | None) -> None:
        """The engine calibrated (or recalibrated) the client's baseline."""
        self.baseline = baseline
        self.revision += 1

    def mark_ended(self, reason: str = "") -> None:
        """The session ended (``reason``: the error that ended it, if any)."""
        self.ended = True
        self.end_reason = reason
        self.revision += 1

    def set_tolerance(self, settings: ToleranceSettings) -> None:
        """The window's bounds changed (the therapist widened or narrowed it)."""
        self.tolerance = settings
        self.revision += 1

    def _apply_event(
        self, kind: EventKind, t_s: float, end_s: float | None, text: str, value: float | None
    ) -> None:
        match kind:
            case EventKind.PHASE:
                grounding = is_phase(text, Phase.GROUNDING)
                if grounding and not is_phase(self.current_phase, Phase.GROUNDING):
                    self._resume_phase = self.current_phase
                elif not grounding:
                    self._resume_phase = None
                    self.ready_to_resume = False
                self.phases.append(Mark(t_s, text))
            case EventKind.SUDS:
                self.suds.append(Mark(t_s, text, value))
            case EventKind.NOTE | EventKind.TOLERANCE:
                self.notes.append(Mark(t_s, text))
            case EventKind.GAP:
                self.gaps.append(Span(t_s, end_s, "gap", text))
                # The engine's windows restart after a gap: at the next beat, unless a beat
                # after the gap came first (then the break in the beats restarted the stretch).
                last_beat_s = self.beats.last_t_s
                if end_s is None or last_beat_s is None or end_s >= last_beat_s:
                    self.stretch_start_s = None
            case _:
                # Alerts come from the readings (they carry them with or without a recorder);
                # connection, battery and contact are in the status.
                pass

    def _apply_reading(self, reading: ArousalReading) -> None:
        self.reading = reading
        for alert in reading.started:
            self.alerts.append(Span(alert.start_s, None, str(alert.kind), alert.reason))
            if alert.kind == AlertKind.HYPER:
                self.ready_to_resume = False
        for alert in reading.ended:
            for span in reversed(self.alerts):
                if span.kind == str(alert.kind) and span.start_s == alert.start_s:
                    span.end_s = alert.end_s
                    break
        if reading.ready_to_resume:
            self.ready_to_resume = True
        elif reading.zone == Zone.HYPER:
            self.ready_to_resume = False
        open_suspension = self.suspensions[-1] if self.suspensions else None
        if open_suspension is not None and open_suspension.end_s is not None:
            open_suspension = None
        if reading.zone == Zone.SUSPENDED:
            if open_suspension is None:
                self.suspensions.append(Span(reading.t_s, None, "suspended", reading.reason))
            else:
                open_suspension.text = reading.reason
        elif open_suspension is not None:
            open_suspension.end_s = max(reading.t_s, open_suspension.start_s)

    def _apply_therapist_alerts(self, reading: ArousalReading) -> None:
        # The therapist's own judge raises alerts as the client's does (sustained time outside
        # the window, not a single beat), so the cue is as unhurried as the grounding banner.
        for alert in reading.ended:
            if str(alert.kind) == self.therapist_alert:
                self.therapist_alert = None
        for alert in reading.started:
            if alert.kind in (AlertKind.HYPER, AlertKind.HYPO):
                self.therapist_alert = str(alert.kind)

    # -- what the views ask ---------------------------------------------------------------------

    @property
    def current_phase(self) -> str | None:
        """The latest phase marked (None before the first)."""
        return self.phases[-1].text if self.phases else None

    @property
    def resume_phase(self) -> str | None:
        """The phase the session was in before grounding (what "Resume" goes back to)."""
        return self._resume_phase if is_phase(self.current_phase, Phase.GROUNDING) else None

    def open_alert(self, kind: AlertKind | str) -> Span | None:
        """The ongoing alert of a kind, if any."""
        for span in reversed(self.alerts):
            if span.kind == str(kind) and span.end_s is None:
                return span
        return None

    @property
    def grounding_since_s(self) -> float | None:
        """When the current grounding phase started (``None`` outside grounding)."""
        if is_phase(self.current_phase, Phase.GROUNDING):
            return self.phases[-1].t_s
        return None

    def index_readout(self, name: str) -> Readout:
        """The latest value of one live index (a name of :class:`WindowIndices`), or why it has
        none (the window still filling, too few clean beats, no signal), for the views."""
        if self.strap_is_down:
            if self.ended:
                return Readout.absent("the session is over")
            return Readout.absent(f"no signal (strap {self.status.state.value})")
        if self.indices is None:
            return Readout.absent("no beats yet")
        span_s = None if self.stretch_start_s is None else self.latest_t_s - self.stretch_start_s
        return Readout.of(
            getattr(self.indices, name), live_absence_reason(name, span_s, self.windows)
        )

    def breathing_readout(self) -> tuple[Readout, str]:
        """The breathing rate to show and where it comes from (``ACC_BREATHING`` or
        ``RSA_BREATHING``): the chest accelerometer's while the strap sends ACC, a direct
        measure of breathing (issue #16), else the estimate from the heart rhythm."""
        reading = self.chest_breathing
        if reading is None or self.strap_is_down:
            return self.index_readout("resp_rate_bpm"), RSA_BREATHING
        if reading.breaths_per_min is None:
            return Readout.absent(f"chest movement: {reading.reason}"), ACC_BREATHING
        return Readout.of(reading.breaths_per_min), ACC_BREATHING

    def pacer_follow_text(self, pacer_rate_per_min: float) -> str | None:
        """The client's measured breathing against the breathing guide's rate, for the
        therapist (issue #16: with a chest accelerometer the pacer can be checked against the
        client's actual breathing); None without ACC. Following means within
        ``PACER_FOLLOW_TOL_PER_MIN``, as the resonance finder judges a step."""
        reading = self.chest_breathing
        if reading is None or self.strap_is_down:
            return None
        if reading.breaths_per_min is None:
            return f"Client's breathing (chest): — ({reading.reason})"
        rate = reading.breaths_per_min
        guide = f"guide {pacer_rate_per_min:.1f}/min"
        if abs(rate - pacer_rate_per_min) <= PACER_FOLLOW_TOL_PER_MIN:
            return f"Client's breathing (chest): {rate:.1f}/min, with the {guide}"
        return f"Client's breathing (chest): {rate:.1f}/min, {guide} (not following)"

    def co_regulation_line(self) -> str | None:
        """The therapist's own zone and the live synchrony, in a line for the therapist's
        dashboard (never the client's view); None outside a co-regulation session."""
        if not self.co_regulation:
            return None
        reading = self.therapist_reading
        own = (
            "calibrating"
            if reading is None
            else _THERAPIST_ZONE_WORDS.get(str(reading.zone), str(reading.zone))
        )
        span = self.synchrony
        if span is None:
            return f"You: {own}  ·  Synchrony: collecting the first minutes of both straps"
        line = f"You: {own}  ·  Synchrony (last 5 min): {_together_words(span)}"
        if span.rmssd is not None:
            minutes = round((span.rmssd.end_s - span.rmssd.start_s) / 60.0)
            line += f"  ·  RMSSD (last {minutes} min): {_together_words(span.rmssd)}"
        return line

    def therapist_cue(self) -> str | None:
        """A gentle cue while the therapist's own judge holds an alert: the therapist has been
        outside their own window long enough that the client's would be asked to pause (the
        therapist's own regulation is part of interactive regulation; Ogden, Minton & Pain
        2006, "Trauma and the Body"). None otherwise; shown only where the therapist asked for it,
        never on the client's view."""
        if self.therapist_alert is None:
            return None
        return _THERAPIST_CUES.get(self.therapist_alert)

    @property
    def shows_ecg(self) -> bool:
        """The ECG strip is shown: the strap streams ECG now (hidden without, and while the
        strap is down: the last trace would pass for a live one)."""
        return self.status.ecg and not self.strap_is_down and len(self.ecg) > 0

    def strap_data(self) -> tuple[str, str]:
        """Which data the strap gives (text, tooltip), e.g. "heart rate + RR + ECG + ACC";
        see :func:`monitor.session.strap_data.strap_data_text`."""
        if self.strap_is_down:
            return NO_DATA, "The strap is not delivering."
        return strap_data_text(self.status, heart_rate=self.heart_rate_seen, rr=self.rr_seen)

    @property
    def strap_is_down(self) -> bool:
        """The strap is not delivering (lost, reconnecting, not yet connected, stopped or the
        session is over)."""
        return self.ended or self.status.state is not ConnectionState.CONNECTED


_THERAPIST_CUES = {
    "hyper": "You have been above your own window for a while: a slow breath out, feet on the "
    "floor, for yourself too.",
    "hypo": "You have been below your own window for a while: sit up, look around the room, "
    "for yourself too.",
}
"""Addressed to the therapist alone, in the same unhurried words as the client's pause."""

_THERAPIST_ZONE_WORDS = {
    "inside": "inside your window",
    "edge": "near the edge of your window",
    "hyper": "above your window",
    "hypo": "below your window",
    "suspended": "not judged (signal)",
    "calibrating": "calibrating",
}


def _trace_point(span: SpanSynchrony) -> tuple[float, float, bool]:
    """(end of the span, effect size, above chance) for a synchrony trace."""
    result = span.result
    return (
        span.end_s,
        math.nan if result is None else result.effect_size,
        result is not None and result.above_chance,
    )


def _together_words(span: SpanSynchrony) -> str:
    """A live synchrony in the therapist's line: "above chance, in phase, you leading by 2 s"."""
    r = span.result
    if r is None:
        return f"none yet ({span.absent_reason})"
    if not r.above_chance:
        return "not above chance"
    return f"above chance, {relation_words(r, therapist='you', leads='leading')}"
