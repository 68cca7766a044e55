"""Fixtures for the dashboard tests: real Qt (offscreen, set in tests/conftest.py), real session
engine runs on the simulator, and settings, recordings and client files kept in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_runs import ALERT_RUN_S, DROPOUT_S, record_widened_live, run_engine

from drivers.events import ConnectionState
from drivers.simulator import Disturbances
from monitor.session.engine import SessionUpdate


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


@pytest.fixture(scope="session")
def widened_live(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A live session file whose window the therapist widened by 1 SD at 7:00
    (:func:`engine_runs.record_widened_live`)."""
    return record_widened_live(tmp_path_factory.mktemp("widened") / "widened.sqlite")


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
