"""Export a session as CSV: one file for the beats, one for the events, one for the session.

One ``--out PATH`` names the beats file; the events go beside it with ``.events`` before the
suffix and the session's own fields with ``.session`` (``s.csv`` -> ``s.csv``, ``s.events.csv``
and ``s.session.csv``), because tables with different columns do not fit one rectangular CSV
that spreadsheets and pandas read as is. Plain RFC 4180 CSV,
UTF-8, comma-separated, a header row, no comment lines.

Beats file columns
    ``beat`` (0-based index), ``t_s`` (beat time, s from the session start), ``rr_ms`` (raw
    RR, unaltered), ``arrival_s``, ``beat_class`` (0-6, empty if undecided), ``beat_class_name``
    (normal, ectopic, long, short, missed, extra, invalid).
Events file columns
    ``t_s``, ``end_s`` (empty if none), ``kind`` (phase, suds, note, alert, connection, gap,
    battery, contact, device, tolerance), ``value`` (empty if none), ``text``, ``data_json``.
Session file columns
    ``field``, ``value``; one row each for ``client_code``, ``start_utc`` (ISO 8601, empty if
    unknown), ``source_kind``, ``device_name``, ``device_address``, ``software_version``. The
    import reads the client code and the start back, so a round trip keeps whose session it was
    and when. The settings of the session stay in the session file.

Numbers are written with Python's shortest round-trip form, so re-importing gives the same
floats bit for bit.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from monitor.core.artefacts import BeatClass
from monitor.recording.model import UNDECIDED_CLASS, RecordedSession
from monitor.recording.paths import atomic_outputs

BEAT_COLUMNS = ("beat", "t_s", "rr_ms", "arrival_s", "beat_class", "beat_class_name")
EVENT_COLUMNS = ("t_s", "end_s", "kind", "value", "text", "data_json")
SESSION_COLUMNS = ("field", "value")
EVENTS_INFIX = ".events"
SESSION_INFIX = ".session"


def csv_paths(out: str | Path) -> tuple[Path, Path, Path]:
    """The beats file, events file and session file that ``--out out`` writes."""
    out = Path(out)
    suffix = out.suffix or ".csv"
    base = out.name[: -len(out.suffix)] if out.suffix else out.name
    return (
        out,
        out.with_name(f"{base}{EVENTS_INFIX}{suffix}"),
        out.with_name(f"{base}{SESSION_INFIX}{suffix}"),
    )


def session_rows(session: RecordedSession) -> Iterator[tuple[str, str]]:
    """Rows of the session table (without the header)."""
    metadata = session.metadata
    start = "" if metadata.start_utc is None else metadata.start_utc.isoformat()
    yield "client_code", metadata.client_code
    yield "start_utc", start
    yield "source_kind", str(metadata.source_kind)
    yield "device_name", metadata.device_name
    yield "device_address", metadata.device_address
    yield "software_version", metadata.software_version


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def beat_rows(session: RecordedSession) -> Iterator[tuple[str, ...]]:
    """Rows of the beats table (without the header)."""
    beats = session.beats
    for index in range(len(beats)):
        code = int(beats.beat_class[index])
        decided = code != UNDECIDED_CLASS
        yield (
            str(index),
            _number(beats.t_s[index]),
            _number(beats.rr_ms[index]),
            _number(beats.arrival_s[index]),
            str(code) if decided else "",
            BeatClass(code).name.lower() if decided else "",
        )


def event_rows(session: RecordedSession) -> Iterator[tuple[str, ...]]:
    """Rows of the events table (without the header)."""
    for event in session.events:
        yield (
            _number(event.t_s),
            _number(event.end_s),
            str(event.kind),
            _number(event.value),
            event.text,
            json.dumps(dict(event.data), ensure_ascii=False, sort_keys=True),
        )


def export_csv(
    session: RecordedSession, out: str | Path, *, overwrite: bool = False
) -> tuple[Path, Path, Path]:
    """Write the beats, events and session CSV files.

    Parameters
    ----------
    session : RecordedSession
        The session.
    out : str or Path
        The beats file; the events file is derived from it (see :func:`csv_paths`).
    overwrite : bool
        Replace existing files.

    Returns
    -------
    (Path, Path, Path)
        The beats file, the events file and the session file.
    """
    paths = csv_paths(out)
    tables: tuple[tuple[tuple[str, ...], Iterator[tuple[str, ...]]], ...] = (
        (BEAT_COLUMNS, beat_rows(session)),
        (EVENT_COLUMNS, event_rows(session)),
        (SESSION_COLUMNS, session_rows(session)),
    )
    with atomic_outputs(list(paths), overwrite=overwrite) as partials:
        for partial, (header, rows) in zip(partials, tables, strict=True):
            with partial.open("w", encoding="utf-8", newline="") as file:
                writer = csv.writer(file, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(rows)
    return paths
