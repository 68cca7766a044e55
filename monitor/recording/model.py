"""The records a session file holds: metadata, packets, beats and events.

These types are shared by the session writer and reader, the session engine, the importers and
exporters, and the UI. Times named ``*_s`` are seconds since the session start (the writer's time
origin), never wall-clock times; the only wall-clock times are the UTC start and end in
:class:`SessionMetadata`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from drivers.events import (
    BatteryLevel,
    ConnectionState,
    ContactChanged,
    DeviceInfo,
    SignalGap,
    SourceEvent,
    StateChanged,
)

SCHEMA_VERSION = 4
"""Version of the session-file schema this code writes (``PRAGMA user_version``).

1. The first layout. The settings hold the window of tolerance the session *ended* with; a
   live change of the window is only a note.
2. Each live change of the window of tolerance is a ``tolerance`` event, and the settings hold
   the window the session *started* with, so a replay applies every change at its time. (The
   tables are unchanged: a version-1 file reads as a session whose window never changed.)
3. A co-regulation session also holds the therapist's strap: tables ``therapist_packets`` and
   ``therapist_beats``, and its events marked ``"source": "therapist"``. Older files read as
   sessions without a therapist strap.
4. A strap's raw data (Polar H10, Polar Measurement Data): tables ``ecg_runs`` and
   ``acc_runs``, one row per run of samples as the strap sent it (start time, rate, the samples
   as little-endian int32: µV, or mg interleaved x, y, z). Older files read as sessions
   without raw data.
"""

APPLICATION_ID = 0x534D6F6E
"""``PRAGMA application_id`` of every session file: ASCII ``"SMon"``, so ``file(1)`` and our reader
can tell a session file from any other SQLite database."""

UNDECIDED_CLASS = -1
"""Beat class stored in numpy arrays for a beat the artefact filter has not decided yet (NULL in
the file)."""

MAX_BEAT_CLASS = 6
"""Highest artefact class code (``BeatClass.INVALID`` in :mod:`monitor.core.artefacts`)."""

SUDS_MIN = 0
SUDS_MAX = 10

# A client code is a pseudonym (e.g. "C017"); it goes into file names, so keep it to characters
# that are safe there on every system, and short enough that nobody types a full name into it.
_CLIENT_CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


class SourceKind(StrEnum):
    """Where a session's heartbeats came from."""

    BLE = "ble"
    SIMULATOR = "simulator"
    IMPORT = "import"


class EventKind(StrEnum):
    """What a :class:`SessionEvent` records.

    ``value``, ``text``, ``end_s`` and ``data`` are used as follows:

    ========== ============================ ================================================
    kind       value                        text / end_s / data
    ========== ============================ ================================================
    phase      --                           text: phase name (e.g. "baseline")
    suds       rating 0-10 (integer)        text: optional comment
    note       --                           text: the therapist's note
    alert      --                           text: reason; end_s: when it ended;
                                            data["alert_kind"]: which alert
    connection --                           text: :class:`ConnectionState` value;
                                            data["detail"]: why
    gap        --                           t_s: start, end_s: end; text: reason
    battery    percent                      --
    contact    1 (contact) or 0 (none)      --
    device     --                           text: device name; data["address"],
                                            data["body_sensor_location"], data["extra"]
    tolerance  --                           the therapist changed the window of tolerance
                                            live. text: the new bounds in words;
                                            data["settings"]: the settings from then on (all
                                            fields, or only the changed ones, over those in
                                            force before); data["after_beat_s"]: the last
                                            beat judged with the earlier settings (None: no
                                            beat yet; absent: unknown, e.g. an import)
    ========== ============================ ================================================
    """

    PHASE = "phase"
    SUDS = "suds"
    NOTE = "note"
    ALERT = "alert"
    CONNECTION = "connection"
    GAP = "gap"
    BATTERY = "battery"
    CONTACT = "contact"
    DEVICE = "device"
    TOLERANCE = "tolerance"


THERAPIST_EVENT_KINDS = frozenset(
    {EventKind.PHASE, EventKind.SUDS, EventKind.NOTE, EventKind.ALERT, EventKind.TOLERANCE}
)
"""Event kinds made in the session (by the therapist or the engine), not by the heart-rate
source. A replay re-emits these as markers; the others become source events again."""


def check_client_code(client_code: str) -> str:
    """Return ``client_code`` if it is a usable pseudonymous code, else raise ``ValueError``.

    Parameters
    ----------
    client_code : str
        1-32 characters: letters, digits, ``.``, ``_`` or ``-``, starting with a letter or digit.
    """
    if not _CLIENT_CODE_PATTERN.fullmatch(client_code):
        raise ValueError(
            f"client code {client_code!r} must be 1-32 letters, digits, '.', '_' or '-' "
            "(a pseudonym such as C017, never a name)"
        )
    return client_code


def _check_utc(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got a naive datetime")
    return value.astimezone(dt.UTC)


@dataclass(frozen=True)
class SessionMetadata:
    """What is known about a session as a whole.

    Attributes
    ----------
    client_code : str
        Pseudonymous client code (see :func:`check_client_code`).
    start_utc : datetime.datetime or None
        Wall-clock start of the session, timezone-aware, stored in UTC. Time ``0`` of every
        ``*_s`` value. ``None`` only for imports from files that do not record a start time.
    source_kind : SourceKind
        Strap, simulator or import.
    software_version : str
        ``monitor.__version__`` of the program that wrote the file.
    device_name, device_address : str
        The strap (empty when unknown, e.g. for imports).
    settings : Mapping[str, Any]
        Settings in force, JSON-serialisable.
    end_utc : datetime.datetime or None
        Wall-clock end, set when the writer closes; ``None`` for a session that was cut short
        (crash, power loss) or is still being recorded.
    original_file_name : str or None
        For imports: the name (not the path) of the file imported.
    """

    client_code: str
    start_utc: dt.datetime | None
    source_kind: SourceKind
    software_version: str
    device_name: str = ""
    device_address: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    end_utc: dt.datetime | None = None
    original_file_name: str | None = None

    def __post_init__(self) -> None:
        check_client_code(self.client_code)
        object.__setattr__(self, "source_kind", SourceKind(self.source_kind))
        object.__setattr__(self, "start_utc", _check_utc(self.start_utc, "start_utc"))
        object.__setattr__(self, "end_utc", _check_utc(self.end_utc, "end_utc"))
        if self.start_utc is None and self.source_kind is not SourceKind.IMPORT:
            raise ValueError("start_utc is required for a recorded (non-imported) session")
        # Fail now, not at the first write, if the settings cannot be stored.
        json.dumps(dict(self.settings), allow_nan=False)


@dataclass(frozen=True, slots=True)
class RecordedBeat:
    """One beat as stored: its time, its raw RR interval and its artefact class.

    Attributes
    ----------
    t_s : float
        Beat time (reconstructed from RR sums, see docs/architecture.md, "Time").
    rr_ms : float
        The RR interval ending at this beat, exactly as the source gave it.
    arrival_s : float
        When the notification carrying this RR arrived.
    beat_class : int or None
        ``BeatClass`` code from :mod:`monitor.core.artefacts`; ``None`` until decided.
    """

    t_s: float
    rr_ms: float
    arrival_s: float
    beat_class: int | None = None


@dataclass(frozen=True)
class RecordedBeats:
    """All beats of a session as parallel arrays, in beat order.

    Attributes
    ----------
    t_s, rr_ms, arrival_s : numpy.ndarray
        float64 arrays (see :class:`RecordedBeat`).
    beat_class : numpy.ndarray
        int8 array; :data:`UNDECIDED_CLASS` (-1) where the class was never decided.
    """

    t_s: np.ndarray
    rr_ms: np.ndarray
    arrival_s: np.ndarray
    beat_class: np.ndarray

    def __len__(self) -> int:
        return int(self.rr_ms.size)

    def __getitem__(self, index: int) -> RecordedBeat:
        beat_class = int(self.beat_class[index])
        return RecordedBeat(
            t_s=float(self.t_s[index]),
            rr_ms=float(self.rr_ms[index]),
            arrival_s=float(self.arrival_s[index]),
            beat_class=None if beat_class == UNDECIDED_CLASS else beat_class,
        )

    @classmethod
    def from_beats(cls, beats: list[RecordedBeat]) -> RecordedBeats:
        """Build the arrays from a list of beats."""
        return cls(
            t_s=np.array([b.t_s for b in beats], dtype=np.float64),
            rr_ms=np.array([b.rr_ms for b in beats], dtype=np.float64),
            arrival_s=np.array([b.arrival_s for b in beats], dtype=np.float64),
            beat_class=np.array(
                [UNDECIDED_CLASS if b.beat_class is None else b.beat_class for b in beats],
                dtype=np.int8,
            ),
        )


@dataclass(frozen=True)
class RecordedPackets:
    """Every raw Heart Rate Measurement notification, in arrival order.

    Attributes
    ----------
    arrival_s : numpy.ndarray
        float64 arrival times.
    raw : list of bytes
        The notification payloads exactly as received.
    """

    arrival_s: np.ndarray
    raw: list[bytes]

    def __len__(self) -> int:
        return len(self.raw)

    def pairs(self) -> list[tuple[float, bytes]]:
        """``(arrival_s, raw)`` pairs, the shape :class:`drivers.replay.ReplaySource` takes."""
        return [(float(t), raw) for t, raw in zip(self.arrival_s, self.raw, strict=True)]


@dataclass(frozen=True)
class RecordedSamples:
    """A strap's raw samples as stored: runs of samples, each with its start and rate (schema 4).

    Attributes
    ----------
    start_s, arrival_s, sample_hz : numpy.ndarray
        Per run: the first sample's time, the run's arrival and its rate (float64).
    runs : list of numpy.ndarray
        Per run, the samples: shape ``(n,)`` for ECG (µV), ``(n, 3)`` for ACC (x, y, z in mg);
        int32.
    """

    start_s: np.ndarray
    arrival_s: np.ndarray
    sample_hz: np.ndarray
    runs: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.runs)

    def times_s(self) -> np.ndarray:
        """Every sample's time (run start + index / rate), in storage order."""
        if not self.runs:
            return np.empty(0)
        return np.concatenate(
            [
                t0 + np.arange(len(run)) / hz
                for t0, hz, run in zip(self.start_s, self.sample_hz, self.runs, strict=True)
            ]
        )

    def samples(self) -> np.ndarray:
        """Every sample, in storage order (``(n,)`` or ``(n, 3)``, int32)."""
        if not self.runs:
            return np.empty(0, dtype=np.int32)
        return np.concatenate(self.runs)

    def native_hz(self) -> float:
        """The most common rate of the runs: the stream's own (a strap reconfigured between
        connections may leave a few runs at another)."""
        rates, counts = np.unique(self.sample_hz, return_counts=True)
        return float(rates[np.argmax(counts)])

    def end_s(self) -> float:
        """When the last sample of any run ends (session time; 0 without runs)."""
        if not self.runs:
            return 0.0
        lengths = np.array([len(run) for run in self.runs])
        return float(np.max(self.start_s + lengths / self.sample_hz))

    def at_native_rate(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(times, samples, rate) of the runs at :meth:`native_hz`, in time order."""
        hz = self.native_hz()
        same = [i for i in range(len(self.runs)) if self.sample_hz[i] == hz]
        t_s = np.concatenate([self.start_s[i] + np.arange(len(self.runs[i])) / hz for i in same])
        values = np.concatenate([self.runs[i] for i in same])
        order = np.argsort(t_s, kind="stable")
        return t_s[order], values[order], hz


@dataclass(frozen=True)
class SessionEvent:
    """Anything that happened in a session besides packets and beats.

    See :class:`EventKind` for how each kind uses the fields. Prefer the constructors
    :meth:`phase`, :meth:`suds`, :meth:`note` and :meth:`alert`, and
    :func:`session_event_from_source` for source events.

    Attributes
    ----------
    t_s : float
        When it happened (start, for events with a duration).
    kind : EventKind
    value : float or None
    text : str
    end_s : float or None
        End time for events with a duration (alerts, gaps); ``None`` while still going on.
    data : Mapping[str, Any]
        Further JSON-serialisable details.
    """

    t_s: float
    kind: EventKind
    value: float | None = None
    text: str = ""
    end_s: float | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EventKind(self.kind))
        if not math.isfinite(self.t_s):
            raise ValueError(f"event time must be finite, got {self.t_s}")
        if self.end_s is not None and not self.end_s >= self.t_s:
            raise ValueError(f"event end {self.end_s} s is before its start {self.t_s} s")
        if self.kind is EventKind.SUDS and (
            self.value is None
            or self.value != int(self.value)
            or not SUDS_MIN <= self.value <= SUDS_MAX
        ):
            raise ValueError(f"a SUDS rating is a whole number 0-10, got {self.value}")
        json.dumps(dict(self.data), allow_nan=False)

    def fields(self) -> dict[str, Any]:
        """The event as plain JSON-ready fields (read back by :meth:`from_fields`)."""
        return {
            "t_s": self.t_s,
            "kind": str(self.kind),
            "value": self.value,
            "text": self.text,
            "end_s": self.end_s,
            "data": dict(self.data),
        }

    @classmethod
    def from_fields(cls, fields: Any) -> SessionEvent:
        """The event :meth:`fields` gave.

        Raises
        ------
        ValueError
            ``fields`` is not such a mapping or describes no valid event.
        """
        if not isinstance(fields, dict) or set(fields) != _EVENT_FIELDS:
            raise ValueError(f"an event has exactly the fields {sorted(_EVENT_FIELDS)}")
        numbers = [fields["t_s"], fields["value"], fields["end_s"]]
        if not isinstance(fields["t_s"], int | float) or any(
            n is not None and (isinstance(n, bool) or not isinstance(n, int | float))
            for n in numbers
        ):
            raise ValueError("an event's t_s, value and end_s are numbers")
        if not isinstance(fields["text"], str) or not isinstance(fields["data"], dict):
            raise ValueError("an event's text is a string and its data an object")
        if any(n is not None and not abs(n) <= MAX_EVENT_TIME_S for n in numbers):
            raise ValueError(f"an event number that is not finite or beyond {MAX_EVENT_TIME_S:g}")
        return cls(
            t_s=float(fields["t_s"]),
            kind=EventKind(fields["kind"]),
            value=None if fields["value"] is None else float(fields["value"]),
            text=fields["text"],
            end_s=None if fields["end_s"] is None else float(fields["end_s"]),
            data=fields["data"],
        )

    @classmethod
    def phase(cls, t_s: float, name: str) -> SessionEvent:
        """A phase marker (baseline, exposure, rescripting, grounding, ...)."""
        return cls(t_s, EventKind.PHASE, text=name)

    @classmethod
    def suds(cls, t_s: float, rating: int, comment: str = "") -> SessionEvent:
        """A SUDS rating, 0 (no distress) to 10 (worst)."""
        return cls(t_s, EventKind.SUDS, value=rating, text=comment)

    @classmethod
    def note(cls, t_s: float, text: str) -> SessionEvent:
        """A free-text note."""
        return cls(t_s, EventKind.NOTE, text=text)

    @classmethod
    def alert(
        cls, t_s: float, alert_kind: str, reason: str, end_s: float | None = None
    ) -> SessionEvent:
        """An alert shown to the therapist, from ``t_s`` until ``end_s`` (``None``: ongoing)."""
        return cls(t_s, EventKind.ALERT, text=reason, end_s=end_s, data={"alert_kind": alert_kind})

    @classmethod
    def tolerance(
        cls,
        t_s: float,
        settings: Mapping[str, float],
        text: str,
        after_beat_s: float | None,
    ) -> SessionEvent:
        """The window of tolerance changed live to ``settings`` (see :class:`EventKind`)."""
        data = {"settings": dict(settings), "after_beat_s": after_beat_s}
        return cls(t_s, EventKind.TOLERANCE, text=text, data=data)


_EVENT_FIELDS = {"t_s", "kind", "value", "text", "end_s", "data"}
MAX_EVENT_TIME_S = 1e9
"""No session is 30 years long: a time beyond this is damage, not a time (the reader's bound)."""


def session_event_from_source(event: SourceEvent) -> SessionEvent | None:
    """The event to record for a non-packet source event.

    Parameters
    ----------
    event : SourceEvent
        Anything a source emits.

    Returns
    -------
    SessionEvent or None
        ``None`` for a :class:`HeartRatePacket`, which is stored as a packet instead.
    """
    match event:
        case StateChanged(arrival_s=t, state=state, detail=detail):
            return SessionEvent(t, EventKind.CONNECTION, text=str(state), data={"detail": detail})
        case BatteryLevel(arrival_s=t, percent=percent):
            return SessionEvent(t, EventKind.BATTERY, value=float(percent))
        case ContactChanged(arrival_s=t, contact=contact):
            return SessionEvent(t, EventKind.CONTACT, value=1.0 if contact else 0.0)
        case SignalGap(start_s=start, end_s=end, reason=reason):
            return SessionEvent(start, EventKind.GAP, text=reason, end_s=end)
        case DeviceInfo(arrival_s=t, name=name, address=address):
            return SessionEvent(
                t,
                EventKind.DEVICE,
                text=name,
                data={
                    "address": address,
                    "body_sensor_location": event.body_sensor_location,
                    "extra": dict(event.extra),
                },
            )
    return None


def source_event_from_session(event: SessionEvent) -> SourceEvent | None:
    """The source event a recorded event came from, for replay.

    The inverse of :func:`session_event_from_source`; ``None`` for therapist/engine events
    (phase, SUDS, note, alert), which no source emits.
    """
    match event.kind:
        case EventKind.CONNECTION:
            return StateChanged(
                event.t_s, ConnectionState(event.text), str(event.data.get("detail", ""))
            )
        case EventKind.BATTERY:
            return BatteryLevel(event.t_s, int(event.value or 0))
        case EventKind.CONTACT:
            return ContactChanged(event.t_s, bool(event.value))
        case EventKind.GAP:
            end_s = event.t_s if event.end_s is None else event.end_s
            return SignalGap(event.t_s, end_s, event.text)
        case EventKind.DEVICE:
            location = event.data.get("body_sensor_location")
            return DeviceInfo(
                event.t_s,
                event.text,
                str(event.data.get("address", "")),
                None if location is None else str(location),
                {str(k): str(v) for k, v in dict(event.data.get("extra", {})).items()},
            )
    return None


@dataclass(frozen=True)
class RecordedSession:
    """A whole session read into memory (see :func:`monitor.recording.reader.read_session`)."""

    metadata: SessionMetadata
    packets: RecordedPackets
    beats: RecordedBeats
    events: list[SessionEvent]
    schema_version: int = SCHEMA_VERSION
    therapist_beats: RecordedBeats | None = None
    """The therapist's own strap (co-regulation, schema 3); ``None`` without one."""
    therapist_events: list[SessionEvent] = field(default_factory=list)
    """The therapist strap's connection, contact, gap and alert events."""
    therapist_packets: RecordedPackets | None = None
    """The therapist strap's stored notifications (replay re-parses them)."""
    ecg: RecordedSamples | None = None
    """The strap's raw ECG (schema 4, a Polar H10 with raw data); ``None`` without it."""
    acc: RecordedSamples | None = None
    """The strap's raw accelerometer (schema 4); ``None`` without it."""

    @property
    def duration_s(self) -> float:
        """Time of the last thing recorded (beat, packet, event or event end), 0 if none."""
        candidates = [0.0]
        if len(self.beats):
            candidates.append(float(np.max(self.beats.t_s)))
        if len(self.packets):
            candidates.append(float(np.max(self.packets.arrival_s)))
        for event in self.events:
            candidates.append(event.t_s if event.end_s is None else event.end_s)
        return max(candidates)
