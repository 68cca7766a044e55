"""A real strap on a real adapter (skipped unless SESSION_MONITOR_HARDWARE=1).

Optional: SESSION_MONITOR_STRAP (name or address; the strongest strap by default) and
SESSION_MONITOR_ADAPTER (e.g. hci0). Wear the strap: it only sends RR while on the skin.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from drivers.ble import BleHeartRateSource, scan_straps
from drivers.events import ConnectionState, HeartRatePacket, StateChanged

pytestmark = pytest.mark.hardware


async def test_a_real_strap_is_found_and_streams() -> None:
    adapter = os.environ.get("SESSION_MONITOR_ADAPTER")
    straps = await scan_straps(adapter, timeout_s=10)
    assert straps, "no heart-rate strap in range"
    device = os.environ.get("SESSION_MONITOR_STRAP") or straps[0].address
    source = BleHeartRateSource(device, adapter=adapter)
    events = []

    async def consume() -> None:
        async for event in source.events():
            events.append(event)
            if sum(isinstance(e, HeartRatePacket) for e in events) >= 10:
                await source.stop()

    await asyncio.wait_for(consume(), 60)
    packets = [e for e in events if isinstance(e, HeartRatePacket)]
    assert len(packets) >= 10
    assert all(250 < rr < 2500 for p in packets for rr in p.rr_ms)
    assert isinstance(events[-1], StateChanged) and events[-1].state is ConnectionState.STOPPED
