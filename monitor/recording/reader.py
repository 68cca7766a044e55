"""Reading a session file: metadata, packets, beats and events, and a replay source from it.

The file is opened read-only and checked before anything is read from it: a missing, empty,
foreign (not SQLite, or SQLite but not ours), newer, truncated or corrupted file raises
:class:`~monitor.recording.errors.UnreadableFileError` with one line naming the file and the
problem. A recording cut short by a crash is not an error: it reads up to its last commit, with
``metadata.end_utc`` left ``None``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from drivers.events import AccSamples, EcgSamples, SourceEvent
from drivers.replay import ReplaySource
from monitor.recording.errors import UnreadableFileError
from monitor.recording.input_files import require_regular_input
from monitor.recording.model import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    THERAPIST_EVENT_KINDS,
    UNDECIDED_CLASS,
    EventKind,
    RecordedBeats,
    RecordedPackets,
    RecordedSamples,
    RecordedSession,
    SessionEvent,
    SessionMetadata,
    SourceKind,
    source_event_from_session,
)
from monitor.recording.session_file import (
    MAX_RAW_SAMPLE_HZ,
    RAW_DATA_TABLES,
    RAW_RUN_MARGIN_S,
    RAW_SAMPLE_DTYPE,
    SESSION_TABLES,
    THERAPIST_SOURCE,
    THERAPIST_TABLES,
)

SQLITE_HEADER = b"SQLite format 3\x00"
_HEADER_SIZE = 100


class SessionReader:
    """A session file opened for reading.

    Parameters
    ----------
    path : str or Path
        The session file.

    Raises
    ------
    UnreadableFileError
        The file is missing, not a session file, from a newer version, truncated or corrupted.

    Examples
    --------
    >>> with SessionReader("C017_2025-03-01T101500Z.sqlite") as session:
    ...     beats = session.beats()
    ...     suds = session.events(EventKind.SUDS)
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.schema_version = check_session_file(self.path)
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        try:
            self._connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error as error:
            raise UnreadableFileError(f"{self.path}: cannot open session file ({error})") from None
        try:
            self._check_content()
            self.metadata = self._read_metadata()
        except BaseException:
            self._connection.close()
            raise

    # -- reading --------------------------------------------------------------------------------

    def packets(self, table: str = "packets") -> RecordedPackets:
        """Every stored notification, in arrival order."""
        rows = self._query(f"SELECT arrival_s, raw FROM {table} ORDER BY seq")
        return RecordedPackets(
            arrival_s=np.array([row[0] for row in rows], dtype=np.float64),
            raw=[bytes(row[1]) for row in rows],
        )

    def beats(self, table: str = "beats") -> RecordedBeats:
        """Every beat, in beat order; undecided classes are :data:`UNDECIDED_CLASS`."""
        rows = self._query(f"SELECT t_s, rr_ms, arrival_s, beat_class FROM {table} ORDER BY idx")
        if not rows:
            empty = np.empty(0, dtype=np.float64)
            return RecordedBeats(empty, empty.copy(), empty.copy(), np.empty(0, dtype=np.int8))
        values = np.array(
            [(t, rr, a, UNDECIDED_CLASS if c is None else c) for t, rr, a, c in rows],
            dtype=np.float64,
        )
        return RecordedBeats(
            t_s=values[:, 0].copy(),
            rr_ms=values[:, 1].copy(),
            arrival_s=values[:, 2].copy(),
            beat_class=values[:, 3].astype(np.int8),
        )

    def therapist_beats(self) -> RecordedBeats | None:
        """The therapist's strap's beats (co-regulation, schema 3); ``None`` without one."""
        if not self._has_therapist_tables():
            return None
        beats = self.beats("therapist_beats")
        if beats.t_s.size == 0 and not self.therapist_events():
            return None
        return beats

    def therapist_packets(self) -> RecordedPackets | None:
        """The therapist's strap's notifications (co-regulation, schema 3); ``None`` without one."""
        if self.therapist_beats() is None:
            return None
        return self.packets("therapist_packets")

    def therapist_events(self) -> list[SessionEvent]:
        """The therapist's strap's events (connection, contact, gaps, its own alerts)."""
        return self.events(source=THERAPIST_SOURCE)

    def events(
        self, kinds: EventKind | Iterable[EventKind] | None = None, source: str | None = None
    ) -> list[SessionEvent]:
        """Recorded events in time order, optionally only some kinds.

        Parameters
        ----------
        kinds : EventKind or iterable of EventKind, optional
            Only these kinds; all by default.
        source : str, optional
            ``"therapist"`` for the therapist strap's events; otherwise the session's own
            (the client's strap and the therapist's input).
        """
        if isinstance(kinds, str):
            kinds = (kinds,)
        wanted = None if kinds is None else {EventKind(k) for k in kinds}
        rows = self._query(
            "SELECT t_s, kind, value, text, end_s, data_json FROM events ORDER BY t_s, id"
        )
        events = []
        for t_s, kind, value, text, end_s, data_json in rows:
            try:
                event = SessionEvent(
                    t_s, EventKind(kind), value, text or "", end_s, json.loads(data_json or "{}")
                )
            except (ValueError, TypeError) as error:
                raise UnreadableFileError(
                    f"{self.path}: corrupted event at {t_s} s ({error})"
                ) from None
            # Only the therapist's strap marks its events; anything else is the session's own.
            therapists = event.data.get("source") == THERAPIST_SOURCE
            if therapists != (source == THERAPIST_SOURCE):
                continue
            if wanted is None or event.kind in wanted:
                events.append(event)
        return events

    def ecg_signal(self) -> RecordedSamples | None:
        """The strap's raw ECG in µV (schema 4); ``None`` for a file without any (every older
        file, a strap without raw data)."""
        return self._raw_runs("ecg_runs", "samples", 1)

    def acc_signal(self) -> RecordedSamples | None:
        """The strap's raw accelerometer, x y z in mg (schema 4); ``None`` without any."""
        return self._raw_runs("acc_runs", "xyz", 3)

    def _raw_runs(self, table: str, column: str, axes: int) -> RecordedSamples | None:
        if table not in self._tables():
            return None  # before schema 4
        rows = self._query(
            f"SELECT seq, start_s, arrival_s, sample_hz, {column} FROM {table} ORDER BY seq"
        )
        if not rows:
            return None
        runs = []
        width = 4 * axes
        # A run must lie within the session's notifications, at a rate a strap can have: a
        # damaged or crafted time or rate would otherwise make an export of the whole session's
        # signal ask for any amount of memory.
        (last_s,) = self._query("SELECT max(arrival_s) FROM packets")[0]
        latest_s = (0.0 if last_s is None else float(last_s)) + RAW_RUN_MARGIN_S
        for seq, start_s, _, hz, blob in rows:
            if len(blob) % width or not 0 < hz <= MAX_RAW_SAMPLE_HZ:
                raise UnreadableFileError(
                    f"{self.path}: damaged session file ({table} row {seq}: "
                    f"{len(blob)} bytes of samples at {hz} Hz)"
                )
            run_s = len(blob) / width / hz
            if not (-RAW_RUN_MARGIN_S <= start_s and start_s + run_s <= latest_s):
                raise UnreadableFileError(
                    f"{self.path}: damaged session file ({table} row {seq}: samples at "
                    f"{start_s:g} s, outside the session's {latest_s - RAW_RUN_MARGIN_S:g} s)"
                )
            values = np.frombuffer(bytes(blob), dtype=RAW_SAMPLE_DTYPE).astype(np.int32)
            runs.append(values.reshape(-1, 3) if axes == 3 else values)
        return RecordedSamples(
            start_s=np.array([row[1] for row in rows], dtype=np.float64),
            arrival_s=np.array([row[2] for row in rows], dtype=np.float64),
            sample_hz=np.array([row[3] for row in rows], dtype=np.float64),
            runs=runs,
        )

    def _tables(self) -> set[str]:
        return {row[0] for row in self._query("SELECT name FROM sqlite_master")}

    def _has_therapist_tables(self) -> bool:
        tables = {row[0] for row in self._query("SELECT name FROM sqlite_master")}
        return all(table in tables for table in THERAPIST_TABLES)

    def read_all(self) -> RecordedSession:
        """Everything in the file at once."""
        return RecordedSession(
            metadata=self.metadata,
            packets=self.packets(),
            beats=self.beats(),
            events=self.events(),
            schema_version=self.schema_version,
            therapist_beats=self.therapist_beats(),
            therapist_events=self.therapist_events(),
            therapist_packets=self.therapist_packets(),
            ecg=self.ecg_signal(),
            acc=self.acc_signal(),
        )

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> SessionReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        try:
            return self._connection.execute(sql).fetchall()
        except sqlite3.DatabaseError as error:
            raise UnreadableFileError(f"{self.path}: corrupted session file ({error})") from None
        except UnicodeDecodeError:
            # A damaged page can turn a text cell into bytes that are not UTF-8.
            raise UnreadableFileError(
                f"{self.path}: corrupted session file (a text field is not valid text)"
            ) from None

    def _check_content(self) -> None:
        # SQLite itself judges the pages: a file shorter than its header says is fine when the
        # missing pages are unused (a checkpoint cut short by a full disk) and damaged otherwise.
        problem = _quick_check_problem(self._connection)
        if problem is not None:
            raise UnreadableFileError(f"{self.path}: {self._damage_kind()} ({problem})")
        tables = {row[0] for row in self._query("SELECT name FROM sqlite_master")}
        missing = [t for t in SESSION_TABLES if t not in tables]
        if missing:
            raise UnreadableFileError(
                f"{self.path}: damaged session file (missing table {', '.join(missing)})"
            )
        self._check_column_types()

    def _damage_kind(self) -> str:
        size, declared = _sizes(self.path)
        if declared is not None and size < declared:
            return f"truncated session file ({size} bytes, its header says {declared})"
        return "corrupted session file"

    def _check_column_types(self) -> None:
        """Refuse text or blobs where numbers belong (and the reverse), with the first offender.

        SQLite stores any value in any column; a file edited by hand or by another program may
        hold ``'abc'`` as an RR interval, which must be one line, not a traceback later.
        """
        tables = self._tables()
        for table, key, columns in _COLUMN_TYPES:
            if table in RAW_DATA_TABLES and table not in tables:
                continue  # before schema 4
            for column, allowed in columns.items():
                kinds = ", ".join(f"'{kind}'" for kind in allowed)
                rows = self._query(
                    f"SELECT {key}, typeof({column}) FROM {table} "
                    f"WHERE typeof({column}) NOT IN ({kinds}) LIMIT 1"
                )
                if rows:
                    row_key, found = rows[0]
                    raise UnreadableFileError(
                        f"{self.path}: damaged session file ({table} row {row_key}: {column} "
                        f"holds {_TYPE_NAMES.get(found, found)}, not {_TYPE_NAMES[allowed[0]]})"
                    )
        rows = self._query(
            "SELECT 'beat', idx FROM beats WHERE abs(t_s) > 1e9 OR abs(rr_ms) > 1e9 "
            "OR abs(arrival_s) > 1e9 "
            "UNION ALL SELECT 'event', id FROM events WHERE abs(t_s) > 1e9 OR abs(end_s) > 1e9 "
            "UNION ALL SELECT 'packet', seq FROM packets WHERE abs(arrival_s) > 1e9 LIMIT 1"
        )
        if rows:
            what, row_key = rows[0]
            raise UnreadableFileError(
                f"{self.path}: damaged session file ({what} {row_key} has a time or interval "
                "beyond 10^9 s or ms, which no session holds)"
            )

    def _read_metadata(self) -> SessionMetadata:
        rows = self._query(
            "SELECT client_code, start_utc, end_utc, source_kind, device_name, device_address, "
            "software_version, settings_json, original_file_name FROM session WHERE id = 1"
        )
        if not rows:
            raise UnreadableFileError(f"{self.path}: damaged session file (no session row)")
        (code, start, end, kind, name, address, version, settings, original) = rows[0]
        try:
            return SessionMetadata(
                client_code=code,
                start_utc=_parse_utc(start),
                end_utc=_parse_utc(end),
                source_kind=SourceKind(kind),
                device_name=name or "",
                device_address=address or "",
                software_version=version,
                settings=json.loads(settings or "{}"),
                original_file_name=original,
            )
        except (ValueError, TypeError) as error:
            raise UnreadableFileError(f"{self.path}: damaged session metadata ({error})") from None


# Storage classes each column may hold (SQLite's typeof names); the first is the one named in
# the message. NULL only where the schema allows it.
_NUMBER = ("real", "integer")
_COLUMN_TYPES: tuple[tuple[str, str, dict[str, tuple[str, ...]]], ...] = (
    ("packets", "seq", {"arrival_s": _NUMBER, "raw": ("blob",)}),
    (
        "beats",
        "idx",
        {
            "t_s": _NUMBER,
            "rr_ms": _NUMBER,
            "arrival_s": _NUMBER,
            "beat_class": ("integer", "null"),
        },
    ),
    (
        "events",
        "id",
        {
            "t_s": _NUMBER,
            "kind": ("text",),
            "value": (*_NUMBER, "null"),
            "text": ("text", "null"),
            "end_s": (*_NUMBER, "null"),
            "data_json": ("text", "null"),
        },
    ),
    *(
        (
            table,
            "seq",
            {"start_s": _NUMBER, "arrival_s": _NUMBER, "sample_hz": _NUMBER, column: ("blob",)},
        )
        for table, column in (("ecg_runs", "samples"), ("acc_runs", "xyz"))
    ),
    (
        "session",
        "id",
        {
            "client_code": ("text",),
            "start_utc": ("text", "null"),
            "end_utc": ("text", "null"),
            "source_kind": ("text",),
            "device_name": ("text", "null"),
            "device_address": ("text", "null"),
            "software_version": ("text",),
            "settings_json": ("text", "null"),
            "original_file_name": ("text", "null"),
        },
    ),
)
_TYPE_NAMES = {
    "real": "a number",
    "integer": "a whole number",
    "text": "text",
    "blob": "bytes",
    "null": "nothing",
}


def _quick_check_problem(connection: sqlite3.Connection) -> str | None:
    """SQLite's ``PRAGMA quick_check`` verdict: ``None`` when sound, else its first complaint
    on one line (damaged pages can make it return bytes that are not UTF-8)."""
    factory = connection.text_factory
    connection.text_factory = bytes
    try:
        rows = connection.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as error:
        return " ".join(str(error).split())
    except UnicodeDecodeError:
        # Even the check's own message can come back as bytes that are not UTF-8.
        return "damaged pages (SQLite's check reports them in unreadable text)"
    finally:
        connection.text_factory = factory
    first = rows[0][0] if rows else b"no result"
    text = first.decode("utf-8", "replace") if isinstance(first, bytes) else str(first)
    if len(rows) == 1 and text == "ok":
        return None
    return " ".join(text.split())[:200]


def _sizes(path: Path) -> tuple[int, int | None]:
    """The file's size and the size its header declares (``None`` if it declares none)."""
    try:
        with path.open("rb") as file:
            header = file.read(_HEADER_SIZE)
            size = os.fstat(file.fileno()).st_size
    except OSError:
        return 0, None
    if len(header) < _HEADER_SIZE:
        return size, None
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    page_count = int.from_bytes(header[28:32], "big")
    # The in-header page count is only trustworthy when written by SQLite >= 3.7.0, which says
    # so by matching the change counter (bytes 24-27) at bytes 92-95.
    if header[24:28] != header[92:96] or not page_count:
        return size, None
    return size, page_size * page_count


def _parse_utc(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def check_session_file(path: str | Path) -> int:
    """Check a file's header without opening it as a database; return its schema version.

    Catches what SQLite itself would report vaguely or not at all: a missing or empty file,
    another file type, another application's SQLite database and a file from a newer version.
    A file shorter than its header says is not refused here: a checkpoint cut short by a full
    disk leaves such a file, and it is sound when SQLite's own check of its pages
    (:class:`SessionReader`) says so.

    Raises
    ------
    UnreadableFileError
        With one line naming the file and the problem.
    """
    path = Path(path)
    require_regular_input(path, "session")
    try:
        with path.open("rb") as file:
            header = file.read(_HEADER_SIZE)
            size = path.stat().st_size
    except FileNotFoundError:
        raise UnreadableFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableFileError(f"{path}: is a folder, not a session file") from None
    except PermissionError:
        raise UnreadableFileError(f"{path}: permission denied") from None
    if size == 0:
        raise UnreadableFileError(f"{path}: empty file, not a session file")
    if not header.startswith(SQLITE_HEADER):
        raise UnreadableFileError(f"{path}: not a session file (not an SQLite database)")
    if len(header) < _HEADER_SIZE:
        raise UnreadableFileError(f"{path}: truncated session file ({size} bytes)")
    application_id = int.from_bytes(header[68:72], "big")
    if application_id != APPLICATION_ID:
        raise UnreadableFileError(
            f"{path}: an SQLite database, but not a Session Monitor session file"
        )
    schema_version = int.from_bytes(header[60:64], "big")
    if schema_version > SCHEMA_VERSION:
        raise UnreadableFileError(
            f"{path}: written by a newer Session Monitor (schema {schema_version}; this version "
            f"reads up to {SCHEMA_VERSION}); please update"
        )
    return schema_version


def read_session(path: str | Path) -> RecordedSession:
    """Read a whole session file (see :class:`SessionReader`)."""
    with SessionReader(path) as reader:
        return reader.read_all()


def replay_source(
    session: RecordedSession | str | Path, *, speed: float = 1.0, start_s: float = 0.0
) -> ReplaySource:
    """A :class:`drivers.replay.ReplaySource` for a recorded session.

    Packets are re-parsed from their stored bytes; recorded connection, battery, contact, gap
    and device events become source events again; phase markers, SUDS, notes and alerts come
    as :class:`drivers.replay.ReplayMarker` items carrying the :class:`SessionEvent`. In a
    co-regulation session the therapist's strap comes too, its packets and strap events as
    :class:`drivers.replay.TherapistItem`.

    Parameters
    ----------
    session : RecordedSession, str or Path
        A session read with :func:`read_session`, or the file to read.
    speed : float
        Recorded seconds per wall-clock second; ``math.inf`` for as fast as possible.
    start_s : float
        Where to start (earlier items are emitted at full speed first).
    """
    if not isinstance(session, RecordedSession):
        session = read_session(session)
    source_events = []
    markers = []
    for event in session.events:
        if event.kind in THERAPIST_EVENT_KINDS:
            markers.append((event.t_s, event))
            continue
        source_event = source_event_from_session(event)
        if source_event is not None:
            source_events.append(source_event)
    # A strap's raw data comes back as it arrived, so the engine checks the same beats against
    # the same ECG and reads the same breathing and movement as it did live.
    source_events.extend(_raw_events(session))
    # The therapist strap's own alerts are not fed back: its engine raises them again.
    therapist_events = [source_event_from_session(e) for e in session.therapist_events]
    therapist_packets = session.therapist_packets
    return ReplaySource(
        session.packets.pairs(),
        source_events,
        markers,
        therapist_packets=() if therapist_packets is None else therapist_packets.pairs(),
        therapist_events=[e for e in therapist_events if e is not None],
        speed=speed,
        start_s=start_s,
    )


def _raw_events(session: RecordedSession) -> list[SourceEvent]:
    """The stored ECG and ACC runs as the source events they were recorded from."""
    events: list[SourceEvent] = []
    if session.ecg is not None:
        ecg = session.ecg
        for i, run in enumerate(ecg.runs):
            events.append(
                EcgSamples(
                    float(ecg.arrival_s[i]),
                    float(ecg.start_s[i]),
                    float(ecg.sample_hz[i]),
                    tuple(int(v) for v in run),
                )
            )
    if session.acc is not None:
        acc = session.acc
        for i, run in enumerate(acc.runs):
            xyz = tuple((int(x), int(y), int(z)) for x, y, z in run)
            events.append(
                AccSamples(
                    float(acc.arrival_s[i]), float(acc.start_s[i]), float(acc.sample_hz[i]), xyz
                )
            )
    return events
