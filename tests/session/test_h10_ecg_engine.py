"""The session engine with a Polar H10's ECG: the strap's beats checked live against R peaks.

The truth (tests/session/h10_streams.py) is a real RR series with true sinus pauses, true PVCs
(wide QRS in the synthesised ECG) and the strap's missed and extra detections. The same strap
notifications go through the engine twice: alone (the RR-only artefact filter of Lipponen &
Tarvainen 2019) and interleaved with the ECG in 73-sample runs. The error of each NN series is
measured against the true RR here, independently of the code under test.
"""

from __future__ import annotations

import math

import numpy as np
from h10_streams import STRAP_LATENCY_S, H10Scenario, artefact_scenario, h10_events

from drivers.events import SourceEvent
from monitor.core.artefacts import BeatClass
from monitor.core.ecg_live_beats import EcgVerdict
from monitor.session.engine import SessionEngine, SessionUpdate


def run(events: list[SourceEvent]) -> list[SessionUpdate]:
    engine = SessionEngine()
    updates = [u for e in events for u in engine.handle(e)]
    return updates + engine.finish()


def nn_series(updates: list[SessionUpdate]) -> tuple[np.ndarray, np.ndarray]:
    beats = [u.beat for u in updates if u.beat is not None]
    return np.array([b.t_s for b in beats]), np.array([b.nn_ms for b in beats])


def errors_vs_truth(t_s: np.ndarray, nn_ms: np.ndarray, sc: H10Scenario) -> dict[str, float]:
    """Per sinus true beat: the NN value at it (within 40 ms), its error, and beats lost."""
    truth_t = sc.beats_s[1:] + STRAP_LATENCY_S
    j = np.clip(np.searchsorted(t_s, truth_t), 1, len(t_s) - 1)
    nearest = np.where(np.abs(t_s[j - 1] - truth_t) < np.abs(t_s[j] - truth_t), j - 1, j)
    found = np.abs(t_s[nearest] - truth_t) <= 0.04
    # The first beats wait for the ECG detector's 2 s of learning, as they would live.
    use = sc.judged & found & (truth_t > 10.0)
    err = np.abs(nn_ms[nearest[use]] - sc.rr_ms[use])
    return {
        "mae_ms": float(np.mean(err)),
        "off_20ms": int(np.sum(err > 20.0)),
        "lost": int(np.sum(sc.judged & ~found & (truth_t > 10.0))),
    }


def test_ecg_checked_beats_are_closer_to_the_truth_than_rr_only() -> None:
    """Measured on three seeds (numbers in the report); asserted with a wide margin."""
    for seed in (1, 2, 3):
        sc = artefact_scenario(seed)
        rr_only_events, with_ecg_events = h10_events(sc, seed)
        rr_only = errors_vs_truth(*nn_series(run(rr_only_events)), sc)
        with_ecg = errors_vs_truth(*nn_series(run(with_ecg_events)), sc)
        print(f"seed {seed}: RR only {rr_only}, with ECG {with_ecg}")
        assert with_ecg["lost"] == 0
        assert with_ecg["off_20ms"] == 0  # every sinus pause kept, every artefact repaired
        assert with_ecg["mae_ms"] < 2.0
        assert rr_only["off_20ms"] >= 5
        assert with_ecg["mae_ms"] < 0.5 * rr_only["mae_ms"]


def test_repaired_beats_are_marked_for_the_file() -> None:
    """Every strap artefact gets its verdict, and each strap beat exactly one raw class."""
    sc = artefact_scenario(4)
    _, events = h10_events(sc, 4)
    updates = run(events)
    checked = [b for u in updates for b in u.ecg_beats]
    verdicts = [b.verdict for b in checked]
    n_extra = int(np.sum(np.arange(55, 380, 89) < 400))
    n_missed = int(np.sum(np.arange(25, 380, 83) < 400))
    assert verdicts.count(EcgVerdict.REMOVED) == n_extra
    assert verdicts.count(EcgVerdict.INSERTED) == n_missed
    assert verdicts.count(EcgVerdict.ECTOPIC_QRS) == np.sum(sc.ectopic)
    classes = [d for u in updates for d in u.beat_classes]
    raw_beats = [u.raw_beat for u in updates if u.raw_beat is not None]
    assert sorted(d.index for d in classes) == list(range(len(raw_beats)))
    counts = {c: sum(d.beat_class is c for d in classes) for c in BeatClass}
    assert counts[BeatClass.EXTRA] == n_extra
    assert counts[BeatClass.MISSED] == n_missed
    assert counts[BeatClass.ECTOPIC] == np.sum(sc.ectopic)
    inserted = [u.beat for u in updates if u.beat is not None and math.isnan(u.beat.raw_rr_ms)]
    assert len(inserted) == n_missed and all(b.corrected for b in inserted)


def test_engine_status_says_which_data_the_strap_gives() -> None:
    sc = artefact_scenario(5, beats=60)
    rr_only, with_ecg = h10_events(sc, 5)
    engine = SessionEngine()
    assert (engine.status.ecg, engine.status.acc) == (False, False)
    for e in rr_only[:5]:
        engine.handle(e)
    assert (engine.status.ecg, engine.status.acc) == (False, False)
    engine = SessionEngine()
    for e in with_ecg:
        engine.handle(e)
    assert (engine.status.ecg, engine.status.acc) == (True, False)


def test_beats_go_by_rr_alone_when_the_ecg_stops() -> None:
    """ECG for the first half only: no beat is lost, and the status drops back to no ECG."""
    sc = artefact_scenario(6, beats=200)
    _, with_ecg = h10_events(sc, 6)
    cut_s = 90.0
    events = [e for e in with_ecg if not (hasattr(e, "ecg_uv") and e.arrival_s > cut_s)]
    engine = SessionEngine()
    updates = [u for e in events for u in engine.handle(e)] + engine.finish()
    assert (engine.status.ecg, engine.status.acc) == (False, False)
    classes = [d for u in updates for d in u.beat_classes]
    raw_beats = [u.raw_beat for u in updates if u.raw_beat is not None]
    assert sorted(d.index for d in classes) == list(range(len(raw_beats)))
    t_s, _ = nn_series(updates)
    assert np.all(np.diff(t_s) > 0)
    assert t_s[-1] > sc.strap_s[-1] - 1.0
