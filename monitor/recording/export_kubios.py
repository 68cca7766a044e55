"""Export the RR intervals of a session as Kubios-compatible RR text.

Kubios HRV reads RR-interval series from plain ASCII text: one RR value per line, in ms or s
(it tells them apart by magnitude), with any header lines before the numbers. This exporter
writes the "type 1" layout the ``kubios`` Python package (Pedro Gomes, after the Kubios HRV
user's guide) uses: a few ``#`` header lines, then one RR interval in ms per line with three
decimals.

Every recorded RR interval is written, unaltered and in order, including those the artefact
filter flagged: Kubios applies its own artefact correction, and an export that silently dropped
beats would shift every later beat. Decimal rounding changes a value by at most 0.0005 ms (the
strap's resolution is 1/1024 s = 0.977 ms). A gap in the recording cannot be expressed in a
single RR column, so the header lists each gap with the number of RR values before it; the
importer restarts the beat times at the gap's end, so a round trip keeps the gaps where they
were. The header also names the first beat's time and holds every other event (phases, SUDS,
notes, alerts...) as one JSON object per ``# Event:`` line: Kubios skips comment lines, and
our import gives back the same session times, client code, start and events.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from monitor.recording.model import EventKind, RecordedSession
from monitor.recording.paths import atomic_outputs

RR_DECIMALS = 3


def kubios_lines(session: RecordedSession) -> Iterator[str]:
    """The export's lines (without line ends): header, then one RR value in ms per line."""
    metadata = session.metadata
    start = "unknown" if metadata.start_utc is None else metadata.start_utc.isoformat()
    yield "# SIGNAL/SERIES EXPORT - KUBIOS (RR intervals in ms, one per line, unaltered)"
    yield f"# File: session of client {metadata.client_code}, start (UTC) {start}"
    device = " ".join(p for p in (metadata.device_name, metadata.device_address) if p)
    yield f"# Device: {device or 'n/a'} ({metadata.source_kind})"
    yield f"# Comment: Session Monitor {metadata.software_version}, {len(session.beats)} beats"
    if len(session.beats):
        yield f"# First beat: {float(session.beats.t_s[0])!r} s after start"
    for event in session.events:
        if event.kind is not EventKind.GAP:
            yield "# Event: " + json.dumps(event.fields(), ensure_ascii=False)
        else:
            end = "open" if event.end_s is None else f"{event.end_s:.3f}"
            reason = f" ({event.text})" if event.text else ""
            after = int(np.searchsorted(session.beats.t_s, event.t_s, side="right"))
            yield f"# Gap: {event.t_s:.3f}-{end} s after start, after beat {after}{reason}"
    for rr_ms in session.beats.rr_ms:
        yield f"{rr_ms:.{RR_DECIMALS}f}"


def export_kubios(session: RecordedSession, out: str | Path, *, overwrite: bool = False) -> Path:
    """Write the session's RR intervals as Kubios RR text.

    Parameters
    ----------
    session : RecordedSession
        The session (see :func:`monitor.recording.reader.read_session`).
    out : str or Path
        The text file to write (owner-only, 0600).
    overwrite : bool
        Replace an existing ``out``.

    Returns
    -------
    Path
        ``out``.
    """
    out = Path(out)
    with (
        atomic_outputs([out], overwrite=overwrite) as (partial,),
        partial.open("w", encoding="utf-8", newline="\n") as file,
    ):
        for line in kubios_lines(session):
            file.write(line + "\n")
    return out
