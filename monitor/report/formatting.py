"""How the reports write times, durations and numbers.

:func:`clock` is :func:`monitor.core.clock_format.clock_text`, the one formatter the dashboard and
the replay use too (truncated to the whole second).
"""

from __future__ import annotations

import datetime as dt
import math

from monitor.core.clock_format import DASH
from monitor.core.clock_format import clock_text as clock


def duration(duration_s: float | None) -> str:
    """A duration in the same ``m:ss`` form, and by the same truncation, as :func:`clock`."""
    return clock(duration_s)


def number(value: float | None, digits: int = 0, unit: str = "") -> str:
    """``value`` with ``digits`` decimals and an optional unit; ``—`` for None/NaN."""
    if value is None or not math.isfinite(value):
        return DASH
    text = f"{value:.{digits}f}".replace("-", "−")
    return f"{text} {unit}" if unit else text


def percent(part: float, whole: float) -> str:
    """``part`` as a whole-number percentage of ``whole``; ``—`` when ``whole`` is 0."""
    if not whole or not math.isfinite(whole):
        return DASH
    return f"{100.0 * part / whole:.0f} %"


def local_datetime(value: dt.datetime | None) -> str:
    """A UTC time in the local time zone with its offset, e.g. ``2025-01-15 10:00 (UTC+01:00)``."""
    if value is None:
        return "unknown"
    local = value.astimezone()
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset})"


def local_date(value: dt.datetime | None) -> str:
    """The local date only, e.g. ``2025-01-15``; ``unknown`` for None."""
    return "unknown" if value is None else f"{value.astimezone():%Y-%m-%d}"


def sd(value: float) -> str:
    """A setting in baseline SDs (or seconds) as briefly as it was given, with a true minus."""
    return f"{value:g}".replace("-", "−")
