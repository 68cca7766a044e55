"""The session engine: one source → beats → HRV → the judge → complete updates.

The live dashboard, the headless recorder, the demo and replay all drive this one class, so what
the therapist saw live is what a replay shows. It is synchronous and does no I/O: feed it source
events with :meth:`SessionEngine.handle` and the therapist's input with
:meth:`~SessionEngine.add_phase`, :meth:`~SessionEngine.add_suds`, ...; each call returns the
:class:`SessionUpdate` objects that say everything that changed. The views render them; the
recorder (:class:`monitor.recording.recorder.SessionRecorder`) writes them to the session file
(docs/architecture.md, "The flow of one beat").

Times inside the engine and in the file are *session time*: seconds since ``time_origin_s`` on
the source's clock (``time.monotonic()`` for a strap).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from drivers.beat_clock import BeatClock
from drivers.events import (
    AccSamples,
    BatteryLevel,
    Beat,
    ConnectionState,
    ContactChanged,
    DeviceInfo,
    EcgSamples,
    HeartRatePacket,
    SignalGap,
    SourceEvent,
    StateChanged,
)
from monitor.core.acc_breathing import AccBreathing
from monitor.core.acc_live import LiveAccMonitor
from monitor.core.artefacts import RawBeatDecision
from monitor.core.baseline import Baseline, BaselineSettings
from monitor.core.co_regulation import SpanSynchrony
from monitor.core.ecg_live_beats import EcgCheckedBeat, LiveEcgBeatCheck
from monitor.core.engine import HrvEngine, HrvSnapshot
from monitor.core.judge import (
    CONTACT_LOST_REASON,
    GAP_REASON,
    MOVING_REASON,
    AlertChange,
    ContactMarker,
    GapMarker,
    MovementMarker,
    PhaseMarker,
    SettingsChange,
    StrapLost,
    ToleranceJudge,
)
from monitor.core.protocol import DEFAULT_PROTOCOL, Phase, phase_of
from monitor.core.settings import HrvWindows
from monitor.core.tolerance import ArousalReading, ToleranceSettings
from monitor.recording.model import SessionEvent, session_event_from_source
from monitor.recording.tolerance_record import REUSED_BASELINE_KEY, tolerance_event

DEFAULT_PHASES = DEFAULT_PROTOCOL
"""The protocol's phases, in session order (configurable per session)."""

GAP_FROM_REANCHOR_S = 1.5
"""A beat re-anchored this far after the previous one means beats went missing: a gap."""

ECG_STALE_S = 3.0
"""A beat this far past the newest ECG sample: the ECG stopped, beats go by RR alone again."""

ACC_STALE_S = 10.0
"""ACC this old no longer says whether the client moves or how they breathe."""

ACC_BREATHING = "accelerometer"
RSA_BREATHING = "rr"
"""The two sources of the breathing rate (named as ``analyze --json`` names them)."""


@dataclass(frozen=True)
class BreathingReading:
    """The client's breathing rate as the session shows it.

    Attributes
    ----------
    t_s : float
        Session time of the estimate.
    breaths_per_min : float or None
        ``None`` when the source cannot say (``reason`` says why).
    source : str
        ``"accelerometer"`` (chest movement) or ``"rr"`` (breaths counted in the heart rhythm).
    reason : str
        ``"ok"`` or why there is no rate.
    """

    t_s: float
    breaths_per_min: float | None
    source: str
    reason: str = "ok"


@dataclass(frozen=True)
class SourceStatus:
    """What the therapist's status bar shows about the strap."""

    state: ConnectionState = ConnectionState.CONNECTING
    detail: str = ""
    battery_pct: int | None = None
    contact: bool | None = None
    device_name: str = ""
    device_address: str = ""
    ecg: bool = False
    acc: bool = False
    moving: bool = False
    raw_data: str = ""
    """What the strap said of its raw data (``DeviceInfo.extra["raw_data"]`` of
    :mod:`drivers.ble`): ``"ecg,acc"``, ``"ecg"``, ``"acc"``, ``"none"`` (it has none), ``"off"``
    (not asked for), or ``""`` (not said: the simulator, replay of an older file)."""


@dataclass(frozen=True)
class SessionUpdate:
    """One thing that changed: everything the views show and the recorder writes.

    Attributes
    ----------
    t_s : float
        Session time of the update.
    beat : HrvSnapshot or None
        A new NN beat with the live HRV indices.
    reading : ArousalReading or None
        The window-of-tolerance reading that goes with it (or a suspension).
    status : SourceStatus
        The strap's state after this update.
    events : tuple of SessionEvent
        Events of this update for the views (phases, SUDS, notes, alerts, gaps, connection).
    baseline : Baseline or None
        The baseline the session is judged against now (None while calibrating).
    source_events : tuple of SourceEvent
        What the source sent (in session time), and gaps the engine found: recorded as is.
    raw_beat : Beat or None
        The strap's beat before artefact correction (recorded with its arrival time).
    beat_classes : tuple of RawBeatDecision
        The artefact filter's decisions on earlier raw beats (by their index).
    recorded_events : tuple of SessionEvent
        The therapist's input to record (phases, SUDS, notes, changes of the window).
    alert_changes : tuple of AlertChange
        Alerts that started or ended.
    settings : dict or None
        The session's settings to store, when they change (the calibrated baseline at the end).
    recording_error : str or None
        Set by whoever records (:class:`~monitor.recording.recorder.SessionRecorder`) once
        writing the session file has failed, on this and every later update: why, in a few
        plain words. The monitoring goes on; the therapist must be told.
    therapist_reading : ArousalReading or None
        Co-regulation: the therapist's latest reading against the therapist's own window (for
        the therapist's dashboard only, never the client's view). Set by the live session.
    synchrony : SpanSynchrony or None
        Co-regulation: the latest trailing synchrony (:mod:`monitor.session.live_synchrony`).
    ecg_beats : tuple of EcgCheckedBeat
        Strap beats the ECG settled with this update, with what it found (confirmed, removed,
        inserted, ectopic by shape): what the file and the report say about repaired beats.
    breathing : BreathingReading or None
        A fresh breathing estimate from the chest accelerometer (without ACC the views use the
        RSA estimate of ``beat.indices.resp_rate_bpm``, source ``"rr"``).
    ecg_peaks_s : tuple of float
        R peaks the live detector found in the ECG of this update (session time, on the ECG's
        own clock), whether or not a strap beat matches them: the dashboard's ECG strip marks
        them on the samples (which come in ``source_events``).
    """

    t_s: float
    beat: HrvSnapshot | None = None
    reading: ArousalReading | None = None
    status: SourceStatus = SourceStatus()
    events: tuple[SessionEvent, ...] = ()
    baseline: Baseline | None = None
    source_events: tuple[SourceEvent, ...] = ()
    raw_beat: Beat | None = None
    beat_classes: tuple[RawBeatDecision, ...] = ()
    recorded_events: tuple[SessionEvent, ...] = ()
    alert_changes: tuple[AlertChange, ...] = ()
    settings: dict[str, object] | None = None
    recording_error: str | None = None
    therapist_reading: ArousalReading | None = None
    synchrony: SpanSynchrony | None = None
    ecg_beats: tuple[EcgCheckedBeat, ...] = ()
    breathing: BreathingReading | None = None
    ecg_peaks_s: tuple[float, ...] = ()


def _shift_times(event: SourceEvent, origin_s: float) -> SourceEvent:
    if origin_s == 0.0:
        return event
    if isinstance(event, SignalGap):
        return dataclasses.replace(
            event, start_s=event.start_s - origin_s, end_s=event.end_s - origin_s
        )
    if isinstance(event, EcgSamples | AccSamples):
        return dataclasses.replace(
            event, arrival_s=event.arrival_s - origin_s, start_s=event.start_s - origin_s
        )
    return dataclasses.replace(event, arrival_s=event.arrival_s - origin_s)


class SessionEngine:
    """Wires a heart-rate source to the HRV core and the window of tolerance's judge.

    Parameters
    ----------
    time_origin_s : float
        Session start on the source's clock.
    windows : HrvWindows, optional
    tolerance : ToleranceSettings, optional
    baseline_settings : BaselineSettings, optional
    reused_baseline : Baseline, optional
        An earlier session's baseline for the same client: the whole session is judged against
        it (a marked ``baseline`` phase does not recalibrate), and the file's settings keep it
        from the start (:meth:`settings_dict`) so replay and analysis judge against it too.
    phases : sequence of str
        The protocol's phase names.
    """

    def __init__(
        self,
        *,
        time_origin_s: float = 0.0,
        windows: HrvWindows | None = None,
        tolerance: ToleranceSettings | None = None,
        baseline_settings: BaselineSettings | None = None,
        reused_baseline: Baseline | None = None,
        phases: Sequence[str] = DEFAULT_PHASES,
    ) -> None:
        self.time_origin_s = time_origin_s
        self.phases = tuple(phases)
        self.hrv = HrvEngine(windows)
        self.reused_baseline = reused_baseline
        self.judge = ToleranceJudge(tolerance, baseline_settings, reused_baseline)
        self.status = SourceStatus()
        self.now_s = 0.0
        self.current_phase: str | None = None
        self._beat_clock = BeatClock()
        self._last_beat_s: float | None = None
        self._ecg_check: LiveEcgBeatCheck | None = None
        self._acc: LiveAccMonitor | None = None
        self._acc_end_s = -math.inf
        self.breathing: BreathingReading | None = None
        """The latest breathing estimate from the accelerometer (None without ACC)."""

    # -- source events --------------------------------------------------------------------------

    def handle(self, event: SourceEvent) -> list[SessionUpdate]:
        """Process one event from the source; return what changed."""
        event = _shift_times(event, self.time_origin_s)
        self.now_s = max(self.now_s, event.arrival_s)
        if isinstance(event, HeartRatePacket):
            updates = self._on_packet(event)
        elif isinstance(event, EcgSamples):
            updates = self._on_ecg(event)
        elif isinstance(event, AccSamples):
            updates = self._on_acc(event)
        else:
            updates = self._on_event(event)
        first = updates[0]
        first = dataclasses.replace(first, source_events=(event, *first.source_events))
        return [first, *updates[1:]]

    def _on_event(self, event: SourceEvent) -> list[SessionUpdate]:
        seen = self._as_session_events(event)
        match event:
            case StateChanged(state=state, detail=detail):
                self.status = dataclasses.replace(self.status, state=state, detail=detail)
                if state in (ConnectionState.LOST, ConnectionState.RECONNECTING):
                    reason = f"strap {state}: {detail}"
                    self.judge.tell(StrapLost(event.arrival_s, reason))
                    shown = self.judge.announce(event.arrival_s, reason)
                    return [self._update(event.arrival_s, reading=shown, events=seen)]
            case SignalGap():
                # Beats after a drop-out are anchored afresh (docs/architecture.md, "Time"), and
                # the source has told the gap: the first beat after it is no second one.
                self._beat_clock.reset()
                self._last_beat_s = None
                return self._on_gap(event, seen)
            case ContactChanged(contact=contact):
                self.status = dataclasses.replace(self.status, contact=contact)
                self.judge.tell(ContactMarker(event.arrival_s, contact))
                if not contact:
                    shown = self.judge.announce(event.arrival_s, CONTACT_LOST_REASON)
                    return [self._update(event.arrival_s, reading=shown, events=seen)]
            case BatteryLevel(percent=percent):
                self.status = dataclasses.replace(self.status, battery_pct=percent)
            case DeviceInfo(name=name, address=address, extra=extra):
                self.status = dataclasses.replace(
                    self.status,
                    device_name=name,
                    device_address=address,
                    raw_data=extra.get("raw_data", self.status.raw_data),
                )
        return [self._update(event.arrival_s, events=seen)]

    def _on_gap(self, gap: SignalGap, seen: tuple[SessionEvent, ...]) -> list[SessionUpdate]:
        # Successive differences across a gap are not successive: the windows restart, and the
        # beats still held for the artefact filter's look-ahead are judged now, before it.
        updates = self._release_ecg_check()
        updates.extend(self._hrv_updates(self.hrv.mark_gap()))
        missing = gap.reason == "beats missing"
        reason = "signal lost (beats missing)" if missing else GAP_REASON
        self.judge.tell(GapMarker(gap.start_s, gap.end_s, reason))
        shown = self.judge.announce(gap.start_s, reason)
        return [*updates, self._update(gap.end_s, reading=shown, events=seen)]

    def _on_packet(self, packet: HeartRatePacket) -> list[SessionUpdate]:
        updates: list[SessionUpdate] = []
        if packet.contact is not None and self.status.contact != packet.contact:
            self.status = dataclasses.replace(self.status, contact=packet.contact)
        for beat in self._beat_clock.push(packet):
            updates.extend(self._on_beat(beat))
        if not updates:
            updates.append(self._update(packet.arrival_s))
        return updates

    def _on_beat(self, beat: Beat) -> list[SessionUpdate]:
        updates: list[SessionUpdate] = []
        if beat.reanchored and self._last_beat_s is not None:
            missing_s = beat.t_s - beat.rr_ms / 1000.0 - self._last_beat_s
            if missing_s > GAP_FROM_REANCHOR_S:
                # Beats the strap never reported: a gap the engine found, recorded as one.
                gap = SignalGap(self._last_beat_s, beat.t_s - beat.rr_ms / 1000.0, "beats missing")
                found = self._on_gap(gap, self._as_session_events(gap))
                updates.extend([*found[:-1], dataclasses.replace(found[-1], source_events=(gap,))])
        self._last_beat_s = beat.t_s
        if self._ecg_check is not None and self._ecg_check.ecg_end_s < beat.t_s - ECG_STALE_S:
            updates.extend(self._release_ecg_check())
        if self._ecg_check is not None:
            judged = self._checked_updates(
                self._ecg_check.push_beat(beat.t_s, beat.rr_ms, beat.reanchored)
            )
        else:
            judged = self._hrv_updates(self.hrv.push(beat.t_s, beat.rr_ms))
        if self._acc is not None and self._acc_end_s < beat.t_s - ACC_STALE_S:
            judged.extend(self._acc_stopped(beat.t_s))
        first = judged[0] if judged else self._update(beat.t_s)
        updates.append(dataclasses.replace(first, raw_beat=beat))
        updates.extend(judged[1:])
        return updates

    def _on_ecg(self, samples: EcgSamples) -> list[SessionUpdate]:
        check = self._ecg_check
        if check is None or check.sample_hz != samples.sample_hz:
            updates = self._release_ecg_check()
            check = self._ecg_check = LiveEcgBeatCheck(samples.sample_hz)
            self.status = dataclasses.replace(self.status, ecg=True)
        else:
            updates = []
        t_s = samples.start_s + np.arange(len(samples.ecg_uv)) / samples.sample_hz
        updates.extend(self._checked_updates(check.push_ecg(t_s, np.asarray(samples.ecg_uv))))
        updates = updates or [self._update(samples.arrival_s)]
        peaks_s = check.take_new_peaks()
        if peaks_s:
            updates[0] = dataclasses.replace(updates[0], ecg_peaks_s=peaks_s)
        return updates

    def _checked_updates(self, beats: list[EcgCheckedBeat]) -> list[SessionUpdate]:
        """Updates of the beats the ECG settled (docs/architecture.md, "The flow of one beat")."""
        if not beats:
            return []
        snapshots = [s for beat in beats for s in self.hrv.push_checked(beat)]
        updates = self._hrv_updates(snapshots)
        if not updates:
            updates = [self._update(beats[-1].t_s)]
        updates[0] = dataclasses.replace(updates[0], ecg_beats=tuple(beats))
        return updates

    def _release_ecg_check(self) -> list[SessionUpdate]:
        """The ECG stopped (or changed rate): beats it had not settled go by RR alone."""
        if self._ecg_check is None:
            return []
        held = self._ecg_check.release_unsettled()
        self._ecg_check = None
        self.status = dataclasses.replace(self.status, ecg=False)
        return self._hrv_updates([s for t, rr in held for s in self.hrv.push(t, rr)])

    def _on_acc(self, samples: AccSamples) -> list[SessionUpdate]:
        if self._acc is None or self._acc.sample_hz != samples.sample_hz:
            self._acc = LiveAccMonitor(samples.sample_hz)
            self.status = dataclasses.replace(self.status, acc=True)
        t_s = samples.start_s + np.arange(len(samples.acc_mg)) / samples.sample_hz
        state = self._acc.push(t_s, np.asarray(samples.acc_mg, dtype=float))
        if state is None:
            return [self._update(samples.arrival_s)]
        self._acc_end_s = state.t_s
        reading = self._movement_changed(state.t_s, state.moving)
        update = self._update(samples.arrival_s, reading=reading)
        if state.breathing is not None:
            self.breathing = _acc_reading(state.t_s, state.breathing)
            update = dataclasses.replace(update, breathing=self.breathing)
        return [update]

    def _movement_changed(self, t_s: float, moving: bool) -> ArousalReading | None:
        """Tell the judge when the client starts or stops moving (alerts wait meanwhile)."""
        if moving == self.status.moving:
            return None
        self.status = dataclasses.replace(self.status, moving=moving)
        self.judge.tell(MovementMarker(t_s, moving))
        return self.judge.announce(t_s, MOVING_REASON) if moving else None

    def _acc_stopped(self, t_s: float) -> list[SessionUpdate]:
        """No ACC for a while: it says nothing more about movement or breathing."""
        self._acc = None
        self._movement_changed(t_s, False)
        self.status = dataclasses.replace(self.status, acc=False)
        self.breathing = None
        return []

    def _hrv_updates(self, snapshots: list[HrvSnapshot]) -> list[SessionUpdate]:
        classes = tuple(self.hrv.take_raw_decisions())
        updates = []
        for snapshot in snapshots:
            readings = self.judge.judge(snapshot)
            changes = tuple(self.judge.alert_changes(readings))
            events = tuple(self._alert_event(c) for c in changes)
            update = self._update(snapshot.t_s, snapshot, readings[-1], events)
            updates.append(dataclasses.replace(update, alert_changes=changes))
        if classes:
            if updates:
                updates[0] = dataclasses.replace(updates[0], beat_classes=classes)
            else:
                updates.append(dataclasses.replace(self._update(self.now_s), beat_classes=classes))
        return updates

    @staticmethod
    def _alert_event(change: AlertChange) -> SessionEvent:
        a = change.alert
        return SessionEvent.alert(
            a.start_s, str(a.kind), a.reason, a.end_s if change.ended else None
        )

    # -- the therapist's input ------------------------------------------------------------------

    def add_phase(self, t_s: float, name: str) -> list[SessionUpdate]:
        """A protocol phase starts: the judge decides what it changes (:mod:`monitor.core.judge`:
        ``grounding`` starts a recovery measurement, the end of ``baseline`` recalibrates unless
        the session reuses an earlier baseline)."""
        self.judge.tell(PhaseMarker(t_s, name))
        self.current_phase = name
        return self._user_event(SessionEvent.phase(t_s, name))

    def add_suds(self, t_s: float, rating: int, comment: str = "") -> list[SessionUpdate]:
        """A SUDS rating 0–10 (raises ``ValueError`` outside that range)."""
        return self._user_event(SessionEvent.suds(t_s, rating, comment))

    def add_note(self, t_s: float, text: str) -> list[SessionUpdate]:
        return self._user_event(SessionEvent.note(t_s, text))

    def mark_grounding(self, t_s: float) -> list[SessionUpdate]:
        """Grounding started (the dashboard's button): same as the ``grounding`` phase."""
        return self.add_phase(t_s, Phase.GROUNDING.value)

    @property
    def in_grounding(self) -> bool:
        """The current phase is grounding."""
        return self.current_phase is not None and phase_of(self.current_phase) is Phase.GROUNDING

    def set_tolerance(self, t_s: float, settings: ToleranceSettings) -> list[SessionUpdate]:
        """The therapist widened or narrowed the window: beats judged from now on use
        ``settings``. Recorded as a ``tolerance`` event, with the last beat judged before, so
        a replay changes the window exactly where the live session did."""
        after_beat_s = self.judge.last_judged_s
        # None (no beat judged yet) is recorded as null and read back as -inf: from the first.
        reached_s = -math.inf if after_beat_s is None else after_beat_s
        self.judge.tell(SettingsChange(t_s, settings, reached_s))
        return self._user_event(tolerance_event(t_s, settings, after_beat_s))

    def settings_dict(self) -> dict[str, object]:
        """The session's settings, for the session file: the window of tolerance as the session
        started (live changes are events, see :meth:`set_tolerance`), and the reused baseline
        when there is one (written at the start, so a file cut short still replays with it)."""
        settings: dict[str, object] = {
            "hrv_windows": self.hrv.windows.as_dict(),
            "tolerance": self.judge.start_settings.as_dict(),
            "baseline": dataclasses.asdict(self.judge.window.baseline_settings),
            "phases": list(self.phases),
        }
        if self.reused_baseline is not None:
            settings[REUSED_BASELINE_KEY] = self.reused_baseline.as_dict()
        return settings

    def finish(self) -> list[SessionUpdate]:
        """The source ended: decide the last beats and close open bookkeeping.

        The baseline this session calibrated comes with the last update as the settings'
        ``baseline_result``, which later sessions may reuse
        (:func:`monitor.recording.client_sessions.latest_baseline`). A session that reused one
        calibrated nothing: it stores none, so a later reuse finds the session that did
        calibrate it, under its own date.
        """
        updates = self._release_ecg_check()
        updates.extend(self._hrv_updates(self.hrv.flush()))
        for reading in self.judge.finish():
            updates.append(self._update(reading.t_s, reading=reading))
        if self.reused_baseline is not None:
            return updates
        baseline = self.judge.baseline_so_far()
        if baseline is not None:
            settings = {**self.settings_dict(), "baseline_result": baseline.as_dict()}
            updates.append(dataclasses.replace(self._update(self.now_s), settings=settings))
        return updates

    # -- plumbing -----------------------------------------------------------------------------

    def _user_event(self, event: SessionEvent) -> list[SessionUpdate]:
        update = self._update(event.t_s, events=(event,))
        return [dataclasses.replace(update, recorded_events=(event,))]

    def breathing_now(self) -> BreathingReading | None:
        """The breathing rate to show: the accelerometer's when the strap gives ACC, else the
        RSA estimate of the latest beat's spectrum (``None`` before there is either)."""
        if self.breathing is not None:
            return self.breathing
        latest = self.hrv.latest
        if latest is None or not math.isfinite(latest.indices.resp_rate_bpm):
            return None
        return BreathingReading(latest.t_s, latest.indices.resp_rate_bpm, RSA_BREATHING)

    @staticmethod
    def _as_session_events(event: SourceEvent) -> tuple[SessionEvent, ...]:
        """A source event as the views see it (gaps and connection changes)."""
        seen = session_event_from_source(event)
        return () if seen is None else (seen,)

    def _update(
        self,
        t_s: float,
        beat: HrvSnapshot | None = None,
        reading: ArousalReading | None = None,
        events: tuple[SessionEvent, ...] = (),
    ) -> SessionUpdate:
        return SessionUpdate(
            t_s=t_s,
            beat=beat,
            reading=reading,
            status=self.status,
            events=events,
            baseline=self.judge.baseline,
        )


def _acc_reading(t_s: float, estimate: AccBreathing) -> BreathingReading:
    return BreathingReading(t_s, estimate.breaths_per_min, ACC_BREATHING, estimate.reason)
