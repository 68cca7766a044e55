"""Real session-engine runs on the simulator, shared by the dashboard tests and their fixtures.

(A module of its own, not ``conftest``: test modules that import ``conftest`` by name get
whichever directory's conftest pytest loaded last when several test folders run together.)
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

from drivers.simulator import Disturbances, HeartSimulator
from monitor.core.tolerance import ToleranceSettings
from monitor.recording.errors import UnreadableFileError
from monitor.recording.reader import read_session
from monitor.session.engine import SessionEngine, SessionUpdate
from monitor.session.live import LiveOptions, LiveSession

ALERT_RUN_S = 480.0
"""Long enough for the baseline (300 s) and the scripted session's first hyper alert (~436 s)."""

DROPOUT_S = (330.0, 345.0)

WIDENED_AT_S = 420.0
"""When the therapist widens the window in :func:`record_widened_live`: after the session's
first early warning (~6:27), before the pause-for-grounding alert the starting window would
raise (~7:14), so the widening changes the alerts."""


def run_engine(
    duration_s: float,
    *,
    seed: int = 1,
    disturbances: Disturbances | None = None,
    phases: tuple[tuple[float, str], ...] = (),
) -> list[SessionUpdate]:
    """Every update of a real :class:`SessionEngine` fed the simulator's events (no sleeping)."""
    engine = SessionEngine()
    pending = sorted(phases)
    updates: list[SessionUpdate] = []
    for event in HeartSimulator(seed=seed, disturbances=disturbances).events(duration_s):
        for update in engine.handle(event):
            while pending and pending[0][0] <= update.t_s:
                t_s, name = pending.pop(0)
                updates.extend(engine.add_phase(t_s, name))
            updates.append(update)
    updates.extend(engine.finish())
    return updates


def committed_beats(path: Path) -> int:
    """Beats another reader sees in the session file (0 while it is still being created)."""
    try:
        return len(read_session(path).beats)
    except UnreadableFileError:
        return 0


def record_widened_live(path: Path) -> Path:
    """Record a live simulated session (engine, writer, SQLite file at ``path``; seed 4,
    560 s) in which the therapist widens the window by 1 SD at :data:`WIDENED_AT_S`, through
    the path the dashboard's "wider" takes. Returns ``path``."""
    options = LiveOptions(simulate=True, speed=math.inf, duration_s=560.0, seed=4, out=path)
    wider = ToleranceSettings().widened(1.0)
    asked: list[bool] = []

    def on_update(update: SessionUpdate) -> None:
        if update.t_s >= WIDENED_AT_S and not asked:
            asked.append(True)  # the therapist presses "wider" (the dashboard's runner.call)
            session.call(lambda engine, now_s: engine.set_tolerance(now_s, wider))

    session = LiveSession(options, on_update=on_update)
    asyncio.run(session.run())
    return path
