"""The one way every output writes a session time or a duration as a clock: ``m:ss``, or
``h:mm:ss`` from an hour on.

Every time the program shows counts seconds from the session start the file records (``t_s`` in
the session file, the events CSV, ``analyze --json``); this module turns such a number into the
text the dashboard, the replay, the reports and the command-line messages show, so that one
moment reads the same everywhere.

Rounding rule: **truncate** to the whole second (toward zero), as a stopwatch does. The
dashboard's running clock shows 7:20 for the whole of the second from 440 s to 441 s, so an alert
that starts at 440.98 s starts at "7:20" on screen, and the report and the replay must say the
same. Durations follow the same rule (a 59.6-s recovery is "0:59"). A negative time (a reading
from before the session start) gets a true minus sign, but only when it is at least one whole
second before the start (−0.4 s reads "0:00").
"""

from __future__ import annotations

import math

DASH = "—"
"""What an unknown time (None, NaN, ±inf) shows."""


def whole_seconds(t_s: float) -> int:
    """The whole seconds of a finite time, truncated toward zero (the rule above)."""
    return int(t_s)


def clock_text(t_s: float | None) -> str:
    """A session time or a duration as ``m:ss`` (``h:mm:ss`` from an hour on); ``—`` if unknown.

    Parameters
    ----------
    t_s : float or None
        Seconds from the session start (or a duration in seconds).

    Returns
    -------
    str
        Truncated to the whole second (see the module docstring).

    Examples
    --------
    >>> clock_text(440.98)
    '7:20'
    >>> clock_text(3725.0)
    '1:02:05'
    >>> clock_text(-2.01)
    '−0:02'
    >>> clock_text(None)
    '—'
    """
    if t_s is None or not math.isfinite(t_s):
        return DASH
    total_s = whole_seconds(t_s)
    sign = "−" if total_s < 0 else ""
    hours, rest_s = divmod(abs(total_s), 3600)
    minutes, seconds = divmod(rest_s, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"
    return f"{sign}{minutes}:{seconds:02d}"
