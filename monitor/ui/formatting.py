"""Small text helpers shared by the widgets (times, optional numbers).

Clock times come from :func:`monitor.core.clock_format.clock_text`, the one formatter the reports
use too.
"""

from __future__ import annotations

import math

from monitor.core.clock_format import clock_text

__all__ = ["clock_text", "number_text"]


def number_text(value: float | None, unit: str = "", digits: int = 0) -> str:
    """``value`` with its unit, or ``—`` when it is missing or NaN."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}{unit}"
