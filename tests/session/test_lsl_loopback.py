"""A live (simulated) session published over LSL, received by real pylsl inlets on this machine.

The reference is the session file the same run wrote (real SQLite): every decided beat arrives in
order with the file's RR and class, stamped at the file's beat time mapped onto the LSL clock
(within 5 ms); the markers are the file's phases, SUDS and alerts. Stream names are unique per
test run, so other runs on the machine cannot interfere.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from pathlib import Path

import numpy as np
import pylsl

from monitor.recording.model import EventKind
from monitor.recording.reader import read_session
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions, LiveSession
from monitor.session.lsl_outlets import SessionOutlets, lsl_clock_map
from monitor.session.lsl_streams import HRV_CHANNELS

RESOLVE_TIMEOUT_S = 10.0
PULL_TRIES = 40


def open_inlets(prefix: str) -> dict[str, pylsl.StreamInlet]:
    """Resolve and open the three streams (blocking, bounded by the resolve timeout)."""
    inlets = {}
    for kind in ("RR", "HRV", "Markers"):
        found = pylsl.resolve_byprop("name", f"{prefix}-{kind}", timeout=RESOLVE_TIMEOUT_S)
        assert found, f"stream {prefix}-{kind} not found"
        inlet = pylsl.StreamInlet(found[0], max_buflen=3600)
        inlet.open_stream(timeout=RESOLVE_TIMEOUT_S)
        inlets[kind] = inlet
    return inlets


def pull(inlet: pylsl.StreamInlet, count: int) -> tuple[list[list[float | str]], list[float]]:
    """Pull ``count`` samples (the outlets are still up), or what came within the tries."""
    values: list[list[float | str]] = []
    stamps: list[float] = []
    for _ in range(PULL_TRIES):
        if len(stamps) >= count:
            break
        chunk, times = inlet.pull_chunk(timeout=0.5, max_samples=4096)
        values.extend(chunk)
        stamps.extend(times)
    return values, stamps


def test_an_inlet_receives_every_beat_hrv_sample_and_marker_of_a_session(tmp_path: Path) -> None:
    prefix = f"SMTest-{uuid.uuid4().hex[:10]}"
    outlets = SessionOutlets(name_prefix=prefix)
    inlets = open_inlets(prefix)
    updates: list[SessionUpdate] = []
    options = LiveOptions(
        simulate=True, speed=math.inf, duration_s=500.0, seed=5, out=tmp_path / "s.sqlite",
        client_code="T017",
    )  # fmt: skip
    session = LiveSession(options, on_update=updates.append, outlets=outlets)
    path = asyncio.run(session.run())
    assert path is not None
    recorded = read_session(path)
    beats = recorded.beats
    clock = outlets.clock  # set by the session from its origin

    rr_values, rr_stamps = pull(inlets["RR"], len(beats.rr_ms))
    rr = np.array(rr_values, dtype=float)
    assert rr.shape == (len(beats.rr_ms), 2) and rr.shape[0] > 400
    np.testing.assert_array_equal(rr[:, 0], beats.rr_ms)
    np.testing.assert_array_equal(rr[:, 1], beats.beat_class)
    # Stamped at the beat times the engine computed (the file's), mapped onto the LSL clock:
    # compared with those, not with when the samples arrived.
    mapped_s = np.array([clock.lsl_time(t) for t in beats.t_s])
    assert np.max(np.abs(np.array(rr_stamps) - mapped_s)) < 0.005
    # The map itself: the session's origin on the LSL clock, read again here independently.
    assert abs(lsl_clock_map(session._clock_origin_s).lsl_origin_s - clock.lsl_origin_s) < 0.005

    nn_beats = [u.beat for u in updates if u.beat is not None]
    hrv_values, hrv_stamps = pull(inlets["HRV"], len(nn_beats))
    assert len(hrv_values) == len(nn_beats) > 400
    assert len(hrv_values[0]) == len(HRV_CHANNELS)
    np.testing.assert_array_equal([v[0] for v in hrv_values], [b.nn_ms for b in nn_beats])
    assert np.max(np.abs(np.array(hrv_stamps) - [clock.lsl_time(b.t_s) for b in nn_beats])) < 0.005

    phases = [e for e in recorded.events if e.kind == EventKind.PHASE]
    alerts = [e for e in recorded.events if e.kind == EventKind.ALERT]
    expected_markers = len(phases) + 2 * len([a for a in alerts if a.end_s is not None])
    markers, marker_stamps = pull(inlets["Markers"], expected_markers)
    texts = [m[0] for m in markers]
    assert [t.removeprefix("phase: ") for t in texts if t.startswith("phase: ")] == [
        p.text for p in phases
    ]
    for phase in phases:
        stamp = marker_stamps[texts.index(f"phase: {phase.text}")]
        assert abs(stamp - clock.lsl_time(phase.t_s)) < 0.005
    assert alerts and len([t for t in texts if t.startswith("alert start:")]) == len(alerts)
    outlets.close()
