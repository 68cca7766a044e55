"""Keys and clicks become engine calls in a real live session (simulator, worker thread,
session file on disk); the recorded file is read back to check the engine and recorder got them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from monitor.recording.model import EventKind
from monitor.recording.reader import SessionReader
from monitor.session.live import LiveOptions
from monitor.ui.dashboard.shortcuts import SudsKeypad, assign_phase_keys
from monitor.ui.dashboard.window import MainWindow
from monitor.ui.settings_store import DashboardSettings, load_settings

SPEED = 20.0


@pytest.fixture
def live_window(qtbot: object, dashboard_app: object, tmp_path: Path) -> MainWindow:
    options = LiveOptions(simulate=True, speed=SPEED, folder=tmp_path / "rec", client_code="C017")
    window = MainWindow(options, DashboardSettings(), settings_path=tmp_path / "settings.json")
    # Not handed to qtbot: its teardown would close the window before the session is stopped,
    # and closing a running session asks the therapist first (a modal question).
    with qtbot.waitActive(window):  # shortcuts act in the active window
        window.show()
        window.activateWindow()
    assert window.start_session()
    qtbot.waitUntil(lambda: window.model.beats.beats > 3, timeout=120_000)
    yield window
    if window.runner.running:
        window.runner.stop()
        assert window.runner.wait(10.0)
    window.close()
    window.deleteLater()


def _stop_and_read(qtbot: object, window: MainWindow) -> SessionReader:
    with qtbot.waitSignal(window.runner.finished, timeout=120_000):
        window.stop_session()
    assert window.last_error == ""
    assert window.last_session_path is not None and window.last_session_path.exists()
    return SessionReader(window.last_session_path)


def test_keys_create_markers_suds_and_notes(qtbot: object, live_window: MainWindow) -> None:
    window = live_window
    keys = window.phase_keys
    model = window.model

    qtbot.keyClick(window, keys["imagery"])
    qtbot.waitUntil(lambda: model.current_phase == "imagery", timeout=120_000)
    qtbot.keyClick(window, "7")
    qtbot.waitUntil(lambda: [m.value for m in model.suds] == [7], timeout=120_000)
    qtbot.keyClick(window, "1")
    qtbot.keyClick(window, "0")
    qtbot.waitUntil(lambda: [m.value for m in model.suds] == [7, 10], timeout=120_000)
    qtbot.keyClick(window, "1")
    assert window.suds_keypad.pending and "SUDS 1" in window.panel.suds_status.text()
    qtbot.keyClick(window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: [m.value for m in model.suds] == [7, 10, 1], timeout=120_000)

    qtbot.keyClick(window, "n")
    assert window.panel.note_field.hasFocus()
    qtbot.keyClicks(window.panel.note_field, "client feels the floor")  # letters type, not mark
    qtbot.keyClick(window.panel.note_field, Qt.Key.Key_Return)
    noted = "client feels the floor"
    qtbot.waitUntil(lambda: any(m.text == noted for m in model.notes), timeout=120_000)
    assert not window.panel.note_field.hasFocus()

    qtbot.keyClick(window, "g")
    qtbot.waitUntil(lambda: model.current_phase == "grounding", timeout=120_000)
    assert model.resume_phase == "imagery"
    window.refresh()
    assert window.panel.resume_button.isEnabled()
    qtbot.keyClick(window, "r")
    qtbot.waitUntil(lambda: model.current_phase == "imagery", timeout=120_000)

    before = model.tolerance.upper_sd
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    assert model.tolerance.upper_sd == pytest.approx(before + 0.25)
    qtbot.waitUntil(lambda: any("window set to" in m.text for m in model.notes), timeout=120_000)

    with _stop_and_read(qtbot, window) as reader:
        phases = [e.text for e in reader.events(EventKind.PHASE)]
        suds = [e.value for e in reader.events(EventKind.SUDS)]
        notes = [e.text for e in reader.events(EventKind.NOTE)]
        windows = reader.events(EventKind.TOLERANCE)
        assert reader.metadata.client_code == "C017"
        assert reader.beats().t_s.size > 3
    # The simulated session marks its own baseline; ours follow it in the order typed.
    assert phases[-3:] == ["imagery", "grounding", "imagery"]
    assert suds == [7, 10, 1]
    assert "client feels the floor" in notes
    # The wider window is a timed event with the settings from then on (a replay applies it).
    assert [w.text for w in windows] == [
        "window set to upper 2.75 SD, edge 1.75 SD, lower -2.75 SD, dwell 20 s"
    ]
    assert windows[0].data["settings"]["upper_sd"] == pytest.approx(before + 0.25)
    # Typing the note did not mark phases with its letters.
    assert "calm place" not in phases and "debrief" not in phases


def test_buttons_do_what_their_keys_do(qtbot: object, live_window: MainWindow) -> None:
    window = live_window
    window.panel.phase_buttons["rescripting"].click()
    qtbot.waitUntil(lambda: window.model.current_phase == "rescripting", timeout=120_000)
    window.refresh()
    assert window.panel.phase_buttons["rescripting"].isChecked()
    window.panel.suds_buttons[4].click()
    qtbot.waitUntil(lambda: [m.value for m in window.model.suds] == [4], timeout=120_000)
    window.panel.grounding_button.click()
    qtbot.waitUntil(lambda: window.model.current_phase == "grounding", timeout=120_000)
    window.refresh()  # the next frame enables Resume
    window.panel.resume_button.click()
    qtbot.waitUntil(lambda: window.model.current_phase == "rescripting", timeout=120_000)
    with _stop_and_read(qtbot, window) as reader:
        assert [e.text for e in reader.events(EventKind.PHASE)][-3:] == [
            "rescripting", "grounding", "rescripting",
        ]  # fmt: skip


def test_the_session_thread_owns_the_engine_and_stop_saves(
    qtbot: object, live_window: MainWindow
) -> None:
    window = live_window
    assert window.runner.running
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=120_000)
    window.refresh()
    assert window.status_strip.text("recording") == "● on"
    assert window.gauge.state.title == "Calibrating the baseline"
    path = window.recording_path
    with _stop_and_read(qtbot, window) as reader:
        assert reader.path == path
    window.refresh()
    assert window.status_strip.text("recording") == "saved"
    assert window.status_strip.text("strap") == "stopped"
    assert "Session saved" in window.statusBar().currentMessage()
    # A new session starts from a clean slate into a new file. (Default file names carry the
    # start time to the second: a second session within the same second would collide.)
    qtbot.wait(1100)
    assert window.start_session()
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=120_000)
    assert window.recording_path != path
    assert window.model.suds == [] and window.model.beats.beats < 50


def test_actions_without_a_session_say_so(qtbot: object, dashboard_app: object) -> None:
    window = MainWindow(LiveOptions(simulate=True), DashboardSettings())
    qtbot.addWidget(window)
    window.record_suds(5)
    assert "No session is running" in window.statusBar().currentMessage()


def test_phase_keys_are_unique_and_grounding_is_g() -> None:
    keys = assign_phase_keys(
        ("baseline", "preparation", "imagery", "rescripting", "grounding", "calm place",
         "debrief", "body scan")
    )  # fmt: skip
    assert keys["grounding"] == "G"
    assert len(set(keys.values())) == len(keys)
    assert not {"R", "N", "F", "V", "M"} & set(keys.values())
    assert keys["baseline"] == "B" and keys["imagery"] == "I"


def test_suds_keypad_waits_only_after_a_one(qtbot: object) -> None:
    keypad = SudsKeypad(wait_ms=50)
    got: list[int] = []
    keypad.committed.connect(got.append)
    for digit in (3, 0, 1, 0, 1, 5):
        keypad.press(digit)
    assert got == [3, 0, 10, 1, 5]
    keypad.press(1)
    qtbot.waitUntil(lambda: got[-1:] == [1] and not keypad.pending, timeout=120_000)
    assert got == [3, 0, 10, 1, 5, 1]


def test_ctrl_c_ends_the_session_and_saves_without_asking(
    qtbot: object, live_window: MainWindow
) -> None:
    window = live_window
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=120_000)
    path = window.recording_path
    window.close_without_asking()  # what the SIGINT handler calls; no modal question
    assert not window.runner.running
    with SessionReader(path) as reader:
        assert reader.beats().t_s.size > 3


def test_a_session_that_fails_says_why_and_judges_nothing(
    qtbot: object, dashboard_app: object
) -> None:
    window = MainWindow(LiveOptions(simulate=True), DashboardSettings())
    qtbot.addWidget(window)
    window.on_finished(None, "no strap named 'Polar H10 X' found on hci0")
    assert window.gauge.state.title == "Session stopped"
    assert window.gauge.state.zone is None
    assert "Polar H10 X" in window.gauge.reason.text()
    assert window.banner.isHidden()
    assert window.status_strip.text("recording") == "stopped (error)"
    assert "Session ended: no strap" in window.statusBar().currentMessage()


def test_view_span_and_chime_keys_persist(
    qtbot: object, dashboard_app: object, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    window = MainWindow(LiveOptions(simulate=True), DashboardSettings(), settings_path=path)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):  # shortcuts act in the active window
        window.show()
        window.activateWindow()
    qtbot.keyClick(window, "v")
    assert window.plots.span_s == 900.0
    qtbot.keyClick(window, "m")
    saved = load_settings(path)
    assert (saved.view_span_s, saved.sound_on) == (900.0, True)
    qtbot.keyClick(window, "m")
    assert load_settings(path).sound_on is False
