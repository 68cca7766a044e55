"""The dashboard's decisions without Qt (:class:`DashboardController`): which file the next
session writes, "Record again" after a failed recording, and what the indicator, the Start/Stop
button and the closing message say. Expected values are the wording the therapist reads; every
case drives the controller as the window does, step by step, with a real dashboard model.

The window itself is tested through the same paths in real Qt (``tests/ui``); these tests hold
the decisions where no widget is needed to see them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.client import pacer
from monitor.core.baseline import Baseline
from monitor.core.tolerance import ToleranceSettings
from monitor.recording.client_store import ClientStore
from monitor.session.dashboard_controller import DashboardController, RecordingState
from monitor.session.dashboard_model import DashboardModel
from monitor.session.live import LiveOptions

OPTIONS = LiveOptions(simulate=True, out=Path("/tmp/first.sqlite"), client_code="C042")
TAKEN = Baseline(70.0, 3.0, 3.6, 0.25, 0.0, 300.0, 290.0, 1.0, 10)


def failed_model(failed_s: float = 412.0) -> DashboardModel:
    model = DashboardModel()
    model.recording_error = "the disk is full"
    model.recording_failed_s = failed_s
    model.set_baseline(TAKEN)
    return model


def test_only_the_first_session_writes_the_file_named_on_the_command_line() -> None:
    controller = DashboardController(OPTIONS)
    wider = ToleranceSettings().widened(1.0)
    first = controller.next_options(wider, adapter="hci1")
    second = controller.next_options(wider, adapter="hci1")
    assert first.out == Path("/tmp/first.sqlite") and second.out is None
    assert first.tolerance == wider and first.adapter == "hci1"
    assert controller.next_options(wider, None, record=False).record is False


def test_record_again_ends_the_failed_session_and_starts_one_with_its_baseline() -> None:
    controller = DashboardController(OPTIONS)
    controller.next_options(ToleranceSettings(), None)
    controller.started()
    controller.recording_path = Path("/tmp/first.sqlite")
    model = failed_model()
    assert controller.ask_record_again(model)

    message = controller.finished(Path("/tmp/first.sqlite"), "", model)
    assert message == (
        "Session ended. The recording had stopped at 6:52: the disk is full. "
        "/tmp/first.sqlite keeps everything before."
    )
    next_session = controller.session_after(Path("/tmp/first.sqlite"), "")
    assert next_session is not None and next_session.record and next_session.again
    assert (
        next_session.message
        == "Recording again into a new file; first.sqlite keeps everything before"
    )
    reused = next_session.reused_baseline
    assert reused is not None and reused.hr_bpm == TAKEN.hr_bpm
    assert reused.source == "session just before, whose recording failed (first.sqlite)"
    # The window starts it; the new session's own file fails at once (the disk is still full).
    controller.started()
    controller.started_again(next_session)
    controller.finished(None, "cannot create a session file: the disk is full", DashboardModel())
    unrecorded = controller.session_after(None, "cannot create a session file: the disk is full")
    assert unrecorded is not None and not unrecorded.record
    assert unrecorded.reused_baseline == reused
    assert unrecorded.message.endswith("The live view goes on, not recorded.")
    controller.started()
    assert controller.session_after(None, "the strap was lost") is None  # nothing more


def test_record_again_does_nothing_while_the_recording_works_or_once_ended_by_hand() -> None:
    controller = DashboardController(OPTIONS)
    assert not controller.ask_record_again(DashboardModel())
    assert controller.ask_record_again(failed_model())
    controller.cancel_record_again()  # the therapist pressed "End session" instead
    controller.finished(None, "", failed_model())
    assert controller.session_after(None, "") is None


def test_the_indicator_and_the_button_never_call_an_unrecorded_session_recorded() -> None:
    controller = DashboardController(OPTIONS)
    fine = DashboardModel()
    assert controller.recording_state(fine, running=False, session_records=True) == (
        RecordingState(False, "off")
    )
    assert controller.recording_state(fine, True, True) == RecordingState(False, "starting…")
    controller.recording_path = Path("/tmp/first.sqlite")
    assert controller.recording_state(fine, True, True) == RecordingState(True, "on")
    assert controller.start_stop_label(fine, True, True)[0] == "■ Stop recording"

    failed = failed_model()
    assert controller.recording_state(failed, True, True) == (
        RecordingState(False, "not recording", failed=True)
    )
    assert controller.start_stop_label(failed, True, True)[0] == "■ End session"
    assert controller.start_stop_label(fine, True, session_records=False)[0] == "■ End session"
    assert controller.recording_tooltip(failed, Path("/tmp/first.sqlite")) == (
        "Not recording: the disk is full. Everything before 6:52 is kept in /tmp/first.sqlite."
    )
    controller.finished(Path("/tmp/first.sqlite"), "", failed)
    assert controller.recording_state(failed, False, True) == (
        RecordingState(False, "saved up to 6:52", failed=True)
    )


def test_a_demo_says_demo_and_its_temporary_file_is_not_announced_as_saved() -> None:
    controller = DashboardController(OPTIONS, demo=True)
    controller.recording_path = Path("/tmp/demo.sqlite")
    assert controller.recording_state(DashboardModel(), True, True).text == "demo"
    assert controller.finished(Path("/tmp/demo.sqlite"), "", DashboardModel()) == "Session ended"
    real = DashboardController(OPTIONS)
    saved = real.finished(Path("/tmp/first.sqlite"), "", DashboardModel())
    assert saved == "Session saved: /tmp/first.sqlite"
    assert real.finished(None, "the strap was lost", DashboardModel()) == (
        "Session ended: the strap was lost"
    )


def test_scripted_input_comes_once_in_time_order() -> None:
    script = [(20.0, "note", "second"), (10.0, "suds", 4), (30.0, "suds", 2)]
    controller = DashboardController(OPTIONS, scripted_input=script)
    assert controller.due_input(5.0) == []
    assert controller.due_input(25.0) == [("suds", 4), ("note", "second")]
    assert controller.due_input(25.0) == []
    assert controller.due_input(40.0) == [("suds", 2)]


def test_the_clients_pacer_is_stored_and_a_damaged_client_file_never_stops_the_session(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A real client store in a temporary folder: saved, read back; then its file damaged."""
    store = ClientStore(tmp_path / "clients")
    controller = DashboardController(OPTIONS, client_store=store)
    assert controller.stored_pacer() == (
        pacer.DEFAULT_RATE_PER_MIN,
        pacer.DEFAULT_INHALE_FRACTION,
        False,
    )
    message, _, saved = controller.save_pacer(5.5, 0.4)
    assert saved and message == "C042 will start at 5.5 breaths/min"
    assert controller.stored_pacer()[:2] == (5.5, 0.4)
    assert DashboardController(OPTIONS, client_store=store).stored_pacer()[:2] == (5.5, 0.4)

    for path in (tmp_path / "clients").rglob("*"):
        if path.is_file():
            path.write_text("{not json")
    with caplog.at_level("WARNING"):
        assert controller.stored_pacer() == (
            pacer.DEFAULT_RATE_PER_MIN,
            pacer.DEFAULT_INHALE_FRACTION,
            False,
        )
    assert "client pacer settings not loaded" in caplog.text
    message, _, saved = controller.save_pacer(5.0, 0.4)
    assert not saved and message.startswith("Rate not saved: damaged client file ")
    damaged = [p.read_text() for p in (tmp_path / "clients").rglob("*") if p.is_file()]
    assert damaged == ["{not json"]  # left as it was, for the therapist to look at
