"""The progress report's methods state the window of tolerance the sessions were judged with.

As recorded, each session is judged with the window it was recorded with (changed where the
therapist changed it live); the methods must state those numbers, not the defaults. The session
files here are real ones (simulated beats, written as the recorder writes them), with the window
stored as schema 2 stores it: the start in the settings, each live change as an event.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from monitor.core.tolerance import ToleranceSettings
from monitor.recording.tolerance_record import tolerance_event
from monitor.report import (
    analyse_client_sessions,
    analyse_session,
    build_progress_report,
    build_session_report,
    find_client_sessions,
)
from monitor.report.document import ReportDocument, Table
from monitor.report.progress import RECORDED_WINDOW_COLUMNS, ProgressRow
from tests.report.conftest import html_tables, make_simulated_session, run_cli

# Not the defaults (2.5, 1.5, −2.5, 20 s) in any of the four numbers a therapist sets.
WIDE = ToleranceSettings(upper_sd=3.0, edge_sd=2.0, lower_sd=-3.0, dwell_s=30.0)
WIDENED_LIVE = ToleranceSettings().widened(1.0)  # upper 3.5, edge 2.5, lower −3.5
CHANGE_AT_S = 420.0  # 7:00, during the imagery phase
FIRST = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
SECOND = FIRST + dt.timedelta(weeks=1)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Client U001: two sessions, both recorded with ``WIDE`` and never changed live. Client
    M001: one session recorded with ``WIDE``, one with the defaults widened live at 7:00."""
    folder = tmp_path_factory.mktemp("windows")
    live_change = tolerance_event(CHANGE_AT_S, WIDENED_LIVE, after_beat_s=CHANGE_AT_S - 0.5)
    plan = (
        ("U001", FIRST, 11, WIDE, ()),
        ("U001", SECOND, 12, WIDE, ()),
        ("M001", FIRST, 13, WIDE, ()),
        ("M001", SECOND, 14, ToleranceSettings(), (live_change,)),
    )
    for code, when, seed, start, events in plan:
        make_simulated_session(
            folder / f"{code}_{when:%Y-%m-%dT%H%M%SZ}.sqlite",
            seed=seed, client_code=code, start_utc=when, tolerance=start, extra_events=events,
        )  # fmt: skip
    return folder


def client_rows(folder: Path, code: str, **kwargs: object) -> list[ProgressRow]:
    paths, _ = find_client_sessions(code, folder)
    rows, skipped = analyse_client_sessions(paths, workers=2, **kwargs)  # type: ignore[arg-type]
    assert skipped == [] and len(rows) == 2
    return rows


@pytest.fixture(scope="module")
def uniform_rows(folder: Path) -> list[ProgressRow]:
    return client_rows(folder, "U001")


@pytest.fixture(scope="module")
def mixed_rows(folder: Path) -> list[ProgressRow]:
    return client_rows(folder, "M001")


def methods_text(doc: ReportDocument) -> str:
    """The report's text from its Methods heading to its References."""
    text = doc.text()
    return text[text.index("\nMethods\n") : text.index("\nReferences\n")]


def window_table(doc: ReportDocument) -> Table | None:
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    found = [t for t in tables if tuple(t.columns) == RECORDED_WINDOW_COLUMNS]
    return found[0] if found else None


def test_rows_carry_the_recorded_window_and_its_live_changes(
    uniform_rows: list[ProgressRow], mixed_rows: list[ProgressRow]
) -> None:
    assert [r.recorded_settings for r in uniform_rows] == [WIDE, WIDE]
    assert [r.settings_changes for r in uniform_rows] == [(), ()]
    first, second = mixed_rows
    assert first.recorded_settings == WIDE and first.settings_changes == ()
    assert second.recorded_settings == ToleranceSettings()
    assert [(c.t_s, c.settings) for c in second.settings_changes] == [(CHANGE_AT_S, WIDENED_LIVE)]
    assert second.windows_recorded == (ToleranceSettings(), WIDENED_LIVE)


def test_one_window_for_every_session_is_stated_with_its_numbers(
    uniform_rows: list[ProgressRow],
) -> None:
    methods = methods_text(build_progress_report("U001", uniform_rows))
    assert "every session was recorded with the window below, not changed live" in methods
    assert "inside between −3 and 3, upper edge from 2." in methods
    assert "raised after 30 s at or above 3 and ends after 20 s back below 2:" in methods
    assert "Hypoarousal (at or below −3 for 30 s;" in methods
    assert "back below 2; ready to resume" in methods
    # The defaults, which the report used to state here, are nowhere.
    assert "2.5" not in methods and "the values below are the defaults" not in methods
    assert window_table(build_progress_report("U001", uniform_rows)) is None


def test_different_windows_are_listed_per_session_with_the_live_change(
    mixed_rows: list[ProgressRow],
) -> None:
    doc = build_progress_report("M001", mixed_rows)
    methods = methods_text(doc)
    assert "The windows differ between sessions" in methods
    # No single session's numbers stand for all of them in the rules.
    assert "inside between the lower bound and the upper bound, upper edge from the edge " in (
        methods
    )
    assert "raised after the dwell time at or above the upper bound and ends after 20 s back " \
        "below 1 SD under the upper bound" in methods  # fmt: skip
    assert "inside between −" not in methods and "the values below are the defaults" not in methods
    table = window_table(doc)
    assert table is not None
    assert [list(r) for r in table.rows] == [
        ["1", "2025-03-03", "upper 3, edge 2, lower −3, dwell 30 s", "—"],
        ["2", "2025-03-10", "upper 2.5, edge 1.5, lower −2.5, dwell 20 s",
         "at 7:00 to upper 3.5, edge 2.5, lower −3.5, dwell 20 s"],
    ]  # fmt: skip
    # The table sits in the methods, right after the window-of-tolerance paragraph.
    assert methods.index("Window of tolerance (Siegel") < methods.index("Window at the start")
    assert methods.index("Window at the start") < methods.index("Recovery: from")


def test_html_report_shows_each_sessions_window(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "progress.html"
    result = run_cli("report", "--client", "M001", "--folder", str(folder), "--out", str(out))
    assert result.returncode == 0, result.stderr
    tables = html_tables(out)
    assert [r[2] for r in tables["Session"]] == [
        "upper 3, edge 2, lower −3, dwell 30 s",
        "upper 2.5, edge 1.5, lower −2.5, dwell 20 s",
    ]
    assert tables["Session"][1][3] == "at 7:00 to upper 3.5, edge 2.5, lower −3.5, dwell 20 s"
    assert [r[0] for r in tables["#"]] == ["1", "2"]  # the progress table is still there


def test_what_if_states_its_settings_and_what_they_replace(folder: Path) -> None:
    given = ToleranceSettings(upper_sd=4.0, edge_sd=3.0, lower_sd=-4.0, dwell_s=15.0)
    rows = client_rows(folder, "M001", settings=given)
    # A what-if row still knows the window the session was recorded with.
    assert [r.recorded_settings for r in rows] == [WIDE, ToleranceSettings()]
    doc = build_progress_report("M001", rows, settings=given)
    methods = methods_text(doc)
    assert "inside between −4 and 4, upper edge from 3." in methods
    assert "raised after 15 s at or above 4" in methods
    assert window_table(doc) is None
    text = doc.text()
    assert "What-if: every session judged with upper bound 4, lower −4, edge 3 baseline SD " \
        "and a dwell of 15 s for its whole length, instead of the window it was recorded " \
        "with." in text  # fmt: skip


def test_what_if_equal_to_the_recorded_window_is_no_what_if(
    uniform_rows: list[ProgressRow],
) -> None:
    with_notice = build_progress_report("U001", uniform_rows, settings=ToleranceSettings())
    without = build_progress_report("U001", uniform_rows, settings=WIDE)
    # The defaults differ from the recorded window (the old report showed no notice for them).
    assert "What-if" in with_notice.text()
    assert "What-if" not in without.text()


def test_session_report_states_the_live_change_in_the_same_words(folder: Path) -> None:
    paths, _ = find_client_sessions("M001", folder)
    text = build_session_report(analyse_session(paths[1])).text()
    assert "The therapist changed the window during the session: at 7:00 to upper 3.5, edge " \
        "2.5, lower −3.5, dwell 20 s. Each change applies" in text  # fmt: skip


def test_a_reused_baseline_is_named(uniform_rows: list[ProgressRow]) -> None:
    source = "session of 2025-03-03 (U001_2025-03-03T090000Z.sqlite)"
    rows = [uniform_rows[0], dataclasses.replace(uniform_rows[1], baseline_source=source)]
    methods = methods_text(build_progress_report("U001", rows))
    assert f"session 2 (2025-03-10) from the {source}." in methods
    assert "reused" not in methods_text(build_progress_report("U001", uniform_rows))


def test_session_report_what_if_says_it_leaves_out_the_live_change(folder: Path) -> None:
    """A what-if holds for the whole session: at the starting window it still differs from the
    session as recorded (the live widening at 7:00 is not applied), and the notice says so
    rather than "timing changes"."""
    paths, _ = find_client_sessions("M001", folder)
    recorded = analyse_session(paths[1])
    kept = recorded.with_settings(ToleranceSettings())
    assert kept is not recorded and kept.settings == recorded.settings
    text = build_session_report(kept, recorded).text()
    assert "What-if: zones, alerts and recovery are recomputed with other window-of-tolerance " \
        "settings for the whole session: the starting window (upper 2.5, edge 1.5, lower −2.5, " \
        "dwell 20 s) kept throughout. The live change of the window (at 7:00 to upper 3.5, " \
        "edge 2.5, lower −3.5, dwell 20 s) is not applied." in " ".join(text.split())  # fmt: skip
    wider = build_session_report(recorded.with_settings(WIDENED_LIVE.widened(0.5)), recorded)
    assert "upper 4 (recorded 2.5)" in wider.text()
    assert "(at 7:00 to upper 3.5" in " ".join(wider.text().split())
