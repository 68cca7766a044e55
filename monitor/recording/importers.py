"""Import RR recordings into session files: RR text, Polar HRM, our CSV, our EDF+ and XDF.

Whatever the input, the result is an ordinary session file (``source_kind`` ``import``, the
original file name kept in the metadata), so replay, analysis, export and reports treat imported
and recorded sessions alike:

* **beats** keep the RR values exactly as the file gives them (after a unit conversion to ms);
  beat times come from the file when it has them (our CSV and EDF+), else from RR sums: beat
  ``i`` is at ``sum(rr[0..i]) / 1000`` s, the recording starting at the beat before the first
  interval. Arrival time = beat time.
* **packets**: one synthetic Heart Rate Measurement notification per beat, at the beat time,
  carrying that beat's RR quantised to 1/1024 s (as a strap would send it), so a replay
  re-parses packets like for any recording. The beats table, not the packets, holds the exact RR.
* **events**: from our CSV events file, our EDF+ annotations or an XDF file's marker stream
  (:mod:`monitor.recording.xdf_import`); none for RR text and HRM.

Import is all or nothing: the session file is written under a hidden partial name and moved into
place when complete, so a failed import leaves no half file and replaces nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import numpy as np

from drivers.hrs import encode_heart_rate_measurement, rr_ms_to_units
from monitor import __version__
from monitor.recording.errors import UnreadableFileError, read_file_bytes
from monitor.recording.export_csv import BEAT_COLUMNS, EVENT_COLUMNS, SESSION_COLUMNS, csv_paths
from monitor.recording.export_edf import (
    BEAT_PREFIX,
    CONTINUATION_PREFIX,
    SESSION_START_TEXT,
    START_UNKNOWN,
    UNKNOWN_START,
    WINDOW_FIELDS,
)
from monitor.recording.model import (
    MAX_BEAT_CLASS,
    EventKind,
    RecordedBeat,
    RecordedBeats,
    RecordedPackets,
    RecordedSession,
    SessionEvent,
    SessionMetadata,
    SourceKind,
    check_client_code,
)
from monitor.recording.reader import SQLITE_HEADER
from monitor.recording.rr_files import beat_times_and_gaps, parse_exported_start, read_rr_file
from monitor.recording.session_file import write_session_file
from monitor.recording.xdf_import import XDF_MAGIC, read_xdf

DEFAULT_CLIENT_CODE = "imported"

_EDF_MAGIC = b"0       "
_BEAT_ANNOTATION = re.compile(rf"{re.escape(BEAT_PREFIX)}(\S+)(?: class=(\d+))?$")
_NUMBER = r"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"
_WINDOW_ANNOTATION = re.compile(
    rf"Window: upper {_NUMBER} SD, edge {_NUMBER} SD, lower {_NUMBER} SD, dwell {_NUMBER} s"
)
_MAX_HR_UINT8 = 255


def detect_kind(path: Path) -> str:
    """What kind of file ``path`` is: ``session``, ``edf``, ``xdf``, ``csv`` or ``rr`` (text or
    HRM).

    Raises
    ------
    UnreadableFileError
        Missing, unreadable or empty file.
    """
    head = read_file_bytes(path, limit=4096)
    if not head:
        raise UnreadableFileError(f"{path}: empty file, nothing to import")
    if head.startswith(SQLITE_HEADER):
        return "session"
    if head.startswith(_EDF_MAGIC) and len(head) >= 256:
        return "edf"
    if head.startswith(XDF_MAGIC):
        return "xdf"
    first_line = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").strip()
    if first_line.split(",")[: len(BEAT_COLUMNS)] == list(BEAT_COLUMNS):
        return "csv"
    if first_line.split(",") == list(EVENT_COLUMNS):
        raise UnreadableFileError(
            f"{path}: this is the events part of a CSV export; import the beats file instead"
        )
    return "rr"


def read_for_import(
    path: str | Path,
    *,
    client_code: str | None = None,
    xdf_stream: str | None = None,
    xdf_markers: str | None = None,
    on_layout: Callable[[str], None] | None = None,
) -> RecordedSession:
    """Read any importable file into a session in memory (nothing written).

    Parameters
    ----------
    path : str or Path
        RR text, Polar HRM, our CSV beats file, our EDF+ or an XDF file.
    client_code : str, optional
        Client code for the session; default: the EDF+ patient code, else ``"imported"``.
    xdf_stream, xdf_markers : str, optional
        XDF only: the heart stream and the marker stream by name, when several fit.
    on_layout : callable, optional
        Told, in words, how an XDF file was read (stream, channel, unit).

    Raises
    ------
    UnreadableFileError
        Foreign, truncated or corrupted input, with one line saying what is wrong.
    """
    path = Path(path)
    kind = detect_kind(path)
    if kind == "session":
        raise UnreadableFileError(f"{path}: already a session file (or another SQLite database)")
    if kind == "edf":
        return _read_edf(path, client_code)
    if kind == "csv":
        return _read_csv(path, client_code)
    if kind == "xdf":
        xdf = read_xdf(path, stream=xdf_stream, markers=xdf_markers)
        if on_layout is not None:
            on_layout(xdf.layout)
        return _assemble(path, client_code or DEFAULT_CLIENT_CODE, None, xdf.beats, xdf.events)
    if xdf_stream is not None or xdf_markers is not None:
        raise UnreadableFileError(f"{path}: --stream and --markers are for XDF files")
    recording = read_rr_file(path)
    start = None
    if recording.start_time is not None:
        # HRM start times are the recorder's local time (the machine's zone is the best guess);
        # our Kubios export names its start in UTC.
        start = recording.start_time.astimezone(dt.UTC)
    rr_ms = np.asarray(recording.rr_ms, dtype=np.float64)
    t_s, gaps = beat_times_and_gaps(recording)
    beats = RecordedBeats(t_s, rr_ms, t_s.copy(), np.full(rr_ms.size, -1, dtype=np.int8))
    code = client_code or recording.client_code or DEFAULT_CLIENT_CODE
    # Gaps and the other events in the order of their times, as the session file lists them.
    events = sorted([*gaps, *recording.events], key=lambda event: event.t_s)
    return _assemble(path, code, start, beats, events)


def import_file(
    path: str | Path,
    out: str | Path,
    *,
    client_code: str | None = None,
    overwrite: bool = False,
    xdf_stream: str | None = None,
    xdf_markers: str | None = None,
    on_layout: Callable[[str], None] | None = None,
) -> Path:
    """Import an RR recording into a new session file.

    Parameters
    ----------
    path : str or Path
        RR text, Polar HRM, our CSV beats file (with its ``.events.csv`` and ``.session.csv``
        beside it, if any) or our EDF+.
    out : str or Path
        The session file to create.
    client_code : str, optional
        Pseudonymous client code (see :func:`read_for_import` for the default).
    overwrite : bool
        Replace an existing ``out`` (``--force``).
    xdf_stream, xdf_markers, on_layout
        For XDF files, as :func:`read_for_import`.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    UnreadableFileError
        The input cannot be imported.
    FileExistsError
        ``out`` exists and ``overwrite`` is false.
    """
    session = read_for_import(
        path,
        client_code=client_code,
        xdf_stream=xdf_stream,
        xdf_markers=xdf_markers,
        on_layout=on_layout,
    )
    beats = session.beats
    return write_session_file(
        out,
        session.metadata,
        packets=session.packets.pairs(),
        beats=(beats[i] for i in range(len(beats))),
        events=session.events,
        overwrite=overwrite,
    )


# -- assembling -------------------------------------------------------------------------------


def _assemble(
    path: Path,
    client_code: str,
    start_utc: dt.datetime | None,
    beats: RecordedBeats,
    events: list[SessionEvent],
) -> RecordedSession:
    try:
        check_client_code(client_code)
    except ValueError as error:
        raise UnreadableFileError(str(error)) from None
    bad = ~np.isfinite(beats.rr_ms) | (beats.rr_ms < 0)
    if np.any(bad):
        index = int(np.argmax(bad))
        raise UnreadableFileError(
            f"{path}: RR value {beats.rr_ms[index]!r} (beat {index + 1}) is not an interval"
        )
    raw = [_synthetic_packet(path, index, float(rr)) for index, rr in enumerate(beats.rr_ms)]
    duration_s = float(np.max(beats.t_s)) if len(beats) else 0.0
    end_utc = None if start_utc is None else start_utc + dt.timedelta(seconds=duration_s)
    metadata = SessionMetadata(
        client_code=client_code,
        start_utc=start_utc,
        end_utc=end_utc,
        source_kind=SourceKind.IMPORT,
        software_version=__version__,
        original_file_name=path.name,
    )
    packets = RecordedPackets(arrival_s=beats.arrival_s.copy(), raw=raw)
    return RecordedSession(metadata=metadata, packets=packets, beats=beats, events=events)


def _synthetic_packet(path: Path, index: int, rr_ms: float) -> bytes:
    try:
        rr_ms_to_units(rr_ms)
    except ValueError:
        raise UnreadableFileError(
            f"{path}: RR value {rr_ms} ms (beat {index + 1}) is too long for a heartbeat"
        ) from None
    hr_bpm = min(_MAX_HR_UINT8, round(60000.0 / rr_ms)) if rr_ms > 0 else 0
    return encode_heart_rate_measurement(hr_bpm, [rr_ms])


# -- our CSV ----------------------------------------------------------------------------------


def _read_csv(path: Path, client_code: str | None) -> RecordedSession:
    beats: list[RecordedBeat] = []
    with _open_text(path) as file:
        reader = csv.DictReader(file)
        try:
            for line_number, row in enumerate(reader, start=2):
                beats.append(_csv_beat(path, line_number, row))
        except csv.Error as error:
            raise UnreadableFileError(f"{path}: not valid CSV ({error})") from None
    if not beats:
        raise UnreadableFileError(f"{path}: CSV export without beats")
    _, events_path, session_path = csv_paths(path)
    events = _read_csv_events(events_path) if events_path.exists() else []
    fields = _read_csv_session(session_path) if session_path.exists() else {}
    code = client_code or fields.get("client_code") or DEFAULT_CLIENT_CODE
    start_utc = None
    if fields.get("start_utc"):
        try:
            start_utc = parse_exported_start(fields["start_utc"])
        except ValueError as error:
            raise UnreadableFileError(f"{session_path}: start_utc is no start ({error})") from None
    return _assemble(path, code, start_utc, RecordedBeats.from_beats(beats), events)


def _read_csv_session(path: Path) -> dict[str, str]:
    """The ``field -> value`` rows of a CSV export's session file."""
    with _open_text(path) as file:
        reader = csv.reader(file)
        try:
            rows = list(reader)
        except csv.Error as error:
            raise UnreadableFileError(f"{path}: not valid CSV ({error})") from None
    if not rows or tuple(rows[0]) != SESSION_COLUMNS or any(len(row) != 2 for row in rows[1:]):
        raise UnreadableFileError(f"{path}: not a session file of a CSV export")
    return dict((field, value) for field, value in rows[1:])


def _csv_beat(path: Path, line_number: int, row: dict[str, str]) -> RecordedBeat:
    try:
        if None in row or any(row.get(column) is None for column in BEAT_COLUMNS):
            raise ValueError("wrong number of columns")
        beat_class = int(row["beat_class"]) if row["beat_class"] else None
        if beat_class is not None and not 0 <= beat_class <= MAX_BEAT_CLASS:
            raise ValueError(f"beat class {beat_class} is not 0-{MAX_BEAT_CLASS}")
        return RecordedBeat(
            t_s=_finite(row["t_s"]),
            rr_ms=float(row["rr_ms"]),
            arrival_s=_finite(row["arrival_s"]),
            beat_class=beat_class,
        )
    except (ValueError, TypeError) as error:
        raise UnreadableFileError(f"{path}: line {line_number} is not a beat ({error})") from None


def _read_csv_events(path: Path) -> list[SessionEvent]:
    events = []
    with _open_text(path) as file:
        reader = csv.DictReader(file)
        if reader.fieldnames is None or list(reader.fieldnames) != list(EVENT_COLUMNS):
            raise UnreadableFileError(f"{path}: not an events file of a CSV export")
        try:
            for line_number, row in enumerate(reader, start=2):
                try:
                    if None in row or any(row.get(c) is None for c in EVENT_COLUMNS):
                        raise ValueError("wrong number of columns")
                    events.append(
                        SessionEvent(
                            t_s=_finite(row["t_s"]),
                            kind=EventKind(row["kind"]),
                            value=float(row["value"]) if row["value"] else None,
                            text=row["text"],
                            end_s=_finite(row["end_s"]) if row["end_s"] else None,
                            data=json.loads(row["data_json"] or "{}"),
                        )
                    )
                except (ValueError, TypeError) as error:
                    raise UnreadableFileError(
                        f"{path}: line {line_number} is not an event ({error})"
                    ) from None
        except csv.Error as error:
            raise UnreadableFileError(f"{path}: not valid CSV ({error})") from None
    return events


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def _open_text(path: Path) -> TextIO:
    try:
        return path.open("r", encoding="utf-8-sig", newline="")
    except OSError as error:
        raise UnreadableFileError(f"{path}: cannot read ({error.strerror})") from None


# -- our EDF+ ---------------------------------------------------------------------------------


def _check_edf_layout(path: Path) -> None:
    """Check the EDF header against the file size before pyedflib sees the file.

    pyedflib reports a cut-short file by printing to the C-level stdout besides raising; this
    check catches it first with a clear message.
    """
    data = path.read_bytes()
    try:
        header_bytes = int(data[184:192].decode("ascii").strip())
        n_records = int(data[236:244].decode("ascii").strip())
        n_signals = int(data[252:256].decode("ascii").strip())
        samples_at = 256 + n_signals * 216
        samples = [
            int(data[samples_at + 8 * i : samples_at + 8 * (i + 1)].decode("ascii").strip())
            for i in range(n_signals)
        ]
    except (ValueError, UnicodeDecodeError):
        raise UnreadableFileError(f"{path}: not an EDF+ file (damaged header)") from None
    if len(data) < header_bytes:
        raise UnreadableFileError(f"{path}: truncated EDF+ file (header cut short)")
    expected = header_bytes + n_records * 2 * sum(samples)
    if n_records >= 0 and len(data) != expected:
        state = "truncated" if len(data) < expected else "damaged"
        raise UnreadableFileError(
            f"{path}: {state} EDF+ file ({len(data)} bytes, its header says {expected})"
        )


def _read_edf(path: Path, client_code: str | None) -> RecordedSession:
    import pyedflib

    _check_edf_layout(path)
    try:
        reader = pyedflib.EdfReader(str(path))
    except OSError as error:
        reason = str(error).splitlines()[0] if str(error) else "unreadable"
        raise UnreadableFileError(f"{path}: not a readable EDF+ file ({reason})") from None
    try:
        onsets, durations, descriptions = reader.readAnnotations()
        start_naive = reader.getStartdatetime()
        patient_code = reader.getPatientCode().strip()
        recording_additional = reader.getRecordingAdditional()
    finally:
        reader.close()

    beats: list[RecordedBeat] = []
    events: list[SessionEvent] = []
    pieces: list[tuple[float, float, str]] = []
    for onset, duration, description in zip(onsets, durations, descriptions, strict=True):
        description = str(description)
        onset = float(onset)
        beat = _BEAT_ANNOTATION.match(description)
        if beat is not None:
            try:
                rr_ms = float(beat.group(1))
            except ValueError:
                raise UnreadableFileError(
                    f"{path}: corrupted beat annotation {description!r} at {onset} s"
                ) from None
            beat_class = None if beat.group(2) is None else int(beat.group(2))
            if beat_class is not None and beat_class > MAX_BEAT_CLASS:
                raise UnreadableFileError(f"{path}: beat class {beat_class} at {onset} s")
            beats.append(RecordedBeat(onset, rr_ms, onset, beat_class))
        elif description.startswith(CONTINUATION_PREFIX) and pieces:
            last_onset, last_duration, text = pieces[-1]
            pieces[-1] = (last_onset, last_duration, text + description[1:])
        else:
            pieces.append((onset, float(duration), description))
    if not beats:
        raise UnreadableFileError(
            f"{path}: EDF+ file without RR annotations (not exported by Session Monitor)"
        )
    zero_s = next((onset for onset, _, text in pieces if text == SESSION_START_TEXT), 0.0)
    for onset, duration, text in pieces:
        if text != SESSION_START_TEXT:
            end_s = onset - zero_s + duration if duration >= 0 else None
            events.append(_edf_event(onset - zero_s, end_s, text))
    if zero_s:
        beats = [replace(b, t_s=b.t_s - zero_s, arrival_s=b.arrival_s - zero_s) for b in beats]

    start_utc = None
    if START_UNKNOWN not in recording_additional and start_naive != UNKNOWN_START:
        start_utc = start_naive.replace(tzinfo=dt.UTC) + dt.timedelta(seconds=zero_s)
    if client_code is None:
        try:
            client_code = check_client_code(patient_code)
        except ValueError:
            client_code = DEFAULT_CLIENT_CODE
    return _assemble(path, client_code, start_utc, RecordedBeats.from_beats(beats), events)


def _edf_event(t_s: float, end_s: float | None, text: str) -> SessionEvent:
    """The session event an annotation text describes (unknown texts become notes)."""
    head, _, rest = text.partition(": ")
    if text.startswith("Phase: "):
        return SessionEvent.phase(t_s, rest)
    if text.startswith("Note: "):
        return SessionEvent.note(t_s, rest)
    if match := re.fullmatch(r"SUDS (\d+)(?:: (.*))?", text, flags=re.DOTALL):
        rating = int(match.group(1))
        if rating <= 10:
            return SessionEvent.suds(t_s, rating, match.group(2) or "")
    if match := re.fullmatch(r"Alert (\S+): (.*)", text, flags=re.DOTALL):
        return SessionEvent.alert(t_s, match.group(1), match.group(2), end_s=end_s)
    if match := re.fullmatch(r"Connection (\S+)(?:: (.*))?", text, flags=re.DOTALL):
        return SessionEvent(
            t_s, EventKind.CONNECTION, text=match.group(1), data={"detail": match.group(2) or ""}
        )
    if text == "Gap" or text.startswith("Gap: "):
        return SessionEvent(t_s, EventKind.GAP, text=rest if head == "Gap" else "", end_s=end_s)
    if match := re.fullmatch(r"Battery (\d+)%", text):
        return SessionEvent(t_s, EventKind.BATTERY, value=float(match.group(1)))
    if text in ("Contact on", "Contact off"):
        return SessionEvent(t_s, EventKind.CONTACT, value=1.0 if text.endswith("on") else 0.0)
    if text.startswith("Device: "):
        return SessionEvent(t_s, EventKind.DEVICE, text=rest)
    if match := _WINDOW_ANNOTATION.fullmatch(text):
        values = dict(zip(WINDOW_FIELDS, (float(v) for v in match.groups()), strict=True))
        # Which beat the change reached live is not in the annotation: it applies by time.
        words = "window set to " + text.removeprefix("Window: ")
        return SessionEvent(t_s, EventKind.TOLERANCE, text=words, data={"settings": values})
    return SessionEvent(t_s, EventKind.NOTE, text=text, end_s=end_s)
