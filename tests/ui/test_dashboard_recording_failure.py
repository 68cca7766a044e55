"""The dashboard when the session file stops being writable mid-session: the recording indicator
turns into a filled "not recording", a notice says why until the session ends, the live view goes
on, and the file keeps what was written before.

Real parts: the dashboard (offscreen Qt), a live simulated session on its worker thread, and its
SQLite file made unwritable by the kernel refusing to let any file grow (``RLIMIT_FSIZE``, the
``file_size_limit`` fixture).
"""

from __future__ import annotations

from pathlib import Path

from engine_runs import committed_beats

from monitor.recording.reader import read_session
from monitor.session.live import LiveOptions
from monitor.ui.dashboard.window import MainWindow
from monitor.ui.settings_store import DashboardSettings

SPEED = 20.0
REASON = "the disk refused a write (disk I/O error)"


def test_a_failed_recording_is_shown_until_the_end_and_the_live_view_goes_on(
    qtbot: object, dashboard_app: object, tmp_path: Path, file_size_limit: object
) -> None:
    out = tmp_path / "session.sqlite"
    options = LiveOptions(simulate=True, speed=SPEED, out=out, client_code="C017")
    window = MainWindow(options, DashboardSettings(), settings_path=tmp_path / "settings.json")
    window.show()
    try:
        assert window.start_session()
        # At least 20 beats committed to the file (not only shown) before the disk fails, so the
        # count kept afterwards is known.
        qtbot.waitUntil(lambda: committed_beats(out) >= 20, timeout=120_000)
        window.refresh()
        assert window.status_strip.text("recording") == "● on"
        assert window.recording_notice.isHidden()
        assert window.start_stop_button.text() == "■ Stop recording"

        sizes = [p.stat().st_size for p in (out, Path(f"{out}-wal")) if p.exists()]
        with file_size_limit(max(sizes) + 4096):  # type: ignore[operator]
            qtbot.waitUntil(lambda: window.model.recording_error is not None, timeout=120_000)
            failed_at_beats = window.model.beats.beats
            window.refresh()
            assert window.status_strip.text("recording") == "not recording"
            assert "background" in window.status_strip.fields["recording"].styleSheet()
            notice = window.recording_notice
            assert not notice.isHidden()
            assert notice.title.text() == f"Not recording — {REASON}; the live view continues"
            assert "Everything before is kept in session.sqlite" in notice.detail.text()
            tooltip = window.status_strip.fields["recording"].toolTip()
            assert tooltip.startswith(f"Not recording: {REASON}")
            assert tooltip.endswith(f"is kept in {out}."), "the path is what is kept, not written"
            # The controls tell the truth too: the button ends the live view, it stops no
            # recording.
            button = window.start_stop_button
            assert button.text() == "■ End session"
            assert "recording" not in button.text().lower()
            assert "nothing is being recorded" in button.toolTip()
            assert "recording" not in window.windowTitle().lower()
            # The live view goes on: beats keep coming, drawn and judged.
            qtbot.waitUntil(
                lambda: window.model.beats.beats > failed_at_beats + 20, timeout=120_000
            )
            window.refresh()
            assert window.model.reading is not None
            assert window.runner.running
            assert not notice.isHidden(), "kept while the session runs"
            assert button.text() == "■ End session"

        with qtbot.waitSignal(window.runner.finished, timeout=120_000):
            window.stop_session()
        window.refresh()
        assert window.recording_notice.isHidden(), "the session is over"
        assert window.start_stop_button.text() == "● Start recording"
        failed = window.model.recording_failed_s
        assert failed is not None
        minutes, seconds = divmod(int(failed), 60)
        assert window.status_strip.text("recording") == f"saved up to {minutes}:{seconds:02d}"
        message = window.statusBar().currentMessage()
        assert message == (
            f"Session ended. The recording had stopped at {minutes}:{seconds:02d}: {REASON}. "
            f"{out} keeps everything before."
        )
    finally:
        if window.runner.running:
            window.runner.stop()
            assert window.runner.wait(10.0)
        window.close()
        window.deleteLater()

    session = read_session(out)
    assert len(session.beats) >= 20
    assert session.beats.t_s[-1] <= failed
