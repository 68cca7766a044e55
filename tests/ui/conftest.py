"""Fixtures for the dashboard tests: real Qt (offscreen, set in tests/conftest.py), real session
engine runs on the simulator, and settings, recordings and client files kept in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.events import ConnectionState
from drivers.simulator import Disturbances, HeartSimulator
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


@pytest.fixture(scope="session")
def alert_run() -> list[SessionUpdate]:
    """The scripted session to just past its first pause-for-grounding alert, with phases, as
    seen while it is still live (without the simulator's final "stopped")."""
    updates = run_engine(ALERT_RUN_S, phases=((0.0, "baseline"), (300.0, "imagery")))
    return [u for u in updates if u.status.state is not ConnectionState.STOPPED]


@pytest.fixture(scope="session")
def dropout_run() -> list[SessionUpdate]:
    """A session whose strap drops out for 15 s after the baseline."""
    return run_engine(360.0, disturbances=Disturbances(dropouts=(DROPOUT_S,)))


@pytest.fixture(autouse=True)
def _private_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # No test may read or write the real per-user settings or recordings.
    monkeypatch.setenv("SESSION_MONITOR_CONFIG", str(tmp_path / "config" / "dashboard.json"))
    monkeypatch.setenv("SESSION_MONITOR_RECORDINGS", str(tmp_path / "recordings"))
    # The dashboard reads (and the finder writes) clients' pacer rates.
    monkeypatch.setenv("SESSION_MONITOR_CLIENTS", str(tmp_path / "clients"))
    yield


@pytest.fixture
def dashboard_app(qapp: object) -> object:
    """pytest-qt's QApplication with the dashboard's style and plot defaults."""
    from monitor.ui.app import configure_application

    return configure_application()
