"""Export a session as CSV: one file for the beats, one for the events.

One ``--out PATH`` names the beats file; the events go beside it with ``.events`` before the
suffix (``s.csv`` -> ``s.csv`` and ``s.events.csv``), because two tables with different columns
do not fit one rectangular CSV that spreadsheets and pandas read as is. Plain RFC 4180 CSV,
UTF-8, comma-separated, a header row, no comment lines.

Beats file columns
    ``beat`` (0-based index), ``t_s`` (beat time, s from the session start), ``rr_ms`` (raw
    RR, unaltered), ``arrival_s``, ``beat_class`` (0-6, empty if undecided), ``beat_class_name``
    (normal, ectopic, long, short, missed, extra, invalid).
Events file columns
    ``t_s``, ``end_s`` (empty if none), ``kind`` (phase, suds, note, alert, connection, gap,
    battery, contact, device, tolerance), ``value`` (empty if none), ``text``, ``data_json``.

Numbers are written with Python's shortest round-trip form, so re-importing gives the same
floats bit for bit. Session metadata (client code, start time, device, settings) is not part
of the CSV export; the session file and the EDF+ export keep it.
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
EVENTS_INFIX = ".events"


def csv_paths(out: str | Path) -> tuple[Path, Path]:
    """The beats file and events file that ``--out out`` writes."""
    out = Path(out)
    suffix = out.suffix or ".csv"
    base = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out, out.with_name(f"{base}{EVENTS_INFIX}{suffix}")


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
) -> tuple[Path, Path]:
    """Write the beats and events CSV files.

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
    (Path, Path)
        The beats file and the events file.
    """
    beats_path, events_path = csv_paths(out)
    with atomic_outputs([beats_path, events_path], overwrite=overwrite) as partials:
        for partial, header, rows in (
            (partials[0], BEAT_COLUMNS, beat_rows(session)),
            (partials[1], EVENT_COLUMNS, event_rows(session)),
        ):
            with partial.open("w", encoding="utf-8", newline="") as file:
                writer = csv.writer(file, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(rows)
    return beats_path, events_path
