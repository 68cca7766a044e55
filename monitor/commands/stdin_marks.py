"""Marks for a headless recording, typed or piped into its standard input, one line each.

``session-monitor record --headless`` reads its standard input while it records, so a
researcher without a display (or a script driving an experiment) can mark what the dashboard's
keys mark. One line per mark, entered at the moment it happens:

=====================  ==========================================================
``phase NAME``         a protocol phase starts: baseline, preparation, imagery,
                       rescripting, grounding, calm place or debrief
``suds N``             a SUDS rating, a whole number 0 to 10
``note TEXT``          a free-text note (no client names: the file is pseudonymous)
``g``                  grounding started (as ``phase grounding``)
``r``                  resume: back to the phase marked before ``g``
``end``                end the recording cleanly, as Ctrl-C does
=====================  ==========================================================

Command words are case-insensitive; empty lines and lines starting with ``#`` are skipped.
Each mark is timed when its line arrives. A line that is not one of these gets one line on
stderr and is ignored: a typing slip never ends or spoils a recording. The end of the input
(a closed pipe, Ctrl-D) ends only the reading, never the recording.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from monitor import stderr_lines
from monitor.core.protocol import Phase, is_phase
from monitor.session.engine import DEFAULT_PHASES

if TYPE_CHECKING:
    from monitor.session.engine import SessionEngine, SessionUpdate
    from monitor.session.live import LiveSession

USAGE = "phase NAME, suds 0-10, note TEXT, g (grounding), r (resume) or end"


@dataclass(frozen=True)
class Mark:
    """One parsed line: ``kind`` is phase, suds, note, grounding, resume or end."""

    kind: str
    text: str = ""
    rating: int | None = None


class BadLine(ValueError):
    """A line that is not a mark; its message says why, in a few words."""


def parse_line(line: str) -> Mark | None:
    """The mark a line asks for, or ``None`` for an empty line or a ``#`` comment.

    Raises
    ------
    BadLine
        The line is not one of the marks (see the module docstring).
    """
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    word, _, rest = text.partition(" ")
    word, rest = word.lower(), rest.strip()
    if word in ("g", "grounding") and not rest:
        return Mark("grounding")
    if word in ("r", "resume") and not rest:
        return Mark("resume")
    if word == "end" and not rest:
        return Mark("end")
    if word == "phase":
        name = " ".join(rest.lower().split())
        if name not in DEFAULT_PHASES:
            raise BadLine(f"unknown phase {rest!r}; the phases are {', '.join(DEFAULT_PHASES)}")
        return Mark("grounding") if is_phase(name, Phase.GROUNDING) else Mark("phase", name)
    if word == "suds":
        if not (rest.isdigit() and 0 <= int(rest) <= 10):
            raise BadLine(f"SUDS must be a whole number 0 to 10, not {rest!r}")
        return Mark("suds", rating=int(rest))
    if word == "note":
        if not rest:
            raise BadLine("a note needs its text: note TEXT")
        return Mark("note", rest)
    raise BadLine(f"not a mark; use {USAGE}")


class StdinMarks:
    """Reads marks from a stream on a thread of its own and hands them to a live session.

    Parameters
    ----------
    session : LiveSession
        The running session (its :meth:`~LiveSession.call` is thread-safe).
    stream : text stream
        Standard input by default.
    say : callable
        Where the one-line answers go (stderr by default).
    """

    def __init__(
        self,
        session: LiveSession,
        stream: IO[str] | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.session = session
        self.stream = stream if stream is not None else sys.stdin
        self.say = say or stderr_lines.say
        self._before_grounding: str | None = None
        self.thread = threading.Thread(target=self._read, name="stdin-marks", daemon=True)

    def start(self) -> None:
        """Start reading (the thread ends with the input; it never holds the program open)."""
        self.thread.start()

    def _read(self) -> None:
        try:
            for number, line in enumerate(self.stream, start=1):
                self._take(number, line)
        except (OSError, ValueError):  # input closed under us, or not readable at all
            return

    def _take(self, number: int, line: str) -> None:
        try:
            mark = parse_line(line)
        except BadLine as error:
            self.say(f"session-monitor record: line {number} ignored ({line.strip()!r}): {error}")
            return
        if mark is None:
            return
        if mark.kind == "end":
            self.session.request_stop()
            return
        self._wait_for_engine()
        self.session.call(lambda engine, now_s: self._apply(mark, engine, now_s))

    def _wait_for_engine(self) -> None:
        # Lines may arrive before the session's loop runs; they are marked once it does.
        while self.session.engine is None:
            time.sleep(0.02)

    def _apply(self, mark: Mark, engine: SessionEngine, now_s: float) -> list[SessionUpdate]:
        """Runs in the session's loop thread."""
        if mark.kind == "phase":
            return engine.add_phase(now_s, mark.text)
        if mark.kind == "grounding":
            if not engine.in_grounding:
                self._before_grounding = engine.current_phase
            return engine.mark_grounding(now_s)
        if mark.kind == "resume":
            target = self._before_grounding
            if not engine.in_grounding or target is None:
                self.say("session-monitor record: r ignored: nothing to resume (mark g first)")
                return []
            self._before_grounding = None
            return engine.add_phase(now_s, target)
        if mark.kind == "suds":
            assert mark.rating is not None
            self.say(f"[{now_s:7.1f} s] SUDS {mark.rating}")
            return engine.add_suds(now_s, mark.rating)
        self.say(f"[{now_s:7.1f} s] note recorded")
        return engine.add_note(now_s, mark.text)


def stdin_can_be_read(stream: IO[str] | None = None) -> bool | None:
    """Whether reading ``stream`` (stdin) is safe.

    Returns
    -------
    bool or None
        True for a pipe, a file or a terminal this process runs in the foreground of; False
        when there is no input at all; None for a terminal this process is in the background
        of, where a read would stop the whole recording (SIGTTIN).
    """
    stream = stream if stream is not None else sys.stdin
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return False
    if not os.isatty(descriptor) or not hasattr(os, "tcgetpgrp"):
        return True
    try:
        return True if os.tcgetpgrp(descriptor) == os.getpgrp() else None
    except OSError:
        return None
