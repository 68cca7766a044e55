"""Indices that need more data than a recording holds are absent, with the reason.

Real beats cut from ``tests/data/rest_rri.txt`` (seated rest, clean): the first 26 beats
(28.548 s), the first 2 beats (2.227 s) and the first 90 s. Each is run through ``analyze`` in a
subprocess (``--json`` and the text), and the 29-s cut through ``import`` and ``report``. The
expected reasons are written out by hand from the table in :mod:`monitor.core.data_minimums`
(seconds of beats, then clean beats), with the durations summed here from the raw lines.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.core.respiration import NO_CLEAR_PEAK_REASON
from tests.conftest import DATA_DIR
from tests.report.conftest import html_tables

INDICES = (
    "mean_rr_ms", "mean_hr_bpm", "sdnn_ms", "rmssd_ms", "ln_rmssd", "pnn50_pct", "sd1_ms",
    "sd2_ms", "stress_index", "lf_ms2", "hf_ms2", "lf_hf", "coherence", "dfa_a1", "resp_rate_bpm",
)  # fmt: skip

SHORT = "needs 60 s of beats (Munoz et al. 2015: RMSSD from 60 s tracks the 5-min value)"
LONG = "needs 120 s of beats (Munoz et al. 2015)"
STRESS = "needs 120 s of beats (Baevsky's 50-ms histogram; Baevsky & Chernikova 2017)"
LF = "needs 120 s of beats (Task Force 1996: about 2 min for LF)"
HF = "needs 60 s of beats (Task Force 1996: about 1 min for HF)"
EPOCH = "needs 64 s of beats (one full 64-s epoch, McCraty et al. 2009)"
DFA = "needs 100 clean beats (Peng et al. 1995 boxes of 4–16 beats; Rogers et al. 2021)"
HR = "needs 10 s of beats (Munoz et al. 2015)"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=300
    )


def cut(tmp_path: Path, beats: int) -> tuple[Path, float]:
    """The first ``beats`` lines of the rest recording as an RR file, and their sum in s."""
    lines = (DATA_DIR / "rest_rri.txt").read_text().split()[:beats]
    path = tmp_path / f"rest_first_{beats}.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, sum(float(v) for v in lines) / 1000.0


def analyze_json(path: Path) -> dict:
    result = run_cli("analyze", str(path), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_29_s_recording_has_its_heart_rate_and_nothing_that_needs_more(tmp_path: Path) -> None:
    path, seconds = cut(tmp_path, 26)
    assert seconds == pytest.approx(28.548)
    summary = analyze_json(path)
    # Beat 22 (879 ms between 1066 and 1099 ms) is flagged short and corrected, which leaves
    # 25 clean beats.
    assert summary["artefacts"]["total"] == summary["artefacts"]["short"] == 1
    has = "the recording has 29 s"
    expected = {
        "sdnn_ms": LONG, "sd2_ms": LONG, "rmssd_ms": SHORT, "ln_rmssd": SHORT,
        "pnn50_pct": SHORT, "sd1_ms": SHORT, "stress_index": STRESS, "lf_ms2": LF, "lf_hf": LF,
        "hf_ms2": HF, "coherence": EPOCH, "resp_rate_bpm": EPOCH,
    }  # fmt: skip
    assert summary["absent"] == {
        **{k: f"{v}; {has}" for k, v in expected.items()},
        "dfa_a1": f"{DFA}; the recording has 25",
    }
    for name in INDICES:
        assert (summary[name] is None) == (name in summary["absent"]), name
    # 29 s and 25 clean beats are enough for the mean heart rate (Munoz 2015: from 10 s).
    assert 1000.0 < summary["mean_rr_ms"] < 1200.0


def test_two_beats_give_no_index_at_all(tmp_path: Path) -> None:
    path, seconds = cut(tmp_path, 2)
    assert seconds == pytest.approx(2.227)
    summary = analyze_json(path)
    assert all(summary[name] is None for name in INDICES)
    assert summary["absent"]["rmssd_ms"] == f"{SHORT}; the recording has 2.2 s"
    assert summary["absent"]["mean_hr_bpm"] == f"{HR}; the recording has 2.2 s"
    assert summary["absent"]["dfa_a1"] == f"{DFA}; the recording has 2"
    assert set(summary["absent"]) == set(INDICES)

    text = run_cli("analyze", str(path))
    assert text.returncode == 0, text.stderr
    lines = {line.split("  ")[1].strip(): line for line in text.stdout.splitlines()[1:16]}
    assert lines["RMSSD"].split()[1:3] == ["—", "(needs"]
    assert f"({SHORT}; the recording has 2.2 s)" in lines["RMSSD"]
    # Two indices on one line, each reason once.
    assert (
        f"({LF}; the recording has 2.2 s; {HF}; the recording has 2.2 s)" in lines["LF / HF power"]
    )


def test_90_s_have_the_short_term_indices_but_not_lf(tmp_path: Path) -> None:
    lines = (DATA_DIR / "rest_rri.txt").read_text().split()
    total_s, beats = 0.0, 0
    while total_s < 90.0:
        total_s += float(lines[beats]) / 1000.0
        beats += 1
    path, seconds = cut(tmp_path, beats)
    summary = analyze_json(path)
    # The seconds are those of the corrected NN series: within a beat of the raw sum.
    has = summary["absent"]["sdnn_ms"].removeprefix(f"{LONG}; ")
    assert has.startswith("the recording has ") and has.endswith(" s")
    assert abs(int(has.split()[-2]) - seconds) <= 1.2
    dfa = summary["absent"].pop("dfa_a1")
    # 90 s is enough for a breathing rate; without a clear peak in the spectrum it is absent
    # for that reason, never for want of data.
    breathing = summary["absent"].pop("resp_rate_bpm", None)
    assert (summary["resp_rate_bpm"] is None) == (breathing is not None)
    assert breathing in (None, NO_CLEAR_PEAK_REASON)
    assert summary["absent"] == {
        "sdnn_ms": f"{LONG}; {has}", "sd2_ms": f"{LONG}; {has}",
        "stress_index": f"{STRESS}; {has}", "lf_ms2": f"{LF}; {has}", "lf_hf": f"{LF}; {has}",
    }  # fmt: skip
    # Fewer clean beats than beats: the corrected ones do not count.
    assert dfa.startswith(f"{DFA}; the recording has ")
    assert int(dfa.rsplit(" ", 1)[1]) < beats - summary["artefacts"]["total"] + 1
    assert beats < 100
    for name in ("rmssd_ms", "hf_ms2", "coherence", "mean_hr_bpm"):
        assert summary[name] is not None, name


def test_a_whole_recording_has_every_index(tmp_path: Path) -> None:
    summary = analyze_json(DATA_DIR / "rest_rri.txt")
    assert summary["absent"] == {}
    assert all(summary[name] is not None for name in INDICES)


def test_the_report_shows_a_dash_and_the_reason(tmp_path: Path) -> None:
    path, _ = cut(tmp_path, 26)
    session = tmp_path / "short.sqlite"
    imported = run_cli("import", str(path), "--out", str(session), "--client", "C029")
    assert imported.returncode == 0, imported.stderr
    html = tmp_path / "short.html"
    result = run_cli("report", str(session), "--out", str(html))
    assert result.returncode == 0, result.stderr
    rows = {row[0]: row[1] for row in html_tables(html)["Index"]}
    assert rows["Mean HR"].endswith(" bpm") and rows["Mean HR"][0].isdigit()
    # Reasons in order of first use: SDNN (1), RMSSD (2), stress index (3), LF (4), HF (5) ...
    assert rows["SDNN"] == "— (1)"
    assert rows["RMSSD"] == rows["lnRMSSD"] == rows["pNN50"] == "— (2)"
    assert rows["SD1 / SD2"] == "— (2) (1)"
    assert rows["Stress index (√SI)"] == "— (3)"
    assert rows["LF / HF power"] == "— (4) (5)"
    assert rows["LF/HF"] == "— (4)"
    page = html.read_text(encoding="utf-8")
    assert f"(1) Not shown: {LONG}; the recording has 29 s." in page
    assert f"(4) Not shown: {LF}; the recording has 29 s." in page
    assert f"Not shown: {DFA}; the recording has 25." in page
