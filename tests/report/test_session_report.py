"""``session-monitor report FILE``: the report of the example sessions, read back as text.

The report's numbers must be ``analyze --json``'s numbers on the same file (``analyze`` runs in its
own subprocess here), in both formats; both count times from the session start the file records,
so the report writes each of ``analyze``'s times as :func:`~monitor.report.formatting.clock` of it.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor import __version__
from monitor.report.formatting import clock
from tests.report.conftest import (
    EXAMPLE,
    REST_EXAMPLE,
    html_tables,
    pdf_text,
    run_cli_together,
)

SECTIONS = (
    "Session report",
    "Baseline",
    "Time in the window",
    "Alerts",
    "Recovery after grounding",
    "SUDS ratings and notes",
    "Data quality",
    "Whole-session HRV",
    "Methods",
    "References",
)


@dataclass(frozen=True)
class Reports:
    analyze: dict
    pdf: Path
    html: Path


def seconds(text: str) -> float:
    """``m:ss`` or ``h:mm:ss`` back into seconds."""
    value = 0.0
    for part in text.split(":"):
        value = 60 * value + int(part)
    return value


def flat(text: str) -> str:
    """Whitespace normalised; ``pdftotext`` sometimes drops the space before a ``%``."""
    return " ".join(text.split()).replace(" %", "%")


def make_reports(folder: Path, session: Path) -> Reports:
    timeline = folder / "timeline.csv"
    pdf, html = folder / "report.pdf", folder / "report.html"
    analyzed, *reports = run_cli_together(
        ("analyze", str(session), "--json", "--timeline", str(timeline)),
        ("report", str(session), "--out", str(pdf)),
        ("report", str(session), "--out", str(html)),
    )
    assert analyzed.returncode == 0, analyzed.stderr
    for result, out in zip(reports, (pdf, html), strict=True):
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == str(out)
    return Reports(json.loads(analyzed.stdout), pdf, html)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Reports:
    return make_reports(tmp_path_factory.mktemp("example"), EXAMPLE)


@pytest.fixture(scope="module")
def rest(tmp_path_factory: pytest.TempPathFactory) -> Reports:
    return make_reports(tmp_path_factory.mktemp("rest"), REST_EXAMPLE)


def test_the_pdf_has_every_section_and_the_header(example: Reports) -> None:
    text = flat(pdf_text(example.pdf))
    position = 0
    for section in SECTIONS:  # in this order (words like "Alerts" also occur before theirs)
        position = text.find(section, position)
        assert position >= 0, section
    assert "Client code DEMO01" in text
    assert "2025-01-15" in text
    assert f"Duration {clock(1290.02)} (min:s)" in text  # the stopped event at 1290.02 s
    assert "Strap Simulated strap" in text
    assert f"recorded with Session Monitor 0.1.0; report by {__version__}" in text
    assert "Lipponen" in text and "Task Force" in text  # the methods cite their sources
    assert "not a medical device" in text


def test_pdf_is_a4_pages_owner_only(example: Reports) -> None:
    info = subprocess.run(["pdfinfo", str(example.pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info), info
    assert 2 <= int(re.search(r"Pages:\s+(\d+)", info).group(1)) <= 5
    for path in (example.pdf, example.html):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_baseline_and_hrv_numbers_match_analyze(example: Reports) -> None:
    a = example.analyze
    b = a["baseline"]
    expected = [
        f"Heart rate {b['hr_bpm']:.1f} bpm, spread {b['hr_spread_bpm']:.1f} bpm",
        f"lnRMSSD {b['ln_rmssd']:.2f}, spread {b['ln_rmssd_spread']:.2f} "
        f"(RMSSD {b['rmssd_ms']:.0f} ms)",
        f"Mean HR {a['mean_hr_bpm']:.1f} bpm",
        f"RMSSD {a['rmssd_ms']:.1f} ms",
        f"SDNN {a['sdnn_ms']:.1f} ms",
        f"LF/HF {a['lf_hf']:.2f}",
        f"DFA α1 {a['dfa_a1']:.2f}",
        f"Corrected beats {a['artefacts']['total']} of {a['beats']} "
        f"({a['artefacts']['percent']:.1f} %)",
    ]
    pdf = flat(pdf_text(example.pdf))
    html = flat(re.sub(r"<[^>]+>", " ", example.html.read_text(encoding="utf-8")))
    for line in expected:
        assert flat(line) in pdf, line
        assert flat(line) in html, line


def test_alerts_and_recoveries_match_analyze(example: Reports) -> None:
    tables = html_tables(example.html)
    alerts = tables["Alert"]
    assert len(alerts) == len(example.analyze["alerts"]) == 2
    pdf = flat(pdf_text(example.pdf))
    names = {"hyper": "Pause for grounding", "warning": "Early warning"}
    for row, alert in zip(alerts, sorted(example.analyze["alerts"], key=lambda a: a["start_s"]),
                          strict=True):  # fmt: skip
        assert row[0] == names[alert["kind"]]
        assert row[1] == clock(alert["start_s"])
        assert row[2] == clock(alert["end_s"])
        assert row[4] == alert["reason"]
        assert flat(f"{row[0]} {row[1]} {row[2]} {row[3]}") in pdf
        assert flat(alert["reason"][:40]) in pdf
    recoveries = tables["Started by"]
    assert len(recoveries) == len(example.analyze["recoveries"]) == 2
    for row, recovery in zip(recoveries, example.analyze["recoveries"], strict=True):
        assert row[1] == clock(recovery["start_s"])
        assert row[2] == clock(recovery["inside_s"])
        assert row[3] == clock(recovery["recovery_s"])
        assert row[4] == clock(recovery["ready_s"])
        assert flat(" ".join(row[1:])) in pdf


def test_time_in_the_window_per_phase_matches_analyze(example: Reports) -> None:
    rows = {row[0]: row for row in html_tables(example.html)["Phase"]}
    expected = {**example.analyze["phases"], "Whole session": example.analyze["time_in_window"]}
    assert list(rows) == ["baseline", "imagery", "grounding", "rescripting", "calm place",
                          "Whole session"]  # fmt: skip
    pdf = flat(pdf_text(example.pdf))
    for name, zones in expected.items():
        row = rows[name]
        for cell, key in zip(row[1:5], ("inside_s", "above_s", "below_s", "unjudged_s"),
                             strict=True):  # fmt: skip
            # analyze rounds to 0.1 s; the report truncates to the whole second (clock_format)
            assert zones[key] - 1.05 < seconds(cell) <= zones[key] + 0.05, (name, key)
        judged = zones["inside_s"] + zones["above_s"] + zones["below_s"]
        if judged:
            outside_pct = 100 * (zones["above_s"] + zones["below_s"]) / judged
            # analyze rounds the seconds to 0.1 s, the report rounds the share: ±1 %
            assert float(row[5].removesuffix(" %")) == pytest.approx(outside_pct, abs=1.0)
        assert flat(" ".join(row)) in pdf


def test_suds_notes_and_gap_are_listed(example: Reports) -> None:
    rows = html_tables(example.html)["Time"]
    suds = [r for r in rows if r[1].startswith("SUDS")]
    assert [r[1] for r in suds] == ["SUDS 1", "SUDS 5", "SUDS 8", "SUDS 6", "SUDS 3", "SUDS 1"]
    assert [r[0] for r in suds][:2] == ["4:50", "8:00"]
    assert any("Paused for grounding" in r[2] for r in rows)
    pdf = flat(pdf_text(example.pdf))
    # 904.03–913.01 s: 8.99 s, truncated to the whole second like every clock (clock_format)
    assert "1 signal gap, 0:08 in total: 15:04–15:13" in pdf


def test_html_is_self_contained(example: Reports) -> None:
    page = example.html.read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and "<figure>" in page
    assert 'http-equiv="Content-Security-Policy"' in page and "default-src 'none'" in page
    without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", page)
    assert "http:" not in without_namespaces and "https:" not in without_namespaces
    for external in ("<script", "<link", "<img", "<iframe", "src=", "@import"):
        assert external not in page, external
    assert re.findall(r"url\((?!#)", page) == []  # only references inside the page
    assert "<!DOCTYPE svg" not in page and "<?xml" not in page


def test_the_imported_rest_session_reports_no_alerts(rest: Reports) -> None:
    text = flat(pdf_text(rest.pdf))
    assert "Client code REST01" in text
    assert "date unknown (the imported file has no start time)" in text
    assert "imported from rest_rri.txt" in text
    assert "No alerts." in text and "nothing to recover from" in text
    assert "No SUDS ratings or notes were recorded." in text
    b = rest.analyze["baseline"]
    assert flat(f"Heart rate {b['hr_bpm']:.1f} bpm") in text
    assert rest.analyze["alerts"] == []


def test_report_pages_render_as_images(example: Reports, tmp_path: Path) -> None:
    """``pdftoppm`` renders every page (the pages looked at while building the report)."""
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(example.pdf), str(tmp_path / "page")],
                   check=True)  # fmt: skip
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2 and all(p.stat().st_size > 5000 for p in pages)
