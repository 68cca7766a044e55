"""A live session: a source (strap or simulator), the session engine and the recorder, run in
one asyncio loop until the source ends, the duration is reached or someone asks it to stop.

The headless recorder runs it in the main thread; the dashboard runs it on a worker thread and
talks to it only through :meth:`LiveSession.call` and :meth:`LiveSession.request_stop`, which are
thread-safe (every bleak object lives and dies inside this one loop; docs/architecture.md,
"Threading").
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drivers.events import SourceEvent
from drivers.simulated_coupling import CO_REGULATION_VAGAL_WANDER_LN
from drivers.simulated_h10_stream import DEVICE_NAME as H10_DEVICE_NAME
from drivers.simulated_h10_stream import SimulatedH10Source
from drivers.simulator import (
    Disturbances,
    HeartSimulator,
    SimulatedHeartRateSource,
    default_session_script,
    phase_timeline,
)
from drivers.source import HeartRateSource
from monitor import __version__
from monitor.core.baseline import Baseline
from monitor.core.protocol import Phase
from monitor.core.tolerance import ToleranceSettings
from monitor.recording.model import SessionMetadata, SourceKind, check_client_code
from monitor.recording.recorder import SessionRecorder
from monitor.recording.session_file import SessionWriter
from monitor.session.engine import SessionEngine, SessionUpdate
from monitor.session.paired_sources import PairedSources, Wearer
from monitor.session.pump import pump, recorded
from monitor.session.therapist_strap import TherapistStrap

if TYPE_CHECKING:  # pylsl (liblsl) loads only when a session publishes LSL streams
    from monitor.session.lsl_outlets import SessionOutlets
    from monitor.session.lsl_streams import SessionClockMap

# The simulator's script phases, as the protocol phases a therapist would have marked.
SIMULATED_PHASE_MARKERS: dict[str, Phase] = {
    "baseline": Phase.BASELINE,
    "imagery": Phase.IMAGERY,
    "grounding": Phase.GROUNDING,
    "recovery": Phase.RESCRIPTING,
    "calm place": Phase.CALM_PLACE,
}

LSL_LINGER_S = 0.5
"""The session's own LSL streams stay up this long after its end, so the last samples reach
their receivers before the outlets go."""


@dataclass(frozen=True)
class LiveOptions:
    """What to record from and where.

    Attributes
    ----------
    device : str or None
        Strap name or address; ``None`` with ``simulate``.
    adapter : str or None
        Bluetooth adapter (``hci0`` ...).
    simulate : bool
        Use the physiological simulator instead of a strap.
    seed, speed : int, float
        Simulator seed and speed (simulated seconds per second).
    duration_s : float or None
        Stop after this much session time.
    out : Path or None
        The session file; by default a new file in the recordings folder.
    folder : Path or None
        Recordings folder for the default name.
    client_code : str
        Pseudonymous client code.
    record : bool
        Write a session file (the dashboard can run without recording until asked).
    h10 : bool
        The strap's raw ECG and accelerometer too: with ``simulate`` a simulated Polar H10
        (:class:`drivers.simulated_h10_stream.SimulatedH10Source`), with ``device`` the strap's
        Polar Measurement Data (``BleHeartRateSource(raw_data=True)``; a strap without it
        records heart rate only, and its ``DeviceInfo`` says ``raw_data`` "none").
    """

    device: str | None = None
    adapter: str | None = None
    simulate: bool = False
    seed: int = 0
    speed: float = 1.0
    duration_s: float | None = None
    out: Path | None = None
    folder: Path | None = None
    client_code: str = "C000"
    record: bool = True
    h10: bool = False
    tolerance: ToleranceSettings | None = None
    reused_baseline: Baseline | None = None
    disturbances: Disturbances | None = None
    """Simulator only: artefacts, contact loss and drop-outs to inject."""
    therapist_device: str | None = None
    """The therapist's own strap (co-regulation), recorded in the same session file."""
    therapist_simulate: bool = False
    """A simulated therapist (with ``simulate``), coupled to the simulated client."""
    therapist_coupling: float = 0.5
    """Simulated therapist: share of the client's heart-rate changes taken on (-1..1)."""
    therapist_lag_s: float = 2.0
    therapist_cue: bool = False
    """Show the therapist a gentle cue on the dashboard while their own strap's judge holds an
    alert (outside their own window for as long as a client's alert takes)."""
    """Simulated therapist: seconds the therapist's heart follows the client's."""
    therapist_disturbances: Disturbances | None = None
    """Simulated therapist only: drop-outs and artefacts of the therapist's strap."""
    lsl_inlet: str | None = None
    """Record from the LSL stream of this name (another program's) instead of a strap: RR, or
    an ECG whose R peaks become the beats (:mod:`monitor.session.ecg_beat_source`)."""
    lsl_inlet_kind: str | None = None
    """Read the ``lsl_inlet`` stream as ``"RR"`` or ``"ECG"`` whatever its type (default: ECG
    for a stream of type ECG, else RR)."""
    lsl_channel: str | None = None
    """The ``lsl_inlet`` ECG stream's channel (label or number from 1), when it has several."""
    lsl_name: str | None = None
    """Publish the session as LSL streams ``{lsl_name}-RR``, ``-HRV``, ``-Markers``
    (:mod:`monitor.session.lsl_outlets`); ``None``: no network streams (the default)."""

    @property
    def with_therapist(self) -> bool:
        """The session records the therapist's strap too."""
        return self.therapist_simulate or self.therapist_device is not None


def h10_problem(options: LiveOptions) -> str | None:
    """Why ``options.h10`` cannot be had with this source (``None`` when it can): a Polar H10's
    raw data comes from a strap over Bluetooth or the simulated one, never from an LSL stream."""
    if options.h10 and not (options.simulate or options.device):
        return (
            "--h10 needs --simulate or --device (a Polar H10 over Bluetooth; "
            "an LSL stream is read as it is)"
        )
    return None


class LiveSession:
    """Run one live session.

    Parameters
    ----------
    options : LiveOptions
    on_update : callable
        Called with every :class:`SessionUpdate`, in the session's loop thread.
    source : HeartRateSource, optional
        A ready-made source instead of the one the options
        describe, e.g. a strap with other timeouts; recorded as a strap unless ``simulate``.
    therapist_source : HeartRateSource, optional
        The same for the therapist's strap (with ``options.therapist_device``).
    outlets : SessionOutlets, optional
        Ready-made LSL outlets to publish to (their clock map is set when the session starts);
        the caller keeps and withdraws them. Otherwise ``options.lsl_name`` opens the session's
        own, withdrawn when it ends.
    """

    def __init__(
        self,
        options: LiveOptions,
        on_update: Callable[[SessionUpdate], None] | None = None,
        source: HeartRateSource | None = None,
        therapist_source: HeartRateSource | None = None,
        outlets: SessionOutlets | None = None,
    ) -> None:
        check_client_code(options.client_code)
        if not options.simulate and not options.device and not options.lsl_inlet:
            raise ValueError("choose a strap (--device NAME or ADDRESS) or --simulate")
        if (problem := h10_problem(options)) is not None:
            raise ValueError(problem)
        if options.therapist_simulate and not options.simulate:
            raise ValueError("a simulated therapist (--therapist-simulate) needs --simulate")
        self.options = options
        self.on_update = on_update or (lambda update: None)
        self.writer: SessionWriter | None = None
        self.recorder: SessionRecorder | None = None
        self.engine: SessionEngine | None = None
        self.therapist: TherapistStrap | None = None
        """The therapist's strap judged against the therapist's own baseline (co-regulation)."""
        self.therapist_recorder: SessionRecorder | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._given_source = source
        self._given_therapist_source = therapist_source
        self._source: HeartRateSource | PairedSources | None = source
        self._stopping: asyncio.Task[None] | None = None
        self._stop = False
        self._clock_origin_s = 0.0
        self.discarded = False
        self.outlets: SessionOutlets | None = outlets
        self._owns_outlets = outlets is None

    @property
    def path(self) -> Path | None:
        """The session file (``None`` when not recording, once an empty file was removed, or
        once the file was deleted while recording)."""
        if self.writer is None or self.discarded:
            return None
        # After a failure: where the file went if it was moved, None if it was deleted.
        return self.writer.kept_path if self.writer.error is not None else self.writer.path

    def now_s(self) -> float:
        """Session time now (simulated time for a simulator at another speed)."""
        speed = self.options.speed if self.options.simulate else 1.0
        if not math.isfinite(speed):
            return self.engine.now_s if self.engine is not None else 0.0
        return (time.monotonic() - self._clock_origin_s) * speed

    # -- thread-safe controls -------------------------------------------------------------------

    def call(self, action: Callable[[SessionEngine, float], list[SessionUpdate]]) -> None:
        """Run ``action(engine, now_s)`` in the session's loop (from any thread); its updates go
        to ``on_update``."""

        def run() -> None:
            if self.engine is None:
                return
            for update in action(self.engine, max(self.now_s(), self.engine.now_s)):
                self._publish(update)

        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(run)

    def request_stop(self) -> None:
        """Stop soon and close the file cleanly (from any thread or a signal handler)."""
        self._stop = True
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stop_source)

    # -- the loop -------------------------------------------------------------------------------

    async def run(self) -> Path | None:
        """Record until the source ends, the duration passes or :meth:`request_stop`; return the
        session file (``None`` when not recording)."""
        self._loop = asyncio.get_running_loop()
        options = self.options
        self._clock_origin_s = time.monotonic()
        source, kind, device_name = self._make_source()
        self._source = source
        if options.record:
            metadata = SessionMetadata(
                client_code=options.client_code,
                start_utc=dt.datetime.now(dt.UTC),
                source_kind=kind,
                software_version=__version__,
                device_name=device_name,
            )
            self.writer = SessionWriter.create(metadata, options.out, folder=options.folder)
            self.recorder = SessionRecorder(self.writer)
        self.engine = SessionEngine(
            time_origin_s=self._clock_origin_s,
            tolerance=options.tolerance,
            reused_baseline=options.reused_baseline,
        )
        if self.writer is not None:
            self.writer.update_metadata(settings=self.engine.settings_dict())
        if self.outlets is not None:
            self.outlets.clock = _lsl_clock(options, self._clock_origin_s)
        elif options.lsl_name is not None:
            self.outlets = _open_outlets(options, self._clock_origin_s)
        if options.reused_baseline is not None:
            b = options.reused_baseline
            note = (
                f"Baseline reused from the {b.source}: HR {b.hr_bpm:.0f} ± {b.hr_spread_bpm:.1f} "
                f"bpm, RMSSD {b.rmssd_ms:.0f} ms"
            )
            for update in self.engine.add_note(0.0, note):
                self._publish(update)
        markers = self._simulated_markers()
        engine = self.engine

        def on_event(event: SourceEvent) -> None:
            # A simulated phase marker goes in before the first event after its time, which
            # is where its recorded time puts it in a replay too.
            while markers and markers[0][0] <= event.arrival_s - self._clock_origin_s:
                t_s, name = markers.pop(0)
                for marker_update in engine.add_phase(t_s, name):
                    self._publish(marker_update)
            for update in engine.handle(event):
                self._publish(update)

        def should_stop() -> bool:
            ran_out = options.duration_s is not None and engine.now_s >= options.duration_s
            return self._stop or ran_out

        failed = True
        try:
            if options.with_therapist:
                await pump(self._paired(source), self._on_paired(on_event), should_stop)
            else:
                await pump(source, on_event, should_stop)
            failed = False
        finally:
            for update in engine.finish():
                self._publish(update)
            if self.therapist is not None:
                for update in self.therapist.finish():
                    recorded(update, self.therapist_recorder)
            if self.writer is not None:
                try:
                    self.writer.close()
                finally:
                    if failed and self.writer.packet_count == 0:
                        self._discard_empty_file()
            if failed and self._owns_outlets:
                self.outlets = None  # withdraws the streams
        if self.outlets is not None and self._owns_outlets:
            # The file is closed; receivers (LabRecorder) get the last samples still on their
            # way, then the streams are withdrawn.
            await asyncio.sleep(LSL_LINGER_S)
            self.outlets = None
        return self.path

    def _paired(self, client: HeartRateSource) -> PairedSources:
        """The client's and the therapist's straps as one source, with the therapist's own
        engine and recorder (its file rows go to the therapist's tables)."""
        self.therapist = TherapistStrap(SessionEngine(time_origin_s=self._clock_origin_s))
        if self.writer is not None:
            self.therapist_recorder = SessionRecorder(self.writer.therapist())
        paired = PairedSources(client, self._make_therapist_source())
        self._source = paired
        return paired

    def _on_paired(
        self, on_client: Callable[[SourceEvent], None]
    ) -> Callable[[tuple[Wearer, SourceEvent]], None]:
        therapist = self.therapist
        assert therapist is not None

        def on_item(item: tuple[Wearer, SourceEvent]) -> None:
            wearer, event = item
            if wearer is Wearer.CLIENT:
                on_client(event)
                return
            # The therapist's own updates are recorded; the views get the therapist's latest
            # reading and the live synchrony on the client's updates (SessionUpdate).
            for update in therapist.handle(event):
                recorded(update, self.therapist_recorder)

        return on_item

    def _make_therapist_source(self) -> HeartRateSource:
        options = self.options
        if self._given_therapist_source is not None:
            return self._given_therapist_source
        if options.therapist_simulate:
            simulator = self._simulated_client().therapist_of(
                strength=options.therapist_coupling,
                lag_s=options.therapist_lag_s,
                disturbances=options.therapist_disturbances,
            )
            return SimulatedHeartRateSource(
                simulator=simulator,
                speed=options.speed,
                duration_s=options.duration_s,
                clock_origin_s=self._clock_origin_s,
            )
        from drivers.ble import BleHeartRateSource

        assert options.therapist_device is not None
        return BleHeartRateSource(options.therapist_device, adapter=options.adapter)

    def _publish(self, update: SessionUpdate) -> None:
        if self.therapist is not None:
            update = self.therapist.beside(update)
        update = recorded(update, self.recorder)
        if self.outlets is not None:
            self.outlets.publish(update)
        self.on_update(update)

    def _discard_empty_file(self) -> None:
        """Remove the file of a session whose source failed before delivering anything (a strap
        not found): it holds no data, and would only block the next try at that ``--out`` and
        stand in the client's list of sessions."""
        assert self.writer is not None
        path = self.writer.path
        for name in (path, *(Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal"))):
            with contextlib.suppress(OSError):
                name.unlink()
        self.discarded = True

    def _stop_source(self) -> None:
        # Not only after the next event (the pump's should_stop): a strap still being looked
        # for sends none.
        if self._source is not None and self._loop is not None:
            self._stopping = self._loop.create_task(self._source.stop())

    def _make_source(self) -> tuple[HeartRateSource, SourceKind, str]:
        options = self.options
        if self._given_source is not None:
            kind = SourceKind.SIMULATOR if options.simulate else SourceKind.BLE
            return self._given_source, kind, options.device or "simulator"
        if options.lsl_inlet is not None:
            from drivers.lsl_inlet import LslInletSource
            from drivers.lsl_stream_layout import InletKind
            from monitor.session.ecg_beat_source import EcgBeatSource

            # Recorded as a live device named after the stream: the file's schema knows no
            # "lsl" source kind yet (that needs a schema version step). An ECG stream's beats
            # are its R peaks; an RR stream passes the adapter unchanged.
            name = options.lsl_inlet
            read_as = None if options.lsl_inlet_kind is None else InletKind(options.lsl_inlet_kind)
            inlet = LslInletSource(name, kind=read_as, channel=options.lsl_channel)
            return EcgBeatSource(inlet), SourceKind.BLE, f"LSL stream {name}"
        if options.simulate:
            simulated = SimulatedH10Source if options.h10 else SimulatedHeartRateSource
            source = simulated(
                seed=options.seed,
                disturbances=options.disturbances,
                # A co-regulation client's heart is built here: its vagal tone wanders.
                simulator=self._simulated_client() if options.therapist_simulate else None,
                speed=options.speed,
                duration_s=options.duration_s,
                clock_origin_s=self._clock_origin_s,
            )
            return source, SourceKind.SIMULATOR, "simulator"
        from drivers.ble import BleHeartRateSource

        assert options.device is not None
        return (
            BleHeartRateSource(options.device, adapter=options.adapter, raw_data=options.h10),
            SourceKind.BLE,
            options.device,
        )

    def _simulated_client(self) -> HeartSimulator:
        """The simulated client's heart (the strap's, and the coupled therapist's private
        copy: the same beats). With a simulated therapist its vagal tone wanders, so that the
        therapist's has something to follow (:mod:`drivers.simulated_coupling`)."""
        options = self.options
        heart = HeartSimulator(
            seed=options.seed,
            disturbances=options.disturbances,
            vagal_wander_ln=CO_REGULATION_VAGAL_WANDER_LN if options.therapist_simulate else 0.0,
        )
        if options.h10:
            heart.device_name = H10_DEVICE_NAME
        return heart

    def _simulated_markers(self) -> list[tuple[float, str]]:
        if not self.options.simulate:
            return []
        return [
            (span.start_s, SIMULATED_PHASE_MARKERS[span.name])
            for span in phase_timeline(default_session_script())
            if span.name in SIMULATED_PHASE_MARKERS
        ]


def _lsl_clock(options: LiveOptions, origin_monotonic_s: float) -> SessionClockMap:
    """Session time → LSL clock for a session whose origin is ``origin_monotonic_s``."""
    from monitor.session.lsl_outlets import lsl_clock_map

    return lsl_clock_map(origin_monotonic_s, options.speed if options.simulate else 1.0)


def _open_outlets(options: LiveOptions, origin_monotonic_s: float) -> SessionOutlets:
    """The session's own LSL outlets."""
    from monitor.session.lsl_outlets import SessionOutlets

    assert options.lsl_name is not None
    return SessionOutlets(_lsl_clock(options, origin_monotonic_s), options.lsl_name)
