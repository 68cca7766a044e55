"""Every source is an :class:`~drivers.source.EventSource`, and the one pump drives any of them:
it hands over every item in order and stops the source once asked, keeping its last items.

Real parts: the simulator's async source at full speed, a replay of the shipped example session
and the BLE driver's class (constructed only: no radio is needed to check its shape).
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

from drivers.ble import BleHeartRateSource
from drivers.events import ConnectionState, SourceEvent, StateChanged
from drivers.simulator import SimulatedHeartRateSource
from drivers.source import EventSource
from monitor.recording.reader import replay_source
from monitor.session.pump import pump

EXAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "example_simulated_session.sqlite"


def test_the_strap_the_simulator_and_replay_are_event_sources() -> None:
    sources = [
        BleHeartRateSource("AA:BB:CC:DD:EE:FF", adapter="hci0"),
        SimulatedHeartRateSource(seed=1, speed=math.inf, duration_s=30.0),
        replay_source(EXAMPLE, speed=math.inf),
    ]
    assert all(isinstance(source, EventSource) for source in sources)
    assert not isinstance(object(), EventSource)


def test_the_pump_gives_every_item_in_order_and_stops_when_asked() -> None:
    everything: list[SourceEvent] = []
    asyncio.run(
        pump(SimulatedHeartRateSource(seed=2, speed=math.inf, duration_s=120.0), everything.append)
    )
    times = [item.arrival_s for item in everything]
    assert times == sorted(times) and len(everything) > 100

    got: list[SourceEvent] = []
    source = SimulatedHeartRateSource(seed=2, speed=math.inf, duration_s=120.0)
    asyncio.run(pump(source, got.append, should_stop=lambda: len(got) >= 20))
    assert 20 <= len(got) < len(everything)
    last = got[-1]
    assert isinstance(last, StateChanged) and last.state is ConnectionState.STOPPED
