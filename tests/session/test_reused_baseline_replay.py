"""A session judged live against a reused baseline is judged against it offline too: replay,
``analyze --json``, the session report and what-if give the alerts and time in the window the
therapist saw, instead of recalibrating from the session's own first minutes.

Real parts: a live simulated session (:class:`LiveSession`: engine, session writer, SQLite file)
recorded with an earlier, calmer baseline, then the file read back, replayed through the replay
window's engine path, analysed as reports do and by the ``analyze`` command in a subprocess.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import shutil
import sqlite3
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from monitor.core.baseline import Baseline
from monitor.core.judge import MAX_BEAT_SPACING_S
from monitor.core.tolerance import Alert, ToleranceSettings
from monitor.recording.beat_input import read_beat_input, tolerance_inputs_for
from monitor.recording.reader import read_session, replay_source
from monitor.recording.tolerance_record import REUSED_BASELINE_KEY, recorded_reused_baseline
from monitor.report.analysis import SessionAnalysis, analyse_session
from monitor.report.html import render_html
from monitor.report.session_report import build_session_report
from monitor.session.engine import SessionEngine, SessionUpdate
from monitor.session.live import LiveOptions, LiveSession
from monitor.session.replay_model import feed, opening_updates, replay_engine

DURATION_S = 800.0
SEED = 4
REUSED = Baseline(
    hr_bpm=61.0,
    hr_spread_bpm=3.0,
    ln_rmssd=3.74,
    ln_rmssd_spread=0.2,
    start_s=0.0,
    end_s=300.0,
    usable_s=290.0,
    artefact_pct=0.4,
    subwindows=10,
    source="session of 2025-01-06 (T019_earlier.sqlite)",
)
"""An earlier, calmer baseline: the simulated client's own first 5 minutes give ~66 bpm."""

Judged = list[tuple[float, str, float]]
CATEGORY = {"inside": "inside", "edge": "inside", "hyper": "above", "hypo": "below"}


def judged(updates: list[SessionUpdate]) -> Judged:
    """Each beat's zone and arousal, as the views show them."""
    return [
        (u.t_s, str(u.reading.zone), u.reading.arousal)
        for u in updates
        if u.beat is not None and u.reading is not None
    ]


def alert_spans(alerts: list[Alert]) -> list[tuple[str, float, float | None]]:
    """Kind, start and end of each alert, rounded to a microsecond (the analysis computes the
    per-beat timeline in worker processes, which may differ from the live engine in the last
    bits)."""
    return [
        (str(a.kind), round(a.start_s, 6), None if a.end_s is None else round(a.end_s, 6))
        for a in alerts
    ]


def time_in_zones_s(beats: Judged) -> dict[str, float]:
    """Seconds per zone category of the whole session, from per-beat judgements: the time to
    the next beat counts for the earlier beat's zone (written here independently of the
    program's summary)."""
    totals = dict.fromkeys(("inside", "above", "below", "unjudged"), 0.0)
    for (t_s, zone, _), (next_t_s, _, _) in pairwise(beats):
        category = CATEGORY.get(zone, "unjudged")
        totals["unjudged" if next_t_s - t_s > MAX_BEAT_SPACING_S else category] += next_t_s - t_s
    return totals


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Judged, list[Alert]]:
    """The live session, judged against :data:`REUSED` (as ``record --reuse-baseline``)."""
    path = tmp_path_factory.mktemp("live") / "reused.sqlite"
    options = LiveOptions(
        simulate=True, speed=math.inf, duration_s=DURATION_S, seed=SEED, out=path,
        client_code="T019", reused_baseline=REUSED,
    )  # fmt: skip
    updates: list[SessionUpdate] = []
    session = LiveSession(options, on_update=updates.append)
    assert asyncio.run(session.run()) == path
    assert session.engine is not None
    return path, judged(updates), session.engine.judge.alerts


def replayed(path: Path, engine: SessionEngine) -> tuple[Judged, list[Alert]]:
    """Replay the file through ``engine`` as the replay window does."""
    session = read_session(path)
    updates = list(opening_updates(engine, session))
    for item in replay_source(session, speed=math.inf).items():
        updates.extend(feed(engine, item))
    updates.extend(engine.finish())
    return judged(updates), engine.judge.alerts


@pytest.fixture(scope="module")
def analysis(recorded: tuple[Path, Judged, list[Alert]]) -> SessionAnalysis:
    return analyse_session(recorded[0])


def test_the_file_keeps_the_reused_baseline_from_the_start_and_no_baseline_of_its_own(
    recorded: tuple[Path, Judged, list[Alert]],
) -> None:
    path, live, _ = recorded
    settings = read_session(path).metadata.settings
    assert settings[REUSED_BASELINE_KEY] == REUSED.as_dict()
    assert recorded_reused_baseline(settings) == REUSED
    # Nothing was calibrated in this session, so nothing here may be reused as if it had been.
    assert "baseline_result" not in settings
    # Judged from the first beats on: never calibrating, although a baseline phase was marked.
    assert not any(zone == "calibrating" for _, zone, _ in live)


def test_a_replay_judges_against_the_reused_baseline_as_live(
    recorded: tuple[Path, Judged, list[Alert]],
) -> None:
    path, live, live_alerts = recorded
    engine = replay_engine(read_session(path).metadata)
    assert engine.judge.baseline == REUSED
    replay, replay_alerts = replayed(path, engine)
    assert replay == live
    assert alert_spans(replay_alerts) == alert_spans(live_alerts)
    assert time_in_zones_s(replay) == time_in_zones_s(live)

    # The replay before the reused baseline was kept: the engine recalibrated from the
    # session's first 5 minutes, giving another baseline, other alerts and other times.
    recalibrated, recalibrated_alerts = replayed(path, SessionEngine())
    assert recalibrated != live
    assert alert_spans(recalibrated_alerts) != alert_spans(live_alerts)
    assert time_in_zones_s(recalibrated)["unjudged"] > time_in_zones_s(live)["unjudged"] + 240
    assert [str(a.kind) for a in live_alerts].count("warning") == 2  # one in the calm start
    assert [str(a.kind) for a in recalibrated_alerts].count("warning") == 1


def test_analysis_and_the_report_give_the_live_alerts_and_times(
    recorded: tuple[Path, Judged, list[Alert]], analysis: SessionAnalysis
) -> None:
    _, live, live_alerts = recorded
    assert analysis.tolerance_inputs.reused_baseline == REUSED
    assert analysis.tolerance.baseline is not None
    assert analysis.tolerance.baseline.hr_bpm == REUSED.hr_bpm
    assert alert_spans(analysis.alerts) == alert_spans(live_alerts)
    readings = analysis.tolerance.readings
    assert [str(r.zone) for r in readings] == [zone for _, zone, _ in live]
    assert [r.t_s for r in readings] == pytest.approx([t for t, _, _ in live], abs=1e-6)
    whole = analysis.tolerance.time_in_zones_s["whole session"]
    assert whole == pytest.approx(time_in_zones_s(live), abs=1e-6)
    # What-if at the recorded settings is the session as it ran.
    assert alert_spans(analysis.with_settings(ToleranceSettings()).alerts) == alert_spans(
        live_alerts
    )

    # Without the reused baseline (as before), the analysis recalibrates and differs.
    without = dataclasses.replace(analysis.tolerance_inputs, reused_baseline=None).evaluate()
    assert without.baseline is not None and without.baseline.hr_bpm > REUSED.hr_bpm + 3.0
    assert alert_spans(without.alerts) != alert_spans(live_alerts)
    assert without.time_in_zones_s["whole session"]["unjudged"] > whole["unjudged"] + 240

    html = render_html(build_session_report(analysis))
    assert "reused from the session of 2025-01-06 (T019_earlier.sqlite)" in html


def run_analyze(*args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "analyze", *args, "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_analyze_json_judges_against_the_reused_baseline_unless_told_otherwise(
    recorded: tuple[Path, Judged, list[Alert]], analysis: SessionAnalysis
) -> None:
    path, live, live_alerts = recorded
    summary = run_analyze(str(path))
    assert summary["baseline"]["source"] == REUSED.source  # type: ignore[index]
    alerts: list[dict[str, object]] = summary["alerts"]  # type: ignore[assignment]
    assert [(a["kind"], a["start_s"]) for a in alerts] == [  # session time, as live
        (str(a.kind), pytest.approx(a.start_s, abs=1e-3)) for a in live_alerts
    ]
    expected = {f"{k}_s": v for k, v in time_in_zones_s(live).items()}
    assert summary["time_in_window"] == pytest.approx(expected, abs=0.051)  # rounded to 0.1 s

    # An explicit --baseline-s recalibrates from that span, as it always did.
    own = run_analyze(str(path), "--baseline-s", "300")
    assert own["baseline"]["source"] == "this session"  # type: ignore[index]
    assert own["alerts"] != summary["alerts"]
    assert own["time_in_window"]["unjudged_s"] > expected["unjudged_s"] + 240  # type: ignore[index]
    inputs = tolerance_inputs_for(read_beat_input(path), analysis.timeline, baseline_s=300.0)
    assert inputs.reused_baseline is None


_REMOVED = object()


def with_entry(source: Path, target: Path, entry: object) -> Path:
    """A copy of a session file whose reused-baseline entry is replaced by ``entry`` (or left
    out, with ``_REMOVED``: a file written before the entry existed)."""
    shutil.copyfile(source, target)
    connection = sqlite3.connect(target)
    (settings_json,) = connection.execute("SELECT settings_json FROM session").fetchone()
    settings = json.loads(settings_json)
    settings.pop(REUSED_BASELINE_KEY)
    if entry is not _REMOVED:
        settings[REUSED_BASELINE_KEY] = entry
    connection.execute("UPDATE session SET settings_json = ?", (json.dumps(settings),))
    connection.commit()
    connection.close()
    return target


@pytest.mark.parametrize(
    "entry",
    [
        "61 bpm",
        {**REUSED.as_dict(), "hr_bpm": "fast"},
        {**REUSED.as_dict(), "ln_rmssd_spread": None},
        {k: v for k, v in REUSED.as_dict().items() if k != "start_s"},
        {**REUSED.as_dict(), "hr_spread_bpm": 0.0},
    ],
    ids=["not a mapping", "text", "missing spread", "missing field", "zero spread"],
)
def test_a_malformed_entry_is_logged_once_and_the_session_recalibrated(
    recorded: tuple[Path, Judged, list[Alert]],
    analysis: SessionAnalysis,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    entry: object,
) -> None:
    path = with_entry(recorded[0], tmp_path / "damaged.sqlite", entry)
    metadata = read_session(path).metadata
    with caplog.at_level(logging.WARNING):
        engine = replay_engine(metadata)
    assert engine.judge.baseline is None  # calibrating from the session's own beats
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "reused baseline unusable" in warnings[0].getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        beats = read_beat_input(path)
        inputs = tolerance_inputs_for(beats, analysis.timeline)
    assert inputs.reused_baseline is None
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    # The command opens the file, says so once and judges from the session's own baseline.
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "analyze", str(path), "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("reused baseline unusable") == 1
    assert json.loads(result.stdout)["baseline"]["source"] == "this session"


def test_files_without_the_entry_are_judged_as_before(
    recorded: tuple[Path, Judged, list[Alert]], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = with_entry(recorded[0], tmp_path / "older.sqlite", _REMOVED)
    with caplog.at_level(logging.WARNING):
        assert recorded_reused_baseline(read_session(path).metadata.settings) is None
        engine = replay_engine(read_session(path).metadata)
    assert engine.judge.baseline is None
    assert not caplog.records
    recalibrated, _ = replayed(path, engine)
    assert recalibrated == replayed(path, SessionEngine())[0]
