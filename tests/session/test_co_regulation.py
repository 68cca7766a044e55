"""Co-regulation sessions (issue #18): the client's and the therapist's straps in one session.

Run as a user would (``record --simulate --therapist-simulate``, then ``analyze --json`` in
subprocesses, real session files), and in process for a therapist's strap that drops out while
the client's goes on. The simulated therapist follows the client's heart with a set coupling and
lag (:mod:`drivers.simulated_coupling`): the file must hold both streams, and analyze must find
that coupling, and find none when the coupling is 0.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from drivers.simulator import Disturbances
from monitor.core.vagal_synchrony import MIN_BINS
from monitor.recording.model import SCHEMA_VERSION, EventKind
from monitor.recording.reader import read_session
from monitor.session.dashboard_model import DashboardModel
from monitor.session.live import LiveOptions, LiveSession
from monitor.session.live_synchrony import RMSSD_TRAILING_S, TRAILING_S, LiveSynchrony
from monitor.session.paired_sources import Wearer
from tests.session.coupled_session import run_coupled_session

DURATION_S = 600


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=300
    )


def record(path: Path, *extra: str) -> Path:
    result = run_cli(
        "record", "--simulate", "--therapist-simulate", "--headless", "--speed", "100",
        "--duration", str(DURATION_S), "--out", str(path), *extra,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def coupled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("co")
    return record(
        folder / "coupled.sqlite", "--therapist-coupling", "0.6", "--therapist-lag-s", "3"
    )


@pytest.fixture(scope="module")
def uncoupled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("co")
    return record(folder / "uncoupled.sqlite", "--therapist-coupling", "0")


def analyze(path: Path) -> dict[str, object]:
    result = run_cli("analyze", str(path), "--json")
    assert result.returncode == 0, result.stderr
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_both_straps_are_in_the_one_file(coupled: Path) -> None:
    session = read_session(coupled)
    assert session.schema_version == SCHEMA_VERSION
    therapist = session.therapist_beats
    assert therapist is not None
    # The therapist's simulated heart runs at ~72 bpm, the client's scripted one differently.
    assert abs(len(therapist) - DURATION_S * 72 / 60) < 0.1 * DURATION_S * 72 / 60
    assert len(session.beats) > 0.8 * DURATION_S
    assert not np.array_equal(therapist.rr_ms[:50], session.beats.rr_ms[:50])
    # Every therapist beat was classified by the therapist's own artefact filter.
    assert (therapist.beat_class[:-10] >= 0).all()
    with sqlite3.connect(coupled) as connection:
        packets = connection.execute("SELECT count(*) FROM therapist_packets").fetchone()[0]
    assert abs(packets - DURATION_S) <= 5  # one notification a second
    # The therapist's connection events are the therapist's, never the client's.
    kinds = {e.kind for e in session.therapist_events}
    assert EventKind.CONNECTION in kinds
    assert all(e.data.get("source") == "therapist" for e in session.therapist_events)
    assert not any("source" in e.data for e in session.events)


def test_analyze_reports_the_therapist_and_finds_the_coupling_and_its_lag(coupled: Path) -> None:
    summary = analyze(coupled)
    therapist = summary["therapist"]
    assert isinstance(therapist, dict)
    session = read_session(coupled)
    assert session.therapist_beats is not None
    assert therapist["beats"] == len(session.therapist_beats)
    assert 65 < therapist["mean_hr_bpm"] < 80
    window = therapist["time_in_window"]
    assert window["inside_s"] + window["above_s"] + window["below_s"] > 0
    synchrony = summary["synchrony"]
    assert isinstance(synchrony, dict)
    whole = synchrony["whole_session"]
    assert whole["above_chance"] is True and whole["in_phase"] is True
    assert whole["leader"] == "client" and abs(whole["lead_lag_s"] - 3.0) <= 0.5
    # RMSSD synchrony over the same span, in 15-s bins: a figure from nearly all 40 of them.
    vagal = whole["rmssd"]
    assert (vagal["start_s"], vagal["end_s"]) == (whole["start_s"], whole["end_s"])
    assert 36 <= vagal["bins"] <= 40 and 0 < vagal["p_value"] <= 1
    assert vagal["leader"] in ("client", "therapist", "together")
    # Per phase: the simulated session's marked phases, each with a figure or a reason.
    phases = synchrony["phases"]
    assert "baseline" in phases and "imagery" in phases
    for span in phases.values():
        assert span["above_chance"] in (True, False) or span["absent"]


def test_independent_straps_are_not_above_chance(uncoupled: Path) -> None:
    synchrony = analyze(uncoupled)["synchrony"]
    assert isinstance(synchrony, dict)
    assert synchrony["whole_session"]["above_chance"] is False
    assert synchrony["whole_session"]["rmssd"]["above_chance"] is False


def test_a_session_without_a_therapist_has_no_therapist_keys(tmp_path: Path) -> None:
    path = tmp_path / "alone.sqlite"
    result = run_cli(
        "record", "--simulate", "--headless", "--speed", "200", "--duration", "120",
        "--out", str(path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert read_session(path).therapist_beats is None
    summary = analyze(path)
    assert "therapist" not in summary and "synchrony" not in summary


def test_live_updates_carry_the_therapists_zone_and_the_trailing_synchrony(
    tmp_path: Path,
) -> None:
    """In process, as the dashboard gets them: from the first bin after 5 minutes of both
    straps the live synchrony equals the batch measure over the same trailing 300 s."""
    updates, _ = run_coupled_session(tmp_path / "live.sqlite", duration_s=480, lag_s=3.0)
    with_sync = [u for u in updates if u.synchrony is not None and u.synchrony.result is not None]
    assert with_sync, "no live synchrony in 8 minutes"
    latest = with_sync[-1].synchrony
    assert latest is not None and latest.result is not None
    assert latest.result.above_chance and abs(latest.result.lead_lag_s - 3.0) <= 0.5
    assert latest.end_s - latest.start_s == TRAILING_S
    assert any(u.therapist_reading is not None for u in updates)
    # The dashboard's line says it in words (the client's view never gets it).
    model = DashboardModel()
    for update in updates:
        model.apply(update)
    line = model.co_regulation_line()
    assert line is not None and "above chance, in phase, client leading by 3 s" in line
    # RMSSD synchrony looks back over its own, longer span; it has a figure once 5 minutes of
    # bins are in it, and the line says which span it is.
    assert latest.rmssd is not None
    assert latest.rmssd.end_s == latest.end_s
    assert latest.rmssd.end_s - latest.rmssd.start_s == RMSSD_TRAILING_S
    assert latest.rmssd.result is not None and latest.rmssd.result.segments >= MIN_BINS
    assert "RMSSD (last 10 min): " in line
    assert len(model.rmssd_trace) == len(model.synchrony_trace)
    assert DashboardModel().co_regulation_line() is None


def test_live_synchrony_is_recomputed_once_per_bin_over_the_trailing_span() -> None:
    """Hand-made heart rates: a therapist copying the client 2 s later, at 1 beat a second."""
    rng = np.random.default_rng(3)
    hr = 70 + np.cumsum(rng.normal(0, 0.5, 700))
    live = LiveSynchrony()
    results = []
    for t in range(700):
        live.add(Wearer.THERAPIST, float(t), float(hr[t - 2] if t >= 2 else hr[0]))
        found = live.add(Wearer.CLIENT, float(t), float(hr[t]))
        if found is not None:
            results.append((t, found))
    times = [t for t, _ in results]
    assert times[0] == 15 and all(b - a == 15 for a, b in itertools.pairwise(times))
    last_t, last = results[-1]
    assert (last.start_s, last.end_s) == (last_t - TRAILING_S, last_t)
    assert last.result is not None and last.result.above_chance
    assert last.result.lead_lag_s == 2.0
    # Early bins have too few segments: absent, with the reason.
    assert results[0][1].result is None and results[0][1].absent_reason


def test_the_therapist_strap_drops_out_and_returns_while_the_client_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "dropout.sqlite"
    options = LiveOptions(
        simulate=True,
        therapist_simulate=True,
        therapist_disturbances=Disturbances(dropouts=((100.0, 130.0),)),
        speed=math.inf,
        duration_s=300,
        out=path,
    )
    assert asyncio.run(LiveSession(options).run()) == path
    session = read_session(path)
    therapist = session.therapist_beats
    assert therapist is not None
    # No therapist beat inside the drop-out, beats again after it.
    assert not ((therapist.t_s > 101.0) & (therapist.t_s < 129.0)).any()
    assert (therapist.t_s > 140.0).any()
    gaps = [e for e in session.therapist_events if e.kind == EventKind.GAP]
    assert len(gaps) == 1 and 95.0 < gaps[0].t_s < 105.0
    # The client's strap went on through it, without a gap.
    client = session.beats.t_s
    assert ((client > 101.0) & (client < 129.0)).sum() > 20
    assert not [e for e in session.events if e.kind == EventKind.GAP]


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (
            ["--device", "AA:BB", "--therapist-simulate"],
            "--therapist-simulate goes with --simulate",
        ),
        (["--simulate", "--therapist-device", "X"], "--therapist-device goes with --device"),
        (["--simulate", "--therapist-simulate", "--therapist-coupling", "2"], "within -1..1"),
        (["--simulate", "--therapist-simulate", "--therapist-lag-s", "99"], "within -30..30"),
        (["--simulate", "--therapist-cue"], "--therapist-cue needs the therapist's strap"),
    ],
)
def test_wrong_therapist_flags_get_one_line_and_exit_2(
    tmp_path: Path, flags: list[str], says: str
) -> None:
    out = tmp_path / "never.sqlite"
    result = run_cli("record", *flags, "--headless", "--duration", "5", "--out", str(out))
    assert result.returncode == 2
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_the_session_report_has_the_therapist_and_the_synchrony_per_phase(
    coupled: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = run_cli("report", str(coupled), "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = html.unescape(out.read_text())
    assert "Co-regulation: the therapist's strap and synchrony" in text
    session = read_session(coupled)
    assert session.therapist_beats is not None
    assert f"{len(session.therapist_beats)} beats, mean HR" in text
    assert "in phase, client leads by 3 s" in text  # the whole session's row
    for phase in ("Baseline", "Imagery"):
        assert f">{phase}<" in text
