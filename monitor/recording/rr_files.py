"""Readers for plain RR-interval files: RR text (Kubios style) and Polar HRM.

RR values are returned exactly as written (after a unit conversion to ms): no value is dropped or
repaired here. Physiologically impossible values, such as the ``0`` in one of the shared test files,
are left in so the artefact stage can flag them where they occur.

RR text: the one rule
---------------------
Nothing about an RR text file is guessed quietly. It is read by this rule, and anything else is
refused with one line that says what the file looks like:

1. **Lines.** ``#`` starts a comment (to the end of the line); blank lines are skipped. Our
   Kubios export's comment lines are read back: ``# File:`` (client code, start), ``# First
   beat:`` (its session time), ``# Gap:`` and ``# Event:`` (one JSON object); such a line that
   does not parse is refused with its line number, never skipped.
2. **Layout.** Either one number per line, or a header line (the first line that holds a
   letter) naming the columns, separated by tabs, semicolons, commas or spaces, one of which
   names the RR column (``rr``, ``rri``, ``nn``, ``ibi``, ``rr_interval``, with an optional
   unit: ``rr_ms``, ``RR (s)``...). Several numbers on a line without such a header are refused:
   which column is the RR interval would be a guess.
3. **Decimal comma.** A comma is a decimal comma only where it cannot be a column separator: in
   a file with another separator (tab or semicolon), or in a one-column file whose every value
   is ``digits`` or ``digits,digits`` and none has a point (``812,5``).
4. **Units.** From the header when it names one (``ms`` or ``s``); otherwise the unit in which
   at least 90 % of the values are plausible RR intervals (250–2500 ms: 24–240 beats/min). The
   two ranges do not overlap, so at most one unit fits; with none the file is refused (``seq 1
   5`` is neither). The few values outside the range stay in, for the artefact stage to flag.
5. **Values.** Not-a-number, infinite or negative values, and anything above 60 s, are refused
   with their line number: no reading of them is an interval.

:func:`describe` says in one line how a file was read (``import`` and ``analyze`` print it).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.core.analysis import default_beat_times_s
from monitor.recording.errors import UnreadableFileError, read_file_bytes
from monitor.recording.model import MAX_EVENT_TIME_S, EventKind, SessionEvent

# Above this median value a text file is taken to be in milliseconds, below it in seconds: no
# human RR interval lasts 10 s, and none is shorter than 10 ms.
_SECONDS_MS_MEDIAN_SPLIT = 10.0

# Polar HRM files store RR intervals (rather than sampled heart rate) when Interval is 238.
_HRM_RR_INTERVAL_CODE = 238


@dataclass(frozen=True)
class TextGap:
    """A gap our Kubios export lists in a ``# Gap:`` comment line.

    Attributes
    ----------
    start_s, end_s : float, float or None
        Session time of the gap (``None``: it never ended).
    after_beat : int or None
        How many RR values of the file come before the gap (exports before this field: None).
    reason : str
        Why the signal was lost, as recorded.
    """

    start_s: float
    end_s: float | None
    after_beat: int | None
    reason: str


@dataclass(frozen=True)
class RRRecording:
    """RR intervals read from a file.

    Attributes
    ----------
    rr_ms : numpy.ndarray
        RR intervals in ms, in file order, unaltered.
    kind : str
        ``"rr-text"`` or ``"polar-hrm"``.
    start_time : datetime.datetime or None
        Wall-clock start when the file records it: naive local time for HRM (as the file
        gives it), aware UTC for our Kubios export.
    layout : str
        How the values were read (unit and layout), in words (see :func:`describe`).
    gaps : tuple of TextGap
        Gaps listed in the file (our Kubios export), in file order.
    client_code : str or None
        The client code the file names (our Kubios export), if any.
    first_beat_s : float or None
        Session time of the first beat (our Kubios export); ``None``: the first RR value's end.
    events : tuple of SessionEvent
        Events other than gaps the file holds (our Kubios export), in file order.
    """

    rr_ms: np.ndarray
    kind: str
    start_time: dt.datetime | None = None
    layout: str = ""
    gaps: tuple[TextGap, ...] = ()
    client_code: str | None = None
    first_beat_s: float | None = None
    events: tuple[SessionEvent, ...] = ()


def read_rr_file(path: str | Path) -> RRRecording:
    """Read an RR text file or a Polar HRM file, choosing by content.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    RRRecording

    Raises
    ------
    UnreadableFileError
        The file is missing, empty, binary, or not an RR recording.
    """
    path = Path(path)
    raw = read_file_bytes(path)
    if b"\x00" in raw[:4096]:
        raise UnreadableFileError(f"{path}: binary file, not RR text or Polar HRM")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if text.lstrip().startswith("[Params]"):
        return _parse_hrm(path, text)
    return _parse_rr_text(path, text)


_RR_COLUMN = re.compile(
    r"^(rr|rri|nn|nni|ibi|rr_?intervals?|intervals?)[ _]*(?:\(?(ms|s|sec|msec)\)?)?$"
)
_SEPARATORS = ("\t", ";", ",")
_PLAUSIBLE_RR_MS = (250.0, 2500.0)
_PLAUSIBLE_SHARE = 0.9
_LONGEST_VALUE_MS = 60_000.0
_GAP_LINE = re.compile(
    r"^#\s*Gap:\s*(-?[\d.]+)-(open|-?[\d.]+) s after start(?:, after beat (\d+))?(?: \((.*)\))?$"
)
_CLIENT_LINE = re.compile(r"^#\s*File: session of client (\S+), start \(UTC\) (\S+)")
_FIRST_BEAT_LINE = re.compile(r"^#\s*First beat:\s*(\S+) s after start$")
_EVENT_LINE = re.compile(r"^#\s*Event:\s*(.*)$")


def describe(recording: RRRecording) -> str:
    """One line saying how a file was read (its layout and units), for the user to check."""
    return f"read {recording.rr_ms.size} RR values {recording.layout}"


def _parse_rr_text(path: Path, text: str) -> RRRecording:
    gaps: list[TextGap] = []
    events: list[SessionEvent] = []
    client_code: str | None = None
    start_utc: dt.datetime | None = None
    first_beat_s: float | None = None
    rows: list[tuple[int, str]] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            if match := _EVENT_LINE.match(stripped):
                events.append(_event_of_line(path, line_number, match.group(1)))
            elif match := _FIRST_BEAT_LINE.match(stripped):
                first_beat_s = _header_number(path, line_number, match.group(1))
            elif match := _GAP_LINE.match(stripped):
                start_s, end, after, reason = match.groups()
                gaps.append(
                    TextGap(
                        _plain_float(start_s),
                        None if end == "open" else _plain_float(end),
                        None if after is None else int(after),
                        reason or "",
                    )
                )
            elif match := _CLIENT_LINE.match(stripped):
                client_code = match.group(1)
                start_utc = _header_start(path, line_number, match.group(2))
        content = line.split("#", 1)[0].strip()
        if content:
            rows.append((line_number, content))
    if not rows:
        raise UnreadableFileError(f"{path}: no RR intervals found (empty file)")
    header_unit: str | None = None
    if any(ch.isalpha() for ch in rows[0][1].replace("e", "").replace("E", "")):
        header_line, header = rows.pop(0)
        separator = _separator_of(header)
        names = [_column_name(n) for n in _split(header, separator)]
        found = [i for i, n in enumerate(names) if _RR_COLUMN.match(n)]
        if not found:
            raise UnreadableFileError(
                f"{path}: line {header_line} looks like a header ({header[:60]!r}) but names no "
                "RR column; name it 'rr_ms' (or 'rr_s')"
            )
        column = found[0]
        match = _RR_COLUMN.match(names[column])
        assert match is not None
        header_unit = {"ms": "ms", "msec": "ms", "s": "s", "sec": "s"}.get(match.group(2) or "")
        layout = f"from column {column + 1} ({header.split(separator)[column].strip()!r})"
        values = [
            _value(path, n, _split(c, separator), column, decimal_comma=separator != ",")
            for n, c in rows
        ]
    else:
        separator = _separator_of(rows[0][1])
        multi = [(n, c) for n, c in rows if len(_split(c, _data_separator(c))) > 1]
        one_decimal_comma = all(re.fullmatch(r"\d+(?:,\d+)?", c) for _, c in rows) and not any(
            "." in c for _, c in rows
        )
        if multi and not one_decimal_comma:
            line_number, content = multi[0]
            count = len(_split(content, _data_separator(content)))
            raise UnreadableFileError(
                f"{path}: line {line_number} holds {count} numbers ({content[:40]!r}) and no "
                "header names the RR column; give one RR interval per line, or a header line "
                "such as 'time_s;rr_ms'"
            )
        layout = "one per line" + (" (decimal comma)" if one_decimal_comma and multi else "")
        values = [
            _value(path, n, [c.replace(",", ".") if one_decimal_comma else c], 0, False)
            for n, c in rows
        ]
    if not values:
        raise UnreadableFileError(f"{path}: a header but no RR intervals")
    rr = np.asarray(values, dtype=float)
    _refuse_too_long(path, values, rr, "ms")  # too long in either unit: say so, not "unit"
    unit = header_unit or _unit_by_rule(path, rr)
    if unit == "s":
        rr = rr * 1000.0
    _refuse_too_long(path, values, rr, unit)
    how = "given by the header" if header_unit else "by their range"
    return RRRecording(
        rr_ms=rr,
        kind="rr-text",
        start_time=start_utc,
        layout=f"in {_UNIT_WORDS[unit]} ({how}), {layout}",
        gaps=tuple(gaps),
        client_code=client_code,
        first_beat_s=first_beat_s,
        events=tuple(events),
    )


_UNIT_WORDS = {"ms": "milliseconds", "s": "seconds"}


def _event_of_line(path: Path, line_number: int, text: str) -> SessionEvent:
    try:
        return SessionEvent.from_fields(json.loads(text))
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        reason = str(error).splitlines()[0][:80] if str(error) else type(error).__name__
        raise UnreadableFileError(
            f"{path}: line {line_number} is an '# Event:' line that is not an event ({reason})"
        ) from None


def _header_number(path: Path, line_number: int, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > MAX_EVENT_TIME_S:
        raise UnreadableFileError(f"{path}: line {line_number} gives no time ({text[:40]!r})")
    return value


def parse_exported_start(text: str) -> dt.datetime:
    """A session start our exports wrote (ISO 8601 with its zone, in PLAUSIBLE_YEARS).

    Raises
    ------
    ValueError
        Not such a time, in words.
    """
    start = dt.datetime.fromisoformat(text)
    if start.tzinfo is None:
        raise ValueError(f"{text[:40]!r} has no time zone")
    if not PLAUSIBLE_YEARS[0] <= start.year <= PLAUSIBLE_YEARS[1]:
        raise ValueError(f"{text[:40]!r} is outside {PLAUSIBLE_YEARS[0]}-{PLAUSIBLE_YEARS[1]}")
    return start


def _header_start(path: Path, line_number: int, text: str) -> dt.datetime | None:
    if text == "unknown":
        return None
    try:
        return parse_exported_start(text)
    except ValueError:
        raise UnreadableFileError(
            f"{path}: line {line_number} gives no UTC start time ({text[:40]!r})"
        ) from None


def _refuse_too_long(path: Path, values: list[float], rr_ms: np.ndarray, unit: str) -> None:
    too_long = np.flatnonzero(rr_ms > _LONGEST_VALUE_MS)
    if too_long.size:
        first = int(too_long[0])
        raise UnreadableFileError(
            f"{path}: value {values[first]:g} (RR {first + 1}) is over 60 s in "
            f"{_UNIT_WORDS[unit]}: not an RR interval"
        )


def _unit_by_rule(path: Path, values: np.ndarray) -> str:
    low_ms, high_ms = _PLAUSIBLE_RR_MS
    for unit, scale in (("ms", 1.0), ("s", 1000.0)):
        plausible = (values * scale >= low_ms) & (values * scale <= high_ms)
        if plausible.mean() >= _PLAUSIBLE_SHARE:
            return unit
    median = float(np.median(values))
    raise UnreadableFileError(
        f"{path}: {values.size} values with median {median:g} are RR intervals in neither "
        f"milliseconds ({low_ms:.0f}-{high_ms:.0f}) nor seconds "
        f"({low_ms / 1000:g}-{high_ms / 1000:g}) for 90 % of them; name the unit in a header "
        "('rr_ms' or 'rr_s') if they really are"
    )


def _separator_of(line: str) -> str | None:
    for separator in _SEPARATORS:
        if separator in line:
            return separator
    return None


def _data_separator(content: str) -> str | None:
    # In a line of numbers a lone comma between digits may be a decimal comma; tabs and
    # semicolons are always separators, and spaces too.
    if "\t" in content or ";" in content:
        return "\t" if "\t" in content else ";"
    if "," in content:
        return ","
    return None


def _split(content: str, separator: str | None) -> list[str]:
    fields = content.split(separator) if separator else content.split()
    return [f.strip() for f in fields if f.strip()]


def _column_name(name: str) -> str:
    return name.strip().strip("\"'").lower().replace("-", "_")


def _value(
    path: Path, line_number: int, fields: list[str], column: int, decimal_comma: bool
) -> float:
    if column >= len(fields):
        raise UnreadableFileError(
            f"{path}: line {line_number} has no column {column + 1} ({' '.join(fields)[:40]!r})"
        )
    field = fields[column].replace(",", ".") if decimal_comma else fields[column]
    try:
        value = float(field)
    except ValueError:
        raise UnreadableFileError(
            f"{path}: line {line_number} is not a number ({field[:40]!r}); expected one RR "
            "interval per line"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise UnreadableFileError(
            f"{path}: line {line_number} holds {field[:40]!r}: not an interval"
        )
    return value


def _plain_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _parse_hrm(path: Path, text: str) -> RRRecording:
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1]
            sections[current] = []
        elif current is not None:
            sections[current].append(stripped)
    params = dict(line.split("=", 1) for line in sections.get("Params", []) if "=" in line)
    interval = params.get("Interval", "").strip()
    if interval != str(_HRM_RR_INTERVAL_CODE):
        raise UnreadableFileError(
            f"{path}: Polar HRM file without RR data (Interval={interval or 'missing'}, "
            f"expected {_HRM_RR_INTERVAL_CODE})"
        )
    if "HRData" not in sections:
        raise UnreadableFileError(f"{path}: Polar HRM file has no [HRData] section")
    values: list[float] = []
    for offset, line in enumerate(sections["HRData"], start=1):
        if not line:
            continue
        try:
            values.append(float(line.split()[0]))
        except ValueError:
            raise UnreadableFileError(
                f"{path}: [HRData] row {offset} is not a number ({line[:40]!r})"
            ) from None
    if not values:
        raise UnreadableFileError(f"{path}: Polar HRM file has no RR intervals")
    for offset, value in enumerate(values, start=1):
        # The same limits as RR text: 0 or 10 s stay in (the artefact stage flags them).
        if not math.isfinite(value) or value < 0 or value > _LONGEST_VALUE_MS:
            raise UnreadableFileError(
                f"{path}: [HRData] value {value:g} (RR {offset}) is not an RR interval"
            )
    return RRRecording(
        rr_ms=np.asarray(values, dtype=float),
        kind="polar-hrm",
        start_time=_hrm_start_time(params),
        layout="in milliseconds, from a Polar HRM file's [HRData]",
    )


def _hrm_start_time(params: dict[str, str]) -> dt.datetime | None:
    try:
        date = dt.datetime.strptime(params["Date"].strip(), "%Y%m%d").date()
        time = dt.datetime.strptime(params["StartTime"].strip().split(".")[0], "%H:%M:%S").time()
    except (KeyError, ValueError):
        return None
    if not PLAUSIBLE_YEARS[0] <= date.year <= PLAUSIBLE_YEARS[1]:
        return None  # a recorder's unset clock (0001-01-01, 9999-12-31): no start time known
    return dt.datetime.combine(date, time)


PLAUSIBLE_YEARS = (1990, 2200)
"""A session start outside these years is an unset clock or damage, never a session."""


def beat_times_and_gaps(recording: RRRecording) -> tuple[np.ndarray, list[SessionEvent]]:
    """Beat times of an RR file (running sums of the intervals), restarted after each gap the
    file lists, and those gaps as session events.

    A file with no clock gives beat times from RR sums; across a gap they would bridge the
    time the strap was away and move every later beat (and alert) earlier. The first beat
    after a gap is placed at the gap's end (the first packet after a drop-out anchors its beats
    there, :mod:`drivers.beat_clock`), the beats after it follow from their sums again. Which
    beat is the first after the gap is the export's ``after beat`` count, or for older exports
    the first beat whose summed time passes the gap's start.

    Returns
    -------
    t_s : numpy.ndarray
        Session time of every beat (s).
    gaps : list of SessionEvent
        One ``gap`` event per listed gap.

    Beat times start at the file's ``# First beat:`` time where it gives one (our export),
    else at the first RR value's end.
    """
    t_s = default_beat_times_s(recording.rr_ms)
    if recording.first_beat_s is not None and t_s.size:
        t_s += recording.first_beat_s - t_s[0]
    events: list[SessionEvent] = []
    for gap in recording.gaps:
        first_after = (
            gap.after_beat
            if gap.after_beat is not None
            else int(np.searchsorted(t_s, gap.start_s + 1e-6, side="right"))
        )
        first_after = min(max(first_after, 0), t_s.size)
        if gap.end_s is not None and first_after < t_s.size:
            shift_s = gap.end_s - t_s[first_after]
            if shift_s > 0:
                t_s[first_after:] += shift_s
        events.append(SessionEvent(gap.start_s, EventKind.GAP, text=gap.reason, end_s=gap.end_s))
    return t_s, events
