"""A therapist's simulated heart that follows the client's: co-regulation with a known answer.

Physiological synchrony between client and therapist shows as heart-rate changes that go
together, often with one person a few seconds behind the other (Palmieri et al. 2018, Front
Psychol 9:1099; review: Kleinbub 2017, Front Psychol 8:2053). To test the synchrony measure
(:mod:`monitor.core.synchrony`) against a known coupling, the therapist's heart period takes on
a share of the client's heart-period *changes* some seconds earlier::

    T_therapist(t) = own(t) + strength * (T_client(t - lag) - mean_client(t - lag))

``own`` is the therapist's own heart model (:func:`drivers.simulated_heart.heart_beats`),
``T_client`` the client's true heart period interpolated between the client's beats and
``mean_client`` its exponential mean over :data:`MEAN_TAU_S`, so the therapist follows the
client's changes, not the client's resting level. A positive ``strength`` is in phase (both
rise together), a negative one anti-phase; a positive ``lag_s`` means the client leads, a
negative one that the therapist does (the simulation can look ahead: both hearts are
scripted).

The therapist's vagal tone follows the client's in the same way. The client's vagal tone
``v_client`` is the log of its RSA amplitude over its first phase's (the script's changes, and
the slow wander of ``vagal_wander_ln`` of :func:`drivers.simulated_heart.heart_beats` when on);
the therapist's log RSA amplitude takes on ``vagal_strength`` (by default ``strength``) times
it ``lag_s`` earlier, beside the therapist's own wander::

    ln RSA_therapist(t) = ln RSA_own(t) + vagal_strength * v_client(t - lag)

The heart-period term carries the client's beat-to-beat changes too (its RSA), so it also
hands the therapist a share of the client's variability, in phase whatever its sign. An
anti-phase vagal coupling shows in RMSSD only when it outweighs that: ``vagal_strength`` can be
set apart from ``strength`` (in-phase heart rate with anti-phase HRV is what Coutinho et al.
2021, Psychophysiology 58:e13739, found in couples), but at equal sizes here the handed-over
variability cancels it (measured in ``bench/rmssd_synchrony.py``).

so that synchrony of RMSSD (:mod:`monitor.core.vagal_synchrony`) has a known answer too:
co-regulation is described in both heart rate and vagal (RSA) terms (Palumbo et al. 2017,
Pers Soc Psychol Rev 21:99).

The client's beats come from a private copy of the client's simulated heart (same script and
seed, same beats), so the two simulated straps share no state: each runs, drops out and
reconnects on its own, as two real straps do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from drivers.simulated_heart import Phase, SimulatedBeat

MEAN_TAU_S = 60.0
"""Time constant of the client's mean heart period the therapist's coupling is measured from."""

CO_REGULATION_VAGAL_WANDER_LN = 0.25
"""Vagal-tone wander of a co-regulation simulation's hearts (SD of log RSA amplitude): RSA
drifting by about a quarter either way over minutes, a change RMSSD shows in 15-s bins."""

MAX_LAG_S = 30.0
"""Longest lead or lag the simulation accepts (synchrony looks at a few seconds)."""


@dataclass(frozen=True)
class Coupling:
    """How a simulated therapist's heart follows the client's.

    Attributes
    ----------
    leader_beats : callable
        Returns a fresh iterator over the client's true beats (the client's simulated heart).
    strength : float
        Share of the client's heart-period change taken on, -1..1 (negative: anti-phase;
        0: independent hearts).
    lag_s : float
        Seconds the therapist follows the client (negative: the therapist leads).
    vagal_strength : float, optional
        Share of the client's vagal tone taken on, -1..1 (by default ``strength``).
    """

    leader_beats: Callable[[], Iterator[SimulatedBeat]]
    strength: float
    lag_s: float
    vagal_strength: float | None = None

    def __post_init__(self) -> None:
        for name in ("strength", "vagal_strength"):
            value = getattr(self, name)
            if value is not None and not -1.0 <= value <= 1.0:
                raise ValueError(f"coupling {name} must be within -1..1, got {value}")
        if not -MAX_LAG_S <= self.lag_s <= MAX_LAG_S:
            raise ValueError(f"coupling lag must be within ±{MAX_LAG_S:g} s, got {self.lag_s}")

    def term(self) -> LeaderTerm:
        """What the client's heart adds to the therapist's, asked at increasing times."""
        vagal = self.strength if self.vagal_strength is None else self.vagal_strength
        return LeaderTerm(self.leader_beats(), self.strength, self.lag_s, vagal)


class LeaderTerm:
    """The therapist's share of the client's heart, for increasing ``t``.

    :meth:`period_ms` is ``strength * (T_client(t - lag) - mean_client(t - lag))``,
    :meth:`vagal_ln` is ``vagal_strength * v_client(t - lag)``; both interpolate the client between
    the middles of its intervals.

    Called at every step of the heart model (20 times a simulated second), so it walks the
    client's beats forward once instead of searching them.
    """

    def __init__(
        self, beats: Iterator[SimulatedBeat], strength: float, lag_s: float, vagal_strength: float
    ) -> None:
        self._beats = beats
        self._strength = strength
        self._vagal_strength = vagal_strength
        self._lag_s = lag_s
        self._mean_ms: float | None = None
        # The two client beats around the time asked: (t_s, rr_ms, mean_ms, vagal_ln) each.
        self._before: tuple[float, float, float, float] | None = None
        self._after = self._next()

    def _next(self) -> tuple[float, float, float, float]:
        beat = next(self._beats)
        if self._mean_ms is None:
            self._mean_ms = beat.rr_ms
        else:
            weight = 1.0 - math.exp(-beat.rr_ms / 1000.0 / MEAN_TAU_S)
            self._mean_ms += weight * (beat.rr_ms - self._mean_ms)
        # The interval's period belongs to its middle, not to the beat that ends it: so the
        # therapist follows the client's heart exactly ``lag_s`` later, not half a beat more.
        return beat.t_s - beat.rr_ms / 2000.0, beat.rr_ms, self._mean_ms, beat.vagal_ln

    def _around(self, t_s: float) -> tuple[float, float] | None:
        """The client's period change and vagal tone ``lag_s`` before ``t_s``, or None before
        the client's first beat."""
        at_s = t_s - self._lag_s
        while self._after[0] <= at_s:
            self._before, self._after = self._after, self._next()
        if self._before is None:
            return None
        (t0, rr0, mean0, v0), (t1, rr1, mean1, v1) = self._before, self._after
        weight = (at_s - t0) / (t1 - t0)
        change_ms = (rr0 - mean0) + weight * ((rr1 - mean1) - (rr0 - mean0))
        return change_ms, v0 + weight * (v1 - v0)

    def period_ms(self, t_s: float) -> float:
        """Added to the therapist's heart period at ``t_s`` (ms)."""
        around = self._around(t_s)
        return 0.0 if around is None else self._strength * around[0]

    def vagal_ln(self, t_s: float) -> float:
        """Added to the therapist's log RSA amplitude at ``t_s``."""
        around = self._around(t_s)
        return 0.0 if around is None else self._vagal_strength * around[1]


def therapist_script(duration_s: float) -> tuple[Phase, ...]:
    """A calm therapist for a whole session: resting heart rate and ordinary variability.

    Values of a healthy adult at rest (Nunan et al. 2010, Pacing Clin Electrophysiol 33:1407:
    mean RR 926 ± 90 ms, RMSSD 42 ± 15 ms), a little above resting rate since the therapist
    is talking and attending.

    Parameters
    ----------
    duration_s : float
        Length of the session (after it the values hold).
    """
    return (
        Phase(
            "session",
            max(duration_s, 1.0),
            hr_bpm=72,
            rsa_ms=26,
            breathing_per_min=12,
            lf_ms=24,
            noise_ms=14,
        ),
    )
