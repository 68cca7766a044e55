"""A source of ECG alone drives a session through EcgBeatSource
(monitor/session/ecg_beat_source.py): real session files, ECG synthesised around real beats. The
file holds the true beats; samples lost on the way make a gap in the file, and the beats after
it keep their true times."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from drivers.events import ConnectionState, EcgSamples, SourceEvent, StateChanged
from drivers.simulated_h10 import beat_times_from_rr, synthesize_ecg
from monitor.recording.reader import read_session
from monitor.session.ecg_beat_source import ECG_GAP_REASON, EcgBeatSource
from monitor.session.live import LiveOptions, LiveSession
from monitor.user_errors import UserError

DATA = Path(__file__).resolve().parent.parent / "data"
RR_MS = np.loadtxt(DATA / "08012805.txt")[:150].astype(float)
CHUNK_N = 73
LOST_S = ((60.0, 60.4), (100.0, 104.0))
"""Samples that never came (radio drop-outs between the sender and its ECG amplifier). After the
short one the beats would otherwise run on from the last beat before it, a beat early: the
session's beat clock takes up to 2 s of delay for a strap's radio."""


class EcgRuns:
    """ECG runs handed over as a driver would, each at its own times (no network)."""

    def __init__(self, t_s: np.ndarray, ecg_uv: np.ndarray, sample_hz: float) -> None:
        self.t_s, self.ecg_uv, self.sample_hz = t_s, ecg_uv, sample_hz

    async def events(self) -> AsyncIterator[SourceEvent]:
        yield StateChanged(float(self.t_s[0]), ConnectionState.CONNECTED, "ECG")
        for i in range(0, self.t_s.size, CHUNK_N):
            values = tuple(int(v) for v in np.rint(self.ecg_uv[i : i + CHUNK_N]))
            t0 = float(self.t_s[i])
            yield EcgSamples(t0 + len(values) / self.sample_hz, t0, self.sample_hz, values)
        yield StateChanged(float(self.t_s[-1]), ConnectionState.STOPPED, "done")

    async def stop(self) -> None:
        return None


def test_lost_samples_make_a_gap_and_the_beats_after_it_keep_their_true_times(
    tmp_path: Path,
) -> None:
    beats_s = beat_times_from_rr(RR_MS, start_s=1.0)
    ecg = synthesize_ecg(beats_s, seed=6)
    kept = np.ones(ecg.t_s.size, bool)
    for start_s, end_s in LOST_S:
        kept &= ~((ecg.t_s >= start_s) & (ecg.t_s < end_s))
    source = EcgBeatSource(EcgRuns(ecg.t_s[kept], ecg.ecg_uv[kept], ecg.sample_hz))
    options = LiveOptions(device="ecg", out=tmp_path / "ecg.sqlite", client_code="T017")
    live = LiveSession(options, source=source)  # type: ignore[arg-type]
    path = asyncio.run(live.run())
    assert path is not None and live.engine is not None
    session = read_session(path)
    beats = session.beats
    assert source.intervals.breaks == 2
    # The runs' times are the source's clock; the session's time starts at its origin on it.
    offset_s = -live.engine.time_origin_s
    gaps = [e for e in session.events if e.kind == "gap"]
    assert [g.text for g in gaps] == [ECG_GAP_REASON] * 2
    for gap, (start_s, end_s) in zip(gaps, LOST_S, strict=True):
        assert gap.end_s is not None
        assert gap.t_s < start_s + offset_s and gap.end_s >= end_s + offset_s
    nearest = np.abs(beats.t_s[:, None] - (beats_s[None, 1:] + offset_s)).argmin(axis=1)
    t_error_ms = (beats.t_s - beats_s[1:][nearest] - offset_s) * 1000.0
    rr_error_ms = beats.rr_ms - RR_MS[nearest]
    assert np.unique(nearest).size == nearest.size
    assert np.max(np.abs(t_error_ms)) < 8.0  # after the gap too: never a beat early
    assert np.mean(np.abs(rr_error_ms) < 8.0) >= 0.99
    # Only the beats in and next to the lost stretches are missing.
    missing = beats_s[np.setdiff1d(np.arange(1, beats_s.size), nearest + 1)]
    near_loss = np.zeros(missing.size, bool)
    for start_s, end_s in LOST_S:
        near_loss |= (missing > start_s - 1.5) & (missing < end_s + 3.5)
    assert missing.size > 0 and near_loss.all()


def test_an_ecg_too_slow_for_qrs_detection_is_one_line() -> None:
    t_s = np.arange(0.0, 10.0, 1 / 25.0)
    source = EcgBeatSource(EcgRuns(t_s, np.zeros(t_s.size), 25.0))

    async def drain() -> None:
        async for _ in source.events():
            pass

    with pytest.raises(UserError, match=r"^ECG sample rate 25 Hz is too low .*at least 40 Hz"):
        asyncio.run(drain())
