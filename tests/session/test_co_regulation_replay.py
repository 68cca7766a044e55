"""The therapist's strap in replay (issue #18): the replay shows what the dashboard showed live.

A co-regulation session is recorded in-process from the simulator (a coupled therapist), then
replayed from the file alone: the therapist's packets re-parsed through the therapist's own
engine, exactly as live. Live and replay are compared update by update, so the test fails if the
replay drops the therapist's strap, feeds it to the client's engine, or judges it differently.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.replay import TherapistItem
from monitor.recording.reader import read_session, replay_source
from monitor.session.engine import SessionEngine, SessionUpdate
from monitor.session.headless_replay import replay_headless
from monitor.session.live import LiveOptions, LiveSession
from monitor.session.live_synchrony import LiveSynchrony
from monitor.session.paired_sources import Wearer
from monitor.session.replay_model import feed, opening_updates, replay_engine, therapist_strap_for
from tests.session.coupled_session import run_coupled_session


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[SessionUpdate], object]:
    path = tmp_path_factory.mktemp("coreplay") / "co.sqlite"
    updates, session = run_coupled_session(path, duration_s=720)
    assert session.therapist is not None
    return path, updates, session.therapist.engine.judge.summary()


def _synchrony_trace(updates: list[SessionUpdate]) -> list[tuple[float, float, bool]]:
    seen = []
    last = None
    for update in updates:
        span = update.synchrony
        if span is not None and span is not last and span.result is not None:
            seen.append((span.end_s, span.result.effect_size, span.result.above_chance))
            last = span
    return seen


def test_the_replay_feeds_the_therapist_strap_to_its_own_engine_as_live(live: tuple) -> None:
    """Replayed from the file alone: the client's beats are live's; each client update carries
    the synchrony of the beats both engines had judged by then, computed here by a second,
    independent pair of engines fed in the file's order (the synchrony's numbers themselves are
    checked against a numpy reference in tests/core/test_synchrony.py). Live ran at infinite
    speed, where the two simulated straps interleave as the event loop schedules them, so the
    live trace is compared by its verdict, not bin by bin."""
    path, live_updates, live_therapist = live
    session = read_session(path)
    assert session.therapist_packets is not None and len(session.therapist_packets) > 500
    items = list(replay_source(session, speed=math.inf).items())
    assert sum(isinstance(i, TherapistItem) for i in items) >= len(session.therapist_packets)
    engine = replay_engine(session.metadata)
    therapist = therapist_strap_for(session)
    assert therapist is not None
    own_engine, own_synchrony = SessionEngine(), LiveSynchrony()
    replayed: list[SessionUpdate] = list(opening_updates(engine, session))
    checked = 0
    for item in items:
        updates = feed(engine, item, therapist)
        if isinstance(item, TherapistItem):
            assert updates == []  # the therapist's strap never reaches the client's views
            for update in own_engine.handle(item.event):
                if (beat := update.beat) is not None:
                    own_synchrony.add(
                        Wearer.THERAPIST, beat.t_s, beat.indices.hr_10s_bpm, beat.nn_ms
                    )
        for update in updates:
            if (beat := update.beat) is not None:
                own_synchrony.add(Wearer.CLIENT, beat.t_s, beat.indices.hr_10s_bpm, beat.nn_ms)
            assert update.synchrony == own_synchrony.latest
            checked += own_synchrony.latest is not None
        replayed.extend(updates)
    replayed.extend(therapist.beside(u) for u in engine.finish())
    therapist.finish()
    assert checked > 500
    live_beats = [u.beat.t_s for u in live_updates if u.beat is not None]
    replay_beats = [u.beat.t_s for u in replayed if u.beat is not None]
    assert replay_beats == pytest.approx(live_beats, abs=1e-6)
    live_trace, replay_trace = _synchrony_trace(live_updates), _synchrony_trace(replayed)
    assert len(replay_trace) > 20 and abs(len(replay_trace) - len(live_trace)) <= 2
    # Coupled: above chance in most bins, in as many bins as live (give or take the two
    # straps' interleaving at the edges).
    above_live, above_replay = (sum(a for *_, a in trace) for trace in (live_trace, replay_trace))
    assert above_replay > len(replay_trace) / 2 and abs(above_replay - above_live) <= 2
    # The therapist's own judge: the same time in each zone as live.
    zones = live_therapist.time_in_zones_s["whole session"]
    replayed_zones = therapist.engine.judge.summary().time_in_zones_s["whole session"]
    assert replayed_zones == pytest.approx(zones, abs=1e-6)
    readings = [u.therapist_reading for u in replayed if u.therapist_reading is not None]
    assert readings and readings[-1] is therapist.reading


def test_a_session_without_a_therapist_replays_without_one(tmp_path: Path) -> None:
    path = tmp_path / "solo.sqlite"
    asyncio.run(
        LiveSession(LiveOptions(simulate=True, speed=math.inf, duration_s=60, out=path)).run()
    )
    session = read_session(path)
    assert session.therapist_packets is None and therapist_strap_for(session) is None
    assert not any(isinstance(i, TherapistItem) for i in replay_source(session).items())
    assert replay_headless(path).therapist_tolerance is None


def test_headless_replay_gives_the_therapist_and_the_synchrony_per_phase(live: tuple) -> None:
    path, _, live_therapist = live
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "replay", str(path), "--headless", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    zones = live_therapist.time_in_zones_s["whole session"]
    for zone, seconds in zones.items():
        assert out["therapist"]["time_in_window"][f"{zone}_s"] == pytest.approx(seconds, abs=0.06)
    synchrony = out["synchrony"]
    assert synchrony["whole_session"]["above_chance"] is True
    assert synchrony["whole_session"]["leader"] == "client"
    assert {"baseline", "imagery"} <= set(synchrony["phases"])
