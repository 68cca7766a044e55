"""The breathing pacer: where in the breath the client should be, as a pure function of time.

Timing
------
The pacer's position is the number of breaths since it started, a *closed-form* function of the
monotonic clock: ``breaths(t) = b0 + (t − t0) · rate / 60`` within a :class:`PacerSegment` that
began at ``t0`` with ``b0`` breaths done. Nothing is added up frame by frame, so neither a late or
dropped frame nor minutes of running can make it drift: each frame reads the clock and asks
where the breath is (:meth:`PacerTimeline.state_at`). A pacer that instead advanced its phase by
``rate · nominal frame time`` per frame would fall behind by every late frame; the test suite
shows the difference over 10 minutes of jittery frames.

Changing the rate or the in:out ratio
-------------------------------------
A change never takes effect mid-breath. :meth:`PacerTimeline.with_settings` computes exactly when
the current breath ends (the next whole number of breaths, ``k``) and starts a new segment
there with ``b0 = k``. At that moment the old and the new segment give the same breath count, so
the position is continuous, and every breath starts with the shape at its smallest with zero
speed (the easing below), so the *shape* is continuous and smooth across the change too, whatever
the new rate and ratio. The client finishes the breath they are in and the next one follows the
new timing; at 4.5/min that is at most one 13-s breath of delay. A second change before the
first took effect replaces it.

The in-breath and the out-breath
--------------------------------
Each breath is an in-breath of ``inhale_fraction`` of the period and an out-breath of the rest.
The default is 4 : 6 (inhale 40 %, at 6/min 4 s in and 6 s out). A longer out-breath than
in-breath was rated more relaxing at 6 breaths/min, with more respiratory sinus arrhythmia, than
the reverse (inhalation/exhalation ratio 0.42 vs 2.33; Van Diest et al. 2014, Appl Psychophysiol
Biofeedback 39:171). 4 : 6 (ratio 0.67) is the compromise taken here: the out-breath stays
clearly longer, and the in-breath stays 4 s at 6/min, where 3 : 7 would leave 3 s, which can feel
rushed to an anxious client at the start of a session (a design judgement, not a finding). The
therapist can set anything from 3 : 7 to 5 : 5.

Size easing
-----------
The guide's size goes 0 → 1 over the in-breath and 1 → 0 over the out-breath along a half
cosine, ``(1 − cos πu) / 2``: its speed is zero at both turns, as airflow is when breathing turns
from in to out, and largest mid-breath, so the shape moves like lung volume in calm breathing
(close to sinusoidal) rather than like a metronome. Value and speed are continuous everywhere.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_RATE_PER_MIN = 6.0
"""Resonance breathing for most adults (Lehrer & Gevirtz 2014, Front Psychol 5:756)."""
DEFAULT_INHALE_FRACTION = 0.4
"""In:out 4:6 (see the module notes)."""
THERAPIST_RATE_RANGE_PER_MIN = (4.5, 7.0)
"""Rates the therapist's controls offer: the adult resonance range (Lehrer, Vaschillo &
Vaschillo 2000) and a little faster for clients who find 6/min hard at first."""
RATE_LIMITS_PER_MIN = (2.0, 30.0)
"""What the pacer accepts at all."""
INHALE_FRACTION_LIMITS = (0.2, 0.6)
CUE_FADE_FRACTION = 0.18
"""Share of each in- or out-breath over which a cue word fades in (and out again)."""


def inhale_fraction_from_ratio(inhale: float, exhale: float) -> float:
    """The in-breath share of a breath from an in:out ratio, e.g. ``(4, 6) → 0.4``."""
    if not (inhale > 0 and exhale > 0):
        raise ValueError(f"in:out parts must be positive, got {inhale}:{exhale}")
    return inhale / (inhale + exhale)


def clamp_rate_per_min(rate_per_min: float) -> float:
    """A rate limited to :data:`THERAPIST_RATE_RANGE_PER_MIN`."""
    low, high = THERAPIST_RATE_RANGE_PER_MIN
    return min(max(float(rate_per_min), low), high)


def _check(rate_per_min: float, inhale_fraction: float) -> None:
    low, high = RATE_LIMITS_PER_MIN
    if not low <= rate_per_min <= high:
        raise ValueError(f"pacer rate must be within {low}-{high} breaths/min, got {rate_per_min}")
    low, high = INHALE_FRACTION_LIMITS
    if not low <= inhale_fraction <= high:
        raise ValueError(f"inhale fraction must be within {low}-{high}, got {inhale_fraction}")


def eased_size(inhaling: bool, part_fraction: float) -> float:
    """Size of the guide (0 smallest, 1 largest) at a point of the in- or out-breath.

    Parameters
    ----------
    inhaling : bool
        In-breath (growing) or out-breath (shrinking).
    part_fraction : float
        How far through that part of the breath, 0..1.
    """
    u = min(max(part_fraction, 0.0), 1.0)
    rise = 0.5 * (1.0 - math.cos(math.pi * u))
    return rise if inhaling else 1.0 - rise


@dataclass(frozen=True)
class PacerSegment:
    """A stretch of constant rate and ratio.

    Attributes
    ----------
    start_s : float
        Clock time it begins.
    start_breath : float
        Breaths completed at ``start_s`` (a whole number after a change).
    rate_per_min : float
    inhale_fraction : float
    """

    start_s: float
    start_breath: float
    rate_per_min: float
    inhale_fraction: float

    @property
    def period_s(self) -> float:
        return 60.0 / self.rate_per_min

    def breaths_at(self, t_s: float) -> float:
        return self.start_breath + (t_s - self.start_s) / self.period_s

    def time_of_breath(self, breath: float) -> float:
        return self.start_s + (breath - self.start_breath) * self.period_s


@dataclass(frozen=True)
class PacerState:
    """Where the breath is at one moment.

    Attributes
    ----------
    t_s : float
        The moment.
    breaths : float
        Breaths since the pacer started (continuous).
    inhaling : bool
        In the in-breath (else the out-breath).
    part_fraction : float
        How far through the current in- or out-breath, 0..1.
    size : float
        Eased size of the guide, 0..1.
    part_left_s : float
        Seconds to the next turn.
    rate_per_min, inhale_fraction : float
        The timing in force.
    """

    t_s: float
    breaths: float
    inhaling: bool
    part_fraction: float
    size: float
    part_left_s: float
    rate_per_min: float
    inhale_fraction: float

    @property
    def breath_index(self) -> int:
        return math.floor(self.breaths)

    @property
    def cue_alpha(self) -> float:
        """Opacity of a cue word ("in", "out"): it fades in at each turn and out before the next,
        so the words cross-fade rather than switch."""
        u = self.part_fraction
        edge = min(u, 1.0 - u) / CUE_FADE_FRACTION
        return eased_size(True, min(edge, 1.0))


@dataclass(frozen=True)
class PacerTimeline:
    """The pacer's whole timing: segments of constant rate, each starting on a breath boundary.

    Build one with :meth:`starting`, change it with :meth:`with_settings` (a new timeline; this
    one is immutable), read it with :meth:`state_at`.
    """

    segments: tuple[PacerSegment, ...]

    @classmethod
    def starting(
        cls,
        t_s: float,
        rate_per_min: float = DEFAULT_RATE_PER_MIN,
        inhale_fraction: float = DEFAULT_INHALE_FRACTION,
    ) -> PacerTimeline:
        """A pacer whose first in-breath begins at ``t_s``."""
        _check(rate_per_min, inhale_fraction)
        return cls((PacerSegment(float(t_s), 0.0, float(rate_per_min), float(inhale_fraction)),))

    @property
    def origin_s(self) -> float:
        return self.segments[0].start_s

    def segment_at(self, t_s: float) -> PacerSegment:
        """The segment in force at ``t_s`` (the first one also before it began)."""
        current = self.segments[0]
        for segment in self.segments[1:]:
            if segment.start_s <= t_s:
                current = segment
            else:
                break
        return current

    def breaths_at(self, t_s: float) -> float:
        """Breaths since the start (negative before it)."""
        return self.segment_at(t_s).breaths_at(t_s)

    def state_at(self, t_s: float) -> PacerState:
        """Where the breath is at ``t_s``: a pure function of the clock reading."""
        segment = self.segment_at(t_s)
        breaths = segment.breaths_at(t_s)
        within = breaths - math.floor(breaths)
        f = segment.inhale_fraction
        inhaling = within < f
        part = within / f if inhaling else (within - f) / (1.0 - f)
        part_s = segment.period_s * (f if inhaling else 1.0 - f)
        return PacerState(
            t_s=float(t_s),
            breaths=breaths,
            inhaling=inhaling,
            part_fraction=part,
            size=eased_size(inhaling, part),
            part_left_s=(1.0 - part) * part_s,
            rate_per_min=segment.rate_per_min,
            inhale_fraction=f,
        )

    def next_breath_start_s(self, t_s: float) -> float:
        """When the breath in progress at ``t_s`` ends (as the timeline stands)."""
        segment = self.segment_at(t_s)
        return segment.time_of_breath(math.floor(segment.breaths_at(t_s)) + 1.0)

    def settings_at(self, t_s: float) -> tuple[float, float]:
        """(rate per min, inhale fraction) in force at ``t_s``."""
        segment = self.segment_at(t_s)
        return segment.rate_per_min, segment.inhale_fraction

    def latest_settings(self) -> tuple[float, float]:
        """(rate, inhale fraction) of the last segment, including one still pending."""
        segment = self.segments[-1]
        return segment.rate_per_min, segment.inhale_fraction

    def with_settings(
        self,
        t_s: float,
        rate_per_min: float | None = None,
        inhale_fraction: float | None = None,
    ) -> PacerTimeline:
        """The timeline with a new rate and/or ratio from the end of the breath in progress.

        Parameters
        ----------
        t_s : float
            When the change is asked for.
        rate_per_min, inhale_fraction : float, optional
            The new values; ``None`` keeps the latest asked-for value.

        Returns
        -------
        PacerTimeline
            Segments that ended before ``t_s`` are dropped (except the one in force), a change
            still pending at ``t_s`` is replaced, and the new segment starts on the next breath
            boundary (see the module notes).
        """
        latest_rate, latest_fraction = self.latest_settings()
        rate = latest_rate if rate_per_min is None else float(rate_per_min)
        fraction = latest_fraction if inhale_fraction is None else float(inhale_fraction)
        _check(rate, fraction)
        current = self.segment_at(t_s)
        if (rate, fraction) == (current.rate_per_min, current.inhale_fraction):
            return PacerTimeline((current,))
        boundary = math.floor(current.breaths_at(t_s)) + 1.0
        start_s = current.time_of_breath(boundary)
        return PacerTimeline((current, PacerSegment(start_s, boundary, rate, fraction)))


class BreathPacer:
    """A :class:`PacerTimeline` bound to a clock: what a view holds.

    Parameters
    ----------
    clock : callable, optional
        Monotonic seconds (``time.monotonic`` by default; tests inject a fake clock).
    rate_per_min, inhale_fraction : float, optional
        The starting timing.
    start_s : float, optional
        When the first in-breath begins (the clock's "now" by default).
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        rate_per_min: float = DEFAULT_RATE_PER_MIN,
        inhale_fraction: float = DEFAULT_INHALE_FRACTION,
        start_s: float | None = None,
    ) -> None:
        self.clock = clock
        start = clock() if start_s is None else start_s
        self.timeline = PacerTimeline.starting(start, rate_per_min, inhale_fraction)

    def state(self, t_s: float | None = None) -> PacerState:
        """The pacer now (or at ``t_s``)."""
        return self.timeline.state_at(self.clock() if t_s is None else t_s)

    def set_timing(
        self, rate_per_min: float | None = None, inhale_fraction: float | None = None
    ) -> float:
        """Change rate and/or ratio from the next breath; returns when the change takes effect."""
        now = self.clock()
        self.timeline = self.timeline.with_settings(now, rate_per_min, inhale_fraction)
        return self.timeline.segments[-1].start_s if len(self.timeline.segments) > 1 else now

    def restart(self, t_s: float | None = None) -> None:
        """Begin a fresh in-breath now (after a pause), keeping the latest timing."""
        rate, fraction = self.timeline.latest_settings()
        start = self.clock() if t_s is None else t_s
        self.timeline = PacerTimeline.starting(start, rate, fraction)

    @property
    def rate_per_min(self) -> float:
        """The latest asked-for rate (it may take effect at the next breath)."""
        return self.timeline.latest_settings()[0]

    @property
    def inhale_fraction(self) -> float:
        return self.timeline.latest_settings()[1]
