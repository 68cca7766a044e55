"""The session's LSL outlets: one more consumer of the engine's updates, beside the recorder.

Opening an outlet makes the machine announce the stream on the local network and serve it to
any inlet that asks (LSL's multicast discovery and TCP data ports): never on unless the user
asks (``--lsl``; README, "Privacy"). What each stream carries, and how, is
:mod:`monitor.session.lsl_streams`; this module only builds the pylsl outlets from those
headers and pushes the samples with their beat times on the LSL clock.
"""

from __future__ import annotations

import time
import uuid

import pylsl

from drivers.lsl_quiet import quiet_liblsl
from monitor import __version__
from monitor.session.lsl_streams import (
    BEAT_CLASS_CODES,
    SessionClockMap,
    StreamedUpdate,
    StreamSpec,
    TimedSample,
    hrv_samples,
    marker_samples,
    rr_samples,
    stream_specs,
)

quiet_liblsl()  # before liblsl's first call, which reads its configuration


def _stream_info(spec: StreamSpec, source_id: str) -> pylsl.StreamInfo:
    fmt = pylsl.cf_string if spec.string_values else pylsl.cf_double64
    info = pylsl.StreamInfo(
        spec.name, spec.type, len(spec.channels), pylsl.IRREGULAR_RATE, fmt, source_id
    )
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
    """The RR, HRV and Markers outlets of one session.

    Parameters
    ----------
    clock : SessionClockMap, optional
        Session time → LSL clock (:func:`lsl_clock_map`); a session given these outlets sets
        its own when it starts.
    name_prefix : str
        Streams are named ``{name_prefix}-RR``, ``-HRV``, ``-Markers``.
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
        self.source_id = base_id

    def publish(self, update: StreamedUpdate) -> None:
        """Push everything ``update`` holds for the streams, each at its session time."""
        self._push(self._rr, rr_samples(update))
        self._push(self._hrv, hrv_samples(update))
        self._push(self._markers, marker_samples(update))

    def _push(self, outlet: pylsl.StreamOutlet, samples: list[TimedSample]) -> None:
        for sample in samples:
            outlet.push_sample(list(sample.values), self.clock.lsl_time(sample.t_s))

    def close(self) -> None:
        """Withdraw the streams from the network."""
        # pylsl destroys an outlet (and stops announcing it) when its last reference goes.
        self._rr = self._hrv = self._markers = None
