"""A window widened live is replayed where it was widened: replay, ``analyze`` and reports judge
the beats before the change with the settings the session started with and the beats after it
with the new ones, so they show the alerts the therapist saw; a what-if still overrides both.

Real parts: a live simulated session (:class:`LiveSession`: engine, session writer, SQLite file)
in which the therapist widens the window at ``CHANGE_S``, then the file read back and replayed
through the replay window's engine path and analysed as reports do.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import numpy as np
import pytest

from drivers.simulator import HeartSimulator
from monitor.core.tolerance import Alert, ToleranceSettings
from monitor.recording.model import SCHEMA_VERSION, EventKind
from monitor.recording.reader import read_session, replay_source
from monitor.report.analysis import SessionAnalysis, analyse_session
from monitor.session.engine import SessionEngine, SessionUpdate
from monitor.session.live import LiveOptions, LiveSession
from monitor.session.replay_model import (
    feed,
    judged_with,
    opening_updates,
    recorded_alerts,
    replay_engine,
    session_overview,
    what_if_outcome,
)

DURATION_S = 800.0
SEED = 4
CHANGE_S = 420.0
"""Between the early warning (~387 s) and the pause-for-grounding alert (~434 s) of the defaults."""
START = ToleranceSettings()
WIDER = START.widened(1.0)

Judged = list[tuple[float, str, float]]


def judged(updates: list[SessionUpdate]) -> Judged:
    """Each beat's zone and arousal, as the views show them."""
    return [
        (u.t_s, str(u.reading.zone), u.reading.arousal)
        for u in updates
        if u.beat is not None and u.reading is not None
    ]


def spans(alerts: list[Alert]) -> list[tuple[str, float, float | None]]:
    return [(str(a.kind), a.start_s, a.end_s) for a in alerts]


def same_judgements(a: Judged, b: Judged) -> bool:
    """Same zones beat by beat, times and arousal equal to rounding (a live session's times
    are offsets from a monotonic clock, a run without one has them as simulated)."""
    if [z for _, z, _ in a] != [z for _, z, _ in b]:
        return False
    numbers_a = np.array([(t, x) for t, _, x in a], dtype=float).reshape(-1, 2)
    numbers_b = np.array([(t, x) for t, _, x in b], dtype=float).reshape(-1, 2)
    return bool(np.allclose(numbers_a, numbers_b, rtol=0.0, atol=1e-9, equal_nan=True))


def assert_same_alerts(got: list[Alert], expected: list[Alert]) -> None:
    """Same episodes; times equal to rounding (the analysis runs the per-beat timeline in
    worker processes, which may differ from the live engine in the last bits)."""
    assert [str(a.kind) for a in got] == [str(a.kind) for a in expected]
    for a, b in zip(got, expected, strict=True):
        assert a.start_s == pytest.approx(b.start_s, abs=1e-6)
        assert (a.end_s is None) == (b.end_s is None)
        if a.end_s is not None:
            assert a.end_s == pytest.approx(b.end_s, abs=1e-6)


def engine_run(settings: ToleranceSettings) -> tuple[Judged, list[Alert]]:
    """The same session with one window throughout (no file)."""
    engine = SessionEngine(tolerance=settings)
    markers = [(0.0, "baseline"), (300.0, "imagery")]  # as the live session marks them
    updates: list[SessionUpdate] = []
    for event in HeartSimulator(seed=SEED).events(DURATION_S):
        while markers and markers[0][0] <= event.arrival_s:
            updates.extend(engine.add_phase(*markers.pop(0)))
        updates.extend(engine.handle(event))
    updates.extend(engine.finish())
    return judged(updates), engine.judge.alerts


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Judged, list[Alert]]:
    """The live session: widened by 1 SD at ``CHANGE_S`` through the dashboard's path."""
    path = tmp_path_factory.mktemp("live") / "widened.sqlite"
    options = LiveOptions(
        simulate=True, speed=math.inf, duration_s=DURATION_S, seed=SEED, out=path,
        client_code="T018",
    )  # fmt: skip
    updates: list[SessionUpdate] = []
    asked = False

    def on_update(update: SessionUpdate) -> None:
        nonlocal asked
        updates.append(update)
        if not asked and update.t_s >= CHANGE_S:
            asked = True  # the therapist presses "wider" (the dashboard's runner.call)
            session.call(lambda engine, now_s: engine.set_tolerance(now_s, WIDER))

    session = LiveSession(options, on_update=on_update)
    assert asyncio.run(session.run()) == path
    assert session.engine is not None
    return path, judged(updates), session.engine.judge.alerts


def test_the_file_keeps_the_start_settings_and_the_change_at_its_time(
    recorded: tuple[Path, Judged, list[Alert]],
) -> None:
    path, _, _ = recorded
    session = read_session(path)
    assert session.schema_version == SCHEMA_VERSION == 4
    assert session.metadata.settings["tolerance"] == START.as_dict()
    (change,) = [e for e in session.events if e.kind == EventKind.TOLERANCE]
    assert CHANGE_S <= change.t_s < CHANGE_S + 5.0
    assert change.data["settings"] == WIDER.as_dict()
    assert change.text == "window set to upper 3.5 SD, edge 2.5 SD, lower -3.5 SD, dwell 20 s"
    after_beat_s = change.data["after_beat_s"]
    assert change.t_s - 10.0 < after_beat_s < change.t_s
    assert not any(e.kind == EventKind.NOTE and "window set" in e.text for e in session.events)


def test_a_replay_shows_what_the_therapist_saw(
    recorded: tuple[Path, Judged, list[Alert]],
) -> None:
    path, live, live_alerts = recorded
    session = read_session(path)
    engine = replay_engine(session.metadata)
    assert engine.judge.settings == START
    updates = list(opening_updates(engine, session))
    for item in replay_source(session, speed=math.inf).items():
        updates.extend(feed(engine, item))
    updates.extend(engine.finish())
    assert engine.judge.settings == WIDER
    assert judged(updates) == live
    assert spans(engine.judge.alerts) == spans(live_alerts)
    # The alerts the live session stored are the ones the replay raises again.
    assert spans(recorded_alerts(session.events)) == spans(live_alerts)

    # Before the change, the beats were judged as with the start settings throughout; after
    # it, as live. Judging the whole session with the final window (the old replay) would not.
    # The change's beat time was stored from the live run; the other runs compute the same
    # beat's time along another float path that can differ in the last digit, so a beat counts
    # as "before" up to a microsecond past it (beats are hundreds of ms apart: none is misfiled).
    change_s = next(e for e in session.events if e.kind == EventKind.TOLERANCE).data["after_beat_s"]
    change_s += 1e-6
    start_only, start_alerts = engine_run(START)
    final_only, final_alerts = engine_run(WIDER)
    before = [j for j in live if j[0] <= change_s]
    assert same_judgements(before, [j for j in start_only if j[0] <= change_s])
    assert not same_judgements(before, [j for j in final_only if j[0] <= change_s])
    after = [j for j in live if j[0] > change_s]
    assert not same_judgements(after, [j for j in start_only if j[0] > change_s])
    assert len(before) > 300 and len(live) - len(before) > 300
    assert [str(a.kind) for a in live_alerts][-1] == "hyper"
    assert live_alerts[0].start_s < CHANGE_S < live_alerts[-1].start_s
    with pytest.raises(AssertionError):
        assert_same_alerts(live_alerts, start_alerts)
    with pytest.raises(AssertionError):
        assert_same_alerts(live_alerts, final_alerts)


@pytest.fixture(scope="module")
def analysis(recorded: tuple[Path, Judged, list[Alert]]) -> SessionAnalysis:
    return analyse_session(recorded[0])


def test_analyze_and_reports_give_the_live_alerts(
    recorded: tuple[Path, Judged, list[Alert]], analysis: SessionAnalysis
) -> None:
    _, _, live_alerts = recorded
    assert analysis.settings == START
    assert [c.settings for c in analysis.settings_changes] == [WIDER]
    assert_same_alerts(analysis.alerts, live_alerts)
    # analyze --json: the same inputs, evaluated as recorded.
    assert spans(analysis.tolerance_inputs.evaluate().alerts) == spans(analysis.alerts)


def test_a_what_if_overrides_the_live_change(
    recorded: tuple[Path, Judged, list[Alert]], analysis: SessionAnalysis
) -> None:
    path, _, live_alerts = recorded
    _, start_alerts = engine_run(START)
    _, final_alerts = engine_run(WIDER)
    # Asked for explicitly, settings hold for the whole session: the start settings then
    # ignore the widening, and the final ones apply from the first beat.
    assert_same_alerts(analysis.with_settings(START).alerts, start_alerts)
    assert_same_alerts(analysis.with_settings(WIDER).alerts, final_alerts)
    # The replay window's what-if panel: its recorded values are the start settings, which
    # stand for the session as it ran; any other values override everything.
    overview = session_overview(read_session(path), path)
    assert overview.tolerance == START
    assert [c.t_s for c in overview.tolerance_changes] == [c.t_s for c in analysis.settings_changes]
    reference = recorded_alerts(read_session(path).events)
    as_recorded = what_if_outcome(analysis, overview.tolerance, reference)
    assert not as_recorded.changed
    assert judged_with(analysis, overview.tolerance) is analysis
    other = what_if_outcome(analysis, WIDER, reference)
    assert_same_alerts(list(other.alerts), final_alerts)
    assert other.changed
    with pytest.raises(AssertionError):
        assert_same_alerts(live_alerts, final_alerts)
