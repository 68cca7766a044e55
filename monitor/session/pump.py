"""The one pump: a source's events through the session engine, recorded, to the views.

:func:`pump` is the only loop that iterates a source (:class:`drivers.source.EventSource`): the
live session (strap or simulator), replay and ``stream`` drive their source with it, so stopping,
the order of updates and recording work the same for every source.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import TypeVar

from drivers.source import EventSource
from monitor.recording.recorder import SessionRecorder
from monitor.session.engine import SessionUpdate

ItemT = TypeVar("ItemT")


async def pump(
    source: EventSource[ItemT],
    on_item: Callable[[ItemT], None],
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Give every item of ``source`` to ``on_item`` until the source ends.

    Parameters
    ----------
    source : EventSource
    on_item : callable
        Called with each item, in the loop's thread.
    should_stop : callable, optional
        Asked after each item; once it says so, the source is asked to stop (once) and the
        items it still yields (its last ``StateChanged`` stopped) are given too.
    """
    stopping: asyncio.Task[None] | None = None
    async for item in source.events():
        on_item(item)
        if stopping is None and should_stop():
            stopping = asyncio.get_running_loop().create_task(source.stop())
    if stopping is not None:
        await stopping


def recorded(update: SessionUpdate, recorder: SessionRecorder | None) -> SessionUpdate:
    """Record ``update`` (when recording); the update as the views get it, saying once the
    recording has failed that it has (:attr:`SessionUpdate.recording_error`)."""
    if recorder is None:
        return update
    recorder.record(update)
    if recorder.error is None:
        return update
    return dataclasses.replace(update, recording_error=recorder.error)
