"""Record a live (simulated) session, then replay the file: the engine must see the same thing."""

from __future__ import annotations

import asyncio
import math
import os
import stat
from pathlib import Path

import numpy as np

from drivers.replay import ReplayMarker
from monitor.core.indices import WindowIndices
from monitor.recording.model import EventKind
from monitor.recording.reader import read_session, replay_source
from monitor.session.engine import SessionEngine, SessionUpdate
from monitor.session.live import LiveOptions, LiveSession


def record(tmp_path: Path, duration_s: float = 700.0) -> tuple[Path, list[SessionUpdate]]:
    updates: list[SessionUpdate] = []
    options = LiveOptions(
        simulate=True, speed=math.inf, duration_s=duration_s, seed=11,
        out=tmp_path / "live.sqlite", client_code="T017",
    )  # fmt: skip
    session = LiveSession(options, on_update=updates.append)
    path = asyncio.run(session.run())
    assert path == options.out
    return path, updates


def replay(path: Path) -> list[SessionUpdate]:
    async def run() -> list[SessionUpdate]:
        engine = SessionEngine()
        updates: list[SessionUpdate] = []
        async for item in replay_source(path, speed=math.inf).events():
            if isinstance(item, ReplayMarker):
                continue
            updates.extend(engine.handle(item))
        updates.extend(engine.finish())
        return updates

    return asyncio.run(run())


def beat_table(updates: list[SessionUpdate]) -> np.ndarray:
    names = WindowIndices.names()
    return np.array(
        [[u.beat.t_s, u.beat.nn_ms, *(getattr(u.beat.indices, n) for n in names)]
         for u in updates if u.beat is not None]
    )  # fmt: skip


def test_replay_of_a_recorded_session_gives_the_live_indices(tmp_path: Path) -> None:
    path, live = record(tmp_path)
    replayed = replay(path)
    live_table, replay_table = beat_table(live), beat_table(replayed)
    assert live_table.shape == replay_table.shape and live_table.shape[0] > 600
    np.testing.assert_allclose(replay_table, live_table, rtol=1e-9, atol=1e-9, equal_nan=True)
    live_zones = [u.reading.zone for u in live if u.beat is not None]
    # The replay has no phase markers driving the baseline span, so compare what the file
    # itself recorded: the alerts of the live run are in the file with reasons.
    session = read_session(path)
    alerts = [e for e in session.events if e.kind == EventKind.ALERT]
    assert any(e.data["alert_kind"] == "hyper" for e in alerts)
    assert all(e.text for e in alerts)
    assert len(live_zones) == live_table.shape[0]


def test_the_recorded_file_is_complete_and_private(tmp_path: Path) -> None:
    path, live = record(tmp_path, duration_s=400.0)
    session = read_session(path)
    assert session.metadata.client_code == "T017"
    assert session.metadata.end_utc is not None
    assert len(session.packets) > 350
    # Every beat is stored raw and classified once decided (all of them after a clean stop).
    assert len(session.beats) >= len([u for u in live if u.beat is not None]) - 2
    assert np.all(session.beats.beat_class >= 0)
    phases = [e.text for e in session.events if e.kind == EventKind.PHASE]
    assert phases[:2] == ["baseline", "imagery"]
    assert "tolerance" in session.metadata.settings
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_two_sessions_started_in_the_same_second_get_two_files(tmp_path: Path) -> None:
    import datetime as dt

    from monitor.recording.model import SessionMetadata, SourceKind
    from monitor.recording.session_file import SessionWriter

    start = dt.datetime(2026, 11, 21, 10, 0, 0, tzinfo=dt.UTC)
    metadata = SessionMetadata("C017", start, SourceKind.SIMULATOR, "test")
    paths = []
    for _ in range(3):
        writer = SessionWriter.create(metadata, folder=tmp_path)
        writer.close()
        paths.append(writer.path)
    assert len(set(paths)) == 3
    assert [p.name for p in paths][1:] == [
        "C017_2026-11-21T100000Z~2.sqlite",
        "C017_2026-11-21T100000Z~3.sqlite",
    ]


def test_events_reach_the_views_without_a_recorder() -> None:
    """Replay and demo views need gaps and connection changes even when nothing is written."""
    from drivers.simulator import Disturbances, HeartSimulator
    from monitor.recording.model import EventKind as Kind

    engine = SessionEngine()
    kinds = set()
    simulator = HeartSimulator(seed=3, disturbances=Disturbances(dropouts=((100.0, 110.0),)))
    for event in simulator.events(duration_s=150):
        for update in engine.handle(event):
            kinds.update(e.kind for e in update.events)
    assert {Kind.GAP, Kind.CONNECTION} <= kinds
