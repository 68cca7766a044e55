"""Benchmark of recording a Polar H10's raw data (issue #16): file size, write cost, and the
breathing rate the recorded ACC gives against the simulator's true rate.

Runs the simulated H10 (drivers/simulated_h10_stream.py, seed 0, the default ~21.5-minute
scripted session with its movement bouts) as fast as it goes and:

* writes its events into two real session files through ``SessionWriter.add_source_event``,
  one with everything and one with the heart-rate events only, and prints their sizes per hour
  of session (the raw data's share is the difference);
* measures the CPU (process time, every thread, so the writer thread's SQLite work counts) of
  writing the ECG and ACC runs alone, per second of session;
* reads the file back (wall time of ``read_session``) and estimates breathing over 60-s
  windows every 30 s, as ``analyze`` does (``monitor.recording.beat_input.breathing_of``),
  against the simulated heart's own breathing phase over the same windows; windows without a
  rate (movement, a bout in the window) are counted apart.

Run: ``PYTHONPATH=. .venv/bin/python bench/h10_recording.py``.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.events import AccSamples, EcgSamples, SourceEvent
from drivers.simulated_h10_stream import SimulatedH10
from drivers.simulator import HeartSimulator
from monitor.recording.beat_input import BeatInput, breathing_of
from monitor.recording.model import SessionMetadata, SourceKind
from monitor.recording.reader import read_session
from monitor.recording.session_file import SessionWriter


def write(path: Path, events: list[SourceEvent]) -> float:
    """Write the events into a new session file; the process CPU seconds it took."""
    metadata = SessionMetadata(
        client_code="BENCH",
        start_utc=dt.datetime.now(dt.UTC),
        source_kind=SourceKind.SIMULATOR,
        software_version="bench",
    )
    start = time.process_time()
    writer = SessionWriter.create(metadata, path)
    for event in events:
        writer.add_source_event(event)
    writer.close()
    return time.process_time() - start


def main() -> None:
    h10 = SimulatedH10(HeartSimulator(seed=0))
    events = list(h10.events())
    assert h10.truth is not None
    duration_s = float(events[-1].arrival_s)
    per_hour = 3600.0 / duration_s
    raw = [e for e in events if isinstance(e, EcgSamples | AccSamples)]
    heart_rate = [e for e in events if not isinstance(e, EcgSamples | AccSamples)]
    n_ecg = sum(len(e.ecg_uv) for e in raw if isinstance(e, EcgSamples))
    n_acc = sum(len(e.acc_mg) for e in raw if isinstance(e, AccSamples))

    with tempfile.TemporaryDirectory() as folder:
        full, hr_only, raw_only = (Path(folder) / n for n in ("full", "hr", "raw"))
        write(full, events)
        write(hr_only, heart_rate)
        raw_cpu_s = write(raw_only, raw)
        full_mb, hr_mb = (p.stat().st_size / 1e6 for p in (full, hr_only))
        start = time.perf_counter()
        session = read_session(full)
        read_s = time.perf_counter() - start

    print(f"session: {duration_s:.0f} s simulated, {n_ecg} ECG samples (130 Hz), "
          f"{n_acc} ACC samples (50 Hz), {len(raw)} runs")  # fmt: skip
    print(f"file size per hour: {full_mb * per_hour:.1f} MB with ECG+ACC, "
          f"{hr_mb * per_hour:.2f} MB heart rate only "
          f"(raw data {(full_mb - hr_mb) * per_hour:.1f} MB/h)")  # fmt: skip
    print(f"write cost of the raw runs: {1000 * raw_cpu_s / duration_s:.2f} ms CPU per second "
          f"of session ({100 * raw_cpu_s / duration_s:.2f} % of a core in real time)")  # fmt: skip

    print(f"reading the whole file back (read_session): {1000 * read_s:.0f} ms "
          f"({1000 * read_s * per_hour:.0f} ms per hour of session)")  # fmt: skip
    assert session.acc is not None
    empty = np.empty(0)
    breathing = breathing_of(BeatInput(empty, empty, acc=session.acc), None)
    errors, unrated = [], 0
    for window in breathing.windows:
        if window.breaths_per_min is None:
            unrated += 1
            continue
        truth = h10.truth.acc.true_breaths_per_min(window.start_s, window.end_s)
        errors.append(window.breaths_per_min - truth)
    err = np.abs(np.asarray(errors))
    print(f"ACC breathing vs the simulator's true rate over {len(breathing.windows)} windows of "
          f"60 s: {len(err)} with a rate, mean |error| {err.mean():.2f}/min, max {err.max():.2f}"
          f"/min, {100 * np.mean(err <= 1.0):.0f} % within 1/min; {unrated} without a rate "
          "(movement or unclear rhythm)")  # fmt: skip


if __name__ == "__main__":
    main()
