"""One line at a time on stderr, from any thread.

A headless recording writes to stderr from two threads: its status lines (the session's loop)
and the answers to marks typed on stdin (the reader thread). ``print`` writes the text and its
line end in two calls, so the other thread's line can land between them and two messages run
together on one line. Every line here is written whole, under one lock.
"""

from __future__ import annotations

import sys
import threading

_lock = threading.Lock()


def say(text: str) -> None:
    """Write ``text`` and a line end to the current ``sys.stderr`` in one write, and flush."""
    with _lock:
        stream = sys.stderr
        stream.write(text + "\n")
        stream.flush()
