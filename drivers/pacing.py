"""The one pacing clock: recorded (or simulated) time as a function of wall time.

The simulator's async source and replay both emit items stamped with their own time and must
deliver each when its time comes at the chosen speed; :class:`PacingClock` says what time it is
"on the recording" and how long to wait for an item. Replay also pauses, changes speed and
jumps (seek); the simulator only runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable


def check_speed(speed: float) -> None:
    """Raise ``ValueError`` unless ``speed`` is positive (``math.inf``: as fast as possible)."""
    if not speed > 0:
        raise ValueError(f"speed must be positive (math.inf for as fast as possible), got {speed}")


class PacingClock:
    """Media time (s) that runs at ``speed`` times wall time, can pause and can jump.

    Parameters
    ----------
    wall : callable
        A monotonic wall clock in seconds (``time.monotonic``; tests may pass their own).
    speed : float
        Media seconds per wall second; ``math.inf`` for as fast as possible, where media time
        stands still at the last jump and nothing is ever waited for.
    """

    def __init__(self, wall: Callable[[], float], speed: float) -> None:
        check_speed(speed)
        self._wall = wall
        self.speed = speed
        self.paused = False
        self._anchor_media_s = 0.0
        self._anchor_wall_s = wall()

    def now(self) -> float:
        """Media time now."""
        if self.paused or math.isinf(self.speed):
            return self._anchor_media_s
        return self._anchor_media_s + (self._wall() - self._anchor_wall_s) * self.speed

    def wait_s(self, media_s: float) -> float:
        """Wall seconds until media time ``media_s`` comes (0 if it has; inf while paused)."""
        if math.isinf(self.speed):
            return 0.0
        if self.paused:
            return math.inf
        return max(0.0, (media_s - self.now()) / self.speed)

    def jump(self, media_s: float) -> None:
        """Media time is ``media_s`` from now on."""
        self._anchor_media_s, self._anchor_wall_s = media_s, self._wall()

    def set_speed(self, speed: float) -> None:
        check_speed(speed)
        self.jump(self.now())
        self.speed = speed

    def set_paused(self, paused: bool) -> None:
        self.jump(self.now())
        self.paused = paused
