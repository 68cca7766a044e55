"""Two straps at once through real bleak from the mock-BlueZ test bed (co-regulation, #18):
the client's strap on one virtual radio, the therapist's on another, both recorded into one
session file; the therapist's strap walks off in the middle and comes back while the client's
goes on."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import numpy as np
from bluez_testbed.harness import SPARE_ADAPTER, STRAP_NAME
from test_ble_recording import wait_for
from test_ble_testbed import make_source

from drivers.hrs import parse_heart_rate_measurement
from monitor.recording.model import EventKind
from monitor.recording.reader import read_session
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions, LiveSession

THERAPIST_STRAP = "SM Therapist Strap"


async def test_both_straps_are_recorded_and_one_drops_out_while_the_other_goes_on(
    start_strap, tmp_path: Path
) -> None:
    client_strap = start_strap(first_seq=0)
    therapist_strap = start_strap(name=THERAPIST_STRAP, adapter=SPARE_ADAPTER, first_seq=5000)
    updates: list[SessionUpdate] = []
    out = tmp_path / "two.sqlite"
    options = LiveOptions(device=STRAP_NAME, therapist_device=THERAPIST_STRAP, out=out)
    session = LiveSession(
        options,
        on_update=updates.append,
        source=make_source(),
        therapist_source=make_source(THERAPIST_STRAP),
    )
    task = asyncio.create_task(session.run())

    def client_beats() -> int:
        return sum(1 for u in updates if u.beat is not None)

    def therapist_beats() -> int:  # its judged readings: about one per beat
        strap = session.therapist
        return 0 if strap is None else len(strap.engine.judge.readings)

    await wait_for(lambda: client_beats() >= 40, 20, "40 client beats")
    await wait_for(lambda: therapist_beats() >= 40, 20, "40 therapist beats")
    assert session.therapist is not None
    engine = session.therapist.engine
    therapist_strap.kill(wait_gone=False)
    await wait_for(lambda: engine.status.state.value in ("lost", "reconnecting"), 10, "the loss")
    during = client_beats()
    await wait_for(lambda: client_beats() >= during + 40, 20, "client beats during the loss")
    before_return = therapist_beats()
    start_strap(name=THERAPIST_STRAP, adapter=SPARE_ADAPTER, first_seq=9000)
    await wait_for(lambda: therapist_beats() >= before_return + 50, 20, "therapist beats again")
    session.request_stop()
    assert await asyncio.wait_for(task, 15) == out
    client_strap.kill(wait_gone=False)

    recorded = read_session(out)
    therapist = recorded.therapist_beats
    assert therapist is not None
    (gap,) = [e for e in recorded.therapist_events if e.kind == EventKind.GAP]
    assert gap.end_s is not None
    assert np.count_nonzero(therapist.t_s <= gap.t_s) >= 40
    assert np.count_nonzero(therapist.t_s >= gap.end_s) >= 30
    # The client's strap went on: no gap of its own, beats all through the therapist's.
    assert not [e for e in recorded.events if e.kind == EventKind.GAP]
    inside = (recorded.beats.t_s > gap.t_s) & (recorded.beats.t_s < gap.end_s)
    assert np.count_nonzero(inside) >= 20
    # Nothing lost between either radio and the file: each strap's stored notifications,
    # re-parsed, are exactly that strap's stored beats.
    with sqlite3.connect(out) as connection:
        raws = [r[0] for r in connection.execute("SELECT raw FROM therapist_packets ORDER BY seq")]
    parsed = [parse_heart_rate_measurement(raw, 0.0) for raw in raws]
    np.testing.assert_array_equal(
        np.concatenate([p.rr_ms for p in parsed if p.rr_ms]), therapist.rr_ms
    )
    parsed = [parse_heart_rate_measurement(raw, 0.0) for raw in recorded.packets.raw]
    np.testing.assert_array_equal(
        np.concatenate([p.rr_ms for p in parsed if p.rr_ms]), recorded.beats.rr_ms
    )
    # Two different straps: their RR series differ.
    assert not np.array_equal(therapist.rr_ms[:20], recorded.beats.rr_ms[:20])
