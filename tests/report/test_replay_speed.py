"""Replay at 60× of a 50-minute session reaches the end in under a minute without dropped events.

The engine-level check behind the replay window: a 50-minute simulated session is recorded into
a temporary session file (the live recorder, simulator at full speed), then replayed through
:class:`drivers.replay.ReplaySource` at 60× into a :class:`monitor.session.engine.SessionEngine`,
the way the replay window will drive it. 50 minutes at 60× is 50 s of wall time by design, so
this test is marked slow.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from drivers.events import ConnectionState, HeartRatePacket, SourceEvent, StateChanged
from drivers.replay import ReplayMarker, ReplayRestarted
from monitor.recording.model import THERAPIST_EVENT_KINDS, EventKind, SessionEvent
from monitor.recording.reader import read_session, replay_source
from monitor.session.engine import SessionEngine
from monitor.session.live import LiveOptions, LiveSession

SESSION_S = 3000.0
SPEED = 60.0


@dataclass
class Replayed:
    wall_s: float
    packets: list[HeartRatePacket]
    source_events: list[SourceEvent]
    markers: list[SessionEvent]
    beats: int
    alerts: list[tuple[str, float]]
    last_item: object


def replay(path: Path, speed: float) -> Replayed:
    """Replay the file at ``speed`` through a session engine, as the replay window will."""
    session = read_session(path)
    source = replay_source(session, speed=speed)
    engine = SessionEngine()
    out = Replayed(0.0, [], [], [], 0, [], None)

    async def pump() -> None:
        async for item in source.events():
            out.last_item = item
            assert not isinstance(item, ReplayRestarted)
            if isinstance(item, ReplayMarker):
                event = item.payload
                assert isinstance(event, SessionEvent)
                out.markers.append(event)
                if event.kind == EventKind.PHASE:  # the therapist's markers drive the engine
                    engine.add_phase(event.t_s, event.text)
                continue
            if isinstance(item, HeartRatePacket):
                out.packets.append(item)
            else:
                out.source_events.append(item)
            for update in engine.handle(item):
                out.beats += update.beat is not None
        for update in engine.finish():
            out.beats += update.beat is not None

    started = time.monotonic()
    asyncio.run(pump())
    out.wall_s = time.monotonic() - started
    out.alerts = [(str(a.kind), a.start_s) for a in engine.judge.alerts]
    return out


@pytest.fixture(scope="module")
def fifty_minutes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("replay") / "fifty_minutes.sqlite"
    options = LiveOptions(simulate=True, speed=math.inf, duration_s=SESSION_S, seed=5, out=out,
                          client_code="R050")  # fmt: skip
    path = asyncio.run(LiveSession(options).run())
    assert path == out
    return out


@pytest.mark.slow
def test_replay_at_60x_is_paced_and_drops_nothing(
    fifty_minutes: Path,
) -> None:
    session = read_session(fifty_minutes)
    assert session.duration_s >= SESSION_S - 2
    paced = replay(fifty_minutes, SPEED)
    minutes = session.duration_s / 60
    print(f"\nreplay of {minutes:.1f} min at {SPEED:g}x: {paced.wall_s:.1f} s wall, "
          f"{len(paced.packets)} packets, {paced.beats} beats")  # fmt: skip
    # Paced, not dumped: 50 min / 60 = 50 s at least. How far past that a loaded machine runs
    # is printed above, not asserted (a wall-clock bound would fail under load).
    assert session.duration_s / SPEED * 0.97 <= paced.wall_s

    # Every packet, in order, byte for byte.
    assert [(p.arrival_s, p.raw) for p in paced.packets] == session.packets.pairs()
    # Every recorded source event (connection, battery, contact, gaps, device) ...
    recorded_source = [e for e in session.events if e.kind not in THERAPIST_EVENT_KINDS]
    replayed_source = paced.source_events
    if getattr(replayed_source[-1], "detail", "") == "end of recording":
        replayed_source = replayed_source[:-1]  # the replay's own end, not a recorded event
    assert len(replayed_source) == len(recorded_source)
    assert [e.arrival_s for e in replayed_source] == pytest.approx(
        sorted(e.t_s for e in recorded_source)
    )
    # ... and every phase marker and alert the therapist saw.
    assert paced.markers == [e for e in session.events if e.kind in THERAPIST_EVENT_KINDS]
    last = paced.last_item
    assert isinstance(last, StateChanged) and last.state is ConnectionState.STOPPED

    # Pacing drops nothing the engine computes: the same beats and alerts as a replay at full
    # speed, and the alerts recorded live.
    fast = replay(fifty_minutes, math.inf)
    assert paced.beats == fast.beats >= len(session.beats) - 5
    assert paced.alerts == fast.alerts
    live = [(str(e.data["alert_kind"]), e.t_s) for e in session.events
            if e.kind == EventKind.ALERT]  # fmt: skip
    assert [kind for kind, _ in paced.alerts] == [kind for kind, _ in live]
    assert [t for _, t in paced.alerts] == pytest.approx([t for _, t in live], abs=1e-6)
