"""Readers for plain RR-interval files: RR text (Kubios style) and Polar HRM.

RR values are returned exactly as written (after a unit conversion to ms): no value is dropped or
repaired here. Physiologically impossible values, such as the ``0`` in one of the shared test files,
are left in so the artefact stage can flag them where they occur.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.recording.errors import UnreadableFileError, read_file_bytes

# Above this median value a text file is taken to be in milliseconds, below it in seconds: no
# human RR interval lasts 10 s, and none is shorter than 10 ms.
_SECONDS_MS_MEDIAN_SPLIT = 10.0

# Polar HRM files store RR intervals (rather than sampled heart rate) when Interval is 238.
_HRM_RR_INTERVAL_CODE = 238


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
        Wall-clock start when the file records it (naive local time, as the file gives it).
    """

    rr_ms: np.ndarray
    kind: str
    start_time: dt.datetime | None = None


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


def _parse_rr_text(path: Path, text: str) -> RRRecording:
    values: list[float] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        # Kubios and many tools write one value per line; some add a time column first.
        field = content.replace(",", " ").replace(";", " ").replace("\t", " ").split()[-1]
        try:
            values.append(float(field))
        except ValueError:
            raise UnreadableFileError(
                f"{path}: line {line_number} is not a number ({content[:40]!r}); "
                "expected one RR interval per line"
            ) from None
    if not values:
        raise UnreadableFileError(f"{path}: no RR intervals found (empty file)")
    rr = np.asarray(values, dtype=float)
    finite = rr[np.isfinite(rr) & (rr > 0)]
    if finite.size and np.median(finite) < _SECONDS_MS_MEDIAN_SPLIT:
        rr = rr * 1000.0
    return RRRecording(rr_ms=rr, kind="rr-text")


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
    return RRRecording(
        rr_ms=np.asarray(values, dtype=float),
        kind="polar-hrm",
        start_time=_hrm_start_time(params),
    )


def _hrm_start_time(params: dict[str, str]) -> dt.datetime | None:
    try:
        date = dt.datetime.strptime(params["Date"].strip(), "%Y%m%d").date()
        time = dt.datetime.strptime(params["StartTime"].strip().split(".")[0], "%H:%M:%S").time()
    except (KeyError, ValueError):
        return None
    return dt.datetime.combine(date, time)
