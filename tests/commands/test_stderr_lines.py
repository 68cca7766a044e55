"""Lines written to stderr from two threads never run together (a fresh-clone run once saw
"[    0.0 s] connection: connectedsession-monitor record: line 3 ignored ..." in the headless
record's stderr: its status line and a stdin-mark answer, each half written by ``print``)."""

from __future__ import annotations

import threading
import time

import pytest

from monitor import stderr_lines


class SlowStream:
    """A stream that yields to other threads inside every write, as a loaded machine does."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        time.sleep(0.0001)
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        time.sleep(0.0001)


def test_lines_from_two_threads_stay_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = SlowStream()
    monkeypatch.setattr("sys.stderr", stream)

    def write_lines(name: str) -> None:
        for index in range(200):
            stderr_lines.say(f"{name} line {index}")

    threads = [threading.Thread(target=write_lines, args=(n,)) for n in ("status", "mark")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = "".join(stream.parts).splitlines()
    expected = {f"{n} line {i}" for n in ("status", "mark") for i in range(200)}
    assert len(lines) == 400 and set(lines) == expected
