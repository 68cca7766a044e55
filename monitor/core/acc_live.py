"""The chest accelerometer, live: breathing rate over a trailing window and movement now.

A thin streaming layer over :func:`monitor.core.acc_breathing.breathing_from_acc` (Bates et al.
2010) and :func:`monitor.core.movement.is_moving` (van Hees et al. 2013; Hildebrand et al. 2014):
it keeps the trailing ``BREATHING_WINDOW_S`` of samples, re-estimates the breathing rate every
``BREATHING_EVERY_S`` of signal (a breath lasts 3-15 s, so a faster update shows nothing new),
and asks at every chunk whether the newest ``movement.WINDOW_S`` show movement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.core.acc_breathing import AccBreathing, breathing_from_acc
from monitor.core.movement import is_moving

BREATHING_WINDOW_S = 60.0
BREATHING_EVERY_S = 5.0
GRAVITY_WINDOW_S = 10.0
"""Span whose median magnitude is taken as gravity for the movement check."""


@dataclass(frozen=True)
class AccState:
    """What the accelerometer says after one chunk.

    Attributes
    ----------
    t_s : float
        Time of the newest sample.
    moving : bool
        Movement in the newest two seconds.
    breathing : AccBreathing or None
        A fresh breathing estimate, when one was made with this chunk.
    """

    t_s: float
    moving: bool
    breathing: AccBreathing | None


class LiveAccMonitor:
    """Feed ACC chunks with :meth:`push`; get movement and, now and then, the breathing rate."""

    def __init__(self, sample_hz: float) -> None:
        self.sample_hz = float(sample_hz)
        self._max_n = int(BREATHING_WINDOW_S * sample_hz)
        self._t = np.empty(0)
        self._acc = np.empty((0, 3))
        self._next_estimate_s: float | None = None

    def push(self, t_s: np.ndarray, acc_mg: np.ndarray) -> AccState | None:
        """Add samples (s; (n, 3) mg); ``None`` for an empty chunk."""
        t = np.asarray(t_s, dtype=float)
        acc = np.asarray(acc_mg, dtype=float).reshape(-1, 3)
        if t.size == 0:
            return None
        self._t = np.concatenate((self._t, t))[-self._max_n :]
        self._acc = np.concatenate((self._acc, acc))[-self._max_n :]
        newest_s = float(self._t[-1])
        gravity_n = int(GRAVITY_WINDOW_S * self.sample_hz)
        moving = is_moving(self._acc[-gravity_n:], self.sample_hz)
        breathing = None
        if self._next_estimate_s is None:
            self._next_estimate_s = newest_s + BREATHING_EVERY_S
        elif newest_s >= self._next_estimate_s:
            self._next_estimate_s = newest_s + BREATHING_EVERY_S
            breathing = breathing_from_acc(self._t, self._acc, self.sample_hz)
        return AccState(newest_s, moving, breathing)
