"""``session-monitor analyze`` run as a user would: a subprocess, real files, exit codes."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from monitor.core.artefacts import correct_beats
from tests.conftest import DATA_DIR, load_rr_ms

REQUIRED_KEYS = {
    "beats", "duration_s", "mean_rr_ms", "mean_hr_bpm", "sdnn_ms", "rmssd_ms", "ln_rmssd",
    "pnn50_pct", "sd1_ms", "sd2_ms", "stress_index", "lf_ms2", "hf_ms2", "lf_hf", "coherence",
    "dfa_a1", "resp_rate_bpm", "artefacts",
}  # fmt: skip


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("name", ["rest_rri.txt", "noisy_rri.hrm", "real_rri.txt"])
def test_json_has_every_key_and_matches_numpy_on_the_corrected_series(name: str) -> None:
    result = run_cli("analyze", str(DATA_DIR / name), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert REQUIRED_KEYS <= summary.keys()
    rr = load_rr_ms(name)
    nn = correct_beats(rr).nn_ms
    # Independent formulas (Task Force 1996), written here with numpy.
    assert summary["beats"] == rr.size
    assert summary["mean_rr_ms"] == pytest.approx(np.mean(nn), rel=1e-9)
    assert summary["sdnn_ms"] == pytest.approx(np.std(nn, ddof=1), rel=1e-9)
    assert summary["rmssd_ms"] == pytest.approx(np.sqrt(np.mean(np.diff(nn) ** 2)), rel=1e-9)
    assert set(summary["artefacts"]) >= {"ectopic", "long", "short", "missed", "extra", "total",
                                         "percent"}  # fmt: skip


def test_the_zero_in_a_real_recording_is_flagged_not_used() -> None:
    summary = json.loads(run_cli("analyze", str(DATA_DIR / "real_rri.txt"), "--json").stdout)
    assert summary["artefacts"]["invalid"] == 1
    assert 40 < summary["mean_hr_bpm"] < 70  # a 0-ms beat would have been 'infinite' HR


def test_timeline_has_a_row_per_nn_beat_with_the_live_indices(tmp_path: Path) -> None:
    out = tmp_path / "timeline.csv"
    result = run_cli("analyze", str(DATA_DIR / "rest_rri.txt"), "--timeline", str(out))
    assert result.returncode == 0, result.stderr
    assert "RMSSD" in result.stdout  # the human-readable summary
    with out.open() as file:
        rows = list(csv.DictReader(file))
    nn = correct_beats(load_rr_ms("rest_rri.txt")).nn_ms
    assert abs(len(rows) - nn.size) <= 3  # streaming and batch correction may split/merge apart
    last = rows[-1]
    assert float(last["rmssd_ms"]) > 0 and float(last["lf_ms2"]) > 0
    assert rows[0]["rmssd_ms"] == ""  # the 60-s window is not full yet: no value, not zero
    times = [float(r["t_s"]) for r in rows]
    assert times == sorted(times)


@pytest.mark.parametrize(
    "content",
    [b"", b"not,a\nnumber\n", bytes(range(256)) * 4, b"[Params]\nInterval=1\n[HRData]\n60\n"],
    ids=["empty", "text", "binary", "hrm-without-rr"],
)
def test_unreadable_files_give_one_line_and_exit_2(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    result = run_cli("analyze", str(bad), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.txt" in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_file_and_help() -> None:
    missing = run_cli("analyze", "/no/such/file.txt")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert run_cli("analyze", "--help").returncode == 0
    assert run_cli("--help").returncode == 0


def test_a_session_file_gets_baseline_alerts_and_time_per_phase() -> None:
    """The example session (simulated, with phase markers): the imagery phase is where arousal
    went above the window, the baseline phase is calibration, the calm place is inside."""
    example = DATA_DIR.parent.parent / "recordings" / "example_simulated_session.sqlite"
    summary = json.loads(run_cli("analyze", str(example), "--json").stdout)
    assert summary["baseline"]["hr_bpm"] == pytest.approx(65, abs=5)
    hyper = [a for a in summary["alerts"] if a["kind"] == "hyper"]
    assert len(hyper) == 1 and hyper[0]["end_s"] > hyper[0]["start_s"] > 300
    phases = summary["phases"]
    assert set(phases) == {"baseline", "imagery", "grounding", "rescripting", "calm place"}
    assert phases["imagery"]["above_s"] > 60
    assert phases["calm place"]["above_s"] == 0 and phases["calm place"]["inside_s"] > 200
    assert phases["baseline"]["unjudged_s"] > 250  # calibrating, not judged
    total = summary["time_in_window"]
    assert sum(total.values()) == pytest.approx(summary["duration_s"], rel=0.05)
    assert summary["recoveries"] and summary["recoveries"][0]["recovery_s"] > 0


def test_baseline_seconds_flag_is_checked() -> None:
    result = run_cli("analyze", str(DATA_DIR / "rest_rri.txt"), "--baseline-s", "-3")
    assert result.returncode == 2 and "--baseline-s" in result.stderr
