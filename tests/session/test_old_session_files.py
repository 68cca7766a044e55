"""A session file of schema version 1 (before live window changes were events) still opens,
replays and is analysed, with the window of tolerance it stored: the one the session ended
with, for the whole session.

``tests/data/session_schema1_live_widen.sqlite`` was recorded by the version-1 code (see
``tests/data/README.md``): a 9-minute simulated session through the real engine and writer, the
window widened by 1 SD live at 400 s, which version 1 kept as a note and as the final settings.
"""

from __future__ import annotations

import math
from pathlib import Path

from monitor.core.tolerance import ToleranceSettings
from monitor.recording.model import EventKind
from monitor.recording.reader import read_session, replay_source
from monitor.report.analysis import analyse_session
from monitor.session.replay_model import feed, replay_engine, session_overview

OLD_FILE = Path(__file__).parents[1] / "data" / "session_schema1_live_widen.sqlite"
ENDED_WITH = ToleranceSettings().widened(1.0)


def test_a_version_1_file_reads_as_before() -> None:
    session = read_session(OLD_FILE)
    assert session.schema_version == 1
    assert session.metadata.client_code == "OLD01"
    assert len(session.beats) > 500
    assert not any(e.kind == EventKind.TOLERANCE for e in session.events)
    notes = [e.text for e in session.events if e.kind == EventKind.NOTE]
    assert notes == ["window set to upper 3.5 SD, edge 2.5 SD, lower -3.5 SD, dwell 20 s"]
    assert session.metadata.settings["tolerance"] == ENDED_WITH.as_dict()
    # Before schema 3 there was no therapist strap: none is read.
    assert session.therapist_beats is None and session.therapist_events == []


def test_it_replays_with_the_window_it_ended_with_throughout() -> None:
    session = read_session(OLD_FILE)
    overview = session_overview(session, OLD_FILE)
    assert overview.tolerance == ENDED_WITH
    assert overview.tolerance_changes == ()
    engine = replay_engine(session.metadata)
    seen = set()
    judged = 0
    for item in replay_source(session, speed=math.inf).items():
        for update in feed(engine, item):
            seen.add(engine.judge.settings)
            judged += update.beat is not None
    assert seen == {ENDED_WITH}
    assert judged > 500


def test_it_is_analysed_with_the_window_it_ended_with() -> None:
    analysis = analyse_session(OLD_FILE)
    assert analysis.settings == ENDED_WITH
    assert analysis.settings_changes == ()
    whole = analysis.tolerance_inputs.evaluate(ENDED_WITH)
    assert [(a.kind, a.start_s) for a in analysis.alerts] == [
        (a.kind, a.start_s) for a in whole.alerts
    ]
