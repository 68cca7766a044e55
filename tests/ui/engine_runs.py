"""Real session-engine runs on the simulator, shared by the dashboard tests and their fixtures.

(A module of its own, not ``conftest``: test modules that import ``conftest`` by name get
whichever directory's conftest pytest loaded last when several test folders run together.)
"""

from __future__ import annotations

from pathlib import Path

from drivers.simulator import Disturbances, HeartSimulator
from monitor.recording.errors import UnreadableFileError
from monitor.recording.reader import read_session
from monitor.session.engine import SessionEngine, SessionUpdate

ALERT_RUN_S = 480.0
"""Long enough for the baseline (300 s) and the scripted session's first hyper alert (~436 s)."""

DROPOUT_S = (330.0, 345.0)


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
