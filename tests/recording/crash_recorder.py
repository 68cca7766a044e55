"""Child process of the crash test: records a simulated session in real time until killed.

Usage: ``python crash_recorder.py OUT_FILE SEED SPEED CHECKPOINT_INTERVAL_S``

Drives :class:`SessionWriter` as the session engine does: every source event from the async
simulator (paced at ``SPEED`` simulated seconds per second), beats from the beat clock as they
come, their artefact classes a few beats later, a SUDS rating now and then. After handing each
beat to the writer it prints ``beat <index> <rr_ms> <time.monotonic()>`` and flushes, so the
parent knows what was sent and when (``time.monotonic`` is one clock for all processes on
Linux). ``ready`` is printed once the file exists.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from pathlib import Path

from drivers.beat_clock import BeatClock
from drivers.events import HeartRatePacket
from drivers.simulator import SimulatedHeartRateSource
from monitor.recording.model import SessionEvent, SessionMetadata, SourceKind
from monitor.recording.session_file import SessionWriter

CLASS_DELAY_BEATS = 5


async def record(out: Path, seed: int, speed: float, checkpoint_interval_s: float) -> None:
    metadata = SessionMetadata(
        client_code="CRASH",
        start_utc=dt.datetime.now(dt.UTC),
        source_kind=SourceKind.SIMULATOR,
        software_version="crash-test",
    )
    writer = SessionWriter.create(metadata, out, checkpoint_interval_s=checkpoint_interval_s)
    print("ready", flush=True)
    clock = BeatClock()
    source = SimulatedHeartRateSource(seed=seed, speed=speed, clock_origin_s=0.0)
    async for event in source.events():
        writer.add_source_event(event)
        if not isinstance(event, HeartRatePacket):
            continue
        for beat in clock.push(event):
            index = writer.add_beat(beat.t_s, beat.rr_ms, beat.arrival_s)
            print(f"beat {index} {beat.rr_ms!r} {time.monotonic()!r}", flush=True)
            if index >= CLASS_DELAY_BEATS:
                writer.set_beat_classes(index - CLASS_DELAY_BEATS, [0])
            if index % 50 == 49:
                writer.add_event(SessionEvent.suds(beat.t_s, index // 50 % 11))
    writer.close()


if __name__ == "__main__":
    out, seed, speed, checkpoint_interval_s = sys.argv[1:5]
    asyncio.run(record(Path(out), int(seed), float(speed), float(checkpoint_interval_s)))
