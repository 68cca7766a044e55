"""The session engine with a Polar H10's accelerometer: breathing from the chest, movement.

ACC is synthesised (drivers/simulated_h10.py: gravity turned by a breathing chest, sensor
noise, heartbeat kicks, movement bouts) and fed in runs with steady strap beats. The true rate is
the simulator's own (its breathing phase over the window), independent of the estimator.
"""

from __future__ import annotations

import numpy as np
import pytest
from h10_streams import acc_runs, breathing_events, in_arrival_order, strap_packets

from drivers.simulated_h10 import synthesize_acc
from monitor.core.judge import MOVING_REASON
from monitor.core.resonance import ResonanceProtocol
from monitor.session.engine import ACC_BREATHING, RSA_BREATHING, SessionEngine, SessionUpdate
from monitor.session.resonance_finder import ResonanceFinder, StepFinished


def run(engine: SessionEngine, events: list) -> list[SessionUpdate]:
    return [u for e in events for u in engine.handle(e)]


@pytest.mark.parametrize("breaths_per_min", [6.0, 12.0, 20.0])
def test_breathing_rate_comes_from_the_chest_within_one_breath(breaths_per_min: float) -> None:
    duration_s, seed = 130.0, 7
    engine = SessionEngine()
    updates = run(engine, breathing_events(breaths_per_min, duration_s, seed))
    estimates = [u.breathing for u in updates if u.breathing is not None]
    assert estimates and all(b.source == ACC_BREATHING for b in estimates)
    last = estimates[-1]
    truth = synthesize_acc(duration_s, breaths_per_min=breaths_per_min, seed=seed)
    true_rate = truth.true_breaths_per_min(last.t_s - 60.0, last.t_s)
    assert last.breaths_per_min is not None
    assert abs(last.breaths_per_min - true_rate) < 1.0
    assert engine.breathing_now() == last
    assert (engine.status.ecg, engine.status.acc) == (False, True)


def test_without_acc_the_breathing_rate_is_the_rsa_estimate() -> None:
    engine = SessionEngine()
    beats_s = 1.0 + np.cumsum(0.9 + 0.05 * np.sin(2 * np.pi * 0.2 * np.arange(200) * 0.9))
    updates = run(engine, list(strap_packets(beats_s)))
    assert all(u.breathing is None for u in updates)
    shown = engine.breathing_now()
    assert shown is not None and shown.source == RSA_BREATHING


def test_movement_suspends_judging_as_client_moving_until_it_stops() -> None:
    """A 20 s bout of gross movement: every beat in it is unjudged for "client moving"; beats
    well after it (the two-second movement window past) carry no such reason."""
    bout = (70.0, 90.0)
    engine = SessionEngine()
    updates = run(engine, breathing_events(12.0, 140.0, 3, movement_bouts_s=(bout,)))
    readings = [u.reading for u in updates if u.reading is not None]
    moving = [r for r in readings if r.reason == MOVING_REASON]
    assert moving, "no reading said the client was moving"
    assert all(bout[0] - 1.0 <= r.t_s <= bout[1] + 3.0 for r in moving)
    during = [r for r in readings if bout[0] + 3.0 < r.t_s < bout[1] - 3.0]
    assert during and all(r.reason == MOVING_REASON for r in during)
    after = [r for r in readings if r.t_s > bout[1] + 5.0]
    assert after and all(r.reason != MOVING_REASON for r in after)
    assert not engine.status.moving
    # Breathing from a window with movement in it is not guessed.
    spoiled = [
        u.breathing
        for u in updates
        if u.breathing is not None and bout[0] + 5.0 < u.breathing.t_s < bout[1] + 30.0
    ]
    assert spoiled and all(b.breaths_per_min is None for b in spoiled)


def test_resonance_finder_measures_the_clients_breathing_against_the_pacer() -> None:
    """Paced at 6 then 9/min; the simulated client breathes at 6, then stays at 12 (does not
    follow): each finished step carries the chest's measured rate and says so."""
    step_s = 130.0
    protocol = ResonanceProtocol(rates_per_min=(6.0, 9.0), step_s=step_s, settle_s=10.0)
    first = synthesize_acc(step_s, breaths_per_min=6.0, seed=5)
    second = synthesize_acc(step_s, breaths_per_min=12.0, seed=5)
    acc_mg = np.concatenate((first.acc_mg, second.acc_mg))
    t_s = np.arange(acc_mg.shape[0]) / first.sample_hz
    beats_s = np.arange(1.0, 2 * step_s, 0.9)
    events = in_arrival_order(
        list(strap_packets(beats_s)), list(acc_runs(t_s, acc_mg, first.sample_hz))
    )
    engine = SessionEngine()
    finder = ResonanceFinder(protocol)
    finder.start(0.0)
    finished = [
        e
        for ev in events
        for u in engine.handle(ev)
        for e in finder.feed(u)
        if isinstance(e, StepFinished)
    ]
    finished += [e for e in finder.advance(2 * step_s + 1.0) if isinstance(e, StepFinished)]
    assert [f.step.rate_per_min for f in finished] == [6.0, 9.0]
    paced, ignored = finished
    assert paced.breathing_per_min is not None and abs(paced.breathing_per_min - 6.0) < 1.0
    assert paced.followed_pacer is True
    assert ignored.breathing_per_min is not None and abs(ignored.breathing_per_min - 12.0) < 1.0
    assert ignored.followed_pacer is False
