"""The dashboard's ECG strip as data: the latest seconds of the strap's ECG and its R peaks.

A Polar H10 with raw data on streams its ECG at 130 Hz (``EcgSamples`` in the updates'
``source_events``) and the engine's live detector reports the R peaks it finds
(``SessionUpdate.ecg_peaks_s``). The therapist judges the signal's quality from a few seconds of
trace with the detections marked on it, as a clinician reads a rhythm strip; nothing here judges
it. :class:`EcgRing` keeps a bounded ring of the newest samples (numpy, no growth over a session)
and :meth:`EcgRing.strip` gives what the view draws: times as seconds before the newest sample,
the samples in µV (NaN where the ECG broke off, so no line is drawn across a gap), and the
marks. No Qt.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from drivers.events import EcgSamples

ECG_STRIP_S = 5.0
"""Seconds of ECG the strip shows (the last ~5 s: four to eight beats at rest)."""

RING_S = 6.0
"""Seconds of samples kept: the strip's span and a little more."""

BREAK_SAMPLES = 1.5
"""A run starting later than this many sample periods after the last sample follows a gap."""

_PEAKS_KEPT = 32
"""R peaks kept: more than fit in :data:`RING_S` at any heart rate a strap reports."""


@dataclass(frozen=True)
class EcgStrip:
    """What the ECG strip draws.

    Attributes
    ----------
    x_s : numpy.ndarray
        Sample times as seconds before the newest sample (``-span_s`` … 0).
    ecg_uv : numpy.ndarray
        The samples in µV as the strap sent them; NaN marks a break (a gap in the ECG).
    peak_x_s : numpy.ndarray
        The detected R peaks in the strip, on the same axis as ``x_s``.
    peak_uv : numpy.ndarray
        The ECG at each R peak (linear between the two samples around it), where the mark goes.
    end_s : float
        Session time of the newest sample.
    span_s : float
        The strip's width in seconds.
    """

    x_s: np.ndarray
    ecg_uv: np.ndarray
    peak_x_s: np.ndarray
    peak_uv: np.ndarray
    end_s: float
    span_s: float


class EcgRing:
    """The newest :data:`RING_S` seconds of ECG and the R peaks detected in them.

    Feed each ``EcgSamples`` run (in session time, as the engine's updates carry them) to
    :meth:`push` and each update's ``ecg_peaks_s`` to :meth:`push_peaks`. A change of rate
    starts afresh; a run that starts before the newest sample (the strap's clock set back after a
    reconnection) too.
    """

    def __init__(self, keep_s: float = RING_S) -> None:
        self.keep_s = keep_s
        self.sample_hz: float | None = None
        self.revision = 0
        """Grows with every change, so the view redraws only when there is something new."""
        self._t_s = np.empty(0)
        self._uv = np.empty(0)
        self._next = 0  # where the next sample goes
        self._count = 0
        self._peaks_s: deque[float] = deque(maxlen=_PEAKS_KEPT)

    def __len__(self) -> int:
        return self._count

    @property
    def end_s(self) -> float | None:
        """Session time of the newest sample (None before the first)."""
        return float(self._t_s[self._next - 1]) if self._count else None

    def push(self, samples: EcgSamples) -> None:
        """Add one run of samples (times in session time)."""
        n = len(samples.ecg_uv)
        if n == 0:
            return
        hz = float(samples.sample_hz)
        end_s = self.end_s
        if hz != self.sample_hz or (end_s is not None and samples.start_s <= end_s):
            self._start(hz)
            end_s = None
        t_s = samples.start_s + np.arange(n) / hz
        uv = np.asarray(samples.ecg_uv, dtype=float)
        if end_s is not None and samples.start_s - end_s > BREAK_SAMPLES / hz:
            # One NaN sample just after the last: the line stops there (drawn "finite").
            t_s = np.concatenate(([end_s + 1.0 / hz], t_s))
            uv = np.concatenate(([math.nan], uv))
        self._write(t_s, uv)
        self.revision += 1

    def push_peaks(self, peaks_s: Iterable[float]) -> None:
        """Add R peaks the detector found (session time)."""
        added = False
        for peak_s in peaks_s:
            self._peaks_s.append(float(peak_s))
            added = True
        if added:
            self.revision += 1

    def strip(self, span_s: float = ECG_STRIP_S) -> EcgStrip | None:
        """The last ``span_s`` seconds up to the newest sample (None before any ECG)."""
        end_s = self.end_s
        if end_s is None:
            return None
        t_s, uv = self._ordered()
        keep = t_s >= end_s - span_s
        t_s, uv = t_s[keep], uv[keep]
        peaks = np.asarray(self._peaks_s, dtype=float)
        peaks = peaks[(peaks >= t_s[0]) & (peaks <= end_s)]
        finite = np.isfinite(uv)
        peak_uv = (
            np.interp(peaks, t_s[finite], uv[finite]) if finite.any() else np.full_like(peaks, 0.0)
        )
        return EcgStrip(t_s - end_s, uv, peaks - end_s, peak_uv, end_s, span_s)

    # -- the ring -------------------------------------------------------------------------------

    def _start(self, sample_hz: float) -> None:
        self.sample_hz = sample_hz
        # +1 for a break sample, so a full span of samples always fits after a gap.
        capacity = math.ceil(self.keep_s * sample_hz) + 1
        self._t_s = np.full(capacity, math.nan)
        self._uv = np.full(capacity, math.nan)
        self._next = 0
        self._count = 0
        self._peaks_s.clear()

    def _write(self, t_s: np.ndarray, uv: np.ndarray) -> None:
        capacity = self._t_s.size
        if t_s.size > capacity:
            t_s, uv = t_s[-capacity:], uv[-capacity:]
        n = t_s.size
        first = min(n, capacity - self._next)
        self._t_s[self._next : self._next + first] = t_s[:first]
        self._uv[self._next : self._next + first] = uv[:first]
        self._t_s[: n - first] = t_s[first:]
        self._uv[: n - first] = uv[first:]
        self._next = (self._next + n) % capacity
        self._count = min(self._count + n, capacity)

    def _ordered(self) -> tuple[np.ndarray, np.ndarray]:
        """The kept samples, oldest first."""
        if self._count < self._t_s.size:
            return self._t_s[: self._count], self._uv[: self._count]
        order = np.r_[self._next : self._t_s.size, 0 : self._next]
        return self._t_s[order], self._uv[order]
