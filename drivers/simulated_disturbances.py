"""What goes wrong between a heart and a strap, injected on purpose: artefacts and lost signal.

:class:`Disturbances` sets the rates of ectopic, missed and extra beats (per beat) and the windows
of lost skin contact and of link drop-outs; :func:`detected_beats` turns true beats into the
beats a strap's detector reports, recording each injected artefact (the ground truth the artefact
tests score against). The windows are applied by the simulated strap
(:mod:`drivers.simulated_strap`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from drivers.simulated_heart import SimulatedBeat


@dataclass(frozen=True, slots=True)
class Disturbances:
    """Artefacts and signal problems to inject into a simulated session.

    Attributes
    ----------
    ectopic_rate : float
        Fraction of beats replaced by a premature beat plus compensatory pause (short RR, then
        long RR, same sum).
    missed_rate : float
        Fraction of beats the detector misses (two RR merged into one long RR).
    extra_rate : float
        Fraction of RR intervals split in two by a spurious detection.
    contact_loss : tuple of (start_s, end_s)
        Windows (seconds from session start) without skin contact: packets say "no contact",
        carry HR 0 and no RR.
    dropouts : tuple of (start_s, end_s)
        Windows during which the link is down: no packets at all, then a ``SignalGap``.
    """

    ectopic_rate: float = 0.0
    missed_rate: float = 0.0
    extra_rate: float = 0.0
    contact_loss: tuple[tuple[float, float], ...] = ()
    dropouts: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        for name in ("ectopic_rate", "missed_rate", "extra_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 0.5:
                raise ValueError(f"{name} must be between 0 and 0.5, got {rate}")
        for name in ("contact_loss", "dropouts"):
            for window in getattr(self, name):
                if len(window) != 2 or not 0 <= window[0] < window[1]:
                    raise ValueError(f"{name} window {window} must be (start_s, end_s), start<end")


@dataclass(frozen=True, slots=True)
class InjectedArtefact:
    """Ground truth of one injected artefact: the detected beat it affects and its kind."""

    t_s: float
    kind: str  # "ectopic", "missed" or "extra"


def detected_beats(
    beats: Iterable[SimulatedBeat],
    disturbances: Disturbances,
    seed: np.random.SeedSequence,
    injected: list[InjectedArtefact],
) -> Iterator[SimulatedBeat]:
    """Beats as the strap's detector reports them: heart beats plus injected artefacts.

    Parameters
    ----------
    beats : iterable of SimulatedBeat
        The true beats (:func:`drivers.simulated_heart.heart_beats`).
    disturbances : Disturbances
        The rates of missed, ectopic and extra beats.
    seed : numpy.random.SeedSequence
        The artefacts' own seed.
    injected : list of InjectedArtefact
        Appended to with the ground truth of every artefact injected.
    """
    rng = np.random.default_rng(seed)
    rates = disturbances
    carry_ms = 0.0  # time added to the next RR by an ectopic or a missed beat
    for beat in beats:
        rr_ms = beat.rr_ms + carry_ms
        carry_ms = 0.0
        roll = rng.random()
        if roll < rates.missed_rate:
            # Beat not detected: its RR is folded into the next one.
            carry_ms = rr_ms
            injected.append(InjectedArtefact(beat.t_s, "missed"))
            continue
        roll -= rates.missed_rate
        if roll < rates.ectopic_rate:
            # Premature beat at 55–75 % of the RR, then the compensatory pause.
            prematurity = rng.uniform(0.55, 0.75)
            early_ms = rr_ms * prematurity
            early_s = beat.t_s - (rr_ms - early_ms) / 1000.0
            injected.append(InjectedArtefact(early_s, "ectopic"))
            yield SimulatedBeat(early_s, early_ms)
            carry_ms = rr_ms - early_ms
            continue
        roll -= rates.ectopic_rate
        if roll < rates.extra_rate:
            split = rng.uniform(0.3, 0.7)
            first_ms = rr_ms * split
            extra_s = beat.t_s - (rr_ms - first_ms) / 1000.0
            injected.append(InjectedArtefact(extra_s, "extra"))
            yield SimulatedBeat(extra_s, first_ms)
            yield SimulatedBeat(beat.t_s, rr_ms - first_ms)
            continue
        yield SimulatedBeat(beat.t_s, rr_ms)
