"""Export a session as BIDS physiology and events, for multi-site studies.

BIDS ("Physiological and other continuous recordings", BIDS specification 1.10,
https://bids-specification.readthedocs.io): a ``_physio.tsv.gz`` (gzip, tab-separated, **no
header row**) with a ``_physio.json`` sidecar naming its ``Columns`` and giving the REQUIRED
``SamplingFrequency`` and ``StartTime``, and an ``_events.tsv`` (``onset``, ``duration``
REQUIRED; a header row) with its ``_events.json``. Files go to
``DIR/sub-<code>/ses-<label>/beh/sub-<code>_ses-<label>_task-<task>_...``, with a
``dataset_description.json`` at ``DIR`` when there is none yet.

**RR is irregular; BIDS physio is sampled regularly.** The physio file is therefore the RR
tachogram resampled at 4 Hz, the rate the HRV literature uses for spectral analysis (Task Force
of the ESC and NASPE 1996, Circulation 93:1043), ``recording-rr``:

* ``rr_ms``: the raw RR intervals (unaltered, artefacts included), each placed at its beat's
  time and linearly interpolated between neighbouring beats; ``n/a`` inside a gap of the
  recording, which is never bridged;
* ``hr_bpm``: ``60000 / rr_ms`` of the same sample;
* ``beats``: how many beats fall within half a sample period of the sample (the cardiac
  "trigger" convention at the file's rate).

Resampling is lossy in time (beats to 250 ms), so every beat is also an event (``trial_type``
``beat``, ``onset`` its exact time, ``value`` its raw RR in ms, ``description`` its artefact
class): nothing recorded is lost. ``StartTime`` is the first sample's time relative to the
session's start, the time 0 of the events' onsets (no imaging volume exists to refer to).

The subject label is the client's pseudonymous code with anything but letters and digits
left out (BIDS labels are alphanumeric). Files are owner-only like every export.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor import __version__
from monitor.core.artefacts import BeatClass
from monitor.recording.model import UNDECIDED_CLASS, EventKind, RecordedSession
from monitor.recording.paths import atomic_outputs

RESAMPLE_HZ = 4.0
BIDS_VERSION = "1.10.0"
PHYSIO_COLUMNS = ("rr_ms", "hr_bpm", "beats")
EVENT_COLUMNS = ("onset", "duration", "trial_type", "value", "description")
DEFAULT_TASK = "therapy"
_LABEL = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class BidsPaths:
    """The files one session's BIDS export writes."""

    physio_tsv: Path
    physio_json: Path
    events_tsv: Path
    events_json: Path
    dataset_description: Path

    def session_files(self) -> tuple[Path, Path, Path, Path]:
        return (self.physio_tsv, self.physio_json, self.events_tsv, self.events_json)


def bids_label(text: str) -> str:
    """``text`` as a BIDS label (letters and digits only); ``ValueError`` if none remain."""
    label = "".join(_LABEL.findall(text))
    if not label:
        raise ValueError(f"{text!r} has no letters or digits to make a BIDS label of")
    return label


def default_session_label(session: RecordedSession) -> str:
    """The session's UTC start as ``YYYYMMDDhhmm`` (sorts by date); ``1`` when unknown."""
    start = session.metadata.start_utc
    return "1" if start is None else start.strftime("%Y%m%d%H%M")


def bids_paths(
    out_dir: str | Path, session: RecordedSession, session_label: str | None, task: str
) -> BidsPaths:
    """Where the export of ``session`` goes under ``out_dir``."""
    out_dir = Path(out_dir)
    sub = bids_label(session.metadata.client_code)
    ses = bids_label(session_label or default_session_label(session))
    folder = out_dir / f"sub-{sub}" / f"ses-{ses}" / "beh"
    stem = f"sub-{sub}_ses-{ses}_task-{bids_label(task)}"
    return BidsPaths(
        folder / f"{stem}_recording-rr_physio.tsv.gz",
        folder / f"{stem}_recording-rr_physio.json",
        folder / f"{stem}_events.tsv",
        folder / f"{stem}_events.json",
        out_dir / "dataset_description.json",
    )


def _number(value: float) -> str:
    return "n/a" if not np.isfinite(value) else repr(float(value))


def resampled_rr(session: RecordedSession) -> tuple[float, np.ndarray]:
    """The 4 Hz physio table: its first sample's session time and rows of ``PHYSIO_COLUMNS``.

    Returns
    -------
    (float, numpy.ndarray)
        ``StartTime`` and an ``(n, 3)`` array (NaN = ``n/a``).
    """
    beats = session.beats
    if len(beats) == 0:
        return 0.0, np.empty((0, len(PHYSIO_COLUMNS)))
    t_beat = beats.t_s
    start_s = float(t_beat[0])
    n = int(np.floor((float(t_beat[-1]) - start_s) * RESAMPLE_HZ)) + 1
    t_s = start_s + np.arange(n) / RESAMPLE_HZ
    rr_ms = np.interp(t_s, t_beat, beats.rr_ms)
    for event in session.events:
        if event.kind is EventKind.GAP:
            end_s = event.t_s if event.end_s is None else event.end_s
            # The beat ending the gap carries an interval that spans it: no line across it.
            after = t_beat[t_beat >= end_s]
            until_s = float(after[0]) if after.size else end_s
            rr_ms[(t_s > event.t_s) & (t_s < until_s)] = np.nan
    with np.errstate(divide="ignore"):
        hr_bpm = np.where(rr_ms > 0, 60000.0 / rr_ms, np.nan)
    nearest = np.rint((t_beat - start_s) * RESAMPLE_HZ).astype(np.int64)
    counts = np.bincount(nearest.clip(0, n - 1), minlength=n).astype(np.float64)
    return start_s, np.column_stack([rr_ms, hr_bpm, counts])


def _clean(text: str) -> str:
    # A tab or a line end would break the TSV row; BIDS has no quoting.
    return re.sub(r"[\t\r\n]+", " ", text).strip() or "n/a"


def event_rows(session: RecordedSession) -> list[tuple[str, ...]]:
    """Rows of the events table (without the header), by onset: the session's events and
    every beat."""
    rows: list[tuple[float, tuple[str, ...]]] = []
    phases = sorted((e for e in session.events if e.kind is EventKind.PHASE), key=lambda e: e.t_s)
    session_end_s = session.duration_s
    for event in session.events:
        value = "n/a"
        description = _clean(event.text)
        if event.kind is EventKind.PHASE:
            later = [p.t_s for p in phases if p.t_s > event.t_s]
            duration = (later[0] if later else session_end_s) - event.t_s
            value, description = _clean(event.text), "n/a"
        elif event.end_s is not None:
            duration = event.end_s - event.t_s
        elif event.kind in (EventKind.ALERT, EventKind.GAP):
            duration = float("nan")  # still going on when the recording ended
        else:
            duration = 0.0
        if event.kind is EventKind.SUDS and event.value is not None:
            value = str(int(event.value))
        elif event.kind is EventKind.ALERT:
            value = _clean(str(event.data.get("alert_kind", "n/a")))
        elif event.kind in (EventKind.BATTERY, EventKind.CONTACT) and event.value is not None:
            value = repr(float(event.value))
        row = (_number(event.t_s), _number(duration), str(event.kind), value, description)
        rows.append((event.t_s, row))
    beats = session.beats
    for i in range(len(beats)):
        code = int(beats.beat_class[i])
        name = "n/a" if code == UNDECIDED_CLASS else BeatClass(code).name.lower()
        t = float(beats.t_s[i])
        rows.append((t, (_number(t), "0.0", "beat", _number(beats.rr_ms[i]), name)))
    rows.sort(key=lambda r: r[0])
    return [row for _, row in rows]


def physio_sidecar(session: RecordedSession, start_s: float) -> dict[str, object]:
    """The ``_physio.json`` content."""
    metadata = session.metadata
    return {
        "SamplingFrequency": RESAMPLE_HZ,
        "StartTime": start_s,
        "Columns": list(PHYSIO_COLUMNS),
        "Manufacturer": metadata.device_name or "n/a",
        "SoftwareVersions": f"Session Monitor {metadata.software_version or __version__}",
        "Resampling": "RR tachogram: each raw RR interval at its beat time, linearly "
        "interpolated at 4 Hz; n/a inside recording gaps. Exact beats are in _events.tsv "
        "(trial_type 'beat').",
        "rr_ms": {
            "Units": "ms",
            "Description": "RR interval (raw, artefacts included), linearly interpolated "
            "between beats",
        },
        "hr_bpm": {"Units": "1/min", "Description": "instantaneous heart rate, 60000 / rr_ms"},
        "beats": {
            "Units": "n/a",
            "Description": "number of heartbeats (R peaks) within half a sample period of "
            "this sample",
        },
    }


EVENTS_SIDECAR: dict[str, object] = {
    "onset": {"Units": "s", "Description": "time from the session's start"},
    "duration": {"Units": "s", "Description": "n/a: still going on when the recording ended"},
    "trial_type": {
        "Description": "what happened",
        "Levels": {
            "phase": "a phase of the protocol began (value: its name; lasts until the next)",
            "suds": "SUDS rating, 0-10 (value), with the client's words (description)",
            "note": "the therapist's note (description)",
            "alert": "an alert of the window of tolerance (value: its kind; description: why)",
            "gap": "no heartbeats were received (description: why)",
            "connection": "the strap's connection changed (description: the new state)",
            "contact": "skin contact (value 1) or none (value 0)",
            "battery": "the strap's battery level, percent (value)",
            "device": "the strap (description: its name)",
            "tolerance": "the window of tolerance was changed live (description)",
            "beat": "a heartbeat (value: its raw RR interval in ms; description: its artefact "
            "class, or n/a if never decided)",
        },
    },
    "value": {"Description": "see trial_type"},
    "description": {"Description": "see trial_type; tabs and line ends became spaces"},
}


def dataset_description() -> dict[str, object]:
    """A minimal ``dataset_description.json`` (REQUIRED at a BIDS dataset's root)."""
    return {
        "Name": "Session Monitor sessions",
        "BIDSVersion": BIDS_VERSION,
        "DatasetType": "raw",
        "GeneratedBy": [{"Name": "Session Monitor", "Version": __version__}],
    }


def _tsv_lines(rows: Iterator[tuple[str, ...]] | list[tuple[str, ...]]) -> Iterator[str]:
    for row in rows:
        yield "\t".join(row) + "\n"


def export_bids(
    session: RecordedSession,
    out: str | Path,
    *,
    overwrite: bool = False,
    session_label: str | None = None,
    task: str = DEFAULT_TASK,
) -> tuple[Path, ...]:
    """Write the session's BIDS physio and events files under the folder ``out``.

    Parameters
    ----------
    session : RecordedSession
        The session.
    out : str or Path
        The BIDS dataset's folder (created owner-only when missing).
    overwrite : bool
        Replace existing files of this session.
    session_label, task : str, optional
        The ``ses-`` and ``task-`` labels (default: the start as ``YYYYMMDDhhmm``, ``therapy``).

    Returns
    -------
    tuple of Path
        The files written (``dataset_description.json`` only if it was missing).

    Raises
    ------
    ValueError
        A label without letters or digits.
    """
    paths = bids_paths(out, session, session_label, task)
    start_s, table = resampled_rr(session)
    destinations = list(paths.session_files())
    if not paths.dataset_description.exists():
        destinations.append(paths.dataset_description)
    with atomic_outputs(destinations, overwrite=overwrite) as partials:
        with gzip.GzipFile(partials[0], "wb", mtime=0) as gz:
            for rr_ms, hr_bpm, beats in table:
                line = f"{_number(rr_ms)}\t{_number(hr_bpm)}\t{int(beats)}\n"
                gz.write(line.encode("ascii"))
        partials[1].write_text(json.dumps(physio_sidecar(session, start_s), indent=2) + "\n")
        with partials[2].open("w", encoding="utf-8", newline="") as file:
            file.write("\t".join(EVENT_COLUMNS) + "\n")
            file.writelines(_tsv_lines(event_rows(session)))
        partials[3].write_text(json.dumps(EVENTS_SIDECAR, indent=2) + "\n")
        if len(partials) > 4:
            partials[4].write_text(json.dumps(dataset_description(), indent=2) + "\n")
    return tuple(destinations)
