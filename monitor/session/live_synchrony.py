"""Synchrony while the session runs: the trailing minutes, recomputed at each new 15-s bin.

The measure is the batch one (:func:`monitor.core.co_regulation.span_synchrony`, surrogate
synchrony of the two 10-s heart rates) over the last :data:`TRAILING_S`: twenty 15-s segments,
enough for the surrogate test (it needs :data:`~monitor.core.synchrony.MIN_SEGMENTS`) and short
enough to follow the phases of a session (Tschacher & Meier 2020, Psychother Res 30:558, compute
synchrony per session stretch for the same reason). It is recomputed once per new bin
(:data:`~monitor.core.synchrony.SEGMENT_S`), since a bin is the smallest unit it changes by.
"""

from __future__ import annotations

from collections import deque

from monitor.core.co_regulation import SpanSynchrony, span_synchrony
from monitor.core.synchrony import SEGMENT_S
from monitor.session.paired_sources import Wearer

TRAILING_S = 300.0
"""The stretch live synchrony looks back over."""


class LiveSynchrony:
    """The two straps' 10-s heart rates as they come; the latest trailing synchrony."""

    def __init__(self) -> None:
        self._beats: dict[Wearer, deque[tuple[float, float]]] = {w: deque() for w in Wearer}
        self._next_bin_s: float | None = None
        self.latest: SpanSynchrony | None = None
        """The newest result (``None`` until the first bin is due)."""

    def add(self, wearer: Wearer, t_s: float, hr_bpm: float) -> SpanSynchrony | None:
        """One NN beat of either strap; the new synchrony when a bin has just completed."""
        beats = self._beats[wearer]
        beats.append((t_s, hr_bpm))
        while beats and beats[0][0] < t_s - TRAILING_S - SEGMENT_S:
            beats.popleft()
        if self._next_bin_s is None:
            self._next_bin_s = t_s + SEGMENT_S
        if wearer is not Wearer.CLIENT or t_s < self._next_bin_s:
            return None
        self._next_bin_s += SEGMENT_S * (int((t_s - self._next_bin_s) // SEGMENT_S) + 1)
        client, therapist = self._beats[Wearer.CLIENT], self._beats[Wearer.THERAPIST]
        if not therapist:
            return None
        span = {"trailing": (t_s - TRAILING_S, t_s)}
        self.latest = span_synchrony(
            [b[0] for b in client],
            [b[1] for b in client],
            [b[0] for b in therapist],
            [b[1] for b in therapist],
            span,
        )["trailing"]
        return self.latest
