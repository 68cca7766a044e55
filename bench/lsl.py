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

Then the raw-data streams and the ECG inlet:

* **ECG and ACC outlets**: 15 minutes of a Polar H10's streams (130 Hz ECG synthesised around the
  real tests/data/rest_rri.txt beats in 73-sample frames, 50 Hz ACC in 36-sample frames, the
  strap's RR packets) through the engine, alone and with the outlets: the outlets' CPU per
  second of signal, and the ECG and ACC samples an inlet on this machine received;
* **the ECG inlet** (``record --lsl-inlet`` on a stream of type ECG): another process publishes
  that ECG in real time, stamping each 73-sample chunk when it sends it, as a Polar-to-LSL bridge
  does; this process reads it as a live session would (:class:`drivers.lsl_inlet.LslInletSource`
  -> :class:`monitor.session.ecg_beat_source.EcgBeatSource` -> the session engine) and prints
  its CPU per second of signal (all of it, and the R-peak detection's part) and the beat latency:
  host time from an R peak (its sample's stamp) to its packet reaching the engine (median, p99),
  i.e. the chunking, the transport and the detector's 0.6 s of look-ahead.

Run: ``PYTHONPATH=. .venv/bin/python bench/lsl.py [ECG_INLET_SECONDS]`` (default 120).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pylsl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.events import AccSamples, EcgSamples, HeartRatePacket, SourceEvent
from drivers.hrs import rr_packet
from drivers.lsl_inlet import LslInletSource
from drivers.simulated_h10 import beat_times_from_rr, synthesize_acc, synthesize_ecg
from drivers.simulator import HeartSimulator
from monitor.session.ecg_beat_source import EcgBeatSource
from monitor.session.engine import SessionEngine
from monitor.session.lsl_outlets import SessionOutlets, lsl_clock_map

ROOT = Path(__file__).resolve().parent.parent
ECG_FRAME_N = 73
ACC_FRAME_N = 36
RAW_MINUTES = 15.0


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
    # An inlet left open keeps trying to reconnect to the closed outlet: its CPU would count
    # in the figures below.
    inlet.close_stream()
    del inlet
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
    raw_outlets()
    ecg_inlet(float(sys.argv[1]) if len(sys.argv) > 1 else 120.0)


def h10_events() -> tuple[list[SourceEvent], float, int, int]:
    """A Polar H10's events in order of arrival: RR packets, ECG and ACC frames."""
    rr_ms = np.loadtxt(ROOT / "tests" / "data" / "rest_rri.txt")
    beats_s = beat_times_from_rr(rr_ms)
    beats_s = beats_s[beats_s < RAW_MINUTES * 60.0]
    ecg = synthesize_ecg(beats_s, seed=1)
    acc = synthesize_acc(float(ecg.t_s[-1]), breaths_per_min=12.0, seed=1, beat_times_s=beats_s)
    timed: list[tuple[float, SourceEvent]] = []
    for t_s, rr in zip(beats_s[1:], np.diff(beats_s) * 1000.0, strict=True):
        packet = rr_packet(float(rr), float(t_s) + 0.05)
        if packet is not None:
            timed.append((packet.arrival_s, packet))
    for i in range(0, ecg.t_s.size - ECG_FRAME_N, ECG_FRAME_N):
        values = tuple(int(v) for v in np.rint(ecg.ecg_uv[i : i + ECG_FRAME_N]))
        arrival_s = float(ecg.t_s[i + ECG_FRAME_N - 1]) + 0.05
        timed.append((arrival_s, EcgSamples(arrival_s, float(ecg.t_s[i]), ecg.sample_hz, values)))
    for i in range(0, acc.t_s.size - ACC_FRAME_N, ACC_FRAME_N):
        xyz = tuple(tuple(int(v) for v in row) for row in np.rint(acc.acc_mg[i : i + ACC_FRAME_N]))
        arrival_s = float(acc.t_s[i + ACC_FRAME_N - 1]) + 0.05
        run = AccSamples(arrival_s, float(acc.t_s[i]), acc.sample_hz, xyz)  # type: ignore[arg-type]
        timed.append((arrival_s, run))
    timed.sort(key=lambda pair: pair[0])
    n_ecg = sum(len(e.ecg_uv) for _, e in timed if isinstance(e, EcgSamples))
    n_acc = sum(len(e.acc_mg) for _, e in timed if isinstance(e, AccSamples))
    return [e for _, e in timed], float(ecg.t_s[-1]), n_ecg, n_acc


def raw_outlets() -> None:
    """The ECG and ACC outlets' CPU, per second of signal, and what an inlet received."""
    events, signal_s, n_ecg, n_acc = h10_events()
    cpu_engine_s, _, _ = run(events, None)
    name = f"BenchRaw-{uuid.uuid4().hex[:8]}"
    outlets = SessionOutlets(lsl_clock_map(time.monotonic()), name)
    # The raw streams are made with their first run: publish one of each, then connect inlets.
    first_ecg = next(e for e in events if isinstance(e, EcgSamples))
    first_acc = next(e for e in events if isinstance(e, AccSamples))
    warm = SessionEngine()
    for event in (first_ecg, first_acc):
        for update in warm.handle(event):
            outlets.publish(update)
    inlets = {}
    for kind in ("ECG", "ACC"):
        found = pylsl.resolve_byprop("name", f"{name}-{kind}", timeout=10)
        inlets[kind] = pylsl.StreamInlet(found[0], max_buflen=3600)
        inlets[kind].open_stream(timeout=10)
    cpu_lsl_s, _, _ = run(events, outlets)
    received = {"ECG": 0, "ACC": 0}
    for _ in range(40):
        for kind, inlet in inlets.items():
            chunk, _ = inlet.pull_chunk(timeout=0.2, max_samples=200000)
            received[kind] += len(chunk)
        if received["ECG"] >= n_ecg and received["ACC"] >= n_acc:
            break
    for inlet in inlets.values():
        inlet.close_stream()
    inlets.clear()
    outlets.close()
    extra_s = cpu_lsl_s - cpu_engine_s
    print(
        f"H10 streams: {signal_s / 60:.1f} min (130 Hz ECG, 50 Hz ACC, RR); CPU: engine "
        f"{cpu_engine_s:.2f} s, engine + all outlets {cpu_lsl_s:.2f} s; the outlets "
        f"{extra_s / signal_s * 1000:.2f} ms per second of signal = "
        f"{100 * extra_s / signal_s:.2f} % of a core"
    )
    print(f"raw samples received: ECG {received['ECG']} / {n_ecg}, ACC {received['ACC']} / {n_acc}")


SENDER = """
import sys, time
import numpy as np
import pylsl
sys.path.insert(0, {root!r})
from drivers.simulated_h10 import beat_times_from_rr, synthesize_ecg
rr_ms = np.loadtxt({rr!r})
beats_s = beat_times_from_rr(rr_ms)
beats_s = beats_s[beats_s < {seconds} + 2.0]
ecg = synthesize_ecg(beats_s, seed=1, duration_s={seconds} + 1.0)
info = pylsl.StreamInfo({name!r}, "ECG", 1, ecg.sample_hz, pylsl.cf_float32, {name!r})
channel = info.desc().append_child("channels").append_child("channel")
channel.append_child_value("label", "ECG")
channel.append_child_value("unit", "microvolts")
outlet = pylsl.StreamOutlet(info)
outlet.wait_for_consumers(30.0)
time.sleep(0.5)
start_s = pylsl.local_clock()
print(start_s, flush=True)
n = {frame}
for i in range(0, ecg.t_s.size - n, n):
    due_s = start_s + ecg.t_s[i + n - 1]
    time.sleep(max(0.0, due_s - pylsl.local_clock()))
    outlet.push_chunk(ecg.ecg_uv[i : i + n, None].tolist(), pylsl.local_clock())
time.sleep(2.0)
"""


def ecg_inlet(seconds: float) -> None:
    """Another process's real-time ECG stream as a live session reads it."""
    name = f"BenchEcgIn-{uuid.uuid4().hex[:8]}"
    code = SENDER.format(
        root=str(ROOT),
        rr=str(ROOT / "tests" / "data" / "rest_rri.txt"),
        seconds=seconds,
        name=name,
        frame=ECG_FRAME_N,
    )
    # The sender's liblsl as quiet as ours (drivers/lsl_quiet.py).
    env = {**os.environ, "LSLAPICFG": str(ROOT / "drivers" / "lsl_api.cfg")}
    sender = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    latencies_s: list[float] = []
    detect_cpu_s = [0.0]
    engine_cpu_s = [0.0]
    source = EcgBeatSource(LslInletSource(name))
    push = source.intervals.push

    def timed_push(*args: object) -> object:
        start = time.process_time()
        out = push(*args)  # type: ignore[arg-type]
        detect_cpu_s[0] += time.process_time() - start
        return out

    source.intervals.push = timed_push  # type: ignore[method-assign]
    engine = SessionEngine()

    async def read() -> tuple[float, float]:
        cpu_start = time.process_time()
        first_s = None
        async for event in source.events():
            now_s = time.monotonic()
            if isinstance(event, HeartRatePacket):
                latencies_s.append(now_s - event.arrival_s)
                first_s = first_s if first_s is not None else now_s
            start = time.process_time()
            engine.handle(event)
            engine_cpu_s[0] += time.process_time() - start
            if first_s is not None and now_s - first_s >= seconds - 5.0:
                await source.stop()
        return time.process_time() - cpu_start, now_s - (first_s or now_s)

    cpu_s, span_s = asyncio.run(read())
    sender.wait(timeout=30)
    lat_ms = np.array(latencies_s[3:]) * 1000.0
    signal_s = span_s + 1.0
    print(
        f"ECG inlet, 130 Hz from another process in real time, {signal_s:.0f} s, "
        f"{len(latencies_s)} beats: R peak -> its beat in the engine median "
        f"{np.median(lat_ms):.0f} ms, p99 {np.percentile(lat_ms, 99):.0f} ms"
    )
    print(
        f"ECG inlet CPU (inlet + R peaks + engine): {cpu_s / signal_s * 1000:.2f} ms per second "
        f"of signal = {100 * cpu_s / signal_s:.2f} % of a core; of which R-peak detection "
        f"{detect_cpu_s[0] / signal_s * 1000:.2f} ms, the engine "
        f"{engine_cpu_s[0] / signal_s * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
