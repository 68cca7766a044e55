"""What-if: the alerts of a whole session again with other window-of-tolerance settings.

It must reuse the per-beat timeline (no second run of the HRV engine), leave the file untouched,
and move the alerts the way the settings say: a wider window removes the example session's
hyper alert, a narrower one brings it earlier and adds alerts where there were none.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from monitor.core.engine import HrvEngine
from monitor.core.tolerance import AlertKind, ToleranceSettings
from monitor.core.what_if import ToleranceInputs, compare_alerts, what_if
from monitor.report import SessionAnalysis, analyse_session
from tests.report.conftest import EXAMPLE, REST_EXAMPLE, pdf_text, run_cli


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def example() -> SessionAnalysis:
    return analyse_session(EXAMPLE)


@pytest.fixture(scope="module")
def rest() -> SessionAnalysis:
    return analyse_session(REST_EXAMPLE)


def hyper(alerts: list) -> list:
    return [a for a in alerts if a.kind == AlertKind.HYPER]


def test_the_default_settings_give_the_analysis_alerts(example: SessionAnalysis) -> None:
    again = what_if(example, ToleranceSettings())
    assert [(a.kind, a.start_s, a.end_s, a.reason) for a in again.alerts] == [
        (a.kind, a.start_s, a.end_s, a.reason) for a in example.alerts
    ]
    assert again.time_in_zones_s == example.tolerance.time_in_zones_s
    assert compare_alerts(example.alerts, again.alerts).unchanged


def test_widening_removes_the_hyper_alert(example: SessionAnalysis) -> None:
    (original,) = hyper(example.alerts)
    peak = max(r.arousal for r in example.tolerance.readings if r.arousal == r.arousal)
    wider = ToleranceSettings().widened(peak - ToleranceSettings().upper_sd + 1.0)
    result = what_if(example, wider)
    assert hyper(result.alerts) == []
    changes = compare_alerts(example.alerts, result.alerts, example.duration_s)
    assert original in changes.removed
    assert result.time_in_zones_s["whole session"]["above"] == 0.0
    # The baseline does not depend on the window's bounds.
    assert result.baseline == example.tolerance.baseline


def test_a_longer_dwell_removes_it_too(example: SessionAnalysis) -> None:
    (original,) = hyper(example.alerts)
    assert original.end_s is not None
    episode_s = original.end_s - original.start_s
    longer = dataclasses.replace(ToleranceSettings(), dwell_s=episode_s + 60)
    result = what_if(example, longer)
    assert hyper(result.alerts) == []
    # Zones do not depend on the dwell: the time above the window stays the same.
    assert result.time_in_zones_s == example.tolerance.time_in_zones_s


def test_narrowing_brings_the_alert_earlier_and_adds_alerts(
    example: SessionAnalysis, rest: SessionAnalysis
) -> None:
    (original,) = hyper(example.alerts)
    (narrow,) = hyper(what_if(example, ToleranceSettings().widened(-1.0)).alerts)
    assert narrow.start_s < original.start_s - 30
    assert narrow.end_s is not None and original.end_s is not None
    assert narrow.end_s > original.end_s
    # The real resting recording has no alert; a window this narrow raises one.
    assert rest.alerts == []
    # 0.9 SD: 1.0 SD raised one such alert until the artefact filter stopped flagging healthy
    # beats of this recording (issue #14), and none since.
    tight = dataclasses.replace(ToleranceSettings(), upper_sd=0.9, edge_sd=0.5)
    added = compare_alerts(rest.alerts, what_if(rest, tight).alerts).added
    assert [a.kind for a in added].count(AlertKind.HYPER) == 1


def test_what_if_reuses_the_timeline_and_is_fast(
    example: SessionAnalysis, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_engine(*args: object, **kwargs: object) -> None:
        raise AssertionError("what-if must not run the HRV engine again")

    monkeypatch.setattr(HrvEngine, "push", no_engine)
    # Fast because it never runs the engine again (held above); its time is no assert here.
    result = what_if(example, ToleranceSettings().widened(1.0))
    assert len(result.readings) == len(example.tolerance.readings)
    # The inputs themselves, without a SessionAnalysis, work as well.
    assert isinstance(example.tolerance_inputs, ToleranceInputs)
    assert what_if(example.tolerance_inputs, ToleranceSettings()).alerts[0].kind == "warning"


def test_with_settings_keeps_everything_but_the_window(example: SessionAnalysis) -> None:
    wider = example.with_settings(ToleranceSettings().widened(1.0))
    assert wider.timeline is example.timeline and wider.summary is example.summary
    assert wider.settings.upper_sd == 3.5 and example.settings.upper_sd == 2.5
    assert example.with_settings(ToleranceSettings()) is example


def test_report_what_if_flags_leave_the_file_unchanged(tmp_path: Path) -> None:
    before = digest(EXAMPLE)
    out = tmp_path / "what_if.pdf"
    result = run_cli("report", str(EXAMPLE), "--out", str(out), "--upper-sd", "11")
    assert result.returncode == 0, result.stderr
    assert digest(EXAMPLE) == before
    text = " ".join(pdf_text(out).split())
    assert "What-if" in text and "upper 11 (recorded 2.5)" in text
    assert "Removed Pause for grounding 7:20–16:07" in text  # 440.98–967.x s, truncated
    assert "inside between −2.5 and 11" in text  # the methods state the bounds used
