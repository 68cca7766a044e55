"""Shared helpers for the session-file tests: metadata and simulated recordings."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from drivers.beat_clock import BeatClock
from drivers.events import HeartRatePacket
from drivers.simulator import HeartSimulator, Phase, phase_timeline
from monitor.core.artefacts import classify_beats
from monitor.core.tolerance import ToleranceSettings
from monitor.recording.model import SessionEvent, SessionMetadata, SourceKind
from monitor.recording.session_file import SessionWriter
from monitor.recording.tolerance_record import tolerance_event

REPO_ROOT = Path(__file__).resolve().parents[2]
START_UTC = dt.datetime(2025, 3, 1, 10, 15, 0, 250000, tzinfo=dt.UTC)
LONG_NOTE = "Client described the scene in detail; felt safe with the rescripted helper – ünïcödé ✓"

SHORT_SCRIPT = (
    Phase("baseline", 60, hr_bpm=65, rsa_ms=32, breathing_per_min=14, lf_ms=28),
    Phase("imagery", 60, hr_bpm=85, rsa_ms=12, breathing_per_min=18, lf_ms=14, ramp_s=30),
    Phase("grounding", 60, hr_bpm=72, rsa_ms=25, breathing_per_min=8, lf_ms=22, ramp_s=30),
)


def make_metadata(**changes: object) -> SessionMetadata:
    values: dict[str, object] = {
        "client_code": "C017",
        "start_utc": START_UTC,
        "source_kind": SourceKind.SIMULATOR,
        "software_version": "test",
        "settings": {"baseline_s": 300, "alerts": {"sound": True}},
    }
    values.update(changes)
    return SessionMetadata(**values)  # type: ignore[arg-type]


@dataclass
class SimulatedRecording:
    """What was handed to the writer, to compare with what the file holds."""

    packets: list[tuple[float, bytes]]
    beats: list[tuple[float, float, float]]
    classes: list[int]
    therapist_events: list[SessionEvent]
    source_event_count: int


def record_simulation(
    writer: SessionWriter, *, seed: int = 7, script: tuple[Phase, ...] = SHORT_SCRIPT
) -> SimulatedRecording:
    """Feed a simulated session through the writer as the engine would, with therapist events.

    Beats are written as they come and classified afterwards with ``set_beat_classes``, the
    update path the live artefact filter uses.
    """
    clock = BeatClock()
    packets: list[tuple[float, bytes]] = []
    beats: list[tuple[float, float, float]] = []
    source_events = 0
    for event in HeartSimulator(script, seed=seed).events():
        writer.add_source_event(event)
        if isinstance(event, HeartRatePacket):
            packets.append((event.arrival_s, event.raw))
            for beat in clock.push(event):
                writer.add_beat(beat.t_s, beat.rr_ms, beat.arrival_s)
                beats.append((beat.t_s, beat.rr_ms, beat.arrival_s))
        else:
            source_events += 1
    classes = [int(c) for c in classify_beats([rr for _, rr, _ in beats])]
    writer.set_beat_classes(0, classes)
    spans = phase_timeline(script)
    therapist_events = [SessionEvent.phase(span.start_s, span.name) for span in spans]
    therapist_events += [
        SessionEvent.suds(55.0, 2),
        SessionEvent.suds(110.0, 7, "heavy in the chest"),
        SessionEvent.suds(170.0, 3),
        SessionEvent.note(95.5, LONG_NOTE),
        SessionEvent.alert(100.0, "above_window", "HR +18 bpm over baseline", end_s=131.5),
        tolerance_event(140.5, ToleranceSettings().widened(1.0), after_beat_s=137.9),
    ]
    for event in therapist_events:
        writer.add_event(event)
    return SimulatedRecording(packets, beats, classes, therapist_events, source_events)


def write_simulated_session(path: Path, *, seed: int = 7) -> SimulatedRecording:
    """Record a short simulated session into a new file and close it."""
    writer = SessionWriter.create(make_metadata(), path)
    recording = record_simulation(writer, seed=seed)
    writer.close(end_utc=START_UTC + dt.timedelta(minutes=3, seconds=2))
    return recording


def make_foreign_sqlite(path: Path) -> Path:
    """An SQLite database of some other application."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    connection.execute("INSERT INTO contacts VALUES ('A', '123')")
    connection.commit()
    connection.close()
    return path


def damaged_copy(source: Path, target: Path, how: str) -> Path:
    """A copy of a good session file, damaged in one of several ways."""
    data = source.read_bytes()
    if how == "truncated":
        target.write_bytes(data[: len(data) // 2])
    elif how == "random bytes":
        target.write_bytes(random.Random(1).randbytes(len(data)))
    elif how == "empty":
        target.write_bytes(b"")
    elif how == "header only":
        target.write_bytes(data[:60])
    elif how == "overwritten pages":
        # Keep the header, scramble the b-tree pages behind it.
        garbage = random.Random(2).randbytes(len(data) - 4096)
        target.write_bytes(data[:4096] + garbage)
    elif how == "foreign sqlite":
        make_foreign_sqlite(target)
    elif how == "text file":
        target.write_text("812\n790\n")
    else:
        raise ValueError(how)
    return target
