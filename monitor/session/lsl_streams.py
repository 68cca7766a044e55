"""What the session's Lab Streaming Layer (LSL) outlets send: pure mappings, no pylsl.

Four streams follow one session (issue #17; the outlets themselves are
:mod:`monitor.session.lsl_outlets`):

- ``RR`` (type ``"RR"``, irregular rate): one sample per raw beat, ``[rr_ms, beat_class]``,
  sent once the artefact filter has decided the beat's class (a few beats of look-ahead),
  stamped with the beat's own time on the LSL clock, never its arrival or sending time.
- ``HRV`` (type ``"HRV"``, irregular rate): once per NN beat, the live indices
  (:class:`~monitor.core.indices.WindowIndices`) and the arousal reading, stamped at the beat.
- ``Markers`` (type ``"Markers"``, strings): phases, SUDS, notes, alert starts and ends, gaps,
  connection and contact changes and changes of the window, each stamped at its own time.
- ``ECG`` and ``ACC`` (types ``"ECG"``, ``"ACC"``, regular rates) when the strap sends its raw
  data (a Polar H10): each sample stamped at its own time, the stream made with the first run.
- ``ClientView`` (type ``"ClientView"``, strings): the client view's settings as JSON
  (:class:`monitor.client.view_state.ClientViewState`) on each change and every few seconds,
  for the calm-place view on a second machine.

Channel labels and units follow the XDF meta-data conventions for channel descriptions
(``desc/channels/channel/{label,unit,type}``; Kothe et al., "XDF meta-data", SCCN,
https://github.com/sccn/xdf/wiki/Meta-Data). LSL's clock is ``lsl_local_clock`` (a steady clock);
:class:`SessionClockMap` maps session time onto it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Protocol

from drivers.events import AccSamples, ConnectionState, EcgSamples, SourceEvent
from monitor.core.artefacts import BeatClass, RawBeatDecision
from monitor.core.engine import HrvSnapshot
from monitor.core.indices import WindowIndices
from monitor.core.tolerance import ArousalReading
from monitor.recording.model import EventKind, SessionEvent


@dataclass(frozen=True)
class ChannelSpec:
    """One channel's description in the stream header (XDF meta-data conventions)."""

    label: str
    unit: str
    type: str


@dataclass(frozen=True)
class StreamSpec:
    """One outlet's header: name, content type, channels and value format."""

    name: str
    type: str
    channels: tuple[ChannelSpec, ...]
    string_values: bool = False
    nominal_hz: float = 0.0
    """The sampling rate of a regular stream (ECG, ACC); 0 for an irregular one."""


@dataclass(frozen=True)
class TimedSample:
    """One sample to push, and its session time (mapped onto the LSL clock when pushed)."""

    t_s: float
    values: tuple[float, ...] | tuple[str, ...]


def _unit_of(index_name: str) -> str:
    """The unit an index's name ends in (the project names units in names)."""
    for suffix, unit in (("_bpm", "bpm"), ("_ms2", "ms^2"), ("_ms", "ms"), ("_pct", "percent")):
        if index_name.endswith(suffix):
            return unit
    return "dimensionless"


RR_CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("rr_ms", "ms", "RR"),
    ChannelSpec("beat_class", "code", "BeatClass"),
)
"""The RR stream: the interval as received (ms, fraction kept) and its class code
(:class:`~monitor.core.artefacts.BeatClass`; the header lists the codes)."""

AROUSAL_CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("arousal", "baseline_sd", "Arousal"),
    ChannelSpec("z_hr", "baseline_sd", "Arousal"),
    ChannelSpec("z_vagal", "baseline_sd", "Arousal"),
)

HRV_CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("nn_ms", "ms", "HRV"),
    *(ChannelSpec(name, _unit_of(name), "HRV") for name in WindowIndices.names()),
    *AROUSAL_CHANNELS,
)
"""The HRV stream: the NN interval, every live index (NaN = not ready), and the arousal
reading's value and its two terms (NaN while calibrating or suspended)."""

MARKER_CHANNELS: tuple[ChannelSpec, ...] = (ChannelSpec("marker", "", "Marker"),)

BEAT_CLASS_CODES: dict[str, int] = {c.name.lower(): int(c) for c in BeatClass}
"""Written into the RR stream's header so a reader can decode ``beat_class``."""


def stream_specs(name_prefix: str = "SessionMonitor") -> tuple[StreamSpec, StreamSpec, StreamSpec]:
    """The three outlets' headers, named ``{name_prefix}-RR``, ``-HRV`` and ``-Markers``."""
    return (
        StreamSpec(f"{name_prefix}-RR", "RR", RR_CHANNELS),
        StreamSpec(f"{name_prefix}-HRV", "HRV", HRV_CHANNELS),
        StreamSpec(f"{name_prefix}-Markers", "Markers", MARKER_CHANNELS, string_values=True),
    )


CLIENT_VIEW_CHANNELS: tuple[ChannelSpec, ...] = (ChannelSpec("state", "json", "ClientView"),)
"""The client view's settings as one JSON string (:mod:`monitor.client.view_state`)."""


def client_view_spec(name_prefix: str = "SessionMonitor") -> StreamSpec:
    """The ``{name_prefix}-ClientView`` stream: what the client's calm-place view shows, for a
    view on a second machine (``client-view --lsl``)."""
    return StreamSpec(f"{name_prefix}-ClientView", "ClientView", CLIENT_VIEW_CHANNELS, True)


ECG_CHANNELS: tuple[ChannelSpec, ...] = (ChannelSpec("ECG", "microvolts", "ECG"),)
ACC_CHANNELS: tuple[ChannelSpec, ...] = tuple(
    ChannelSpec(f"ACC {axis}", "milli_g", "ACC") for axis in "XYZ"
)
"""The strap's raw data (Polar H10, issue #16) as it comes: ECG in µV, acceleration in mg."""


def raw_stream_spec(kind: str, sample_hz: float, name_prefix: str = "SessionMonitor") -> StreamSpec:
    """``{name_prefix}-ECG`` or ``-ACC`` at the strap's rate (made when the first run comes)."""
    channels = ECG_CHANNELS if kind == "ECG" else ACC_CHANNELS
    return StreamSpec(f"{name_prefix}-{kind}", kind, channels, nominal_hz=sample_hz)


def raw_runs(update: StreamedUpdate) -> list[tuple[str, EcgSamples | AccSamples]]:
    """The update's ECG and ACC runs (its source events), each with its stream type."""
    runs: list[tuple[str, EcgSamples | AccSamples]] = []
    for event in update.source_events:
        if isinstance(event, EcgSamples):
            runs.append(("ECG", event))
        elif isinstance(event, AccSamples):
            runs.append(("ACC", event))
    return runs


@dataclass(frozen=True)
class SessionClockMap:
    """Session time → LSL clock.

    Session time is seconds since the session's origin on the host's monotonic clock
    (docs/architecture.md, "Time"); LSL stamps are on ``lsl_local_clock``. At ``speed`` 1 a
    beat at session time ``t_s`` happened at ``lsl_origin_s + t_s``; a simulator running faster
    has its session seconds pass ``speed`` times faster than the clock's.

    Attributes
    ----------
    lsl_origin_s : float
        The session's origin read on the LSL clock.
    speed : float
        Session seconds per clock second (1 for a strap; finite).
    """

    lsl_origin_s: float
    speed: float = 1.0

    def lsl_time(self, t_s: float) -> float:
        """The LSL clock time of session time ``t_s``."""
        return self.lsl_origin_s + t_s / self.speed

    @classmethod
    def from_clocks(
        cls, origin_monotonic_s: float, monotonic_s: float, lsl_now_s: float, speed: float = 1.0
    ) -> SessionClockMap:
        """The map from one simultaneous reading of both clocks (``monotonic_s``,
        ``lsl_now_s``) and the session's origin on the monotonic clock. An unpaced session
        (infinite speed) is stamped as if at speed 1 from its origin."""
        if not (math.isfinite(speed) and speed > 0):
            speed = 1.0
        return cls(lsl_now_s - monotonic_s + origin_monotonic_s, speed)


class SourceStatusLike(Protocol):
    @property
    def state(self) -> ConnectionState: ...


class StreamedUpdate(Protocol):
    """What the outlets read of an update (:class:`monitor.session.engine.SessionUpdate`)."""

    @property
    def t_s(self) -> float: ...

    @property
    def beat(self) -> HrvSnapshot | None: ...
    @property
    def reading(self) -> ArousalReading | None: ...
    @property
    def beat_classes(self) -> Sequence[RawBeatDecision]: ...
    @property
    def events(self) -> Sequence[SessionEvent]: ...
    @property
    def status(self) -> SourceStatusLike: ...
    @property
    def source_events(self) -> Sequence[SourceEvent]: ...


def rr_samples(update: StreamedUpdate) -> list[TimedSample]:
    """RR samples of the raw beats whose class the update decides, in beat order."""
    return [
        TimedSample(d.t_s, (float(d.rr_ms), float(int(d.beat_class))))
        for d in sorted(update.beat_classes, key=lambda d: d.index)
    ]


def hrv_samples(update: StreamedUpdate) -> list[TimedSample]:
    """The HRV sample of the update's NN beat (none without a beat)."""
    beat = update.beat
    if beat is None:
        return []
    indices = beat.indices
    reading = update.reading
    arousal = (
        (math.nan,) * 3 if reading is None else (reading.arousal, reading.z_hr, reading.z_vagal)
    )
    values = (
        float(beat.nn_ms),
        *(float(getattr(indices, f.name)) for f in fields(indices)),
        *(float(v) for v in arousal),
    )
    return [TimedSample(beat.t_s, values)]


def _with_text(head: str, text: str) -> str:
    return f"{head}: {text}" if text else head


def marker_texts(event: SessionEvent) -> list[tuple[float, str]]:
    """The marker strings of one session event, each with its session time.

    An alert is sent as ``alert start: KIND: REASON`` when it starts and ``alert end: KIND``
    when it ends; a gap, known once it is over, as ``gap start: REASON`` and ``gap end``
    stamped at its two ends. Battery levels and device details are not markers.
    """
    match event.kind:
        case EventKind.PHASE:
            return [(event.t_s, f"phase: {event.text}")]
        case EventKind.SUDS:
            rating = "" if event.value is None else f"{int(event.value)}"
            comment = f" ({event.text})" if event.text else ""
            return [(event.t_s, f"suds: {rating}{comment}")]
        case EventKind.NOTE:
            return [(event.t_s, f"note: {event.text}")]
        case EventKind.ALERT:
            kind = str(event.data.get("alert_kind", "alert"))
            if event.end_s is not None:
                return [(event.end_s, f"alert end: {kind}")]
            return [(event.t_s, _with_text(f"alert start: {kind}", event.text))]
        case EventKind.GAP:
            start = (event.t_s, _with_text("gap start", event.text))
            return [start] if event.end_s is None else [start, (event.end_s, "gap end")]
        case EventKind.CONNECTION:
            detail = str(event.data.get("detail", ""))
            return [(event.t_s, _with_text(f"connection: {event.text}", detail))]
        case EventKind.CONTACT:
            return [(event.t_s, "contact: " + ("on" if event.value else "lost"))]
        case EventKind.TOLERANCE:
            return [(event.t_s, _with_text("tolerance", event.text))]
    return []


def marker_samples(update: StreamedUpdate) -> list[TimedSample]:
    """Marker samples of the update's events, in the order the events came."""
    return [
        TimedSample(t_s, (text,)) for event in update.events for t_s, text in marker_texts(event)
    ]
