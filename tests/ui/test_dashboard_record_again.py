"""Recording again after the session file failed: the recording notice's "Record again in a new
file" button ends the failed session and starts a new one into a new file, and the failed file
keeps exactly what it had.

Real parts: the dashboard (offscreen Qt), live simulated sessions on its worker thread, SQLite
files made unwritable by the kernel refusing to let any file grow (``RLIMIT_FSIZE``, the
``file_size_limit`` fixture), lifted again as if space had been freed, and a recordings folder
that cannot be created (its parent is a plain file).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from engine_runs import committed_beats
from PySide6.QtCore import Qt

from monitor.recording.model import EventKind
from monitor.recording.reader import read_session
from monitor.session.live import LiveOptions
from monitor.ui.dashboard.window import MainWindow
from monitor.ui.settings_store import DashboardSettings

CARRIED_SOURCE = "session just before, whose recording failed (session.sqlite)"


@pytest.fixture
def window(qtbot: object, dashboard_app: object, tmp_path: Path) -> Iterator[MainWindow]:
    """A dashboard on a fast simulated session recording into ``tmp_path / "session.sqlite"``,
    not yet started; its session is stopped and waited for at the end."""
    # 60x: the 300-s baseline is taken within ~5 s, so the new session can be shown to reuse it.
    options = LiveOptions(simulate=True, speed=60.0, out=tmp_path / "session.sqlite")
    dashboard = MainWindow(options, DashboardSettings(), settings_path=tmp_path / "settings.json")
    dashboard.show()
    yield dashboard
    if dashboard.runner.running:
        dashboard.runner.stop()
        assert dashboard.runner.wait(120.0)
    dashboard.close()
    dashboard.deleteLater()


def fail_recording(qtbot: object, window: MainWindow, out: Path, file_size_limit: object) -> None:
    """Start the session, and once it has committed beats (and taken its baseline) make the
    disk refuse to let the file grow until the dashboard says it is not recording; then the
    limit goes, as if space had been freed."""
    assert window.start_session()
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: window.model.baseline is not None and committed_beats(out) >= 20, timeout=120_000
    )
    sizes = [p.stat().st_size for p in (out, Path(f"{out}-wal")) if p.exists()]
    with file_size_limit(max(sizes) + 4096):  # type: ignore[operator]
        qtbot.waitUntil(  # type: ignore[attr-defined]
            lambda: window.model.recording_error is not None, timeout=120_000
        )
    window.refresh()
    assert window.start_stop_button.text() == "■ End session"


def test_record_again_writes_a_new_file_and_leaves_the_failed_one_as_it_was(
    qtbot: object, window: MainWindow, tmp_path: Path, file_size_limit: object
) -> None:
    out = tmp_path / "session.sqlite"
    fail_recording(qtbot, window, out, file_size_limit)
    kept = read_session(out).beats
    baseline = window.model.baseline
    assert baseline is not None and baseline.source == "this session"
    button = window.recording_notice.record_again_button
    assert button.isVisible() and button.isEnabled()
    assert "a new file" in window.recording_notice.detail.text()

    with qtbot.waitSignal(window.runner.recording, timeout=120_000) as new_file:  # type: ignore[attr-defined]
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    new_path = Path(new_file.args[0])
    assert new_path != out
    assert new_path.parent == tmp_path / "recordings", "a new file, not one beside or in the old"
    # The new session records, with nothing left of the failure on screen.
    qtbot.waitUntil(lambda: committed_beats(new_path) >= 20, timeout=120_000)  # type: ignore[attr-defined]
    window.refresh()
    assert window.runner.running
    assert window.model.recording_error is None
    assert window.recording_notice.isHidden()
    assert window.status_strip.text("recording") == "● on"
    assert window.start_stop_button.text() == "■ Stop recording"
    assert window.status_strip.fields["recording"].toolTip() == str(new_path)
    assert window.statusBar().currentMessage() == (
        "Recording again into a new file; session.sqlite keeps everything before"
    )
    # Judged against the same baseline from the first beat, named for where it came from.
    reused = window.model.baseline
    assert reused is not None and reused.source == CARRIED_SOURCE
    assert (reused.hr_bpm, reused.ln_rmssd) == (baseline.hr_bpm, baseline.ln_rmssd)

    with qtbot.waitSignal(window.runner.finished, timeout=120_000):  # type: ignore[attr-defined]
        window.toggle_session()
    # The failed file was not written into again: the same beats, to the last one.
    after = read_session(out).beats
    assert len(after) == len(kept) >= 20
    assert np.array_equal(after.t_s, kept.t_s)
    recorded = read_session(new_path)
    assert len(recorded.beats) >= 20
    notes = [event.text for event in recorded.events if event.kind is EventKind.NOTE]
    assert any(note.startswith(f"Baseline reused from the {CARRIED_SOURCE}") for note in notes)


def test_without_a_usable_folder_for_the_new_file_the_live_view_goes_on_unrecorded(
    qtbot: object,
    window: MainWindow,
    tmp_path: Path,
    file_size_limit: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "session.sqlite"
    fail_recording(qtbot, window, out, file_size_limit)
    kept = committed_beats(out)
    # The recordings folder cannot be made: its parent is a plain file.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("SESSION_MONITOR_RECORDINGS", str(blocker / "recordings"))

    qtbot.mouseClick(window.recording_notice.record_again_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: (
            window.statusBar().currentMessage().startswith("Could not record into a new file")
            and window.runner.running
        ),
        timeout=120_000,
    )
    # The live view is back, and says plainly that nothing is recorded.
    qtbot.waitUntil(lambda: window.model.beats.beats >= 20, timeout=120_000)  # type: ignore[attr-defined]
    window.refresh()
    assert window.model.reading is not None
    assert window.status_strip.text("recording") == "not recording"
    assert window.start_stop_button.text() == "■ End session"
    assert window.recording_path is None
    assert window.model.baseline is not None and window.model.baseline.source == CARRIED_SOURCE
    assert window.statusBar().currentMessage().endswith("The live view goes on, not recorded.")
    assert committed_beats(out) == kept, "the failed file was not written into again"
