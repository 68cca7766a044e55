"""A session recorded through real bleak from the mock-BlueZ test bed, with the strap walking off
in the middle: the file keeps the beats on both sides and the gap between them."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
from bluez_testbed.harness import STRAP_NAME
from test_ble_testbed import make_source

from drivers.hrs import parse_heart_rate_measurement
from monitor.recording.model import EventKind, SourceKind
from monitor.recording.reader import read_session
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions, LiveSession


async def wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_a_dropout_is_recorded_as_a_gap_with_beats_on_both_sides(
    start_strap, tmp_path: Path
) -> None:
    first = start_strap(first_seq=0)
    updates: list[SessionUpdate] = []
    out = tmp_path / "ble.sqlite"
    options = LiveOptions(device=STRAP_NAME, out=out, client_code="BLE01")
    session = LiveSession(options, on_update=updates.append, source=make_source())
    task = asyncio.create_task(session.run())

    def beats() -> int:
        return sum(1 for u in updates if u.beat is not None)

    await wait_for(lambda: beats() >= 40, 15, "40 beats before the drop-out")
    first.kill()
    await wait_for(
        lambda: any(e.kind == EventKind.CONNECTION and e.text == "lost"
                    for u in updates for e in u.events),
        5, "the loss",
    )  # fmt: skip
    await asyncio.sleep(1.5)
    before_return = beats()
    start_strap(first_seq=1000)
    await wait_for(lambda: beats() >= before_return + 40, 15, "40 beats after the return")
    session.request_stop()
    assert await asyncio.wait_for(task, 10) == out

    recorded = read_session(out)
    assert recorded.metadata.source_kind is SourceKind.BLE
    assert recorded.metadata.client_code == "BLE01"
    (gap,) = [e for e in recorded.events if e.kind == EventKind.GAP]
    assert gap.end_s is not None and gap.end_s - gap.t_s > 1.5
    t = recorded.beats.t_s
    assert np.count_nonzero(t <= gap.t_s) >= 40
    assert np.count_nonzero(t >= gap.end_s) >= 40
    # Nothing lost between the radio and the file: the RR values of the stored raw
    # notifications, re-parsed, are exactly the stored beats, in order.
    parsed = [parse_heart_rate_measurement(raw, 0.0) for raw in recorded.packets.raw]
    np.testing.assert_array_equal(
        np.concatenate([p.rr_ms for p in parsed if p.rr_ms]), recorded.beats.rr_ms
    )
    states = [e.text for e in recorded.events if e.kind == EventKind.CONNECTION]
    assert "lost" in states and states.count("connected") >= 2
    assert len(recorded.packets) >= recorded.beats.t_s.size // 9  # raw notifications kept
