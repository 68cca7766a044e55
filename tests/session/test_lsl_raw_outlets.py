"""ECG and ACC outlets (issue #17 with #16): a strap's raw-data runs, through the session engine
into real pylsl outlets, received by real inlets on this machine.

The runs are made here from drivers/simulated_h10.py (ECG around real RR from tests/data, chest
ACC), 73 ECG samples per run as a Polar H10 sends them. Reference: the samples and their times
as the runs carried them, mapped onto the LSL clock by the outlets' own map.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pylsl

from drivers.events import AccSamples, EcgSamples
from drivers.simulated_h10 import beat_times_from_rr, synthesize_acc, synthesize_ecg
from monitor.session.engine import SessionEngine
from monitor.session.lsl_outlets import SessionOutlets
from monitor.session.lsl_streams import SessionClockMap
from tests.session.test_lsl_loopback import pull

DATA = Path(__file__).resolve().parent.parent / "data"
RESOLVE_TIMEOUT_S = 10.0


def runs() -> list[EcgSamples | AccSamples]:
    rr_ms = np.loadtxt(DATA / "rest_rri.txt", comments="#")[:60]
    ecg = synthesize_ecg(beat_times_from_rr(rr_ms), seed=1)
    acc = synthesize_acc(float(ecg.t_s[-1]), breaths_per_min=12.0, seed=1)
    out: list[EcgSamples | AccSamples] = []
    for i in range(0, ecg.t_s.size - 73, 73):
        uv = tuple(round(float(v)) for v in ecg.ecg_uv[i : i + 73])
        out.append(EcgSamples(float(ecg.t_s[i + 72]), float(ecg.t_s[i]), ecg.sample_hz, uv))
    for i in range(0, acc.t_s.size - 36, 36):
        mg = tuple((round(x), round(y), round(z)) for x, y, z in acc.acc_mg[i : i + 36])
        out.append(AccSamples(float(acc.t_s[i + 35]), float(acc.t_s[i]), acc.sample_hz, mg))
    return sorted(out, key=lambda run: run.arrival_s)


def open_inlet(name: str) -> pylsl.StreamInlet:
    found = pylsl.resolve_byprop("name", name, timeout=RESOLVE_TIMEOUT_S)
    assert found, f"stream {name} not found"
    inlet = pylsl.StreamInlet(found[0], max_buflen=600)
    inlet.open_stream(timeout=RESOLVE_TIMEOUT_S)
    return inlet


def test_ecg_and_acc_runs_arrive_sample_for_sample_at_their_own_times() -> None:
    prefix = f"SMRaw-{uuid.uuid4().hex[:10]}"
    outlets = SessionOutlets(SessionClockMap(lsl_origin_s=pylsl.local_clock()), prefix)
    engine = SessionEngine()
    every = runs()
    first_ecg = next(i for i, r in enumerate(every) if isinstance(r, EcgSamples))
    first_acc = next(i for i, r in enumerate(every) if isinstance(r, AccSamples))
    head = max(first_ecg, first_acc) + 1
    for run in every[:head]:  # the streams appear with their first run
        for update in engine.handle(run):
            outlets.publish(update)
    inlets = {kind: open_inlet(f"{prefix}-{kind}") for kind in ("ECG", "ACC")}
    info = inlets["ECG"].info()
    assert info.nominal_srate() == 130.0 and info.channel_count() == 1
    assert inlets["ACC"].info().channel_count() == 3
    channel = info.desc().child("channels").child("channel")
    assert (channel.child_value("label"), channel.child_value("unit")) == ("ECG", "microvolts")
    for run in every[head:]:
        for update in engine.handle(run):
            outlets.publish(update)
    sent = {
        kind: [r for r in every[head:] if isinstance(r, cls)]
        for kind, cls in (("ECG", EcgSamples), ("ACC", AccSamples))
    }
    for kind, kind_runs in sent.items():
        values = [
            [v] if kind == "ECG" else list(v)
            for r in kind_runs
            for v in (r.ecg_uv if isinstance(r, EcgSamples) else r.acc_mg)
        ]
        times = [outlets.clock.lsl_time(t) for r in kind_runs for t in r.times_s()]
        got, stamps = pull(inlets[kind], len(values))
        assert len(values) > 500
        np.testing.assert_array_equal(np.array(got), np.array(values, dtype=float))
        np.testing.assert_allclose(stamps, times, rtol=0, atol=1e-6)
    outlets.close()
