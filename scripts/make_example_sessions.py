"""Regenerate the two example session files in ``recordings/`` (deterministic).

``example_simulated_session.sqlite``
    The full scripted imagery-rescripting session of :mod:`drivers.simulator` (seed 2025, about
    21 minutes) as the live engine records it: every notification, beats from the beat clock
    (re-anchored after a gap), their artefact classes, the simulator's connection, battery,
    contact and gap events and the gaps the engine found, the alerts it raised, plus the
    therapist's phase markers, SUDS ratings and notes. A few ectopic and missed beats and one
    8-s drop-out are injected, so replay and reports show artefacts and a gap. Classes come
    from the whole-recording classifier (:func:`monitor.core.artefacts.classify_beats`).
``example_rest_rri_import.sqlite``
    ``tests/data/rest_rri.txt`` (a real seated-rest recording, see ``recordings/README.md``)
    imported as ``session-monitor import`` does.

Run: ``.venv/bin/python scripts/make_example_sessions.py [FOLDER]`` (default ``recordings/``).
Same code, same bytes (with the same SQLite library): fixed seed, fixed start time, one
transaction per file, and the software version taken from ``pyproject.toml`` rather than the
installed package.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from drivers.events import DeviceInfo, HeartRatePacket  # noqa: E402
from drivers.simulator import (  # noqa: E402
    Disturbances,
    HeartSimulator,
    default_session_script,
    phase_timeline,
    script_duration_s,
)
from monitor.core.artefacts import classify_beats  # noqa: E402
from monitor.recording.importers import read_for_import  # noqa: E402
from monitor.recording.model import (  # noqa: E402
    RecordedBeat,
    SessionEvent,
    SessionMetadata,
    SourceKind,
    session_event_from_source,
)
from monitor.recording.session_file import write_session_file  # noqa: E402
from monitor.session.engine import SessionEngine  # noqa: E402
from monitor.session.live import SIMULATED_PHASE_MARKERS  # noqa: E402

RECORDINGS = REPO_ROOT / "recordings"
SIMULATED_NAME = "example_simulated_session.sqlite"
IMPORTED_NAME = "example_rest_rri_import.sqlite"
REST_RRI = REPO_ROOT / "tests" / "data" / "rest_rri.txt"

SEED = 2025
START_UTC = dt.datetime(2025, 1, 15, 9, 0, 0, tzinfo=dt.UTC)
DISTURBANCES = Disturbances(ectopic_rate=0.004, missed_rate=0.002, dropouts=((905.0, 913.0),))
SETTINGS = {"example": True, "simulator_seed": SEED, "baseline_s": 300}

# What a therapist might note during the scripted session (times in s from the start).
SUDS_RATINGS = ((290.0, 1), (480.0, 5), (610.0, 8), (700.0, 6), (800.0, 3), (1180.0, 1))
NOTES = (
    (20.0, "Safe place chosen: the garden at her grandmother's house"),
    (330.0, "Imagery: back in the classroom, age 9"),
    (560.0, "Rescripting: adult self enters and stands beside the child"),
    (705.0, "Paused for grounding: 5-4-3-2-1, feet on the floor"),
    (1000.0, "Calm place with paced breathing at 6/min"),
)


def software_version() -> str:
    with (REPO_ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def make_simulated(folder: Path, version: str) -> Path:
    script = default_session_script()
    simulator = HeartSimulator(script, seed=SEED, disturbances=DISTURBANCES)
    packets: list[tuple[float, bytes]] = []
    beats: list[tuple[float, float, float]] = []
    events: list[SessionEvent] = []
    device = DeviceInfo(0.0, "", "")
    # The therapist's phase markers, as the live recorder marks them for a simulated session;
    # the session engine sees them at their times, so the alerts are the ones shown live.
    markers = [
        (span.start_s, SIMULATED_PHASE_MARKERS[span.name])
        for span in phase_timeline(script)
        if span.name in SIMULATED_PHASE_MARKERS
    ]
    pending_markers = list(markers)
    engine = SessionEngine()
    for event in simulator.events():
        while pending_markers and pending_markers[0][0] <= event.arrival_s:
            engine.add_phase(*pending_markers.pop(0))
        # What the live recorder would store: the engine's updates say it completely (the
        # packets, the beats as its clock made them, the gaps it found besides the source's).
        for update in engine.handle(event):
            if update.raw_beat is not None:
                beat = update.raw_beat
                beats.append((beat.t_s, beat.rr_ms, beat.arrival_s))
            for source_event in update.source_events:
                if isinstance(source_event, HeartRatePacket):
                    packets.append((source_event.arrival_s, source_event.raw))
                    continue
                if isinstance(source_event, DeviceInfo):
                    device = source_event
                session_event = session_event_from_source(source_event)
                if session_event is not None:
                    events.append(session_event)
    engine.finish()
    events += [SessionEvent.phase(t_s, name) for t_s, name in markers]
    events += [
        SessionEvent.alert(alert.start_s, str(alert.kind), alert.reason, alert.end_s)
        for alert in engine.judge.alerts
    ]
    events += [SessionEvent.suds(t_s, rating) for t_s, rating in SUDS_RATINGS]
    events += [SessionEvent.note(t_s, text) for t_s, text in NOTES]
    events.sort(key=lambda e: e.t_s)

    classes = classify_beats([rr for _, rr, _ in beats])
    recorded = [
        RecordedBeat(t_s, rr_ms, arrival_s, int(code))
        for (t_s, rr_ms, arrival_s), code in zip(beats, classes, strict=True)
    ]
    duration_s = script_duration_s(script)
    metadata = SessionMetadata(
        client_code="DEMO01",
        start_utc=START_UTC,
        end_utc=START_UTC + dt.timedelta(seconds=duration_s),
        source_kind=SourceKind.SIMULATOR,
        software_version=version,
        device_name=device.name,
        device_address=device.address,
        settings=SETTINGS,
    )
    return write_session_file(
        folder / SIMULATED_NAME,
        metadata,
        packets=packets,
        beats=recorded,
        events=events,
        overwrite=True,
    )


def make_imported(folder: Path, version: str) -> Path:
    session = read_for_import(REST_RRI, client_code="REST01")
    metadata = dataclasses.replace(session.metadata, software_version=version)
    beats = session.beats
    return write_session_file(
        folder / IMPORTED_NAME,
        metadata,
        packets=session.packets.pairs(),
        beats=(beats[i] for i in range(len(beats))),
        events=session.events,
        overwrite=True,
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else RECORDINGS
    version = software_version()
    for path in (make_simulated(folder, version), make_imported(folder, version)):
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
