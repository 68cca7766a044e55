"""What-if "keep these settings for the whole session": the starting window without the live
change, asked for in the replay window's what-if panel.

Real Qt (offscreen), the real replay and analysis threads, and real session files: a live
simulated session whose window the therapist widened at 7:00 (``widened_live`` in conftest.py),
in which that widening changes the alerts, and the example session, which was never changed
live. The panel's results are checked against the report's own analysis of the same file
(:meth:`SessionAnalysis.with_settings`), computed here separately.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_runs import WIDENED_AT_S
from PySide6.QtCore import Qt

from monitor.core.tolerance import Alert, ToleranceSettings
from monitor.recording.reader import read_session
from monitor.report.analysis import SessionAnalysis, analyse_session
from monitor.session.replay_model import (
    WhatIfRequest,
    judged_with,
    recorded_alerts,
    session_overview,
    what_if_outcome,
)
from monitor.ui.formatting import clock_text
from monitor.ui.replay.recent import RecentFiles
from monitor.ui.replay.whatif import WIDEN_STEP_SD
from monitor.ui.replay.window import ReplayWindow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "recordings" / "example_simulated_session.sqlite"
WAIT_MS = 120_000  # a hang guard only: conditions are awaited, never timed
START = ToleranceSettings()
WIDER = START.widened(1.0)

Spans = list[tuple[str, int, int | None]]


def spans(alerts: object) -> Spans:
    """Alert episodes to the second (the live engine and the analysis differ in the last
    bits of their times, never by a second)."""
    return [
        (str(a.kind), round(a.start_s), None if a.end_s is None else round(a.end_s))
        for a in alerts  # type: ignore[attr-defined]
    ]


@pytest.fixture(scope="module")
def widened_analysis(widened_live: Path) -> SessionAnalysis:
    """The widened session as the report analyses it (as recorded, live change included)."""
    return analyse_session(widened_live, timeline_workers=1)


@pytest.fixture(scope="module")
def recorded(widened_live: Path) -> list[Alert]:
    """The alerts the therapist saw live."""
    return recorded_alerts(read_session(widened_live).events)


@pytest.fixture
def window(qtbot: object, dashboard_app: object, tmp_path: Path) -> Iterator[ReplayWindow]:
    replay = ReplayWindow(recent=RecentFiles(tmp_path / "recent.json"))
    with qtbot.waitExposed(replay):  # type: ignore[attr-defined]
        replay.show()
    yield replay
    replay.close()
    replay.deleteLater()


def wait_for(qtbot: object, window: ReplayWindow, request: WhatIfRequest) -> None:
    """Wait until the panel shows the outcome of ``request`` (computed off the GUI thread)."""
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: window.what_if.outcome is not None and window.what_if.outcome.request == request,
        timeout=WAIT_MS,
    )


def test_the_live_change_alters_the_alerts(
    widened_analysis: SessionAnalysis, recorded: list[Alert]
) -> None:
    # The premise of the other tests: one live change, and the starting window kept all
    # session would have raised other alerts than the therapist saw.
    (change,) = widened_analysis.settings_changes
    # Recorded at the first beat the new window judged, just after it was asked for.
    assert WIDENED_AT_S <= change.t_s < WIDENED_AT_S + 10.0
    assert widened_analysis.settings == START
    assert spans(widened_analysis.alerts) == spans(recorded)
    assert spans(widened_analysis.with_settings(START).alerts) != spans(recorded)


def test_judged_with_keeps_or_ignores_the_live_change(
    widened_analysis: SessionAnalysis, recorded: list[Alert]
) -> None:
    analysis = widened_analysis
    # The start settings, plain or not held for the whole session: the session as recorded.
    assert judged_with(analysis, START) is analysis
    assert judged_with(analysis, WhatIfRequest(START)) is analysis
    # Held for the whole session: the live change is ignored, as `report` does with flags.
    whole = judged_with(analysis, WhatIfRequest(START, whole_session=True))
    assert whole is not analysis and whole.settings_changes == ()
    assert spans(whole.alerts) == spans(analysis.with_settings(START).alerts)
    assert spans(whole.alerts) != spans(analysis.alerts)
    # Other settings hold for the whole session either way.
    assert spans(judged_with(analysis, WhatIfRequest(WIDER)).alerts) == spans(
        judged_with(analysis, WhatIfRequest(WIDER, whole_session=True)).alerts
    )

    as_recorded = what_if_outcome(analysis, START, recorded)
    assert as_recorded.as_recorded and not as_recorded.whole_session
    assert as_recorded.request == WhatIfRequest(START) and not as_recorded.changed
    kept_start = what_if_outcome(analysis, WhatIfRequest(START, True), recorded)
    assert not kept_start.as_recorded and kept_start.whole_session
    assert kept_start.settings == START and kept_start.changed
    assert spans(kept_start.alerts) == spans(whole.alerts)


def test_judged_with_a_session_never_changed_live_is_as_recorded_either_way() -> None:
    analysis = analyse_session(EXAMPLE, timeline_workers=1)
    assert analysis.settings_changes == ()
    # Nothing to ignore: "the whole session" at the start settings is the session as recorded.
    assert judged_with(analysis, WhatIfRequest(analysis.settings, whole_session=True)) is analysis


def test_keeping_the_start_settings_all_session_ignores_the_live_change(
    qtbot: object,
    window: ReplayWindow,
    widened_live: Path,
    widened_analysis: SessionAnalysis,
    recorded: list[Alert],
    tmp_path: Path,
) -> None:
    assert window.open_file(widened_live)
    panel = window.what_if
    (change,) = session_overview(read_session(widened_live), widened_live).tolerance_changes
    at = clock_text(change.t_s)

    # Offered, unchecked: the start settings are the session as it ran.
    assert panel.whole_session.isVisible()
    assert panel.whole_session.isEnabled() and not panel.whole_session.isChecked()
    assert f"at {at}" in panel.whole_session_hint.text()
    wait_for(qtbot, window, WhatIfRequest(START))
    outcome = panel.outcome
    assert outcome is not None and outcome.as_recorded and not outcome.changed
    assert spans(outcome.alerts) == spans(recorded)
    assert panel.message.text().startswith("As recorded")
    assert f"changed live at {at}" in panel.message.text()
    assert window.strip.what_if_alerts is None

    # Checked, with the start values unchanged: they hold for the whole session.
    qtbot.mouseClick(panel.whole_session, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert panel.whole_session.isChecked() and panel.keeps_whole_session()
    wait_for(qtbot, window, WhatIfRequest(START, whole_session=True))
    kept = panel.outcome
    assert kept is not None and not kept.as_recorded and kept.settings == START
    assert spans(kept.alerts) == spans(widened_analysis.with_settings(START).alerts)
    assert spans(kept.alerts) != spans(recorded)
    assert panel.message.text().startswith("What-if, for the whole session")
    assert f"live change at {at} ignored" in panel.message.text()
    assert window.strip.what_if_alerts is not None
    assert spans(window.strip.what_if_alerts) == spans(kept.alerts)

    # The report follows the panel: a what-if with the start settings.
    out = tmp_path / "kept.html"
    assert window.write_report(out)
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=120_000)  # type: ignore[attr-defined]
    assert window.last_report == (out, "")
    assert "What-if" in out.read_text(encoding="utf-8")

    # Other values hold for the whole session anyway: the box says so and cannot be cleared.
    panel.wider_button.click()
    assert panel.whole_session.isChecked() and not panel.whole_session.isEnabled()
    wait_for(qtbot, window, WhatIfRequest(START.widened(WIDEN_STEP_SD), whole_session=True))

    # Back to the recorded settings: unchecked again, the session as it ran.
    panel.reset_button.click()
    assert panel.whole_session.isEnabled() and not panel.whole_session.isChecked()
    wait_for(qtbot, window, WhatIfRequest(START))
    assert panel.outcome is not None and panel.outcome.as_recorded
    assert spans(panel.outcome.alerts) == spans(recorded)
    assert panel.message.text().startswith("As recorded")
    assert window.strip.what_if_alerts is None


def test_the_control_is_offered_only_for_a_session_changed_live(
    qtbot: object, window: ReplayWindow, widened_live: Path
) -> None:
    panel = window.what_if
    assert window.open_file(widened_live)
    assert panel.whole_session.isVisible()
    panel.set_whole_session(True)
    wait_for(qtbot, window, WhatIfRequest(START, whole_session=True))

    # The example was never changed live: nothing to ignore, no control, plain wording.
    assert window.open_file(EXAMPLE)
    assert session_overview(read_session(EXAMPLE), EXAMPLE).tolerance_changes == ()
    assert panel.isVisible() and not panel.whole_session.isVisible()
    assert not panel.keeps_whole_session()
    wait_for(qtbot, window, WhatIfRequest(START))
    assert panel.outcome is not None and panel.outcome.as_recorded
    assert panel.message.text().startswith("Recorded settings:")
    assert "live" not in panel.message.text()

    # Opened again, a session changed live offers it again, unchecked.
    assert window.open_file(widened_live)
    assert panel.whole_session.isVisible() and not panel.whole_session.isChecked()
    wait_for(qtbot, window, WhatIfRequest(START))
    assert panel.outcome is not None and panel.outcome.as_recorded
