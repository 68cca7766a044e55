"""Synchrony while the session runs: the trailing minutes, recomputed at each new 15-s bin.

The measures are the batch ones (:mod:`monitor.core.co_regulation`) over trailing spans:

- heart rate over the last :data:`TRAILING_S`: twenty 15-s segments, enough for the surrogate
  test (it needs :data:`~monitor.core.synchrony.MIN_SEGMENTS`) and short enough to follow the
  phases of a session (Tschacher & Meier 2020, Psychother Res 30:558, compute synchrony per
  session stretch for the same reason);
- RMSSD over the last :data:`RMSSD_TRAILING_S`: vagal tone moves over minutes, so its bin
  series needs a longer look back to hold more than a few independent values (measured in
  ``bench/rmssd_synchrony.py``).

Both are recomputed once per new bin (:data:`~monitor.core.synchrony.SEGMENT_S`), since a bin
is the smallest unit they change by.
"""

from __future__ import annotations

import math
from collections import deque

from monitor.core.co_regulation import PersonBeats, SpanSynchrony, paired_span
from monitor.core.synchrony import SEGMENT_S
from monitor.session.paired_sources import Wearer

TRAILING_S = 300.0
"""The stretch live heart-rate synchrony looks back over."""
RMSSD_TRAILING_S = 600.0
"""The stretch live RMSSD synchrony looks back over."""


class LiveSynchrony:
    """The two straps' NN beats as they come; the latest trailing synchrony."""

    def __init__(self) -> None:
        self._beats: dict[Wearer, deque[tuple[float, float, float]]] = {w: deque() for w in Wearer}
        self._next_bin_s: float | None = None
        self.latest: SpanSynchrony | None = None
        """The newest result (``None`` until the first bin is due); its
        :attr:`~SpanSynchrony.rmssd` is the RMSSD synchrony over the longer span."""

    def add(
        self, wearer: Wearer, t_s: float, hr_bpm: float, nn_ms: float = math.nan
    ) -> SpanSynchrony | None:
        """One NN beat of either strap (its time, 10-s heart rate and NN interval); the new
        synchrony when a bin has just completed."""
        beats = self._beats[wearer]
        beats.append((t_s, hr_bpm, nn_ms))
        kept_s = max(TRAILING_S, RMSSD_TRAILING_S) + SEGMENT_S
        while beats and beats[0][0] < t_s - kept_s:
            beats.popleft()
        if self._next_bin_s is None:
            self._next_bin_s = t_s + SEGMENT_S
        if wearer is not Wearer.CLIENT or t_s < self._next_bin_s:
            return None
        self._next_bin_s += SEGMENT_S * (int((t_s - self._next_bin_s) // SEGMENT_S) + 1)
        if not self._beats[Wearer.THERAPIST]:
            return None
        client = PersonBeats.of(*zip(*self._beats[Wearer.CLIENT], strict=True))
        therapist = PersonBeats.of(*zip(*self._beats[Wearer.THERAPIST], strict=True))
        self.latest = paired_span(
            client, therapist, t_s - TRAILING_S, t_s, rmssd_start_s=t_s - RMSSD_TRAILING_S
        )
        return self.latest
