"""Every file the UI writes that shows or lists client data is owner-only, whatever the umask
(issue #13): window screenshots, the dashboard's settings, the replay's recent-files list.

Real Qt offscreen, real files, umask 000 (the worst a shared machine can have).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

from monitor.ui.replay.recent import RecentFiles
from monitor.ui.screenshots import save_window_screenshots
from monitor.ui.settings_store import DashboardSettings, load_settings, save_settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_screenshots_are_owner_only(qapp: object, tmp_path: Path, open_umask: None) -> None:
    window = QLabel("session of client C017")
    window.setObjectName("dashboard")
    window.show()
    try:
        (picture,) = save_window_screenshots(tmp_path / "shots")
    finally:
        window.close()
    assert picture.name == "dashboard.png"
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (mode(picture), mode(picture.parent)) == (0o600, 0o700)
    assert [p.name for p in picture.parent.iterdir()] == ["dashboard.png"]  # no partial left


def test_settings_and_recent_files_are_owner_only(tmp_path: Path, open_umask: None) -> None:
    settings_path = tmp_path / "config" / "dashboard.json"
    save_settings(DashboardSettings(), settings_path)
    assert (mode(settings_path), mode(settings_path.parent)) == (0o600, 0o700)
    assert load_settings(settings_path) == DashboardSettings()

    session = tmp_path / "C017_2026-12-03.sqlite"
    session.write_bytes(b"")
    recent = RecentFiles(tmp_path / "state" / "recent.json")
    assert recent.add(session) == [session.resolve()]
    assert (mode(recent.path), mode(recent.path.parent)) == (0o600, 0o700)
