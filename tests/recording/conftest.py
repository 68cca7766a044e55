"""Fixtures for the session-file tests: real SQLite files on disk under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from recording_helpers import SimulatedRecording, write_simulated_session


@pytest.fixture(scope="module")
def simulated_session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulatedRecording]:
    """A closed 3-minute simulated session file with therapist events, and what went into it."""
    path = tmp_path_factory.mktemp("session") / "C017_simulated.sqlite"
    recording = write_simulated_session(path)
    return path, recording


@pytest.fixture(autouse=True)
def _recordings_folder_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may write into the real per-user recordings folder.
    monkeypatch.setenv("SESSION_MONITOR_RECORDINGS", str(tmp_path / "default-recordings"))
