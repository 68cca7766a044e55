"""What every source of heartbeats is: an async stream of events that can be asked to stop.

The BLE strap (:class:`drivers.ble.BleHeartRateSource`), the simulator
(:class:`drivers.simulator.SimulatedHeartRateSource`) and replay
(:class:`drivers.replay.ReplaySource`) implement it, and so does every future source (the H10's
ECG stream, lab streaming): the session pumps any of them the same way
(:func:`monitor.session.pump.pump`; docs/architecture.md, "Where a new source goes").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, TypeVar, runtime_checkable

from drivers.events import SourceEvent

ItemT_co = TypeVar("ItemT_co", covariant=True)


@runtime_checkable
class EventSource(Protocol[ItemT_co]):
    """An async stream of items (source events, or a replay's items) that can be stopped."""

    def events(self) -> AsyncIterator[ItemT_co]:
        """Yield items until the source ends or :meth:`stop` is awaited; the last item of a
        heart-rate source is ``StateChanged`` stopped."""
        ...

    async def stop(self) -> None:
        """End :meth:`events` soon and release the device; safe to call more than once."""
        ...


HeartRateSource = EventSource[SourceEvent]
"""A source of :data:`drivers.events.SourceEvent`: the strap, the simulator, a lab stream."""
