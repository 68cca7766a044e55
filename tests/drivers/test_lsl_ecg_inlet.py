"""Another program's LSL ECG stream drives a full live session (real pylsl outlet and inlet on
this machine, `record --lsl-inlet`'s own wiring, real session files).

The truth is a real RR series (tests/data/rest_rri.txt): the sender publishes ECG synthesised to
peak exactly at its beats (drivers/simulated_h10.py), as a sender would, in chunks stamped with
the time it sent them (the newest sample's time plus a random transmission delay of 0-20 ms; the
inlet's dejitter must undo that). The session file's beats must be the true intervals.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pylsl
import pytest

from drivers.simulated_h10 import beat_times_from_rr, synthesize_ecg
from monitor.recording.reader import read_session
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions, LiveSession

DATA = Path(__file__).resolve().parent.parent / "data"
BEATS = 300
SETTLING_BEATS = 3
"""The first intervals, while the detector learns its levels (and dejitter its fit)."""
HANG_GUARD_S = 90.0
"""Only so a broken inlet fails the test instead of hanging it; never an assertion."""


def ecg_outlet(
    name: str, sample_hz: float, channels: list[tuple[str, str]], stream_type: str = "ECG"
) -> pylsl.StreamOutlet:
    """An ECG outlet whose header describes its channels as the XDF meta-data conventions say."""
    info = pylsl.StreamInfo(name, stream_type, len(channels), sample_hz, pylsl.cf_float32, name)
    described = info.desc().append_child("channels")
    for label, unit in channels:
        node = described.append_child("channel")
        node.append_child_value("label", label)
        node.append_child_value("unit", unit)
        node.append_child_value("type", "ECG")
    return pylsl.StreamOutlet(info, chunk_size=0, max_buffered=600)


def send_when_connected(
    outlet: pylsl.StreamOutlet, samples: np.ndarray, stamps_s: np.ndarray, chunk_n: int
) -> threading.Thread:
    """Push the samples once an inlet is there, each chunk stamped at its newest sample's time
    plus a random sending delay (liblsl places the chunk's other samples before it)."""
    rng = np.random.default_rng(7)

    def send() -> None:
        if not outlet.wait_for_consumers(30.0):
            return
        for i in range(0, len(samples), chunk_n):
            chunk = samples[i : i + chunk_n]
            sent_s = float(stamps_s[i + len(chunk) - 1]) + float(rng.uniform(0.0, 0.020))
            outlet.push_chunk(chunk.tolist(), sent_s)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("sample_hz", "unit", "to_unit", "chunk_n", "channel", "stream_type"),
    [
        # One channel, as a Polar H10 bridge sends it: read as ECG by its type.
        (130.0, "microvolts", 1.0, 73, None, "ECG"),
        # An amplifier's channels (type EXG, read as ECG when asked), one chosen by its label.
        (500.0, "mV", 1e-3, 50, "ecg ii", "EXG"),
    ],
)
def test_an_lsl_ecg_stream_drives_a_session_whose_beats_are_the_true_intervals(
    tmp_path: Path,
    sample_hz: float,
    unit: str,
    to_unit: float,
    chunk_n: int,
    channel: str | None,
    stream_type: str,
) -> None:
    true_rr_ms = np.loadtxt(DATA / "rest_rri.txt")[:BEATS].astype(float)
    true_beats_s = beat_times_from_rr(true_rr_ms, start_s=1.0)
    ecg = synthesize_ecg(true_beats_s, seed=3, sample_hz=sample_hz)
    if channel is None:
        layout = [("ECG", unit)]
        samples = (ecg.ecg_uv * to_unit)[:, None]
    else:
        layout = [("Resp", "a.u."), ("ECG II", unit), ("ECG III", unit)]
        noise = np.random.default_rng(5).standard_normal((ecg.t_s.size, 2))
        duration_s = float(ecg.t_s[-1]) + 0.5 / sample_hz
        other = synthesize_ecg(
            true_beats_s + 0.004, seed=4, sample_hz=sample_hz, duration_s=duration_s
        ).ecg_uv
        samples = np.column_stack((noise[:, 0], ecg.ecg_uv * to_unit, 0.6 * other * to_unit))
    name = f"SMEcg-{uuid.uuid4().hex[:10]}"
    outlet = ecg_outlet(name, sample_hz, layout, stream_type)
    lsl_start_s = pylsl.local_clock()
    sender = send_when_connected(outlet, samples, lsl_start_s + ecg.t_s, chunk_n)

    options = LiveOptions(
        lsl_inlet=name,
        lsl_inlet_kind=None if stream_type == "ECG" else "ECG",
        lsl_channel=channel,
        out=tmp_path / "ecg.sqlite",
        client_code="T017",
    )
    seen: list[float] = []

    def on_update(update: SessionUpdate) -> None:
        if update.raw_beat is None:
            return
        seen.append(update.raw_beat.t_s)
        if len(seen) == BEATS:
            session.request_stop()

    session = LiveSession(options, on_update=on_update)
    guard = threading.Timer(HANG_GUARD_S, session.request_stop)
    guard.start()
    try:
        path = asyncio.run(_run_until_last_beat(session, seen, true_beats_s[-1] + lsl_start_s))
    finally:
        guard.cancel()
    sender.join(timeout=5)
    assert session.engine is not None
    # The true beats on the session's clock: LSL clock -> monotonic -> session time.
    to_session_s = time.monotonic() - pylsl.local_clock() - session.engine.time_origin_s
    truth_s = true_beats_s + lsl_start_s + to_session_s

    beats = read_session(path).beats
    assert path is not None and beats.rr_ms.size >= 0.99 * BEATS
    nearest = np.abs(beats.t_s[:, None] - truth_s[None, 1:]).argmin(axis=1)
    settled = slice(SETTLING_BEATS, None)
    time_error_ms = (beats.t_s - truth_s[1:][nearest])[settled] * 1000.0
    rr_error_ms = (beats.rr_ms - true_rr_ms[nearest])[settled]
    print(
        f"{sample_hz:g} Hz: {beats.rr_ms.size} beats, RR error |median| "
        f"{np.median(np.abs(rr_error_ms)):.2f} ms, max {np.max(np.abs(rr_error_ms)):.2f} ms; "
        f"time error median {np.median(time_error_ms):.2f} ms"
    )
    assert np.unique(nearest).size == nearest.size  # one file beat per true beat
    assert np.mean(np.abs(rr_error_ms) < 8.0) >= 0.99, np.sort(np.abs(rr_error_ms))[-10:]
    # Beat times on the session clock: the sender's delay (0-20 ms, 10 ms on average) is the
    # only offset dejittered stamps can keep.
    assert np.median(np.abs(time_error_ms)) < 25.0
    devices = [e for e in read_session(path).events if e.kind == "device"]
    assert [d.data["extra"].get("lsl_type") for d in devices] == ["ECG"]
    del outlet


async def _run_until_last_beat(session: LiveSession, seen: list[float], last_lsl_s: float) -> Path:
    """Run the session; ask it to stop once the beat at the last true beat is in."""

    async def watch() -> None:
        while True:
            await asyncio.sleep(0.1)
            engine = session.engine
            if engine is None or not seen:
                continue
            last_session_s = last_lsl_s + time.monotonic() - pylsl.local_clock()
            if seen[-1] >= last_session_s - engine.time_origin_s - 0.1:
                session.request_stop()
                return

    watcher = asyncio.ensure_future(watch())
    try:
        path = await session.run()
    finally:
        watcher.cancel()
    assert path is not None
    return path


def _record_against(name: str, tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    out = tmp_path / f"{uuid.uuid4().hex[:6]}.sqlite"
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "record", "--lsl-inlet", name, *flags, "--headless",
         "--duration", "5", "--out", str(out)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    assert not out.exists()  # nothing was recorded, so no empty file is left
    return result


def _error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if "error" in line]


def test_an_ecg_stream_in_an_unknown_unit_is_refused_in_one_line(tmp_path: Path) -> None:
    name = f"SMEcgUnit-{uuid.uuid4().hex[:10]}"
    outlet = ecg_outlet(name, 250.0, [("ECG", "furlongs")])
    result = _record_against(name, tmp_path)
    assert result.returncode == 2
    assert _error_lines(result) == [
        f"session-monitor record: error: LSL ECG stream '{name}', ECG: gives its unit as "
        "'furlongs'; an ECG must be in microvolts, millivolts or volts (µV, uV, mV, V) as the "
        "stream's header says"
    ]
    del outlet


def test_an_ecg_stream_of_several_channels_needs_one_chosen(tmp_path: Path) -> None:
    name = f"SMEcgChan-{uuid.uuid4().hex[:10]}"
    outlet = ecg_outlet(name, 250.0, [("Lead I", "uV"), ("Lead II", "uV")])
    result = _record_against(name, tmp_path)
    assert result.returncode == 2
    assert _error_lines(result) == [
        f"session-monitor record: error: LSL ECG stream '{name}' has 2 channels (Lead I, "
        "Lead II); choose the ECG channel with --lsl-channel LABEL|N"
    ]
    chosen_wrong = _record_against(name, tmp_path, "--lsl-channel", "Lead III")
    assert chosen_wrong.returncode == 2
    assert _error_lines(chosen_wrong) == [
        f"session-monitor record: error: LSL ECG stream '{name}' has no channel 'Lead III' "
        "(it has Lead I, Lead II); choose the ECG channel with --lsl-channel LABEL|N"
    ]
    del outlet
