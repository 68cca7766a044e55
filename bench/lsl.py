"""Benchmark of the LSL outlets (issue #17): beat-to-outlet latency and the CPU they cost.

Runs the scripted simulated session (about 21.5 min of beats) through the session engine as fast
as possible, publishing every update to real pylsl outlets with a real inlet connected on this
machine, and prints:

* processing latency: host time from handing a packet to the engine to the end of pushing its
  updates' samples (median, p99), i.e. what the outlets add to a beat's way out;
* look-ahead delay: session time from a beat to the arrival of the packet whose beat decides
  its class and sends its RR sample (median, p99): the artefact filter's look-ahead
  (Lipponen & Tarvainen 2019), which the RR stream waits for; its stamp is the beat time;
* CPU: process CPU time of the engine alone and of engine + outlets, per beat and as a share of
  one core for a real-time session.

Run: ``PYTHONPATH=. .venv/bin/python bench/lsl.py``.
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pylsl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.events import HeartRatePacket
from drivers.simulator import HeartSimulator
from monitor.session.engine import SessionEngine
from monitor.session.lsl_outlets import SessionOutlets, lsl_clock_map


def session_events() -> list:
    return list(HeartSimulator(seed=0).events(None, 0.0))


def run(events: list, outlets: SessionOutlets | None) -> tuple[float, list[float], list[float]]:
    engine = SessionEngine()
    latencies_s: list[float] = []
    delays_s: list[float] = []
    cpu_start = time.process_time()
    for event in events:
        start = time.perf_counter()
        updates = engine.handle(event)
        if outlets is not None:
            for update in updates:
                outlets.publish(update)
        end = time.perf_counter()
        if isinstance(event, HeartRatePacket):
            for update in updates:
                for decision in update.beat_classes:
                    delays_s.append(event.arrival_s - decision.t_s)
            if any(u.beat_classes for u in updates):
                latencies_s.append(end - start)
    for update in engine.finish():
        if outlets is not None:
            outlets.publish(update)
    return time.process_time() - cpu_start, latencies_s, delays_s


def main() -> None:
    events = session_events()
    beats = sum(len(e.rr_ms) for e in events if isinstance(e, HeartRatePacket))
    session_s = events[-1].arrival_s
    cpu_engine_s, plain_s, _ = run(events, None)
    name = f"Bench-{uuid.uuid4().hex[:8]}"
    outlets = SessionOutlets(lsl_clock_map(time.monotonic()), name)
    found = pylsl.resolve_byprop("name", f"{name}-RR", timeout=10)
    inlet = pylsl.StreamInlet(found[0], max_buflen=3600)
    inlet.open_stream(timeout=10)
    cpu_lsl_s, latencies_s, delays_s = run(events, outlets)
    received = 0
    for _ in range(20):
        chunk, _ = inlet.pull_chunk(timeout=0.5, max_samples=10000)
        received += len(chunk)
        if received >= beats:
            break
    outlets.close()
    lat_ms = np.array(latencies_s) * 1000
    plain_ms = np.array(plain_s) * 1000
    print(f"session: {session_s / 60:.1f} min, {beats} beats; RR samples received {received}")
    print(
        f"processing latency, engine + outlets: median {np.median(lat_ms):.3f} ms, "
        f"p99 {np.percentile(lat_ms, 99):.3f} ms (engine alone: median "
        f"{np.median(plain_ms):.3f} ms, p99 {np.percentile(plain_ms, 99):.3f} ms)"
    )
    print(
        f"look-ahead delay of the RR sample (session time): median {np.median(delays_s):.2f} s, "
        f"p99 {np.percentile(delays_s, 99):.2f} s"
    )
    extra_s = cpu_lsl_s - cpu_engine_s
    print(
        f"CPU: engine {cpu_engine_s:.2f} s, engine + outlets {cpu_lsl_s:.2f} s; outlets "
        f"{extra_s / beats * 1e6:.0f} µs per beat = {100 * extra_s / session_s:.3f} % of a core "
        "in real time"
    )


if __name__ == "__main__":
    main()
