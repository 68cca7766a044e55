"""Small text helpers shared by the widgets (times, optional numbers)."""

from __future__ import annotations

import math


def clock_text(t_s: float) -> str:
    """Session time as ``m:ss`` (under an hour) or ``h:mm:ss``; ``—`` when unknown."""
    if not math.isfinite(t_s):
        return "—"
    sign = "−" if t_s < 0 else ""
    total_s = int(abs(t_s))
    hours, rest = divmod(total_s, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"
    return f"{sign}{minutes}:{seconds:02d}"


def number_text(value: float | None, unit: str = "", digits: int = 0) -> str:
    """``value`` with its unit, or ``—`` when it is missing or NaN."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}{unit}"
