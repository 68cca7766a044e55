"""An LSL RR stream from another program drives a full session (real pylsl outlet and inlet on
this machine, real session files).

The reference is a second session recorded from the same beats directly (packets built from the
same RR values and beat times, no network): both files must hold the same beats, classes and
beat times (relative to the first beat). The RR values are real (tests/data/real_rri.txt).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pylsl

from drivers.events import ConnectionState, HeartRatePacket, SourceEvent, StateChanged
from drivers.hrs import quantize_rr_ms, rr_packet
from drivers.lsl_inlet import LslInletSource
from monitor.recording.reader import read_session
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions, LiveSession

DATA = Path(__file__).resolve().parent.parent / "data"
BEATS = 300


class Packets:
    """The same beats handed to the session directly."""

    def __init__(self, packets: list[HeartRatePacket]) -> None:
        self.packets = packets

    async def events(self) -> AsyncIterator[SourceEvent]:
        for packet in self.packets:
            yield packet
        yield StateChanged(self.packets[-1].arrival_s, ConnectionState.STOPPED, "done")

    async def stop(self) -> None:
        return None


class SendsOnceConnected(LslInletSource):
    """The inlet source, and a sender that pushes the beats once the inlet is connected."""

    def __init__(
        self, name: str, outlet: pylsl.StreamOutlet, rr_ms: np.ndarray, stamps_s: np.ndarray
    ) -> None:
        super().__init__(name)
        self.outlet, self.rr_ms, self.stamps_s = outlet, rr_ms, stamps_s

    async def events(self) -> AsyncIterator[SourceEvent]:
        async for event in super().events():
            if isinstance(event, StateChanged) and event.state is ConnectionState.CONNECTED:
                for rr, stamp in zip(self.rr_ms, self.stamps_s, strict=True):
                    self.outlet.push_sample([rr], stamp)
            yield event


def test_an_lsl_rr_stream_drives_a_session_equal_to_one_from_the_same_beats(tmp_path: Path) -> None:
    rr_ms = np.loadtxt(DATA / "real_rri.txt")[:BEATS].astype(float)
    name = f"SMIn-{uuid.uuid4().hex[:10]}"
    info = pylsl.StreamInfo(name, "RR", 1, pylsl.IRREGULAR_RATE, pylsl.cf_double64, name)
    outlet = pylsl.StreamOutlet(info)
    start_s = pylsl.local_clock()  # the sender stamps its beats from now on
    stamps_s = start_s + np.cumsum(rr_ms) / 1000.0
    source = SendsOnceConnected(name, outlet, rr_ms, stamps_s)
    seen = []

    def on_update(update: SessionUpdate) -> None:
        if update.raw_beat is not None:
            seen.append(update.raw_beat)
            if len(seen) == BEATS:
                session.request_stop()

    options = LiveOptions(device=f"lsl:{name}", out=tmp_path / "lsl.sqlite", client_code="T017")
    session = LiveSession(options, on_update=on_update, source=source)
    lsl_path = asyncio.run(session.run())

    direct = [rr_packet(rr, float(t)) for rr, t in zip(rr_ms, stamps_s, strict=True)]
    options = LiveOptions(device="direct", out=tmp_path / "direct.sqlite", client_code="T017")
    direct_path = asyncio.run(LiveSession(options, source=Packets(direct)).run())  # type: ignore[arg-type]

    via_lsl, straight = read_session(lsl_path).beats, read_session(direct_path).beats
    assert len(via_lsl.rr_ms) == BEATS
    np.testing.assert_array_equal(via_lsl.rr_ms, straight.rr_ms)
    # The strap unit (1/1024 s) the inlet stores its notifications in.
    np.testing.assert_array_equal(via_lsl.rr_ms, [quantize_rr_ms(rr) for rr in rr_ms])
    assert np.max(np.abs(via_lsl.rr_ms - rr_ms)) < 0.5
    np.testing.assert_array_equal(via_lsl.beat_class, straight.beat_class)
    np.testing.assert_allclose(
        via_lsl.t_s - via_lsl.t_s[0], straight.t_s - straight.t_s[0], rtol=0, atol=1e-6
    )
    del outlet


def test_record_from_a_stream_nobody_sends_says_so_in_one_line_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    out = tmp_path / "none.sqlite"
    name = f"SMNone-{uuid.uuid4().hex[:10]}"
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "record", "--lsl-inlet", name, "--headless",
         "--duration", "5", "--out", str(out)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert errors == [f"session-monitor record: error: no LSL stream named '{name}' found"]
    assert "Traceback" not in result.stderr
    assert not out.exists()
