"""Export a session as EDF+ (European Data Format plus) with annotations, via pyedflib.

How the session maps onto EDF+
------------------------------
Beats
    One annotation per beat, at the beat time, described ``RR=<ms with 4 decimals>`` (plus
    `` class=<0-6>`` once the artefact filter decided it). The RR value in the text is the raw
    interval to 0.00005 ms, so an import recovers every RR far inside 1/1024 s, including the
    first beat's and those across gaps, which beat-time differences could not give. Onsets
    are stored by EDF+ to 100 µs.
RR signal
    One ordinary signal, ``RR`` in ms at 4 Hz: the latest RR interval held until the next beat,
    0 before the first beat, in gaps and when no beat came for 3 s. It lets EDF viewers
    (EDFbrowser, MNE) draw a tachogram; analysis should use the beat annotations.
ECG and ACC (a strap's raw data, schema 4)
    When the file has them: ``ECG`` in µV at its native rate (130 Hz on the Polar H10) and
    ``ACC X``, ``ACC Y``, ``ACC Z`` in mg at theirs, on the same time axis as everything else
    and over the whole session. Each stored run's samples go to the EDF samples nearest their
    times (a later run overwrites an overlap); where the strap sent nothing (before its first
    run, drop-outs, no contact) the signal is 0. The physical range is the data's own, so the
    EDF quantisation step is (max - min) / 65535 of the recorded values. Runs at another rate
    than the most common one (a strap reconfigured between connections) are left out of the
    EDF; the session file keeps them. Files without raw data get only ``RR``, as before.
Events
    One annotation each, with the event's duration where it has one (alerts, gaps):
    ``Phase: <name>``, ``SUDS <0-10>[: comment]``, ``Note: <text>``,
    ``Alert <kind>: <reason>``, ``Connection <state>[: detail]``, ``Gap[: reason]``,
    ``Battery <n>%``, ``Contact on|off``, ``Device: <name>``, and a live change of the window
    of tolerance as ``Window: upper <u> SD, edge <e> SD, lower <l> SD, dwell <d> s`` (read back
    as the change; which beat it reached live is not kept). EDF+ writers (edflib) keep 40
    bytes of annotation text; longer texts continue in further annotations at the same onset
    whose text starts with ``+``, which the importer joins again. Further event details
    (``data`` beyond the alert kind) are kept only in the session file and the CSV export.
Header
    Patient code = client code (patient name ``X``, as EDF+ asks for anonymised data);
    equipment = device; recording "additional" subfield
    ``Session_Monitor_<version>_times_UTC`` (``start_unknown`` instead of ``times_UTC`` when
    the start is unknown); start date/time = session start in **UTC**, to the second below
    it, with the sub-second part added to every onset and a ``Session start`` annotation at
    that onset, which the importer uses to give back times from the session start. If
    anything has a negative time the start moves back by whole seconds to keep onsets
    non-negative. Unknown start (some imports): 01-JAN-1985, the EDF+ convention for an
    anonymised date.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyedflib

from monitor.recording.model import (
    UNDECIDED_CLASS,
    EventKind,
    RecordedSamples,
    RecordedSession,
    SessionEvent,
)
from monitor.recording.paths import atomic_outputs

RECORD_DURATION_S = 1
RR_SIGNAL_HZ = 4
RR_SIGNAL_MAX_MS = 4000.0
RR_SIGNAL_STALE_S = 3.0
MAX_ANNOTATION_BYTES = 40
"""Longest annotation text edflib writes."""
MAX_ANNOTATION_SIGNALS = 64
"""edflib's limit on annotation signals per file (each holds one annotation per record)."""
BEAT_PREFIX = "RR="
CONTINUATION_PREFIX = "+"
UNKNOWN_START = dt.datetime(1985, 1, 1)
TIMES_UTC = "times_UTC"
START_UNKNOWN = "start_unknown"
SESSION_START_TEXT = "Session start"
"""Annotation at session time 0. EDF+ starts on a whole second, and pyedflib 0.1.42 writes the
sub-second start ten times too large (rejected by edflib unless below 0.1 s), so the start's
fraction of a second is this annotation's onset; the importer takes it back out, and a round trip
keeps every time from the session start as it was."""
RR_DECIMALS = 4


def beat_description(rr_ms: float, beat_class: int) -> str:
    """Annotation text of one beat."""
    text = f"{BEAT_PREFIX}{rr_ms:.{RR_DECIMALS}f}"
    return text if beat_class == UNDECIDED_CLASS else f"{text} class={beat_class}"


def event_description(event: SessionEvent) -> str:
    """Annotation text of one event (before splitting into 40-byte pieces)."""
    match event.kind:
        case EventKind.PHASE:
            return f"Phase: {event.text}"
        case EventKind.SUDS:
            comment = f": {event.text}" if event.text else ""
            return f"SUDS {int(event.value or 0)}{comment}"
        case EventKind.NOTE:
            return f"Note: {event.text}"
        case EventKind.ALERT:
            alert_kind = str(event.data.get("alert_kind", "alert")).replace(" ", "_") or "alert"
            return f"Alert {alert_kind}: {event.text}"
        case EventKind.CONNECTION:
            detail = str(event.data.get("detail", ""))
            return f"Connection {event.text}" + (f": {detail}" if detail else "")
        case EventKind.GAP:
            return "Gap" + (f": {event.text}" if event.text else "")
        case EventKind.BATTERY:
            return f"Battery {int(event.value or 0)}%"
        case EventKind.CONTACT:
            return f"Contact {'on' if event.value else 'off'}"
        case EventKind.DEVICE:
            return f"Device: {event.text}"
        case EventKind.TOLERANCE:
            return window_description(event)
    raise ValueError(f"no EDF+ description for event kind {event.kind}")


WINDOW_FIELDS = ("upper_sd", "edge_sd", "lower_sd", "dwell_s")
"""The settings a ``Window:`` annotation carries (those the therapist changes live)."""


def window_description(event: SessionEvent) -> str:
    """Annotation text of a live change of the window of tolerance.

    ``Window: upper 3 SD, edge 2 SD, lower -3 SD, dwell 20 s``, which the EDF+ importer reads
    back as the change (the other settings are those in force before it).
    """
    settings = event.data.get("settings")
    if isinstance(settings, dict) and all(
        isinstance(settings.get(name), int | float) for name in WINDOW_FIELDS
    ):
        upper, edge, lower, dwell = (settings[name] for name in WINDOW_FIELDS)
        return (
            f"Window: upper {upper:g} SD, edge {edge:g} SD, lower {lower:g} SD, dwell {dwell:g} s"
        )
    return f"Window: {event.text.removeprefix('window set to ')}"


def split_description(text: str) -> list[str]:
    """Cut a text into annotation pieces of at most 40 UTF-8 bytes; later pieces start with +."""
    pieces: list[str] = []
    rest = text
    limit = MAX_ANNOTATION_BYTES
    while True:
        encoded = rest.encode("utf-8")
        if len(encoded) <= limit:
            pieces.append(("" if not pieces else CONTINUATION_PREFIX) + rest)
            return pieces
        cut = encoded[:limit].decode("utf-8", errors="ignore")  # never split a character
        pieces.append(("" if not pieces else CONTINUATION_PREFIX) + cut)
        rest = rest[len(cut) :]
        limit = MAX_ANNOTATION_BYTES - len(CONTINUATION_PREFIX)


def _time_base(session: RecordedSession) -> tuple[dt.datetime, float]:
    """EDF start (naive UTC, whole seconds) and the offset to add to session times."""
    times = [0.0]
    if len(session.beats):
        times.append(float(np.min(session.beats.t_s)))
    times.extend(event.t_s for event in session.events)
    shift_s = float(math.ceil(max(0.0, -min(times))))
    start = session.metadata.start_utc
    if start is None:
        return UNKNOWN_START, shift_s
    start_naive = start.astimezone(dt.UTC).replace(tzinfo=None)
    whole = start_naive.replace(microsecond=0) - dt.timedelta(seconds=shift_s)
    return whole, (start_naive - whole).total_seconds()


def rr_signal(session: RecordedSession, offset_s: float, n_samples: int) -> np.ndarray:
    """The 4-Hz RR tachogram (ms) on the EDF time axis; 0 where there is no current beat."""
    sample_t = np.arange(n_samples) / RR_SIGNAL_HZ - offset_s
    values = np.zeros(n_samples)
    beats = session.beats
    if len(beats):
        order = np.argsort(beats.t_s, kind="stable")
        t_s, rr_ms = beats.t_s[order], beats.rr_ms[order]
        last = np.searchsorted(t_s, sample_t, side="right") - 1
        has_beat = last >= 0
        current = np.where(has_beat, rr_ms[np.clip(last, 0, None)], 0.0)
        fresh = has_beat & (sample_t - t_s[np.clip(last, 0, None)] <= RR_SIGNAL_STALE_S)
        values = np.where(fresh, current, 0.0)
    for event in session.events:
        if event.kind is EventKind.GAP:
            end = event.end_s if event.end_s is not None else math.inf
            values[(sample_t >= event.t_s) & (sample_t < end)] = 0.0
    return np.clip(np.nan_to_num(values), 0.0, RR_SIGNAL_MAX_MS)


@dataclass(frozen=True)
class _RawSignal:
    """One EDF signal made from a strap's raw runs."""

    label: str
    dimension: str
    sample_hz: int
    values: np.ndarray
    transducer: str


def raw_samples_on_grid(
    runs: RecordedSamples, offset_s: float, n_records: int
) -> tuple[int, np.ndarray]:
    """The runs' samples on the EDF's sample grid at their native rate, 0 where none came.

    Parameters
    ----------
    runs : RecordedSamples
        ECG (``(n,)``) or ACC (``(n, 3)``) runs.
    offset_s : float
        EDF time of session time 0.
    n_records : int
        Records of :data:`RECORD_DURATION_S` in the file.

    Returns
    -------
    (sample_hz, values) : tuple of int and numpy.ndarray
        ``values`` has ``n_records * sample_hz`` rows (and the runs' axes).
    """
    hz = runs.native_hz()
    n = n_records * RECORD_DURATION_S * round(hz)
    shape = (n,) if runs.runs[0].ndim == 1 else (n, runs.runs[0].shape[1])
    grid = np.zeros(shape)
    for start_s, run_hz, run in zip(runs.start_s, runs.sample_hz, runs.runs, strict=True):
        if run_hz != hz:
            continue
        first = round((start_s + offset_s) * hz)
        index = first + np.arange(len(run))
        keep = (index >= 0) & (index < n)
        grid[index[keep]] = run[keep]
    return round(hz), grid


def _raw_signals(session: RecordedSession, offset_s: float, n_records: int) -> list[_RawSignal]:
    signals = []
    if session.ecg is not None:
        hz, ecg = raw_samples_on_grid(session.ecg, offset_s, n_records)
        signals.append(_RawSignal("ECG", "uV", hz, ecg, "chest strap ECG electrodes"))
    if session.acc is not None:
        hz, acc = raw_samples_on_grid(session.acc, offset_s, n_records)
        for axis, name in enumerate("XYZ"):
            column = np.ascontiguousarray(acc[:, axis])
            signals.append(_RawSignal(f"ACC {name}", "mg", hz, column, "strap accelerometer"))
    return signals


def _raw_header(signal: _RawSignal) -> dict[str, str | int | float | None]:
    # The data's own range (and 0, the fill): the finest quantisation 16 bits allow.
    low = math.floor(min(0.0, float(np.min(signal.values))))
    high = math.ceil(max(0.0, float(np.max(signal.values))))
    if high - low < 1:
        high = low + 1
    return {
        "label": signal.label,
        "dimension": signal.dimension,
        "sample_frequency": signal.sample_hz,
        "physical_min": float(low),
        "physical_max": float(high),
        "digital_min": -32768,
        "digital_max": 32767,
        "transducer": signal.transducer,
        "prefilter": "",
    }


def export_edf(session: RecordedSession, out: str | Path, *, overwrite: bool = False) -> Path:
    """Write the session as an EDF+ file (see the module docstring for the mapping).

    Parameters
    ----------
    session : RecordedSession
        The session.
    out : str or Path
        The ``.edf`` file to write (owner-only, 0600).
    overwrite : bool
        Replace an existing ``out``.

    Returns
    -------
    Path
        ``out``.
    """
    out = Path(out)
    start, offset_s = _time_base(session)
    annotations: list[tuple[float, float, str]] = [(offset_s, -1.0, SESSION_START_TEXT)]
    beats = session.beats
    for index in range(len(beats)):
        description = beat_description(float(beats.rr_ms[index]), int(beats.beat_class[index]))
        annotations.append((float(beats.t_s[index]) + offset_s, -1.0, description))
    for event in session.events:
        duration_s = -1.0 if event.end_s is None else event.end_s - event.t_s
        for piece in split_description(event_description(event)):
            annotations.append((event.t_s + offset_s, duration_s, piece))

    end_s = max(
        [
            0.0,
            *(onset + max(duration, 0.0) for onset, duration, _ in annotations),
            *(runs.end_s() + offset_s for runs in (session.ecg, session.acc) if runs is not None),
        ]
    )
    n_records = max(1, math.ceil(end_s / RECORD_DURATION_S) + 1)
    # Each annotation signal holds one annotation per data record: make room for all of them
    # (edflib drops the rest silently), adding records if even the maximum is not enough.
    n_records = max(n_records, math.ceil(len(annotations) / (MAX_ANNOTATION_SIGNALS - 1)))
    n_annotation_signals = min(MAX_ANNOTATION_SIGNALS, math.ceil(len(annotations) / n_records) + 1)
    samples = rr_signal(session, offset_s, n_records * RECORD_DURATION_S * RR_SIGNAL_HZ)
    raw = _raw_signals(session, offset_s, n_records)

    metadata = session.metadata
    with atomic_outputs([out], overwrite=overwrite) as (partial,):
        writer = pyedflib.EdfWriter(str(partial), 1 + len(raw), file_type=pyedflib.FILETYPE_EDFPLUS)
        try:
            writer.setSignalHeader(
                0,
                {
                    "label": "RR",
                    "dimension": "ms",
                    "sample_frequency": RR_SIGNAL_HZ,
                    "physical_min": 0.0,
                    "physical_max": RR_SIGNAL_MAX_MS,
                    "digital_min": -32768,
                    "digital_max": 32767,
                    "transducer": "chest strap RR (held)",
                    "prefilter": "",
                },
            )
            for channel, signal in enumerate(raw, start=1):
                writer.setSignalHeader(channel, _raw_header(signal))
            writer.setStartdatetime(start)
            writer.setPatientCode(metadata.client_code)
            writer.setPatientName("X")
            device = " ".join(p for p in (metadata.device_name, metadata.device_address) if p)
            writer.setEquipment(_header_field(device or str(metadata.source_kind))[:30])
            known = TIMES_UTC if metadata.start_utc is not None else START_UNKNOWN
            writer.setRecordingAdditional(
                _header_field(f"Session_Monitor_{metadata.software_version} {known}")[:40]
            )
            writer.set_number_of_annotation_signals(n_annotation_signals)
            for onset_s, duration_s, description in annotations:
                writer.writeAnnotation(onset_s, duration_s, description)
            writer.writeSamples([samples, *(signal.values for signal in raw)])
        finally:
            writer.close()
    return out


def _header_field(text: str) -> str:
    # EDF+ header subfields are ASCII and separated by spaces, so spaces inside become "_".
    ascii_text = text.encode("ascii", errors="replace").decode("ascii")
    return "_".join(ascii_text.split())
