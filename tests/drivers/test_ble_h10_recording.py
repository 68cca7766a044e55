"""``record --device X --h10`` through real bleak from the mock-BlueZ test bed: a virtual H10's
ECG and ACC frames are recorded into the session file exactly as it sent them; a strap without
raw data records heart rate only, and the headless command says so once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bluez_testbed.harness import CENTRAL_ADAPTER, STRAP_NAME
from bluez_testbed.virtual_strap import pmd_signals
from test_ble_testbed import make_source

from drivers.events import AccSamples, EcgSamples
from monitor.recording.reader import read_session
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions, LiveSession

ECG, ACC = 0, 2


async def test_a_virtual_h10s_raw_data_is_in_the_file_as_sent(start_strap, tmp_path: Path) -> None:
    strap = start_strap(pmd=True)
    out = tmp_path / "h10.sqlite"
    updates: list[SessionUpdate] = []
    options = LiveOptions(device=STRAP_NAME, h10=True, out=out, client_code="H10")
    session = LiveSession(options, on_update=updates.append, source=make_source(raw_data=True))
    task = asyncio.create_task(session.run())

    def runs(kind: type) -> int:
        return sum(isinstance(e, kind) for u in updates for e in u.source_events)

    deadline = time.monotonic() + 60
    while (runs(EcgSamples) < 30 or runs(AccSamples) < 10) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    session.request_stop()
    assert await asyncio.wait_for(task, 20) == out

    recorded = read_session(out)
    assert recorded.ecg is not None and recorded.acc is not None
    assert len(recorded.ecg) >= 30 and len(recorded.acc) >= 10
    ecg_signal, acc_signal = (np.asarray(signal) for signal in pmd_signals())
    sent: dict[int, list[tuple[int, int]]] = {ECG: [], ACC: []}
    for frame in strap.find("pmd_sent"):
        if frame["measurement"] in sent:
            sent[frame["measurement"]].append((frame["first"], frame["count"]))

    def firsts(
        runs: list[np.ndarray], signal: np.ndarray, frames: list[tuple[int, int]]
    ) -> list[int]:
        """The first sample index of the frame each stored run is, exactly."""
        found = []
        for run in runs:
            same = [
                f for f, n in frames if n == len(run) and np.array_equal(run, signal[f : f + n])
            ]
            assert same, "a stored run is no frame the strap sent"
            found.append(same[0])
        return found

    for runs, signal, frames, hz in (
        (recorded.ecg, ecg_signal, sent[ECG], 130.0),
        (recorded.acc, acc_signal, sent[ACC], float(recorded.acc.sample_hz[0])),
    ):
        index = np.asarray(firsts(runs.runs, signal, frames))
        assert np.all(np.diff(index) > 0)  # in the order sent, none twice
        assert set(runs.sample_hz) == {hz}
        # Stored in session time on the strap's sample clock: start to start as sent, except
        # where the clock moved earlier to keep a frame before its arrival (drivers.pmd.StrapClock,
        # rule 3), which only ever shortens a step.
        spacing_s, sent_s = np.diff(runs.start_s), np.diff(index) / hz
        as_sent = np.abs(spacing_s - sent_s) <= 1e-3 * sent_s + 1e-6
        assert np.all(spacing_s <= sent_s * (1 + 1e-3) + 1e-6)
        assert np.mean(as_sent) >= 0.8
        assert runs.start_s[0] >= 0.0


def test_h10_on_a_strap_without_raw_data_records_heart_rate_and_says_so(
    strap, tmp_path: Path
) -> None:
    out = tmp_path / "hr.sqlite"
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "record", "--device", STRAP_NAME, "--adapter",
         CENTRAL_ADAPTER, "--h10", "--headless", "--duration", "8", "--out", str(out)],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "no raw ECG" in line]
    assert len(said) == 1 and "recording heart rate only" in said[0]
    recorded = read_session(out)
    assert len(recorded.beats) > 0 and recorded.ecg is None and recorded.acc is None
