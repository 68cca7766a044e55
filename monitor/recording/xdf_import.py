"""Read an XDF recording (LabRecorder, Lab Streaming Layer) as an RR session to import.

An XDF file (Kothe et al., "XDF - Extensible Data Format", SCCN,
https://github.com/sccn/xdf/wiki/Specifications) holds any number of streams. From it we take:

* **the heart**: an RR stream (type ``RR`` or ``IBI``, or a channel labelled ``rr``/``ibi``:
  our own outlet's ``[rr_ms, beat_class]`` layout, and the one-channel layouts of phone and
  Polar-to-LSL bridges), else an ECG stream (type ``ECG``, a regular rate), whose R peaks are
  found with :func:`monitor.core.ecg_peaks.detect_r_peaks`;
* **the markers**: a string stream of type ``Markers``; the marker strings our outlet writes
  (:func:`monitor.session.lsl_streams.marker_texts`) become phases, SUDS ratings, notes and gaps
  again; any other marker becomes a note, word for word.

Times come from the streams' own time stamps after pyxdf's clock synchronisation (the recorded
clock offsets of each stream; ``synchronize_clocks``), so streams recorded on several machines
line up. The session's time zero is the earlier of the start of the first RR interval and the
first marker, so a session that our outlet published comes back on its own clock.

Nothing is guessed silently: a choice between several fitting streams must be made with
``stream``/``markers``, an RR unit that is neither stated nor clear from the values is refused,
and a file cut off mid-chunk (a recording that did not finish) is refused with the byte where it
ends, never imported in part.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from monitor.core.ecg_peaks import detect_r_peaks
from monitor.recording.errors import UnreadableFileError
from monitor.recording.model import MAX_BEAT_CLASS, EventKind, RecordedBeats, SessionEvent

XDF_MAGIC = b"XDF:"
RR_TYPES = frozenset({"rr", "ibi"})
ECG_TYPES = frozenset({"ecg"})
MARKER_TYPES = frozenset({"markers", "marker", "events"})
GAP_S = 2.0
"""A stretch between two beats this much longer than the interval itself is a drop-out: the
beats in between were never received (as the live session marks gaps)."""
MAX_SUDS = 10
"""SUDS runs 0-10 (Wolpe 1969); a larger "suds:" marker is kept as a note, not as a rating."""
_MAX_LENGTH_BYTES = {1, 4, 8}
_SUDS = re.compile(r"suds: (\d+)(?: \((.*)\))?$", re.DOTALL)


@dataclass(frozen=True)
class XdfRecording:
    """What an XDF file gives an import: beats, events and how they were read.

    Attributes
    ----------
    beats : RecordedBeats
        Beat times on the session clock (s), RR intervals (ms), classes (``-1`` undecided).
    events : list of SessionEvent
        Phases, SUDS, notes and gaps, in time order.
    layout : str
        In words: which stream and channel, in which unit (printed by ``import``).
    """

    beats: RecordedBeats
    events: list[SessionEvent]
    layout: str


def read_xdf(path: Path, *, stream: str | None = None, markers: str | None = None) -> XdfRecording:
    """Read the heart stream and the markers of an XDF file (see the module notes).

    Parameters
    ----------
    path : Path
        The ``.xdf`` file.
    stream : str, optional
        Name of the RR or ECG stream, when the file has several that fit.
    markers : str, optional
        Name of the marker stream, when the file has several.

    Raises
    ------
    UnreadableFileError
        A truncated, foreign or empty file, no fitting stream, an ambiguous choice, or values
        that are no heartbeat intervals (one line each).
    """
    _check_chunks(path)
    import pyxdf

    # pyxdf logs each chunk it cannot read; the one-line error below says it instead.
    logging.getLogger("pyxdf").setLevel(logging.CRITICAL)
    try:
        streams, _ = pyxdf.load_xdf(str(path), synchronize_clocks=True, dejitter_timestamps=False)
    except Exception as error:  # pyxdf raises plain Exception/ValueError/struct.error alike
        raise UnreadableFileError(f"{path}: not a readable XDF file ({error})") from None
    if not streams:
        raise UnreadableFileError(f"{path}: the XDF file holds no streams")
    heart = _pick(path, streams, stream, _is_heart, "RR or ECG stream", "--stream")
    marker_stream = _pick_markers(path, streams, markers)
    if _stream_type(heart) in ECG_TYPES:
        t_end_s, rr_ms, classes, layout = _beats_from_ecg(path, heart)
    else:
        t_end_s, rr_ms, classes, layout = _beats_from_rr(path, heart)
    marker_list = [] if marker_stream is None else _marker_samples(marker_stream)
    starts = [float(t_end_s[0] - rr_ms[0] / 1000.0)] + [t for t, _ in marker_list[:1]]
    origin_s = min(starts)
    t_s = t_end_s - origin_s
    beats = RecordedBeats(t_s, rr_ms, t_s.copy(), classes)
    events = _gaps(t_s, rr_ms) + [
        e for t, text in marker_list if (e := _marker_event(t - origin_s, text)) is not None
    ]
    events.sort(key=lambda e: e.t_s)
    if marker_stream is not None:
        layout += f"; markers from '{_stream_name(marker_stream)}'"
    return XdfRecording(beats, events, layout)


# -- the file's chunks ------------------------------------------------------------------------


def _check_chunks(path: Path) -> None:
    """Walk the chunk lengths: a file cut off mid-chunk is refused, not imported in part."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFileError(f"{path}: cannot read ({error.strerror or error})") from None
    if not data.startswith(XDF_MAGIC):
        raise UnreadableFileError(f"{path}: not an XDF file (no 'XDF:' at its start)")
    at = len(XDF_MAGIC)
    chunks = 0
    while at < len(data):
        width = data[at]
        if width not in _MAX_LENGTH_BYTES or at + 1 + width > len(data):
            raise UnreadableFileError(f"{path}: damaged or cut-off XDF file at byte {at}")
        length = int.from_bytes(data[at + 1 : at + 1 + width], "little")
        end = at + 1 + width + length
        if length < 2 or end > len(data):
            raise UnreadableFileError(
                f"{path}: XDF file cut off at byte {len(data)} in a chunk that should end at "
                f"byte {end} (the recording did not finish); nothing imported"
            )
        at = end
        chunks += 1
    if chunks == 0:
        raise UnreadableFileError(f"{path}: the XDF file holds no chunks")


# -- choosing streams -------------------------------------------------------------------------


def _info(stream: dict[str, Any], key: str) -> str:
    values = stream["info"].get(key) or [""]
    return str(values[0] or "")


def _stream_name(stream: dict[str, Any]) -> str:
    return _info(stream, "name")


def _stream_type(stream: dict[str, Any]) -> str:
    return _info(stream, "type").strip().lower()


def _channels(stream: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, unit) of each channel, from the XDF meta-data; blanks where not described."""
    count = int(_info(stream, "channel_count") or 0)
    described: list[tuple[str, str]] = []
    desc = (stream["info"].get("desc") or [None])[0]
    try:
        for channel in desc["channels"][0]["channel"]:
            label = (channel.get("label") or [""])[0] or ""
            unit = (channel.get("unit") or [""])[0] or ""
            described.append((str(label), str(unit)))
    except (TypeError, KeyError, IndexError):
        pass
    return (described + [("", "")] * count)[:count]


def _rr_channel(stream: dict[str, Any]) -> int | None:
    """The RR channel's index: the one labelled rr/ibi, or the only one (None if neither)."""
    channels = _channels(stream)
    for index, (label, _) in enumerate(channels):
        name = label.strip().lower()
        if name in RR_TYPES or name.startswith(("rr", "ibi")):
            return index
    numeric = _info(stream, "channel_format") != "string"
    if numeric and len(channels) == 1 and _stream_type(stream) in RR_TYPES:
        return 0
    return None


def _is_heart(stream: dict[str, Any]) -> bool:
    if _info(stream, "channel_format") == "string":
        return False
    kind = _stream_type(stream)
    if kind in ECG_TYPES:
        return float(_info(stream, "nominal_srate") or 0) > 0
    return (kind in RR_TYPES or kind == "") and _rr_channel(stream) is not None


def _listing(streams: list[dict[str, Any]]) -> str:
    return ", ".join(f"'{_stream_name(s)}' ({_info(s, 'type') or 'no type'})" for s in streams)


def _pick(
    path: Path,
    streams: list[dict[str, Any]],
    name: str | None,
    fits: Callable[[dict[str, Any]], bool],
    what: str,
    flag: str,
) -> dict[str, Any]:
    if name is not None:
        named = [s for s in streams if _stream_name(s) == name]
        if not named:
            raise UnreadableFileError(
                f"{path}: no stream named '{name}'; it has {_listing(streams)}"
            )
        if not fits(named[0]):
            raise UnreadableFileError(f"{path}: stream '{name}' is no {what}")
        return named[0]
    candidates = [s for s in streams if fits(s)]
    if not candidates:
        raise UnreadableFileError(f"{path}: no {what} among {_listing(streams)}")
    rr = [s for s in candidates if _stream_type(s) not in ECG_TYPES]
    if len(rr) == 1 or (not rr and len(candidates) == 1):
        return rr[0] if rr else candidates[0]  # RR beats ECG: the strap's own beat times
    raise UnreadableFileError(
        f"{path}: several streams fit ({_listing(rr or candidates)}); choose one with {flag} NAME"
    )


def _pick_markers(
    path: Path, streams: list[dict[str, Any]], name: str | None
) -> dict[str, Any] | None:
    def fits(stream: dict[str, Any]) -> bool:
        return _info(stream, "channel_format") == "string" and _stream_type(stream) in MARKER_TYPES

    if name is None and not any(fits(s) for s in streams):
        return None
    return _pick(path, streams, name, fits, "string marker stream", "--markers")


# -- beats ------------------------------------------------------------------------------------


def _beats_from_rr(
    path: Path, stream: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    index = _rr_channel(stream)
    assert index is not None  # _is_heart checked it
    values = np.asarray(stream["time_series"], dtype=np.float64)
    stamps = np.asarray(stream["time_stamps"], dtype=np.float64)
    name = _stream_name(stream)
    if values.ndim != 2 or values.shape[0] == 0:
        raise UnreadableFileError(f"{path}: stream '{name}' holds no beats")
    rr = values[:, index]
    label, unit = _channels(stream)[index]
    factor, unit_words = _rr_unit(path, name, unit, rr)
    rr_ms = rr * factor
    bad = ~np.isfinite(rr_ms) | (rr_ms <= 0) | ~np.isfinite(stamps)
    if np.any(bad):
        at = int(np.argmax(bad))
        value = float(rr[at])
        raise UnreadableFileError(
            f"{path}: stream '{name}' sample {at + 1} ({value!r}) is not a heartbeat interval"
        )
    if np.any(np.diff(stamps) < 0):
        raise UnreadableFileError(f"{path}: stream '{name}' has time stamps going backwards")
    classes = np.full(rr_ms.size, -1, dtype=np.int8)
    labels = [lbl.strip().lower() for lbl, _ in _channels(stream)]
    if "beat_class" in labels:
        codes = values[:, labels.index("beat_class")]
        known = np.isfinite(codes) & (codes >= 0) & (codes <= MAX_BEAT_CLASS)
        classes[known] = codes[known].astype(np.int8)
    channel = label or f"channel {index + 1}"
    layout = f"from XDF stream '{name}' ({_info(stream, 'type')}), {channel} {unit_words}"
    return stamps, rr_ms, classes, layout


def _rr_unit(path: Path, name: str, unit: str, rr: np.ndarray) -> tuple[float, str]:
    """ms or s: as the stream says, else from the values (a heartbeat lasts 0.2-3 s)."""
    stated = unit.strip().lower()
    if stated in {"ms", "millisecond", "milliseconds"}:
        return 1.0, "in ms (as the stream states)"
    if stated in {"s", "sec", "second", "seconds"}:
        return 1000.0, "in s (as the stream states)"
    median = float(np.nanmedian(rr)) if rr.size else math.nan
    if 200.0 <= median <= 3000.0:
        return 1.0, "in ms (no unit stated; the values are milliseconds)"
    if 0.2 <= median <= 3.0:
        return 1000.0, "in s (no unit stated; the values are seconds)"
    raise UnreadableFileError(
        f"{path}: stream '{name}' states no unit and its median value {median:g} is neither "
        "milliseconds nor seconds of a heartbeat"
    )


def _beats_from_ecg(
    path: Path, stream: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    name = _stream_name(stream)
    sample_hz = float(_info(stream, "nominal_srate"))
    values = np.asarray(stream["time_series"], dtype=np.float64)
    stamps = np.asarray(stream["time_stamps"], dtype=np.float64)
    if values.ndim != 2 or values.shape[0] < sample_hz * 10:
        raise UnreadableFileError(f"{path}: ECG stream '{name}' is shorter than 10 s")
    peaks_s = detect_r_peaks(stamps, values[:, 0], sample_hz)
    if peaks_s.size < 3:
        raise UnreadableFileError(f"{path}: no heartbeats found in ECG stream '{name}'")
    rr_ms = np.diff(peaks_s) * 1000.0
    classes = np.full(rr_ms.size, -1, dtype=np.int8)
    layout = (
        f"from the R peaks of XDF ECG stream '{name}' ({sample_hz:g} Hz, "
        f"{peaks_s.size} peaks found)"
    )
    return peaks_s[1:], rr_ms, classes, layout


def _gaps(t_s: np.ndarray, rr_ms: np.ndarray) -> list[SessionEvent]:
    """Where the time between two beats is far longer than the interval: beats were lost."""
    events = []
    for i in np.flatnonzero(np.diff(t_s) > rr_ms[1:] / 1000.0 + GAP_S):
        start_s = float(t_s[i])
        end_s = float(t_s[i + 1] - rr_ms[i + 1] / 1000.0)
        events.append(
            SessionEvent(start_s, EventKind.GAP, text="no beats in the stream", end_s=end_s)
        )
    return events


# -- markers ----------------------------------------------------------------------------------


def _marker_samples(stream: dict[str, Any]) -> list[tuple[float, str]]:
    stamps = np.asarray(stream["time_stamps"], dtype=np.float64)
    texts = [str(row[0]) if len(row) else "" for row in stream["time_series"]]
    return sorted(zip((float(t) for t in stamps), texts, strict=True), key=lambda m: m[0])


_OWN_DERIVED = ("alert start", "alert end", "connection", "contact", "tolerance", "gap end")


def _marker_event(t_s: float, text: str) -> SessionEvent | None:
    """A marker as a session event. Our outlet's alerts, connection and contact changes and
    window changes are left out (the engine raises alerts again from the beats, and the window
    changes carry settings a marker string does not); gaps come from the beats themselves."""
    head, _, rest = text.partition(": ")
    if head == "phase" and rest:
        return SessionEvent(t_s, EventKind.PHASE, text=rest)
    if (match := _SUDS.match(text)) and int(match.group(1)) <= MAX_SUDS:
        return SessionEvent(
            t_s, EventKind.SUDS, value=float(match.group(1)), text=match.group(2) or ""
        )
    if head == "note":
        return SessionEvent(t_s, EventKind.NOTE, text=rest)
    if text.startswith(_OWN_DERIVED) or text.startswith("gap start"):
        return None
    return SessionEvent(t_s, EventKind.NOTE, text=text) if text.strip() else None
