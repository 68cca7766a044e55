"""Shared set-up of the report tests: the CLI in a subprocess, PDF text, simulated sessions."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

import pytest

from drivers.beat_clock import BeatClock
from drivers.events import DeviceInfo, HeartRatePacket, SignalGap
from drivers.simulator import HeartSimulator, Phase, phase_timeline
from monitor.core.artefacts import classify_beats
from monitor.core.tolerance import ToleranceSettings
from monitor.recording.model import (
    RecordedBeat,
    SessionEvent,
    SessionMetadata,
    SourceKind,
    session_event_from_source,
)
from monitor.recording.session_file import write_session_file

REPO = Path(__file__).resolve().parents[2]
RECORDINGS = REPO / "recordings"
EXAMPLE = RECORDINGS / "example_simulated_session.sqlite"
REST_EXAMPLE = RECORDINGS / "example_rest_rri_import.sqlite"


def run_cli(*args: str, timeout_s: float = 300.0) -> subprocess.CompletedProcess[str]:
    """``session-monitor ARGS`` in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=REPO,
    )


def run_cli_together(
    *commands: Sequence[str], timeout_s: float = 300.0
) -> list[subprocess.CompletedProcess[str]]:
    """Several ``session-monitor`` commands at once (each in its own process), in order."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "monitor", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for args in commands
    ]
    results = []
    for args, process in zip(commands, processes, strict=True):
        stdout, stderr = process.communicate(timeout=timeout_s)
        results.append(subprocess.CompletedProcess(args, process.returncode, stdout, stderr))
    return results


def pdf_text(path: Path, layout: bool = True) -> str:
    """The text of a PDF as ``pdftotext`` (poppler-utils) reads it."""
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


class TableReader(HTMLParser):
    """Every HTML table as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(path: Path) -> dict[str, list[list[str]]]:
    """The HTML report's tables by the text of their first header cell."""
    reader = TableReader()
    reader.feed(path.read_text(encoding="utf-8"))
    return {table[0][0]: table[1:] for table in reader.tables}


def short_script(activation_bpm: float) -> tuple[Phase, ...]:
    """A 13-minute session: calm baseline, imagery rising by ``activation_bpm``, grounding and
    a calm place."""
    return (
        Phase("baseline", 300, hr_bpm=65, rsa_ms=40, breathing_per_min=14, lf_ms=42, noise_ms=22),
        Phase(
            "imagery", 240, hr_bpm=65 + activation_bpm, rsa_ms=14, breathing_per_min=18,
            lf_ms=16, noise_ms=9, ramp_s=150,
        ),
        Phase(
            "grounding", 120, hr_bpm=72, rsa_ms=26, breathing_per_min=10, lf_ms=22,
            noise_ms=12, ramp_s=60,
        ),
        Phase(
            "calm place", 120, hr_bpm=65, rsa_ms=38, breathing_per_min=6, lf_ms=30,
            noise_ms=16, ramp_s=40, paced=True,
        ),
    )  # fmt: skip


def make_simulated_session(
    path: Path,
    *,
    seed: int,
    client_code: str,
    start_utc: dt.datetime,
    activation_bpm: float = 25.0,
    suds: Sequence[tuple[float, int]] = ((290.0, 2), (480.0, 7), (700.0, 3)),
    tolerance: ToleranceSettings | None = None,
    extra_events: Sequence[SessionEvent] = (),
) -> Path:
    """A simulated session file written as the example sessions are
    (``scripts/make_example_sessions.py``): packets, beats from the beat clock, source events,
    phase markers and SUDS ratings.

    ``tolerance`` is the window the session starts with, stored as the live recorder stores it
    (schema 2: the settings hold the start); none stored when omitted. ``extra_events`` are
    added as recorded, e.g. ``tolerance`` events of live changes of the window."""
    script = short_script(activation_bpm)
    simulator = HeartSimulator(script, seed=seed)
    clock = BeatClock()
    packets: list[tuple[float, bytes]] = []
    beats: list[tuple[float, float, float]] = []
    events: list[SessionEvent] = []
    device = DeviceInfo(0.0, "", "")
    for event in simulator.events():
        if isinstance(event, HeartRatePacket):
            packets.append((event.arrival_s, event.raw))
            beats.extend((b.t_s, b.rr_ms, b.arrival_s) for b in clock.push(event))
            continue
        if isinstance(event, SignalGap):
            clock.reset()
        if isinstance(event, DeviceInfo):
            device = event
        recorded = session_event_from_source(event)
        if recorded is not None:
            events.append(recorded)
    events += [SessionEvent.phase(span.start_s, span.name) for span in phase_timeline(script)]
    events += [SessionEvent.suds(t_s, rating) for t_s, rating in suds]
    events += extra_events
    events.sort(key=lambda e: e.t_s)
    classes = classify_beats([rr for _, rr, _ in beats])
    recorded_beats = [
        RecordedBeat(t_s, rr_ms, arrival_s, int(code))
        for (t_s, rr_ms, arrival_s), code in zip(beats, classes, strict=True)
    ]
    duration_s = sum(phase.duration_s for phase in script)
    metadata = SessionMetadata(
        client_code=client_code,
        start_utc=start_utc,
        end_utc=start_utc + dt.timedelta(seconds=duration_s),
        source_kind=SourceKind.SIMULATOR,
        software_version="0.1.0",
        device_name=device.name,
        device_address=device.address,
        settings={} if tolerance is None else {"tolerance": tolerance.as_dict()},
    )
    return write_session_file(path, metadata, packets=packets, beats=recorded_beats, events=events)


@pytest.fixture(scope="session")
def client_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recordings folder: three sessions of client P042 (different seeds, activation easing
    from session to session), one session of another client, and a file that is no session."""
    folder = tmp_path_factory.mktemp("recordings")
    start = dt.datetime(2025, 2, 3, 9, 0, tzinfo=dt.UTC)
    plan = ((7, 30.0, ((290.0, 2), (480.0, 8), (700.0, 4))),
            (8, 16.0, ((290.0, 2), (480.0, 6), (700.0, 3))),
            (9, 8.0, ((290.0, 1), (480.0, 4), (700.0, 1))))  # fmt: skip
    for week, (seed, activation_bpm, suds) in enumerate(plan):
        when = start + dt.timedelta(weeks=week)
        make_simulated_session(
            folder / f"P042_{when:%Y-%m-%dT%H%M%SZ}.sqlite",
            seed=seed, client_code="P042", start_utc=when, activation_bpm=activation_bpm,
            suds=suds,
        )  # fmt: skip
    make_simulated_session(
        folder / "other_client.sqlite", seed=3, client_code="Q007", start_utc=start
    )
    (folder / "notes.sqlite").write_text("not a session file\n", encoding="utf-8")
    return folder
