"""The window of tolerance through the whole live pipeline (simulator → session engine), and on
the real resting recordings.

The simulator scripts say what physiology happens when; the tests check that the alerts follow:
sustained activation is alerted once and promptly, calm, paced breathing, artefact bursts and
drop-outs are not, and an episode hovering at the bound does not flap.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from drivers.events import HeartRatePacket
from drivers.simulator import Disturbances, HeartSimulator, Phase, phase_timeline
from monitor.core.tolerance import AlertKind, ToleranceSettings, Zone
from monitor.session.engine import SessionEngine, SessionUpdate
from tests.conftest import DATA_DIR

CALM = dict(hr_bpm=66, rsa_ms=38, breathing_per_min=14, lf_ms=36, noise_ms=20)
ACTIVATED = dict(hr_bpm=94, rsa_ms=9, breathing_per_min=20, lf_ms=10, noise_ms=6)


def baseline(duration_s: float = 300) -> Phase:
    return Phase("baseline", duration_s, **CALM)


def run(script, seed: int = 1, disturbances=None, corrupt=None) -> tuple[SessionEngine, list]:
    """Run a script through a real session engine; ``corrupt`` may rewrite packets."""
    engine = SessionEngine()
    updates: list[SessionUpdate] = []
    for event in HeartSimulator(script, seed=seed, disturbances=disturbances).events():
        if corrupt is not None and isinstance(event, HeartRatePacket):
            event = corrupt(event)
        updates.extend(engine.handle(event))
    updates.extend(engine.finish())
    return engine, updates


def alerts_of(engine: SessionEngine, kind: AlertKind | None = None) -> list:
    return [a for a in engine.judge.alerts if kind is None or a.kind == kind]


def test_calm_session_gives_no_alert() -> None:
    engine, updates = run([baseline(), Phase("calm", 900, **CALM, ramp_s=0)], seed=2)
    assert alerts_of(engine) == []
    zones = {u.reading.zone for u in updates if u.reading is not None and u.t_s > 330}
    assert zones <= {Zone.INSIDE, Zone.EDGE}


def test_paced_breathing_reads_neither_hyper_nor_hypo() -> None:
    script = [
        baseline(),
        Phase("calm place", 480, hr_bpm=63, rsa_ms=38, breathing_per_min=6, lf_ms=30,
              noise_ms=14, ramp_s=40, paced=True),
    ]  # fmt: skip
    engine, updates = run(script, seed=3)
    assert alerts_of(engine) == []
    paced = [u.reading for u in updates if u.reading is not None and u.t_s > 400]
    assert paced and all(r.zone in (Zone.INSIDE, Zone.EDGE) for r in paced)
    # And it really was resonance breathing: RMSSD far above baseline.
    last = [u.beat for u in updates if u.beat is not None][-1]
    assert last.indices.rmssd_ms > 1.2 * engine.judge.baseline.rmssd_ms


def first_dwell_met_s(updates, start_s: float, end_s: float, settings: ToleranceSettings):
    """When arousal had first stayed at or above the upper bound for the dwell time."""
    above_since = None
    for u in updates:
        r = u.reading
        if r is None or not (start_s <= u.t_s <= end_s) or np.isnan(r.arousal):
            continue
        if r.arousal >= settings.upper_sd:
            above_since = u.t_s if above_since is None else above_since
            if u.t_s - above_since >= settings.dwell_s:
                return u.t_s
        else:
            above_since = None
    return None


def test_each_sustained_activation_is_alerted_once_and_promptly() -> None:
    script = [
        baseline(),
        Phase("calm", 120, **CALM, ramp_s=0),
        Phase("activation 1", 200, **ACTIVATED, ramp_s=30),
        Phase("recovery 1", 300, **CALM, ramp_s=60),
        Phase("activation 2", 200, **ACTIVATED, ramp_s=30),
        Phase("recovery 2", 300, **CALM, ramp_s=60),
    ]
    engine, updates = run(script, seed=4)
    spans = {s.name: s for s in phase_timeline(script)}
    hyper = alerts_of(engine, AlertKind.HYPER)
    assert len(hyper) == 2, [a.as_dict() for a in hyper]
    settings = engine.judge.settings
    for alert, name in zip(hyper, ["activation 1", "activation 2"], strict=True):
        span = spans[name]
        dwell_met_s = first_dwell_met_s(updates, span.start_s, span.end_s + 60, settings)
        assert dwell_met_s is not None
        assert dwell_met_s - 1.5 <= alert.start_s <= dwell_met_s + 30
        assert alert.end_s is not None, "each episode ends once the client has recovered"
        assert "HR" in alert.reason and "bpm" in alert.reason and "RMSSD" in alert.reason
    assert engine.judge.recoveries and all(r.inside_s for r in engine.judge.recoveries)


def test_an_episode_hovering_at_the_bound_does_not_flap() -> None:
    hovering = dict(hr_bpm=74, rsa_ms=28, breathing_per_min=16, lf_ms=24, noise_ms=14)
    script = [baseline(), Phase("hover", 600, **hovering, ramp_s=30)]
    engine, updates = run(script, seed=6)
    arousal = np.array(
        [u.reading.arousal for u in updates if u.reading and u.t_s > 400 and u.beat is not None]
    )
    upper = engine.judge.settings.upper_sd
    # The scenario must really hover: arousal on both sides of the bound, many times.
    crossings = np.count_nonzero(np.diff(np.sign(arousal - upper)) != 0)
    assert crossings >= 4 and abs(np.median(arousal) - upper) < 1.0, (crossings, np.median(arousal))
    assert len(alerts_of(engine, AlertKind.HYPER)) <= 1
    assert len(alerts_of(engine, AlertKind.WARNING)) <= 1


def test_an_artefact_burst_gives_no_alert_and_says_why() -> None:
    burst = (500.0, 560.0)
    counter = {"n": 0}

    def corrupt(packet: HeartRatePacket) -> HeartRatePacket:
        if not burst[0] <= packet.arrival_s <= burst[1] or not packet.rr_ms:
            return packet
        rr = []
        for value in packet.rr_ms:  # every other beat split into a double detection
            counter["n"] += 1
            rr.extend([value * 0.35, value * 0.65] if counter["n"] % 2 else [value])
        return dataclasses.replace(packet, rr_ms=tuple(rr))

    script = [baseline(), Phase("calm", 600, **CALM, ramp_s=0)]
    engine, updates = run(script, seed=6, corrupt=corrupt)
    assert alerts_of(engine) == []
    during = [u.reading for u in updates if u.reading and burst[0] + 20 <= u.t_s <= burst[1]]
    suspended = [r for r in during if r.zone == Zone.SUSPENDED]
    # Either the corrections kept the signal clean, or the tracker stood down and said why.
    assert all(r.zone in (Zone.INSIDE, Zone.EDGE, Zone.SUSPENDED) for r in during)
    assert all("corrected" in r.reason for r in suspended)


def test_a_dropout_is_suspended_not_calm_and_gives_no_alert() -> None:
    script = [baseline(), Phase("calm", 600, **CALM, ramp_s=0)]
    engine, updates = run(script, seed=7, disturbances=Disturbances(dropouts=((500.0, 530.0),)))
    assert alerts_of(engine) == []
    after_gap = [u.reading for u in updates if u.reading and 530 <= u.t_s <= 570]
    assert after_gap and all(r.zone == Zone.SUSPENDED for r in after_gap)
    assert all(np.isnan(r.arousal) for r in after_gap)
    later = [u.reading for u in updates if u.reading and u.t_s > 650]
    assert later and later[-1].zone in (Zone.INSIDE, Zone.EDGE)


def test_an_open_alert_stays_open_through_a_dropout() -> None:
    script = [baseline(), Phase("activation", 400, **ACTIVATED, ramp_s=30)]
    engine, _ = run(script, seed=8, disturbances=Disturbances(dropouts=((520.0, 560.0),)))
    hyper = alerts_of(engine, AlertKind.HYPER)
    assert len(hyper) == 1 and hyper[0].start_s < 520 and hyper[0].end_s is None


def test_widening_the_window_live_stops_alerts_for_a_moderate_rise() -> None:
    moderate = dict(hr_bpm=80, rsa_ms=20, breathing_per_min=17, lf_ms=18, noise_ms=10)
    script = [baseline(), Phase("moderate", 400, **moderate, ramp_s=30)]
    narrow, _ = run(script, seed=9)
    assert len(alerts_of(narrow, AlertKind.HYPER)) == 1
    wide = SessionEngine(tolerance=ToleranceSettings().widened(4.0))
    for event in HeartSimulator(script, seed=9).events():
        wide.handle(event)
    assert alerts_of(wide, AlertKind.HYPER) == []


@pytest.mark.parametrize("name", ["rest_rri.txt", "real_rri.txt", "pyhrv_short_nni.txt"])
def test_real_resting_recordings_give_no_hyper_alert(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "analyze", str(DATA_DIR / name), "--json",
         "--baseline-s", "300"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    summary = json.loads(result.stdout)
    assert [a for a in summary["alerts"] if a["kind"] == "hyper"] == []
    assert summary["baseline"]["hr_bpm"] is not None
