"""Stopping a worker thread that runs an asyncio loop (the live session's, replay's)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def stop_and_join(
    thread: threading.Thread | None, stop: Callable[[], None], timeout_s: float
) -> bool:
    """Ask a worker thread to stop until it has ended or ``timeout_s`` passed; True if it ended.

    The request is repeated because the thread's event loop may not be running yet when it is
    first asked.
    """
    if thread is None:
        return True
    deadline_s = time.monotonic() + timeout_s
    while thread.is_alive() and time.monotonic() < deadline_s:
        stop()
        thread.join(0.05)
    return not thread.is_alive()
