"""The resonance-rate finder on live session updates (real simulator, real session engine), the
simulator's optional resonance frequency, and the per-client store of the chosen rate."""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from drivers.simulator import (
    RESONANCE_HZ,
    Disturbances,
    HeartSimulator,
    Phase,
    resonance_gain,
    simulated_rr,
)
from monitor.core.resonance import ResonanceProtocol
from monitor.recording.client_store import (
    CLIENTS_ENV,
    HISTORY_LENGTH,
    ClientProfile,
    ClientStore,
    ClientStoreError,
    default_clients_folder,
)
from monitor.session.engine import SessionEngine, SessionUpdate
from monitor.session.resonance_finder import (
    FinderFinished,
    ResonanceFinder,
    StepFinished,
    StepStarted,
    protocol_script,
)

LEAD_IN_S = 60.0
TRUE_RESONANCE_PER_MIN = 5.5


def session_updates(
    seed: int,
    resonance_per_min: float = TRUE_RESONANCE_PER_MIN,
    disturbances: Disturbances | None = None,
    protocol: ResonanceProtocol | None = None,
) -> list[SessionUpdate]:
    """Every update of a real session engine fed a simulated client who follows the finder's
    pacer (strap packets, beat clock, artefact filter and all)."""
    protocol = protocol or ResonanceProtocol()
    simulator = HeartSimulator(
        protocol_script(protocol, lead_in_s=LEAD_IN_S),
        seed=seed,
        resonance_hz=resonance_per_min / 60.0,
        disturbances=disturbances,
    )
    engine = SessionEngine()
    updates: list[SessionUpdate] = []
    for event in simulator.events(LEAD_IN_S + protocol.duration_s + 5.0):
        updates.extend(engine.handle(event))
    updates.extend(engine.finish())
    return updates


def run_finder(updates: list[SessionUpdate], finder: ResonanceFinder) -> list[object]:
    events: list[object] = []
    for update in updates:
        if finder.start_s is None and update.t_s >= LEAD_IN_S:
            events.extend(finder.start(LEAD_IN_S))
        events.extend(finder.feed(update))
    return events


@pytest.fixture(scope="module")
def finder_run() -> tuple[ResonanceFinder, list[object], list[SessionUpdate]]:
    updates = session_updates(seed=1)
    finder = ResonanceFinder()
    return finder, run_finder(updates, finder), updates


# -- the finder -----------------------------------------------------------------------------------


def test_the_finder_picks_the_simulated_clients_resonance_rate(finder_run) -> None:
    finder, events, _ = finder_run
    result = finder.result
    assert result is not None and finder.finished and not finder.running
    assert result.best_rate_per_min == TRUE_RESONANCE_PER_MIN, result.reason
    assert 5.0 < result.fitted_peak_per_min < 6.0
    assert [s.metrics.rate_per_min for s in result.scores] == [6.5, 6.0, 5.5, 5.0, 4.5]
    assert all(s.metrics.valid and s.metrics.followed_pacer for s in result.scores)
    best = result.score_of(5.5).metrics
    edges = (result.score_of(6.5).metrics, result.score_of(4.5).metrics)
    assert all(best.lf_peak_power_ms2 > m.lf_peak_power_ms2 for m in edges)
    assert isinstance(events[-1], FinderFinished) and events[-1].result is result
    print(
        "finder on the simulator (resonance 5.5/min):",
        result.best_rate_per_min,
        f"fitted peak {result.fitted_peak_per_min:.2f}",
        {f"{s.metrics.rate_per_min:g}": round(s.score, 3) for s in result.scores},
    )


@pytest.mark.parametrize("seed", [2, 3])
def test_the_finder_picks_it_on_other_seeds_too(seed: int) -> None:
    finder = ResonanceFinder()
    run_finder(session_updates(seed=seed), finder)
    assert finder.result is not None
    assert finder.result.best_rate_per_min == TRUE_RESONANCE_PER_MIN, finder.result.reason


def test_steps_start_and_finish_on_the_protocols_schedule(finder_run) -> None:
    _, events, _ = finder_run
    started = [e for e in events if isinstance(e, StepStarted)]
    finished = [e for e in events if isinstance(e, StepFinished)]
    assert [e.step.rate_per_min for e in started] == [6.5, 6.0, 5.5, 5.0, 4.5]
    assert [e.t_s for e in started] == [LEAD_IN_S + 120.0 * i for i in range(5)]
    assert [e.t_s for e in finished] == [LEAD_IN_S + 120.0 * (i + 1) for i in range(5)]
    # Each step is announced before its beats and measured right after its end.
    order = [type(e).__name__ for e in events]
    assert order == ["StepStarted", "StepFinished"] * 5 + ["FinderFinished"]
    for e in finished:
        assert e.metrics.analysed_s == pytest.approx(90.0)
        assert 85 < e.metrics.beats < 140


def test_rate_now_and_progress_follow_the_run() -> None:
    finder = ResonanceFinder()
    assert finder.rate_now() is None and not finder.progress().running
    finder.start(100.0)
    assert finder.rate_now() == 6.5
    progress = finder.progress()
    assert progress.running and progress.settling and progress.fraction == 0.0
    finder.advance(100.0 + 130.0)
    assert finder.rate_now() == 6.0
    progress = finder.progress()
    assert progress.step.rate_per_min == 6.0 and progress.step_left_s == pytest.approx(110.0)
    assert progress.fraction == pytest.approx(130.0 / 600.0)
    finder.advance(100.0 + 200.0)
    assert not finder.progress().settling


def test_a_lost_strap_does_not_stall_the_run_and_its_step_is_left_out() -> None:
    # The strap drops out for 40 s in the middle of the 5.0/min step's analysed span.
    drop = (LEAD_IN_S + 360.0 + 40.0, LEAD_IN_S + 360.0 + 80.0)
    updates = session_updates(seed=1, disturbances=Disturbances(dropouts=(drop,)))
    finder = ResonanceFinder()
    run_finder(updates, finder)
    result = finder.result
    assert result is not None
    assert [m.rate_per_min for m in result.skipped] == [5.0]
    assert "gap" in result.skipped[0].problem
    assert result.best_rate_per_min is not None
    assert abs(result.best_rate_per_min - TRUE_RESONANCE_PER_MIN) <= 0.5


def test_time_alone_moves_the_run_on_when_no_beats_arrive() -> None:
    finder = ResonanceFinder(ResonanceProtocol(rates_per_min=(6.0, 5.0), step_s=90.0))
    finder.start(0.0)
    events = finder.advance(200.0)
    assert [type(e).__name__ for e in events] == [
        "StepFinished", "StepStarted", "StepFinished", "FinderFinished",
    ]  # fmt: skip
    assert finder.result.best_rate_per_min is None
    assert "repeat" in finder.result.reason


def test_a_stopped_run_ignores_further_updates(finder_run) -> None:
    _, _, updates = finder_run
    finder = ResonanceFinder()
    finder.start(LEAD_IN_S)
    finder.stop()
    assert not finder.running and finder.rate_now() is None
    assert all(finder.feed(u) == [] for u in updates[:200])
    assert finder.result is None


# -- the simulator's resonance frequency ----------------------------------------------------------


DEFAULT_SESSION_SHA256 = "1b4f9f26c452a5b0"
"""First 16 hex digits of the SHA-256 of ``simulated_rr(seed=5, duration_s=400)``'s RR bytes,
recorded with the simulator as it was before ``resonance_hz`` existed (commit ea79dac)."""


def test_the_simulator_is_unchanged_without_a_resonance_frequency() -> None:
    _, rr = simulated_rr(seed=5, duration_s=400.0)
    assert hashlib.sha256(np.asarray(rr).tobytes()).hexdigest()[:16] == DEFAULT_SESSION_SHA256
    explicit = HeartSimulator(seed=5, resonance_hz=RESONANCE_HZ)
    beats = []
    for beat in explicit.heart_beats():
        if beat.t_s > 400.0:
            break
        beats.append(beat.rr_ms)
    assert np.array_equal(np.array(beats), rr)
    assert resonance_gain(0.1) == resonance_gain(0.1, RESONANCE_HZ)


def test_the_resonance_gain_peaks_at_the_chosen_frequency() -> None:
    f0 = 5.0 / 60.0
    rates = np.linspace(3.0, 9.0, 601) / 60.0
    gains = [resonance_gain(f, f0) for f in rates]
    assert rates[int(np.argmax(gains))] == pytest.approx(f0, abs=0.01 / 60)
    assert resonance_gain(f0, f0) > resonance_gain(6.0 / 60.0, f0)


def test_a_slower_resonance_moves_the_largest_oscillation_to_slower_breathing() -> None:
    def lf_power(resonance_per_min: float, breathing_per_min: float) -> float:
        script = [
            Phase("paced", 300, hr_bpm=66, rsa_ms=35, breathing_per_min=breathing_per_min,
                  lf_ms=0, noise_ms=4, paced=True),
        ]  # fmt: skip
        simulator = HeartSimulator(script, seed=3, resonance_hz=resonance_per_min / 60)
        rr = []
        for beat in simulator.heart_beats():
            if beat.t_s > 300:
                break
            rr.append(beat.rr_ms)
        return float(np.var(rr))

    assert lf_power(4.5, 4.5) > lf_power(4.5, 6.5)
    assert lf_power(6.5, 6.5) > lf_power(6.5, 4.5)


def test_the_simulator_refuses_an_impossible_resonance() -> None:
    with pytest.raises(ValueError):
        HeartSimulator(resonance_hz=0.5)


# -- the client store -----------------------------------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_chosen_rate_is_stored_owner_only_and_becomes_the_pacer_default(
    tmp_path: Path, finder_run
) -> None:
    finder, _, _ = finder_run
    store = ClientStore(tmp_path / "clients")
    assert store.load("C017") is None
    assert store.load_or_new("C017").pacer_rate_per_min == 6.0
    profile = store.record_finder_result("C017", finder.result)
    assert profile.resonance_rate_per_min == 5.5 and profile.pacer_rate_per_min == 5.5
    path = store.path_for("C017")
    assert path == tmp_path / "clients" / "C017.json"
    assert mode_of(path) == 0o600 and mode_of(path.parent) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["C017.json"]  # no partial file left
    again = ClientStore(tmp_path / "clients").load("C017")
    assert again == profile
    entry = again.finder_history[-1]
    assert entry["best_rate_per_min"] == 5.5 and entry["adopted"] is True
    assert set(entry["scores"]) == {"6.5", "6", "5.5", "5", "4.5"}
    text = path.read_text()
    assert "C017" in text and "name" not in text.lower()


def test_the_store_keeps_a_short_history_and_a_manual_rate(tmp_path: Path, finder_run) -> None:
    finder, _, _ = finder_run
    store = ClientStore(tmp_path)
    for _ in range(HISTORY_LENGTH + 3):
        store.record_finder_result("C020", finder.result, adopt=False)
    profile = store.load("C020")
    assert len(profile.finder_history) == HISTORY_LENGTH
    assert profile.resonance_rate_per_min is None  # never adopted
    profile = store.set_pacer("C020", rate_per_min=9.0, inhale_fraction=0.3)
    assert profile.resonance_rate_per_min == 7.0 and profile.inhale_fraction == 0.3
    with pytest.raises(ValueError):
        store.set_pacer("C020", inhale_fraction=0.9)


def test_client_codes_are_checked_before_they_become_file_names(tmp_path: Path) -> None:
    store = ClientStore(tmp_path)
    for bad in ("../escape", "Jane Doe", "", "a/b"):
        with pytest.raises(ValueError):
            store.path_for(bad)


def test_a_damaged_or_foreign_file_is_a_clear_error(tmp_path: Path) -> None:
    store = ClientStore(tmp_path)
    store.path_for("C001").write_text("{not json")
    with pytest.raises(ClientStoreError, match="damaged"):
        store.load("C001")
    store.path_for("C002").write_text(json.dumps({"hello": 1}))
    with pytest.raises(ClientStoreError, match="not a Session Monitor client file"):
        store.load("C002")
    good = ClientProfile("C003", 5.0).as_json()
    store.path_for("C003").write_text(json.dumps({**good, "version": 99}))
    with pytest.raises(ClientStoreError, match="version"):
        store.load("C003")
    store.path_for("C004").write_text(json.dumps({**good, "client_code": "C004",
                                                  "resonance_rate_per_min": math.inf}))  # fmt: skip
    with pytest.raises(ClientStoreError):
        store.load("C004")
    store.path_for("C005").write_text(json.dumps(good))
    with pytest.raises(ClientStoreError, match="belongs to client C003"):
        store.load("C005")


def test_the_default_folder_is_per_user_and_can_be_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CLIENTS_ENV, raising=False)
    folder = default_clients_folder()
    assert folder.name == "clients" and "session-monitor" in str(folder)
    monkeypatch.setenv(CLIENTS_ENV, str(tmp_path / "elsewhere"))
    assert ClientStore().folder == tmp_path / "elsewhere"
    ClientStore().set_pacer("C009", rate_per_min=5.0)
    assert os.path.exists(tmp_path / "elsewhere" / "C009.json")
