"""The session's LSL outlets: one more consumer of the engine's updates, beside the recorder.

Opening an outlet makes the machine announce the stream on the local network and serve it to
any inlet that asks (LSL's multicast discovery and TCP data ports): never on unless the user
asks (``--lsl``; README, "Privacy"). What each stream carries, and how, is
:mod:`monitor.session.lsl_streams`; this module only builds the pylsl outlets from those
headers and pushes the samples with their beat times on the LSL clock.
"""

from __future__ import annotations

import math
import threading
import time
import uuid

import pylsl

from drivers.events import AccSamples, EcgSamples
from drivers.lsl_quiet import quiet_liblsl
from monitor import __version__
from monitor.client.view_state import RESEND_S, ClientViewState, drive_message, scene_drive_of
from monitor.session.lsl_streams import (
    BEAT_CLASS_CODES,
    SessionClockMap,
    StreamedUpdate,
    StreamSpec,
    TimedSample,
    client_view_spec,
    hrv_samples,
    marker_samples,
    raw_runs,
    raw_stream_spec,
    rr_samples,
    stream_specs,
)

quiet_liblsl()  # before liblsl's first call, which reads its configuration


def _stream_info(spec: StreamSpec, source_id: str) -> pylsl.StreamInfo:
    fmt = pylsl.cf_string if spec.string_values else pylsl.cf_double64
    rate = spec.nominal_hz if spec.nominal_hz > 0 else pylsl.IRREGULAR_RATE
    info = pylsl.StreamInfo(spec.name, spec.type, len(spec.channels), rate, fmt, source_id)
    desc = info.desc()
    channels = desc.append_child("channels")
    for channel in spec.channels:
        node = channels.append_child("channel")
        node.append_child_value("label", channel.label)
        node.append_child_value("unit", channel.unit)
        node.append_child_value("type", channel.type)
    acquisition = desc.append_child("acquisition")
    acquisition.append_child_value("manufacturer", "Session Monitor")
    acquisition.append_child_value("software_version", __version__)
    if spec.type == "RR":
        codes = desc.append_child("beat_class_codes")
        for name, code in BEAT_CLASS_CODES.items():
            codes.append_child_value(name, str(code))
        desc.append_child_value(
            "timestamps", "beat time (end of the RR interval), not arrival or sending time"
        )
    return info


def lsl_clock_map(origin_monotonic_s: float, speed: float = 1.0) -> SessionClockMap:
    """Map a session whose origin is ``origin_monotonic_s`` (``time.monotonic``) onto the LSL
    clock, reading both clocks together now."""
    before_s = time.monotonic()
    lsl_now_s = pylsl.local_clock()
    after_s = time.monotonic()
    return SessionClockMap.from_clocks(
        origin_monotonic_s, (before_s + after_s) / 2, lsl_now_s, speed
    )


class SessionOutlets:
    """The LSL outlets of one session.

    Parameters
    ----------
    clock : SessionClockMap, optional
        Session time → LSL clock (:func:`lsl_clock_map`); a session given these outlets sets
        its own when it starts.
    name_prefix : str
        Streams are named ``{name_prefix}-RR``, ``-HRV``, ``-Markers``, ``-ClientView``, and
        ``-ECG`` and ``-ACC`` once the strap sends raw data.
    source_id : str, optional
        LSL source id (stream ``-rr``, ``-hrv``, ``-markers`` appended); a fresh random one per
        session by default. It never holds the client code.
    """

    def __init__(
        self,
        clock: SessionClockMap | None = None,
        name_prefix: str = "SessionMonitor",
        source_id: str | None = None,
    ) -> None:
        self.clock = clock or SessionClockMap(0.0)
        base_id = source_id or f"session-monitor-{uuid.uuid4().hex[:12]}"
        rr, hrv, markers = stream_specs(name_prefix)
        self.specs = (rr, hrv, markers)
        self._rr = pylsl.StreamOutlet(_stream_info(rr, f"{base_id}-rr"))
        self._hrv = pylsl.StreamOutlet(_stream_info(hrv, f"{base_id}-hrv"))
        self._markers = pylsl.StreamOutlet(_stream_info(markers, f"{base_id}-markers"))
        view = client_view_spec(name_prefix)
        self._client_view = pylsl.StreamOutlet(_stream_info(view, f"{base_id}-clientview"))
        self._name_prefix = name_prefix
        self._base_id = base_id
        self._raw: dict[str, pylsl.StreamOutlet] = {}
        self._client_state = ClientViewState()
        self._client_state_sent_s = -math.inf
        # The dashboard (GUI thread) sets the state while the session thread publishes.
        self._client_lock = threading.Lock()
        self.source_id = base_id

    def set_client_state(self, state: ClientViewState) -> None:
        """The client view's settings (the dashboard calls this at each redraw): sent when they
        change, and again every RESEND_S for a view that joins late."""
        with self._client_lock:
            changed = state != self._client_state
            self._client_state = state
        if changed or time.monotonic() - self._client_state_sent_s >= RESEND_S:
            self._send_client_state()

    @property
    def client_state(self) -> ClientViewState:
        return self._client_state

    def publish(self, update: StreamedUpdate) -> None:
        """Push everything ``update`` holds for the streams, each at its session time."""
        self._push(self._rr, rr_samples(update))
        self._push(self._hrv, hrv_samples(update))
        self._push(self._markers, marker_samples(update))
        if time.monotonic() - self._client_state_sent_s >= RESEND_S:
            self._send_client_state()
        for kind, run in raw_runs(update):
            self._push_run(kind, run)
        drive = scene_drive_of(update, self._client_state.driver)
        if drive is not None:
            with self._client_lock:
                if self._client_view is not None:
                    stamp = self.clock.lsl_time(update.t_s)
                    self._client_view.push_sample([drive_message(drive)], stamp)

    def _push_run(self, kind: str, run: EcgSamples | AccSamples) -> None:
        """One ECG or ACC run, each sample at its own time; the stream is made with the first
        run (only straps that send raw data have one)."""
        outlet = self._raw.get(kind)
        if outlet is None:
            spec = raw_stream_spec(kind, run.sample_hz, self._name_prefix)
            outlet = pylsl.StreamOutlet(_stream_info(spec, f"{self._base_id}-{kind.lower()}"))
            self._raw[kind] = outlet
        values = [[v] for v in run.ecg_uv] if isinstance(run, EcgSamples) else run.acc_mg
        if values:
            outlet.push_chunk(values, [self.clock.lsl_time(t) for t in run.times_s()])

    def _send_client_state(self) -> None:
        # Stamped when sent: it is the therapist's setting from now on, not a beat's.
        with self._client_lock:
            outlet = self._client_view
            if outlet is not None:
                outlet.push_sample([self._client_state.to_json()], pylsl.local_clock())
                self._client_state_sent_s = time.monotonic()

    def _push(self, outlet: pylsl.StreamOutlet, samples: list[TimedSample]) -> None:
        for sample in samples:
            outlet.push_sample(list(sample.values), self.clock.lsl_time(sample.t_s))

    def close(self) -> None:
        """Withdraw the streams from the network."""
        # pylsl destroys an outlet (and stops announcing it) when its last reference goes.
        self._rr = self._hrv = self._markers = None
        self._raw.clear()
        with self._client_lock:
            self._client_view = None
