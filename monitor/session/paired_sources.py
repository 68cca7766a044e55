"""Two straps in one session: the client's and the therapist's, as one source for the pump.

Co-regulation sessions (issue #18) record the therapist's own strap beside the client's. Each
strap stays its own source (:class:`drivers.source.EventSource`) with its own connection,
reconnection and gaps; :class:`PairedSources` runs both at once and hands over each event
tagged with whose strap sent it, in the order they arrive, so the one pump
(:mod:`monitor.session.pump`) drives a co-regulation session like any other.

The therapist's strap is looked for only once the client's is connected (or has ended): both
are found by scanning on the one adapter, and two scans at once on one BlueZ adapter share
one discovery session, which the first to finish stops under the other (measured on the mock
BlueZ test bed: the second strap was not found in 1 of 7 runs when both looked at once).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from enum import StrEnum

from drivers.events import ConnectionState, SourceEvent, StateChanged
from drivers.source import EventSource


class Wearer(StrEnum):
    """Whose strap an event came from."""

    CLIENT = "client"
    THERAPIST = "therapist"


class PairedSources:
    """The client's and the therapist's sources as one :class:`~drivers.source.EventSource`.

    Parameters
    ----------
    client, therapist : EventSource
        Each strap's own source; one ending (or failing to connect) does not end the other.
    """

    def __init__(
        self, client: EventSource[SourceEvent], therapist: EventSource[SourceEvent]
    ) -> None:
        self.sources = {Wearer.CLIENT: client, Wearer.THERAPIST: therapist}
        self._stopping = False

    async def events(self) -> AsyncIterator[tuple[Wearer, SourceEvent]]:
        """Both sources' events, tagged, as they come; ends when both have ended.

        Raises
        ------
        Exception
            What either source raised, once the other has been stopped.
        """
        queue: asyncio.Queue[tuple[Wearer, SourceEvent] | Wearer] = asyncio.Queue()
        client_settled = asyncio.Event()  # connected, or ended

        async def drain(wearer: Wearer, source: EventSource[SourceEvent]) -> None:
            try:
                if wearer is Wearer.THERAPIST:
                    await client_settled.wait()
                    if self._stopping:
                        return
                async for event in source.events():
                    if isinstance(event, StateChanged) and event.state is ConnectionState.CONNECTED:
                        client_settled.set()
                    await queue.put((wearer, event))
            finally:
                client_settled.set()
                await queue.put(wearer)  # this source has ended

        tasks = [asyncio.create_task(drain(w, s)) for w, s in self.sources.items()]
        running = len(tasks)
        try:
            while running:
                item = await queue.get()
                if isinstance(item, Wearer):
                    running -= 1
                    failed = [t for t in tasks if t.done() and t.exception() is not None]
                    if failed:
                        await self.stop()
                        raise failed[0].exception()  # type: ignore[misc]
                    continue
                yield item
        finally:
            for task in tasks:
                if not task.done():
                    task.cancel()

    async def stop(self) -> None:
        """Ask both sources to stop; each ends with its own last (stopped) event (a strap not
        looked for yet is not started)."""
        self._stopping = True
        await asyncio.gather(*(source.stop() for source in self.sources.values()))
