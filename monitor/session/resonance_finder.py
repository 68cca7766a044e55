"""The resonance-rate finder, step by step, on a live (or replayed) session.

:class:`ResonanceFinder` follows the protocol of :class:`~monitor.core.resonance.ResonanceProtocol`
in session time: it says which rate the pacer should show now, collects the NN beats of each step
from the session's updates, measures each step when it ends
(:func:`~monitor.core.resonance.rate_metrics`) and, after the last, chooses the rate
(:func:`~monitor.core.resonance.choose_resonance_rate`). It does no computation of its own and
no I/O; the therapist's panel (:mod:`monitor.ui.dashboard.resonance_panel`) drives it and
stores the result (:mod:`monitor.recording.client_store`).

Usage::

    finder = ResonanceFinder()
    events = finder.start(now_s)          # StepStarted(6.5/min): set the pacer
    for update in updates:                # from the session engine
        for event in finder.feed(update): # StepStarted / StepFinished / FinderFinished
            ...
    events = finder.advance(now_s)        # also without beats (a lost strap does not stall it)

:func:`protocol_script` turns a protocol into a simulator script whose simulated client follows
the pacer (for tests and demos).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from drivers.simulator import Phase
from monitor.core.acc_live import BREATHING_WINDOW_S as ACC_BREATHING_WINDOW_S
from monitor.core.resonance import (
    DEFAULT_WEIGHTS,
    ProtocolStep,
    RateMetrics,
    ResonanceProtocol,
    ResonanceResult,
    choose_resonance_rate,
    rate_metrics,
)
from monitor.session.engine import SessionUpdate

PACER_FOLLOW_TOL_PER_MIN = 1.0
"""Breathing this close to the pacer's rate follows it (the ACC estimate is good to ~1/min)."""


@dataclass(frozen=True)
class StepStarted:
    """A step began: the pacer should now show ``step.rate_per_min``."""

    t_s: float
    step: ProtocolStep


@dataclass(frozen=True)
class StepFinished:
    """A step ended and was measured.

    ``breathing_per_min`` is the client's own breathing over the analysed span, measured from
    the chest accelerometer (median of its estimates; ``None`` without ACC or when it could not
    say), so the step shows whether the client actually breathed at the pacer's rate.
    """

    t_s: float
    step: ProtocolStep
    metrics: RateMetrics
    breathing_per_min: float | None = None

    @property
    def followed_pacer(self) -> bool | None:
        """Whether the measured breathing was within ``PACER_FOLLOW_TOL_PER_MIN`` of the pacer
        (``None`` when it was not measured)."""
        if self.breathing_per_min is None:
            return None
        return abs(self.breathing_per_min - self.step.rate_per_min) <= PACER_FOLLOW_TOL_PER_MIN


@dataclass(frozen=True)
class FinderFinished:
    """The protocol ended; ``result`` holds the choice."""

    t_s: float
    result: ResonanceResult


FinderEvent = StepStarted | StepFinished | FinderFinished


@dataclass(frozen=True)
class FinderProgress:
    """Where the finder is (for the therapist's panel).

    Attributes
    ----------
    running : bool
    step : ProtocolStep or None
        The step in progress.
    elapsed_s : float
        Seconds since the protocol started.
    fraction : float
        Share of the protocol done, 0..1.
    step_left_s : float
        Seconds left in the current step.
    settling : bool
        In the (unanalysed) settling part of the step.
    """

    running: bool
    step: ProtocolStep | None
    elapsed_s: float
    fraction: float
    step_left_s: float
    settling: bool


class ResonanceFinder:
    """Runs one resonance-rate finder over session time.

    Parameters
    ----------
    protocol : ResonanceProtocol, optional
    weights : sequence of float, optional
        Criterion weights for the choice (see :mod:`monitor.core.resonance`).
    """

    def __init__(
        self,
        protocol: ResonanceProtocol | None = None,
        weights: tuple[float, float, float] = DEFAULT_WEIGHTS,
    ) -> None:
        self.protocol = protocol or ResonanceProtocol()
        self.weights = weights
        self.start_s: float | None = None
        self.metrics: list[RateMetrics] = []
        self.result: ResonanceResult | None = None
        self._t: list[float] = []
        self._nn: list[float] = []
        self._corrected: list[bool] = []
        self._breaths: list[tuple[float, float]] = []  # (t_s, breaths/min) from the chest
        self._step_index = -1
        self._now_s = -math.inf
        self._stopped = False

    # -- control ------------------------------------------------------------------------------

    def start(self, t_s: float) -> list[FinderEvent]:
        """Begin the protocol at session time ``t_s`` (the first step starts at once)."""
        self.start_s = float(t_s)
        self.metrics = []
        self.result = None
        self._t, self._nn, self._corrected = [], [], []
        self._breaths = []
        self._step_index = -1
        self._now_s = float(t_s)
        self._stopped = False
        return self.advance(t_s)

    def stop(self) -> None:
        """Abandon the run (no result)."""
        self._stopped = True

    @property
    def running(self) -> bool:
        return self.start_s is not None and self.result is None and not self._stopped

    @property
    def finished(self) -> bool:
        return self.result is not None

    # -- input --------------------------------------------------------------------------------

    def feed(self, update: SessionUpdate) -> list[FinderEvent]:
        """Take one session update: keep its NN beat, then advance to its time."""
        if not self.running:
            return []
        beat = update.beat
        if beat is not None and math.isfinite(beat.nn_ms):
            self._t.append(beat.t_s)
            self._nn.append(beat.nn_ms)
            self._corrected.append(bool(beat.corrected))
        breathing = update.breathing
        if breathing is not None and breathing.breaths_per_min is not None:
            self._breaths.append((breathing.t_s, breathing.breaths_per_min))
        return self.advance(update.t_s)

    def advance(self, t_s: float) -> list[FinderEvent]:
        """Move to session time ``t_s``: finish the steps that ended, start the next."""
        if not self.running or self.start_s is None:
            return []
        self._now_s = max(self._now_s, float(t_s))
        events: list[FinderEvent] = []
        elapsed = self._now_s - self.start_s
        steps = self.protocol.steps
        while self._step_index < len(steps):
            current = steps[self._step_index] if self._step_index >= 0 else None
            if current is not None and elapsed < current.end_s:
                break
            if current is not None:
                events.append(self._finish_step(current))
            self._step_index += 1
            if self._step_index < len(steps):
                step = steps[self._step_index]
                events.append(StepStarted(self.start_s + step.start_s, step))
        if self._step_index >= len(steps) and self.result is None:
            self.result = choose_resonance_rate(self.metrics, self.weights)
            events.append(FinderFinished(self.start_s + self.protocol.duration_s, self.result))
        return events

    def _finish_step(self, step: ProtocolStep) -> StepFinished:
        assert self.start_s is not None
        metrics = rate_metrics(
            np.asarray(self._t),
            np.asarray(self._nn),
            step.rate_per_min,
            self.start_s + step.analysis_start_s,
            self.start_s + step.end_s,
            np.asarray(self._corrected, dtype=bool),
        )
        self.metrics.append(metrics)
        # Beats before the next step's analysed span are no longer needed.
        keep_from = int(np.searchsorted(self._t, self.start_s + step.end_s))
        del self._t[:keep_from], self._nn[:keep_from], self._corrected[:keep_from]
        # Each chest estimate covers the minute before it: those wholly inside the analysed span.
        first_s = self.start_s + step.analysis_start_s + ACC_BREATHING_WINDOW_S
        end_s = self.start_s + step.end_s
        rates = [rate for t_s, rate in self._breaths if first_s <= t_s <= end_s]
        self._breaths = [(t_s, rate) for t_s, rate in self._breaths if t_s > end_s]
        breathing = float(np.median(rates)) if rates else None
        return StepFinished(end_s, step, metrics, breathing)

    # -- what the views need --------------------------------------------------------------------

    def rate_now(self) -> float | None:
        """The rate the pacer should show (``None`` when not running)."""
        if not self.running or not 0 <= self._step_index < len(self.protocol.steps):
            return None
        return self.protocol.steps[self._step_index].rate_per_min

    def progress(self) -> FinderProgress:
        """Where the run is, as of the latest :meth:`feed` or :meth:`advance`."""
        if self.start_s is None:
            return FinderProgress(False, None, 0.0, 0.0, 0.0, False)
        duration = self.protocol.duration_s
        elapsed = min(max(self._now_s - self.start_s, 0.0), duration)
        step = self.protocol.step_at(elapsed) if self.running else None
        return FinderProgress(
            running=self.running,
            step=step,
            elapsed_s=elapsed,
            fraction=elapsed / duration if not self.finished else 1.0,
            step_left_s=(step.end_s - elapsed) if step is not None else 0.0,
            settling=step is not None and elapsed < step.analysis_start_s,
        )


def protocol_script(
    protocol: ResonanceProtocol | None = None,
    *,
    lead_in_s: float = 60.0,
    hr_bpm: float = 66.0,
    rsa_ms: float = 35.0,
    lf_ms: float = 10.0,
    noise_ms: float = 16.0,
    follow_delay_s: float = 5.0,
) -> tuple[Phase, ...]:
    """A simulator script of a client following the finder's pacer.

    A resting lead-in (spontaneous breathing, 13/min), then one paced phase per protocol step.
    The simulated client moves to each new rate within ``follow_delay_s`` (the simulator's
    ramp). During slow paced breathing the breath-driven oscillation dominates the low
    frequencies, so the independent Mayer-wave amplitude ``lf_ms`` is kept modest.

    Parameters
    ----------
    protocol : ResonanceProtocol, optional
    lead_in_s : float
        Rest before the first step; the protocol starts at this simulated time.
    hr_bpm, rsa_ms, lf_ms, noise_ms : float
        As for :class:`drivers.simulator.Phase`.
    follow_delay_s : float
        How long the simulated client takes to follow a rate change.

    Returns
    -------
    tuple of Phase
        Use with ``HeartSimulator(script, resonance_hz=...)``.
    """
    protocol = protocol or ResonanceProtocol()
    lead_in = Phase(
        "rest", lead_in_s, hr_bpm=hr_bpm + 2, rsa_ms=rsa_ms, breathing_per_min=13,
        lf_ms=lf_ms, noise_ms=noise_ms,
    )  # fmt: skip
    paced = tuple(
        Phase(
            f"paced {step.rate_per_min:g}/min",
            step.duration_s,
            hr_bpm=hr_bpm,
            rsa_ms=rsa_ms,
            breathing_per_min=step.rate_per_min,
            lf_ms=lf_ms,
            noise_ms=noise_ms,
            ramp_s=follow_delay_s,
            paced=True,
        )
        for step in protocol.steps
    )
    return (lead_in, *paced)
