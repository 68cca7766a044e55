"""The session engine: one source → beats → HRV → window of tolerance → recorder → updates.

The live dashboard, the headless recorder, the demo and replay all drive this one class, so what
the therapist saw live is what a replay shows. It is synchronous and does no I/O of its own
beyond the (threaded, non-blocking) session writer: feed it source events with :meth:`handle`
and the therapist's input with :meth:`add_phase`, :meth:`add_suds`, :meth:`add_note`, ...; each
call returns the :class:`SessionUpdate` objects to render. :func:`run_source` is the asyncio loop
that pumps a source into it.

Times inside the engine and in the file are *session time*: seconds since ``time_origin_s`` on
the source's clock (``time.monotonic()`` for a strap).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from drivers.beat_clock import BeatClock
from drivers.events import (
    BatteryLevel,
    Beat,
    ConnectionState,
    ContactChanged,
    DeviceInfo,
    HeartRatePacket,
    SignalGap,
    SourceEvent,
    StateChanged,
)
from monitor.core.baseline import Baseline, BaselineSettings
from monitor.core.engine import HrvEngine, HrvSnapshot
from monitor.core.settings import HrvWindows
from monitor.core.tolerance import ArousalReading, ToleranceSettings, WindowOfTolerance
from monitor.recording.model import SessionEvent, session_event_from_source
from monitor.recording.session_file import SessionWriteError, SessionWriter
from monitor.recording.tolerance_record import REUSED_BASELINE_KEY, tolerance_event

DEFAULT_PHASES = (
    "baseline",
    "preparation",
    "imagery",
    "rescripting",
    "grounding",
    "calm place",
    "debrief",
)
"""The protocol's phases, in session order (configurable per session)."""

GAP_FROM_REANCHOR_S = 1.5
"""A beat re-anchored this far after the previous one means beats went missing: a gap."""


@dataclass(frozen=True)
class SourceStatus:
    """What the therapist's status bar shows about the strap."""

    state: ConnectionState = ConnectionState.CONNECTING
    detail: str = ""
    battery_pct: int | None = None
    contact: bool | None = None
    device_name: str = ""
    device_address: str = ""


@dataclass(frozen=True)
class SessionUpdate:
    """One thing that changed, for the views and the log.

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
        Events of this update (phases, SUDS, notes, alerts, gaps, connection states).
    recording_error : str or None
        Set once writing the session file has failed, on this and every later update: why, in
        a few plain words (e.g. "the disk is full"). The monitoring goes on, the recording does
        not, and the therapist must be told; the file keeps what was written before.
    """

    t_s: float
    beat: HrvSnapshot | None = None
    reading: ArousalReading | None = None
    status: SourceStatus = SourceStatus()
    events: tuple[SessionEvent, ...] = ()
    recording_error: str | None = None


def _shift_times(event: SourceEvent, origin_s: float) -> SourceEvent:
    if origin_s == 0.0:
        return event
    if isinstance(event, SignalGap):
        return dataclasses.replace(
            event, start_s=event.start_s - origin_s, end_s=event.end_s - origin_s
        )
    return dataclasses.replace(event, arrival_s=event.arrival_s - origin_s)  # type: ignore[arg-type]


class SessionEngine:
    """Wires a heart-rate source to the HRV core, the window of tolerance and the recorder.

    Parameters
    ----------
    writer : SessionWriter, optional
        Where to record (created with ``time_origin_s=0``: the engine passes session times).
        ``None`` for replay and analysis, which must not touch the file.
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
        writer: SessionWriter | None = None,
        *,
        time_origin_s: float = 0.0,
        windows: HrvWindows | None = None,
        tolerance: ToleranceSettings | None = None,
        baseline_settings: BaselineSettings | None = None,
        reused_baseline: Baseline | None = None,
        phases: Sequence[str] = DEFAULT_PHASES,
    ) -> None:
        self.writer = writer
        self.time_origin_s = time_origin_s
        self.phases = tuple(phases)
        self.hrv = HrvEngine(windows)
        self.reused_baseline = reused_baseline
        self.window = WindowOfTolerance(tolerance, baseline_settings, reused_baseline)
        self.start_tolerance = self.window.settings
        """The window of tolerance as the session started (the file's settings keep it)."""
        self.status = SourceStatus()
        self.now_s = 0.0
        self.current_phase: str | None = None
        self.write_error: str | None = None
        """Why the recording stopped (plain words), once writing the file has failed."""
        self.write_error_s: float | None = None
        """Session time at which the failure was noticed (the file holds what came before)."""
        self._beat_clock = BeatClock()
        self._last_beat_s: float | None = None
        self._beats_pushed = 0
        self._alert_event_ids: dict[int, int] = {}
        self._baseline_phase_start_s: float | None = None
        self._contact_lost = False
        self._last_judged_s: float | None = None

    # -- source events --------------------------------------------------------------------------

    def handle(self, event: SourceEvent) -> list[SessionUpdate]:
        """Process one event from the source; return what changed."""
        event = _shift_times(event, self.time_origin_s)
        self.now_s = max(self.now_s, event.arrival_s)
        if isinstance(event, HeartRatePacket):
            self._record_source_event(event)
            return self._on_packet(event)
        recorded = self._record_source_event(event)
        match event:
            case StateChanged(state=state, detail=detail):
                self.status = dataclasses.replace(self.status, state=state, detail=detail)
                if state in (ConnectionState.LOST, ConnectionState.RECONNECTING):
                    reading = self.window.suspend(event.arrival_s, f"strap {state}: {detail}")
                    return [self._update(event.arrival_s, reading=reading, events=recorded)]
            case SignalGap(start_s=start_s):
                self._beat_clock.reset()
                updates = self._hrv_updates(self.hrv.mark_gap())
                reading = self.window.suspend(start_s, "signal lost (gap)")
                return [*updates, self._update(event.end_s, reading=reading, events=recorded)]
            case ContactChanged(contact=contact):
                self.status = dataclasses.replace(self.status, contact=contact)
                self._contact_lost = not contact
                if not contact:
                    reading = self.window.suspend(event.arrival_s, "skin contact lost")
                    return [self._update(event.arrival_s, reading=reading, events=recorded)]
            case BatteryLevel(percent=percent):
                self.status = dataclasses.replace(self.status, battery_pct=percent)
            case DeviceInfo(name=name, address=address):
                self.status = dataclasses.replace(
                    self.status, device_name=name, device_address=address
                )
        return [self._update(event.arrival_s, events=recorded)]

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
                # Beats the strap never reported: successive differences across them are not
                # successive, so the windows restart as after any gap.
                gap = SignalGap(self._last_beat_s, beat.t_s - beat.rr_ms / 1000.0, "beats missing")
                recorded = self._record_source_event(gap)
                updates.extend(self._hrv_updates(self.hrv.mark_gap()))
                reading = self.window.suspend(gap.start_s, "signal lost (beats missing)")
                updates.append(self._update(gap.end_s, reading=reading, events=recorded))
        self._last_beat_s = beat.t_s
        if self.writer is not None:
            self._write(lambda w: w.add_beat(beat.t_s, beat.rr_ms, beat.arrival_s))
        self._beats_pushed += 1
        updates.extend(self._hrv_updates(self.hrv.push(beat.t_s, beat.rr_ms)))
        return updates

    def _hrv_updates(self, snapshots: list[HrvSnapshot]) -> list[SessionUpdate]:
        self._store_beat_classes()
        updates = []
        for snapshot in snapshots:
            if self._contact_lost:
                reading = self.window.suspend(snapshot.t_s, "skin contact lost")
            else:
                reading = self.window.update(snapshot.t_s, snapshot.indices, snapshot.corrected)
            self._last_judged_s = snapshot.t_s
            events = self._record_alerts(reading)
            updates.append(self._update(snapshot.t_s, snapshot, reading, events))
        return updates

    def _store_beat_classes(self) -> None:
        decisions = self.hrv.take_raw_decisions()
        if self.writer is None:
            return
        for decision in decisions:
            self._write(lambda w, d=decision: w.set_beat_classes(d.index, [int(d.beat_class)]))

    def _record_alerts(self, reading: ArousalReading) -> tuple[SessionEvent, ...]:
        events = []
        for alert in reading.started:
            event = SessionEvent.alert(alert.start_s, str(alert.kind), alert.reason)
            event_id = self._write(lambda w, e=event: w.add_event(e))
            if event_id is not None:
                self._alert_event_ids[id(alert)] = event_id
            events.append(event)
        for alert in reading.ended:
            event_id = self._alert_event_ids.pop(id(alert), None)
            if event_id is not None and alert.end_s is not None:
                self._write(lambda w, i=event_id, a=alert: w.end_event(i, a.end_s))
            events.append(
                SessionEvent.alert(alert.start_s, str(alert.kind), alert.reason, alert.end_s)
            )
        return tuple(events)

    # -- the therapist's input ------------------------------------------------------------------

    def add_phase(self, t_s: float, name: str) -> list[SessionUpdate]:
        """A protocol phase starts. ``grounding`` starts a recovery measurement; the end of a
        ``baseline`` phase (the next phase) recalibrates the baseline to the marked span, unless
        the session reuses an earlier baseline."""
        # A reused baseline was asked for instead of calibrating, and the offline evaluation
        # (evaluate_tolerance) keeps it over a marked phase too: recalibrating here would make
        # the live alerts differ from every replay and report of the session.
        if (
            self.current_phase == "baseline"
            and self._baseline_phase_start_s is not None
            and self.reused_baseline is None
        ):
            self.window.mark_baseline(self._baseline_phase_start_s, t_s)
        if name == "baseline":
            self._baseline_phase_start_s = t_s
        if name == "grounding":
            self.window.mark_grounding(t_s)
        self.current_phase = name
        return self._user_event(SessionEvent.phase(t_s, name))

    def add_suds(self, t_s: float, rating: int, comment: str = "") -> list[SessionUpdate]:
        """A SUDS rating 0–10 (raises ``ValueError`` outside that range)."""
        return self._user_event(SessionEvent.suds(t_s, rating, comment))

    def add_note(self, t_s: float, text: str) -> list[SessionUpdate]:
        return self._user_event(SessionEvent.note(t_s, text))

    def mark_grounding(self, t_s: float) -> list[SessionUpdate]:
        """Grounding started (the dashboard's button): same as the ``grounding`` phase."""
        return self.add_phase(t_s, "grounding")

    def set_tolerance(self, t_s: float, settings: ToleranceSettings) -> list[SessionUpdate]:
        """The therapist widened or narrowed the window: beats judged from now on use
        ``settings``. Recorded as a ``tolerance`` event, with the last beat judged before, so
        a replay changes the window exactly where the live session did."""
        self.window.set_settings(settings)
        return self._user_event(tolerance_event(t_s, settings, self._last_judged_s))

    def settings_dict(self) -> dict[str, object]:
        """The session's settings, for the session file: the window of tolerance as the session
        started (live changes are events, see :meth:`set_tolerance`), and the reused baseline
        when there is one (written at the start, so a file cut short still replays with it)."""
        settings: dict[str, object] = {
            "hrv_windows": self.hrv.windows.as_dict(),
            "tolerance": self.start_tolerance.as_dict(),
            "baseline": dataclasses.asdict(self.window.baseline_settings),
            "phases": list(self.phases),
        }
        if self.reused_baseline is not None:
            settings[REUSED_BASELINE_KEY] = self.reused_baseline.as_dict()
        return settings

    def finish(self) -> list[SessionUpdate]:
        """The source ended: decide the last beats and close open bookkeeping.

        The baseline this session calibrated is stored as ``baseline_result``, which later
        sessions may reuse (:func:`monitor.recording.client_sessions.latest_baseline`). A
        session that reused one calibrated nothing: it stores none, so a later reuse finds the
        session that did calibrate it, under its own date.
        """
        updates = self._hrv_updates(self.hrv.flush())
        if self.reused_baseline is not None:
            return updates
        baseline = self.window.baseline_so_far()
        if baseline is not None and self.writer is not None:
            settings = {**self.settings_dict(), "baseline_result": baseline.as_dict()}
            self._write(lambda w: w.update_metadata(settings=settings))
        return updates

    # -- plumbing -----------------------------------------------------------------------------

    def _user_event(self, event: SessionEvent) -> list[SessionUpdate]:
        self._write(lambda w: w.add_event(event))
        return [self._update(event.t_s, events=(event,))]

    def _record_source_event(self, event: SourceEvent) -> tuple[SessionEvent, ...]:
        """Record a source event (when recording) and return it as a session event, so views
        and replays see gaps and connection changes whether or not a file is written."""
        self._write(lambda w: w.add_source_event(event))
        if isinstance(event, HeartRatePacket):
            return ()
        recorded = session_event_from_source(event)
        return () if recorded is None else (recorded,)

    def _write(self, action: Callable[[SessionWriter], object]) -> object:
        """Run a writer call; a failing disk must not stop the live monitoring.

        The failure is not logged here: it travels on every later update
        (:attr:`SessionUpdate.recording_error`) to whoever shows the session, which tells the
        therapist once, in its own way.
        """
        if self.writer is None or self.write_error is not None:
            return None
        try:
            return action(self.writer)
        except SessionWriteError as error:
            self.write_error = error.reason
            self.write_error_s = self.now_s
            return None

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
            recording_error=self.write_error,
        )


async def run_source(
    source: object,
    engine: SessionEngine,
    on_update: Callable[[SessionUpdate], None],
) -> None:
    """Pump every event of an async source (``source.events()``) through the engine."""
    async for event in source.events():  # type: ignore[attr-defined]
        for update in engine.handle(event):
            on_update(update)
    for update in engine.finish():
        on_update(update)
