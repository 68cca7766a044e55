"""Writing a session file: one SQLite database per session, crash-safe while it is recorded.

Layout (any SQLite tool can read it; ``PRAGMA application_id`` is :data:`APPLICATION_ID`,
``PRAGMA user_version`` is the schema version):

``session``
    One row: schema_version, client_code, start_utc / end_utc (ISO 8601, UTC; end_utc stays
    NULL if the recording was cut short), source_kind (ble/simulator/import), device_name,
    device_address, software_version, settings_json, original_file_name (imports).
``packets``
    Every Heart Rate Measurement notification: seq (arrival order), arrival_s, raw (BLOB, the
    bytes exactly as received).
``beats``
    idx (0-based beat number), t_s (beat time), rr_ms (raw RR, never altered), arrival_s,
    beat_class (``BeatClass`` code 0-6; NULL until the artefact filter decides).
``events``
    id, t_s, kind (``EventKind``), value, text, end_s, data_json.
``ecg_runs``, ``acc_runs`` (schema 4)
    A strap's raw data (Polar H10): seq (arrival order), start_s (first sample), arrival_s,
    sample_hz, and the samples of one run as the strap sent it, little-endian int32: ECG in
    µV (``samples``), ACC in mg interleaved x, y, z (``xyz``). Empty for a strap without.
``therapist_packets``, ``therapist_beats`` (schema 3)
    The therapist's own strap in a co-regulation session, laid out as ``packets`` and
    ``beats``; empty without one. The therapist strap's connection, contact, gap and alert
    events are in ``events`` with ``"source": "therapist"`` in data_json (the client's carry no
    source), written through :meth:`SessionWriter.therapist`.

All ``*_s`` columns are seconds since the session start.

Crash safety: the database runs in WAL mode and a writer thread commits whatever was handed to
it at most :data:`COMMIT_INTERVAL_S` after the first uncommitted row, so a killed process loses
well under a second. ``synchronous=FULL`` makes each commit durable against power loss and OS
crashes too, not only against a killed process; at two commits a second its cost is negligible
(measured 0.09 ms per commit against 0.01 ms with ``NORMAL``, ext4 on a virtual disk). The
loss on SIGKILL is measured by tests/recording/test_crash_safety.py.
Every :data:`CHECKPOINT_INTERVAL_S` the committed rows are also folded into the database file,
so it alone (copied without its ``-wal``) is never far behind.
On :meth:`SessionWriter.close` the file is checkpointed and switched back to a rollback journal,
so a finished session is one self-contained file.

Write failures: when a write fails (the disk is full, the disk refuses a write, the file was
deleted) the writer thread stops and every later call raises :class:`SessionWriteError`, whose
``reason`` says why in plain words. Everything committed before stays in the file and readable
(only the open transaction, under :data:`COMMIT_INTERVAL_S` of rows, is lost); the session
engine goes on monitoring without recording. A deleted file is noticed at the next commit:
SQLite itself would go on writing into it without complaint until the end of the session.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import errno
import json
import math
import os
import queue
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from drivers.events import AccSamples, DeviceInfo, EcgSamples, HeartRatePacket, SourceEvent
from monitor.recording.model import (
    APPLICATION_ID,
    MAX_BEAT_CLASS,
    SCHEMA_VERSION,
    RecordedBeat,
    SessionEvent,
    SessionMetadata,
    session_event_from_source,
)
from monitor.recording.output_guard import (
    SQLITE_COMPANION_SUFFIXES,
    OutputExistsError,
    check_output,
    hold_recording_lock,
    release_recording_lock,
)
from monitor.recording.paths import (
    PRIVATE_FILE_MODE,
    create_private_file,
    default_recordings_folder,
    default_session_path,
    ensure_private_folder,
    fsync_file,
    fsync_folder,
    partial_path_for,
    platform_recordings_folder,
    publish,
)

COMMIT_INTERVAL_S = 0.5
"""Longest time a row handed to the writer waits before it is committed."""

CHECKPOINT_INTERVAL_S = 30.0
"""How often the writer folds committed rows from the ``-wal`` file into the database file."""

SCHEMA_SQL = f"""
CREATE TABLE session (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    schema_version     INTEGER NOT NULL,
    client_code        TEXT NOT NULL,
    start_utc          TEXT,
    end_utc            TEXT,
    source_kind        TEXT NOT NULL CHECK (source_kind IN ('ble', 'simulator', 'import')),
    device_name        TEXT NOT NULL DEFAULT '',
    device_address     TEXT NOT NULL DEFAULT '',
    software_version   TEXT NOT NULL,
    settings_json      TEXT NOT NULL DEFAULT '{{}}',
    original_file_name TEXT
);
CREATE TABLE packets (
    seq       INTEGER PRIMARY KEY,
    arrival_s REAL NOT NULL,
    raw       BLOB NOT NULL
);
CREATE TABLE beats (
    idx        INTEGER PRIMARY KEY,
    t_s        REAL NOT NULL,
    rr_ms      REAL NOT NULL,
    arrival_s  REAL NOT NULL,
    beat_class INTEGER CHECK (beat_class BETWEEN 0 AND {MAX_BEAT_CLASS})
);
CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    t_s       REAL NOT NULL,
    kind      TEXT NOT NULL,
    value     REAL,
    text      TEXT NOT NULL DEFAULT '',
    end_s     REAL,
    data_json TEXT NOT NULL DEFAULT '{{}}'
);
CREATE INDEX events_by_time ON events (t_s);
CREATE TABLE therapist_packets (
    seq       INTEGER PRIMARY KEY,
    arrival_s REAL NOT NULL,
    raw       BLOB NOT NULL
);
CREATE TABLE therapist_beats (
    idx        INTEGER PRIMARY KEY,
    t_s        REAL NOT NULL,
    rr_ms      REAL NOT NULL,
    arrival_s  REAL NOT NULL,
    beat_class INTEGER CHECK (beat_class BETWEEN 0 AND {MAX_BEAT_CLASS})
);
CREATE TABLE ecg_runs (
    seq       INTEGER PRIMARY KEY,
    start_s   REAL NOT NULL,
    arrival_s REAL NOT NULL,
    sample_hz REAL NOT NULL CHECK (sample_hz > 0),
    samples   BLOB NOT NULL
);
CREATE TABLE acc_runs (
    seq       INTEGER PRIMARY KEY,
    start_s   REAL NOT NULL,
    arrival_s REAL NOT NULL,
    sample_hz REAL NOT NULL CHECK (sample_hz > 0),
    xyz       BLOB NOT NULL
);
"""

SESSION_TABLES = ("session", "packets", "beats", "events")
"""Tables every session file has (schema 1 on); schema 3 adds :data:`THERAPIST_TABLES`."""

THERAPIST_TABLES = ("therapist_packets", "therapist_beats")

RAW_DATA_TABLES = ("ecg_runs", "acc_runs")
"""A strap's raw ECG and accelerometer (schema 4)."""

RAW_SAMPLE_DTYPE = "<i4"
"""How ``ecg_runs.samples`` and ``acc_runs.xyz`` store a sample: little-endian int32."""
MAX_RAW_SAMPLE_HZ = 1000.0
"""The highest rate a stored ECG or ACC run may have (the H10 gives 130 Hz ECG and 25-200 Hz
ACC); a higher one is damage."""
RAW_RUN_MARGIN_S = 60.0
"""How far a stored run may lie before the session's start or after its last notification."""

THERAPIST_SOURCE = "therapist"
"""``data["source"]`` of the therapist strap's events."""

_BUSY_TIMEOUT_MS = 2000

_INSERT_PACKET = "INSERT INTO packets (seq, arrival_s, raw) VALUES (?, ?, ?)"
_INSERT_BEAT = "INSERT INTO beats (idx, t_s, rr_ms, arrival_s, beat_class) VALUES (?, ?, ?, ?, ?)"
_INSERT_ECG = (
    "INSERT INTO ecg_runs (seq, start_s, arrival_s, sample_hz, samples) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_ACC = (
    "INSERT INTO acc_runs (seq, start_s, arrival_s, sample_hz, xyz) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_EVENT = (
    "INSERT INTO events (id, t_s, kind, value, text, end_s, data_json) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


class SessionWriteError(OSError):
    """The session file could not be written (disk full, file deleted, ...).

    Raised by the writer's methods after its writer thread failed; whatever was committed
    before the failure stays readable.

    Attributes
    ----------
    reason : str
        Why, in a few plain words for the therapist (e.g. "the disk is full"), without the
        file's path.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = message if reason is None else reason

    def __str__(self) -> str:
        # OSError formats (errno, strerror) pairs; this error is always one line of text.
        return str(self.args[0]) if self.args else ""


class _FileDeleted(Exception):
    """The session file was unlinked while being written (raised inside the writer thread);
    ``args`` are its path and the session's start (UTC, or ``None``)."""


class _FileMoved(Exception):
    """The session file was renamed while being written; ``args[0]`` is where it is now (or
    ``None`` when that cannot be found)."""


def write_failure_reason(error: BaseException) -> str:
    """A failure of the writer thread in a few plain words (one line, no path).

    Parameters
    ----------
    error : BaseException
        What the writer thread caught: an ``sqlite3.Error`` or an ``OSError``.

    Returns
    -------
    str
        E.g. ``"the disk is full"`` or ``"the disk refused a write (disk I/O error)"``.
    """
    if isinstance(error, _FileDeleted):
        path, start_utc = error.args
        since = "" if start_utc is None else f" since {start_utc.astimezone():%H:%M:%S}"
        return (
            f"the session file was deleted while recording: everything recorded{since} is "
            f"lost; nothing remains at {path}"
        )
    if isinstance(error, _FileMoved):
        where = "elsewhere" if error.args[0] is None else f"to {error.args[0]}"
        return f"the session file was moved {where} while recording"
    name = getattr(error, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL" or getattr(error, "errno", None) == errno.ENOSPC:
        return "the disk is full"
    if name.startswith("SQLITE_IOERR"):
        return f"the disk refused a write ({error})"
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
        return f"the session file can no longer be written ({error})"
    text = " ".join(str(error).split()) or type(error).__name__
    return f"the session file could not be written ({text})"


def format_utc(value: dt.datetime | None) -> str | None:
    """ISO 8601 text for a UTC time as stored in the file (``None`` stays ``None``)."""
    return None if value is None else value.astimezone(dt.UTC).isoformat()


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str
    params: Sequence[Any] | Iterable[Sequence[Any]]
    many: bool = False


@dataclass(frozen=True, slots=True)
class _Flush:
    done: threading.Event


_CLOSE = object()


def _check_finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


class SessionWriter:
    """Records one session into a new session file.

    Create it with :meth:`create`. The ``add_*`` methods only queue rows and return at once (they
    are safe to call from the asyncio loop and the GUI thread alike); a writer thread inserts and
    commits them. Every time passed in is on the source clock; the file stores it minus
    ``time_origin_s`` (so ``time_origin_s`` is the session start on that clock).

    Examples
    --------
    >>> writer = SessionWriter.create(metadata, path, time_origin_s=time.monotonic())
    >>> writer.add_packet(packet.arrival_s, packet.raw)
    >>> index = writer.add_beat(beat.t_s, beat.rr_ms, beat.arrival_s)
    >>> writer.set_beat_classes(index - 5, [0])        # decided a few beats later
    >>> alert_id = writer.add_event(SessionEvent.alert(t, "above_window", "HR +25 bpm"))
    >>> writer.end_event(alert_id, t_end)
    >>> writer.close()
    """

    def __init__(
        self,
        path: Path,
        connection: sqlite3.Connection,
        *,
        time_origin_s: float,
        commit_interval_s: float,
        checkpoint_interval_s: float,
        lock_fd: int | None = None,
        start_utc: dt.datetime | None = None,
    ) -> None:
        self._path = path
        self._kept_path: Path | None = path
        self._start_utc = start_utc
        # Absolute, so that a change of working folder is never taken for a moved file.
        self._watched_path = path.absolute()
        self._lock_fd = lock_fd
        self._time_origin_s = float(time_origin_s)
        self._commit_interval_s = float(commit_interval_s)
        self._checkpoint_interval_s = float(checkpoint_interval_s)
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._next_packet = 0
        self._next_beat = 0
        self._next_therapist_packet = 0
        self._next_therapist_beat = 0
        self._next_event = 0
        self._next_raw = {"ecg_runs": 0, "acc_runs": 0}
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, args=(connection,), name=f"session-writer {path.name}", daemon=True
        )
        self._thread.start()
        # A session must end cleanly even when the program leaves through an exception; a
        # weak reference keeps the exit hook from holding a finished writer alive.
        self_ref = weakref.ref(self)

        def exit_hook() -> None:
            writer = self_ref()
            if writer is not None:
                writer.close()

        self._exit_hook = exit_hook
        atexit.register(self._exit_hook)

    # -- creation ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        metadata: SessionMetadata,
        path: str | Path | None = None,
        *,
        folder: str | Path | None = None,
        time_origin_s: float = 0.0,
        commit_interval_s: float = COMMIT_INTERVAL_S,
        checkpoint_interval_s: float = CHECKPOINT_INTERVAL_S,
    ) -> SessionWriter:
        """Create a new session file and start recording into it.

        Parameters
        ----------
        metadata : SessionMetadata
            The session's metadata; ``end_utc`` is filled in by :meth:`close`.
        path : str or Path, optional
            The file to create. Default: ``folder`` / :func:`default_session_file_name`.
        folder : str or Path, optional
            Folder for the default name. Default: :func:`default_recordings_folder`.
        time_origin_s : float
            Session start on the clock of the times passed to the writer; subtracted from all.
        commit_interval_s : float
            Longest time a row waits before it is committed.
        checkpoint_interval_s : float
            How often committed rows are also copied from the ``-wal`` file into the database
            file itself.

        Returns
        -------
        SessionWriter

        Raises
        ------
        FileExistsError
            ``path`` (or stale ``-wal``/``-shm``/``-journal`` files beside it) already exists:
            a session file is never overwritten.
        """
        if path is None:
            if metadata.start_utc is None:
                raise ValueError("a default file name needs metadata.start_utc")
            folder_path = default_recordings_folder() if folder is None else Path(folder)
            ours = folder_path.resolve() == platform_recordings_folder().resolve()
            ensure_private_folder(folder_path, tighten_existing=ours)
            path = default_session_path(metadata.client_code, metadata.start_utc, folder_path)
        else:
            path = Path(path)
        if os.path.lexists(path) and not os.path.islink(path):
            raise OutputExistsError(f"{path} already exists: session files are never overwritten")
        # No symbolic link, no folder or file in the way, and no journal left by an earlier
        # file of this name: SQLite would replay that into the new database.
        check_output(path)
        ensure_private_folder(path.parent)
        try:
            create_private_file(path)
        except FileExistsError:
            raise OutputExistsError(
                f"{path} already exists: session files are never overwritten"
            ) from None
        try:
            # Held for as long as the file is written: other commands see it is being recorded.
            lock_fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        try:
            hold_recording_lock(lock_fd)
            connection = _initialise(path, metadata)
        except BaseException:
            release_recording_lock(lock_fd)
            os.close(lock_fd)
            _remove_with_journals(path)
            raise
        fsync_folder(path.parent)
        return cls(
            path,
            connection,
            time_origin_s=time_origin_s,
            commit_interval_s=commit_interval_s,
            checkpoint_interval_s=checkpoint_interval_s,
            lock_fd=lock_fd,
            start_utc=metadata.start_utc,
        )

    # -- properties ---------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The session file."""
        return self._path

    @property
    def packet_count(self) -> int:
        """Number of notifications handed to the writer so far."""
        return self._next_packet

    @property
    def beat_count(self) -> int:
        """Number of beats handed to the writer so far (the next beat's index)."""
        return self._next_beat

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def error(self) -> BaseException | None:
        """The failure that stopped the writer thread, if any."""
        return self._error

    @property
    def kept_path(self) -> Path | None:
        """Where what was recorded is now: :attr:`path`, where it went if it was moved while
        recording, ``None`` if it was deleted (or moved where it cannot be found)."""
        return self._kept_path

    # -- recording ----------------------------------------------------------------------------

    def therapist(self) -> TherapistStrapWriter:
        """The same file, for the therapist's own strap (co-regulation; schema 3)."""
        return TherapistStrapWriter(self)

    def add_packet(self, arrival_s: float, raw: bytes) -> None:
        """Queue one raw notification (payload exactly as received)."""
        arrival_s = _check_finite("arrival_s", arrival_s) - self._time_origin_s
        with self._lock:
            self._check_open()
            seq = self._next_packet
            self._next_packet += 1
            self._queue.put(_Statement(_INSERT_PACKET, (seq, arrival_s, bytes(raw))))

    def add_ecg_run(self, samples: EcgSamples) -> None:
        """Queue one run of a strap's ECG samples (µV, stored as int32 LE)."""
        values = np.asarray(samples.ecg_uv, dtype=RAW_SAMPLE_DTYPE)
        self._add_raw_run(_INSERT_ECG, "ecg_runs", samples, values)

    def add_acc_run(self, samples: AccSamples) -> None:
        """Queue one run of a strap's accelerometer samples (mg, x y z interleaved, int32 LE)."""
        values = np.asarray(samples.acc_mg, dtype=RAW_SAMPLE_DTYPE).reshape(-1, 3)
        self._add_raw_run(_INSERT_ACC, "acc_runs", samples, values)

    def _add_raw_run(
        self, sql: str, table: str, samples: EcgSamples | AccSamples, values: np.ndarray
    ) -> None:
        if not (math.isfinite(samples.sample_hz) and samples.sample_hz > 0):
            raise ValueError(f"sample_hz must be a positive number, got {samples.sample_hz}")
        row = (
            _check_finite("start_s", samples.start_s) - self._time_origin_s,
            _check_finite("arrival_s", samples.arrival_s) - self._time_origin_s,
            float(samples.sample_hz),
            values.tobytes(),
        )
        with self._lock:
            self._check_open()
            seq = self._next_raw[table]
            self._next_raw[table] += 1
            self._queue.put(_Statement(sql, (seq, *row)))

    def _add_therapist_packet(self, arrival_s: float, raw: bytes) -> None:
        arrival_s = _check_finite("arrival_s", arrival_s) - self._time_origin_s
        with self._lock:
            self._check_open()
            seq = self._next_therapist_packet
            self._next_therapist_packet += 1
            sql = _INSERT_PACKET.replace("packets", "therapist_packets")
            self._queue.put(_Statement(sql, (seq, arrival_s, bytes(raw))))

    def _set_therapist_beat_classes(self, first_index: int, classes: Sequence[int]) -> None:
        codes = [int(c) for c in classes]
        if any(not 0 <= code <= MAX_BEAT_CLASS for code in codes):
            raise ValueError(f"beat classes {codes} are not all 0-{MAX_BEAT_CLASS}")
        with self._lock:
            self._check_open()
            if first_index < 0 or first_index + len(codes) > self._next_therapist_beat:
                raise IndexError(f"therapist beats from {first_index} do not exist")
            params = [(code, first_index + i) for i, code in enumerate(codes)]
            sql = "UPDATE therapist_beats SET beat_class = ? WHERE idx = ?"
            self._queue.put(_Statement(sql, params, many=True))

    def add_beat(self, t_s: float, rr_ms: float, arrival_s: float) -> int:
        """Queue one beat with no artefact class yet; return its index.

        Parameters
        ----------
        t_s : float
            Beat time.
        rr_ms : float
            Raw RR interval ending at this beat, stored unaltered.
        arrival_s : float
            Arrival time of the notification that carried it.

        Returns
        -------
        int
            The beat's index (0 for the first beat), for :meth:`set_beat_classes`.
        """
        return self._queue_beat(t_s, rr_ms, arrival_s, therapist=False)

    def _queue_beat(self, t_s: float, rr_ms: float, arrival_s: float, *, therapist: bool) -> int:
        row = (
            _check_finite("t_s", t_s) - self._time_origin_s,
            _check_finite("rr_ms", rr_ms),
            _check_finite("arrival_s", arrival_s) - self._time_origin_s,
        )
        with self._lock:
            self._check_open()
            if therapist:
                index = self._next_therapist_beat
                self._next_therapist_beat += 1
                sql = _INSERT_BEAT.replace("beats", "therapist_beats")
            else:
                index = self._next_beat
                self._next_beat += 1
                sql = _INSERT_BEAT
            self._queue.put(_Statement(sql, (index, *row, None)))
        return index

    def add_beats(self, beats: Iterable[RecordedBeat]) -> int:
        """Queue many beats at once (imports); return the index of the first.

        Unlike :meth:`add_beat`, each beat's ``beat_class`` is stored as given.
        """
        rows = []
        for beat in beats:
            if beat.beat_class is not None and not 0 <= beat.beat_class <= MAX_BEAT_CLASS:
                raise ValueError(f"beat class {beat.beat_class} is not 0-{MAX_BEAT_CLASS}")
            rows.append(
                (
                    _check_finite("t_s", beat.t_s) - self._time_origin_s,
                    _check_finite("rr_ms", beat.rr_ms),
                    _check_finite("arrival_s", beat.arrival_s) - self._time_origin_s,
                    beat.beat_class,
                )
            )
        with self._lock:
            self._check_open()
            first = self._next_beat
            self._next_beat += len(rows)
            params = [(first + i, *row) for i, row in enumerate(rows)]
            self._queue.put(_Statement(_INSERT_BEAT, params, many=True))
        return first

    def set_beat_classes(self, first_index: int, classes: Sequence[int | None]) -> None:
        """Store artefact classes for beats ``first_index``, ``first_index + 1``, ...

        The live artefact filter decides a beat a few beats after it was written; this updates
        the stored rows (the raw RR stays as it was). A later call may revise a class.

        Parameters
        ----------
        first_index : int
            Index of the first beat to classify (as returned by :meth:`add_beat`).
        classes : sequence of int or None
            ``BeatClass`` codes 0-6 (``None`` to mark a beat undecided again).
        """
        codes = [None if c is None else int(c) for c in classes]
        for code in codes:
            if code is not None and not 0 <= code <= MAX_BEAT_CLASS:
                raise ValueError(f"beat class {code} is not 0-{MAX_BEAT_CLASS}")
        with self._lock:
            self._check_open()
            if first_index < 0 or first_index + len(codes) > self._next_beat:
                raise IndexError(
                    f"beats {first_index}..{first_index + len(codes) - 1} do not exist "
                    f"({self._next_beat} beats written)"
                )
            params = [(code, first_index + i) for i, code in enumerate(codes)]
            self._queue.put(
                _Statement("UPDATE beats SET beat_class = ? WHERE idx = ?", params, many=True)
            )

    def add_event(self, event: SessionEvent) -> int:
        """Queue an event (phase, SUDS, note, alert, connection, gap, ...); return its id."""
        t_s = event.t_s - self._time_origin_s
        end_s = None if event.end_s is None else event.end_s - self._time_origin_s
        data_json = json.dumps(dict(event.data), allow_nan=False, ensure_ascii=False)
        with self._lock:
            self._check_open()
            event_id = self._next_event
            self._next_event += 1
            params = (event_id, t_s, str(event.kind), event.value, event.text, end_s, data_json)
            self._queue.put(_Statement(_INSERT_EVENT, params))
        return event_id

    def end_event(self, event_id: int, end_s: float) -> None:
        """Set the end time of an event recorded with ``end_s=None`` (an alert that ended)."""
        end_s = _check_finite("end_s", end_s) - self._time_origin_s
        with self._lock:
            self._check_open()
            if not 0 <= event_id < self._next_event:
                raise IndexError(f"no event with id {event_id}")
            self._queue.put(
                _Statement("UPDATE events SET end_s = ? WHERE id = ?", (end_s, event_id))
            )

    def add_source_event(self, event: SourceEvent) -> int | None:
        """Record anything a source emits: packets as packets, the rest as events.

        A ``DeviceInfo`` also fills in the session's device name and address.

        Returns
        -------
        int or None
            The event id, or ``None`` for a packet.
        """
        if isinstance(event, HeartRatePacket):
            self.add_packet(event.arrival_s, event.raw)
            return None
        if isinstance(event, EcgSamples):
            self.add_ecg_run(event)
            return None
        if isinstance(event, AccSamples):
            self.add_acc_run(event)
            return None
        if isinstance(event, DeviceInfo):
            self.update_metadata(device_name=event.name, device_address=event.address)
        session_event = session_event_from_source(event)
        return None if session_event is None else self.add_event(session_event)

    def update_metadata(
        self,
        *,
        device_name: str | None = None,
        device_address: str | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """Change metadata learnt or changed during the session (device once connected, ...)."""
        changes: dict[str, Any] = {}
        if device_name is not None:
            changes["device_name"] = device_name
        if device_address is not None:
            changes["device_address"] = device_address
        if settings is not None:
            changes["settings_json"] = json.dumps(dict(settings), allow_nan=False)
        if not changes:
            return
        assignments = ", ".join(f"{column} = ?" for column in changes)
        with self._lock:
            self._check_open()
            sql = f"UPDATE session SET {assignments} WHERE id = 1"
            self._queue.put(_Statement(sql, tuple(changes.values())))

    def flush(self, timeout_s: float | None = None) -> None:
        """Block until everything queued so far is committed.

        Raises
        ------
        SessionWriteError
            The writer thread failed.
        TimeoutError
            Not committed within ``timeout_s``.
        """
        with self._lock:
            self._check_open()
            done = threading.Event()
            self._queue.put(_Flush(done))
        if not done.wait(timeout_s):
            raise TimeoutError(f"session file not flushed within {timeout_s} s")
        self._raise_if_failed()

    def close(self, end_utc: dt.datetime | None = None, *, record_end: bool = True) -> None:
        """Commit everything, record the end time and close the file. Safe to call twice.

        Parameters
        ----------
        end_utc : datetime.datetime, optional
            Wall-clock end (timezone-aware). Default: now.
        record_end : bool
            Set to false to leave the end time as it is (imports of files without a clock).
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if record_end:
                end_utc = dt.datetime.now(dt.UTC) if end_utc is None else end_utc
                self._queue.put(
                    _Statement(
                        "UPDATE session SET end_utc = ? WHERE id = 1", (format_utc(end_utc),)
                    )
                )
            self._queue.put(_CLOSE)
        self._thread.join()
        atexit.unregister(self._exit_hook)
        self._raise_if_failed()

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"session writer for {self._path} is closed")
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            reason = write_failure_reason(self._error)
            raise SessionWriteError(
                f"{self._path}: recording stopped: {reason}", reason
            ) from self._error

    def _run(self, connection: sqlite3.Connection) -> None:
        # The descriptor that holds the recording lock also notices the file being deleted:
        # SQLite goes on writing into a deleted file without complaint, and everything is lost
        # at close. It is closed only after SQLite's connection: closing any descriptor of a
        # file drops this process's POSIX locks on it, SQLite's included.
        watch = self._lock_fd
        if watch is None:
            try:
                watch = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                watch = None
        try:
            self._write_rows(connection, watch)
        finally:
            if watch is not None:
                release_recording_lock(watch)
                os.close(watch)

    def _check_still_there(self, watch: int) -> None:
        """Raise if the file was deleted, or moved away from its name, while being written.

        A moved file is stopped too: SQLite keeps its ``-wal`` at the old name, where a new
        file of that name would adopt it, and the therapist must learn where the file went.
        """
        held = os.fstat(watch)
        if held.st_nlink == 0:
            raise _FileDeleted(self._path, self._start_utc)
        try:
            named = os.stat(self._watched_path)
        except OSError:
            named = None
        if named is None or (named.st_dev, named.st_ino) != (held.st_dev, held.st_ino):
            raise _FileMoved(_current_path_of(watch))

    def _write_rows(self, connection: sqlite3.Connection, watch: int | None) -> None:
        pending_since: float | None = None
        last_checkpoint = time.monotonic()

        def commit() -> None:
            nonlocal pending_since, last_checkpoint
            if pending_since is not None:
                connection.execute("COMMIT")
                pending_since = None
                if watch is not None:
                    self._check_still_there(watch)
            if time.monotonic() - last_checkpoint >= self._checkpoint_interval_s:
                # Keep the database file itself near the present: a crashed session then
                # loses little even if someone copies the .sqlite file without its -wal.
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                last_checkpoint = time.monotonic()

        while True:
            timeout = (
                None
                if pending_since is None or math.isinf(self._commit_interval_s)
                else max(0.0, pending_since + self._commit_interval_s - time.monotonic())
            )
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if self._error is not None:
                # After a failure, keep draining so callers never block; report at their calls.
                if isinstance(item, _Flush):
                    item.done.set()
                elif item is _CLOSE:
                    connection.close()
                    return
                continue
            try:
                if item is None or isinstance(item, _Flush):
                    commit()
                    if isinstance(item, _Flush):
                        item.done.set()
                elif item is _CLOSE:
                    if pending_since is not None:
                        connection.execute("COMMIT")
                    _finish(connection)
                    return
                else:
                    assert isinstance(item, _Statement)
                    if pending_since is None:
                        connection.execute("BEGIN")
                        pending_since = time.monotonic()
                    if item.many:
                        connection.executemany(item.sql, item.params)
                    else:
                        connection.execute(item.sql, item.params)  # type: ignore[arg-type]
                    if time.monotonic() - pending_since >= self._commit_interval_s:
                        commit()
            except (sqlite3.Error, OSError, _FileDeleted, _FileMoved) as error:
                self._error = error
                self._kept_path = _kept_path_after(error, self._path)
                if isinstance(error, _FileMoved):
                    _bring_the_journal_along(connection)
                if isinstance(item, _Flush):
                    item.done.set()
                if item is _CLOSE:
                    connection.close()
                    return


def _initialise(path: Path, metadata: SessionMetadata) -> sqlite3.Connection:
    """Create the schema and the session row in the empty file, committed before returning.

    This first transaction goes straight into the database file (rollback journal) and only
    then is WAL switched on, so the file's own header carries the application id and schema
    version from the start: a recording killed before its first checkpoint is still recognised
    as a session file from its header alone.
    """
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        # Readers (a replay of the running session, a database browser) may briefly hold locks.
        connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("BEGIN")
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        for statement in SCHEMA_SQL.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute(
            "INSERT INTO session (id, schema_version, client_code, start_utc, end_utc, "
            "source_kind, device_name, device_address, software_version, settings_json, "
            "original_file_name) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                SCHEMA_VERSION,
                metadata.client_code,
                format_utc(metadata.start_utc),
                format_utc(metadata.end_utc),
                str(metadata.source_kind),
                metadata.device_name,
                metadata.device_address,
                metadata.software_version,
                json.dumps(dict(metadata.settings), allow_nan=False, ensure_ascii=False),
                metadata.original_file_name,
            ),
        )
        connection.execute("COMMIT")
        if connection.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
            raise SessionWriteError(f"{path}: this file system does not support SQLite WAL mode")
        connection.execute("PRAGMA synchronous = FULL")
    except BaseException:
        connection.close()
        raise
    return connection


def _finish(connection: sqlite3.Connection) -> None:
    """Fold the WAL into the database and leave a single self-contained file.

    Best effort: while another program still reads the file (a replay, a database browser) the
    switch cannot happen; everything is committed anyway, and the file simply stays in WAL mode
    with its ``-wal`` file until the next program that opens it read-write checkpoints it.
    """
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.OperationalError:
        pass
    finally:
        connection.close()


def _current_path_of(fd: int) -> Path | None:
    """Where an open file is now, from ``/proc/self/fd`` (Linux); ``None`` if unknown."""
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None
    if target.endswith(" (deleted)") or not target.startswith("/"):
        return None
    return Path(target)


def _bring_the_journal_along(connection: sqlite3.Connection) -> None:
    """After the file was moved: write the committed rows still in the ``-wal`` (which SQLite
    keeps at the old name) into the file itself, where it now is.

    The connection holds both by descriptor, so a checkpoint reaches the moved file; without it
    the moved file would hold only what the last checkpoint had written, and its rows would be
    left in a journal beside a name that no longer has a file.
    """
    try:
        if connection.in_transaction:
            connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        pass  # what cannot be brought along stays in the journal; the message says where


def _kept_path_after(error: BaseException, path: Path) -> Path | None:
    if isinstance(error, _FileDeleted):
        return None
    if isinstance(error, _FileMoved):
        moved_to: Path = error.args[0]
        return moved_to
    return path


def _remove_with_journals(path: Path) -> None:
    """Remove a session file this process created but could not start, with its journals."""
    for name in (str(path), *(f"{path}{suffix}" for suffix in SQLITE_COMPANION_SUFFIXES)):
        with contextlib.suppress(OSError):
            os.unlink(name)


class TherapistStrapWriter:
    """Writes the therapist's strap into the client's session file (``writer.therapist()``).

    It has the methods :class:`~monitor.recording.recorder.SessionRecorder` calls, so the one
    recorder records either strap: packets and beats go to the ``therapist_*`` tables, events
    into ``events`` marked ``"source": "therapist"``. Failures are the session writer's.
    """

    def __init__(self, writer: SessionWriter) -> None:
        self._writer = writer

    def add_source_event(self, event: SourceEvent) -> int | None:
        """Record what the therapist's strap emitted (as :meth:`SessionWriter.add_source_event`)."""
        if isinstance(event, HeartRatePacket):
            self._writer._add_therapist_packet(event.arrival_s, event.raw)
            return None
        session_event = session_event_from_source(event)
        return None if session_event is None else self.add_event(session_event)

    def add_beat(self, t_s: float, rr_ms: float, arrival_s: float) -> int:
        """Queue one of the therapist's beats; return its index among the therapist's beats."""
        return self._writer._queue_beat(t_s, rr_ms, arrival_s, therapist=True)

    def set_beat_classes(self, first_index: int, classes: Sequence[int]) -> None:
        """Store the artefact classes of the therapist's beats ``first_index``, ... ."""
        self._writer._set_therapist_beat_classes(first_index, classes)

    def add_event(self, event: SessionEvent) -> int:
        """Queue an event of the therapist's strap (marked with its source); return its id."""
        marked = replace(event, data={**event.data, "source": THERAPIST_SOURCE})
        return self._writer.add_event(marked)

    def end_event(self, event_id: int, end_s: float) -> None:
        self._writer.end_event(event_id, end_s)

    def update_metadata(self, *, settings: Mapping[str, Any] | None = None) -> None:
        """Nothing to store: the session's settings are the client's window. The therapist's
        baseline is recomputed from the therapist's beats wherever it is needed."""


def write_session_file(
    path: str | Path,
    metadata: SessionMetadata,
    *,
    packets: Iterable[tuple[float, bytes]] = (),
    beats: Iterable[RecordedBeat] = (),
    events: Iterable[SessionEvent] = (),
    overwrite: bool = False,
) -> Path:
    """Write a complete session file in one go (imports, examples), all or nothing.

    The file is written under a hidden partial name next to ``path`` and moved into place only
    when complete and closed; on any error the partial file is removed.

    Parameters
    ----------
    path : str or Path
        The session file to create.
    metadata : SessionMetadata
    packets : iterable of (arrival_s, raw)
    beats : iterable of RecordedBeat
        Stored with the classes they carry.
    events : iterable of SessionEvent
    overwrite : bool
        Replace an existing ``path`` (``--force``).

    Returns
    -------
    Path
        ``path``.
    """
    path = check_output(path, overwrite=overwrite)
    ensure_private_folder(path.parent)
    partial = partial_path_for(path)
    try:
        writer = SessionWriter.create(
            replace(metadata, end_utc=None), partial, commit_interval_s=math.inf
        )
        try:
            for arrival_s, raw in packets:
                writer.add_packet(arrival_s, raw)
            writer.add_beats(beats)
            for event in events:
                writer.add_event(event)
        finally:
            writer.close(metadata.end_utc, record_end=metadata.end_utc is not None)
        os.chmod(partial, PRIVATE_FILE_MODE)
        fsync_file(partial)
        # Checked again just before: the name may have been taken (or recorded) meanwhile.
        check_output(path, overwrite=overwrite)
        publish(partial, path, overwrite=overwrite)
        fsync_folder(path.parent)
    finally:
        partial.unlink(missing_ok=True)
        for suffix in SQLITE_COMPANION_SUFFIXES:
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
    return path
