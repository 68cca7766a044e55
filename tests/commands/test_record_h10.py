"""A simulated Polar H10 end to end: ``record --simulate --h10``, the EDF+ with ``ECG`` and
``ACC``, ``analyze --json``'s breathing source, and a replay that matches the live session.

The truth is the simulator's own (the heart's breathing phase, the ECG's beats), never the
session's output.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyedflib
import pytest

from drivers.simulated_h10_stream import SimulatedH10
from drivers.simulator import HeartSimulator
from monitor.recording.reader import read_session, replay_source
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions, LiveSession
from monitor.session.replay_model import feed, replay_engine

ROOT = Path(__file__).resolve().parents[2]
DURATION_S = 120.0


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_record_export_analyze_a_simulated_h10(tmp_path: Path) -> None:
    """The acceptance of issue 16, as a user types it."""
    out = tmp_path / "h10.sqlite"
    recorded = run_cli(
        "record", "--simulate", "--h10", "--headless", "--speed", "10",
        "--duration", str(DURATION_S), "--out", str(out),
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    session = read_session(out)
    assert session.ecg is not None and session.acc is not None

    exported = run_cli("export", str(out), "--format", "edf")
    assert exported.returncode == 0, exported.stderr
    edf = out.with_suffix(".edf")
    assert exported.stdout.strip() == str(edf)
    with pyedflib.EdfReader(str(edf)) as reader:
        labels = reader.getSignalLabels()
        rates = dict(zip(labels, reader.getSampleFrequencies(), strict=True))
        ecg = reader.readSignal(labels.index("ECG"))
        duration_s = reader.getFileDuration()
    assert labels == ["RR", "ECG", "ACC X", "ACC Y", "ACC Z"]
    assert rates["ECG"] == 130.0 and rates["ACC X"] == rates["ACC Z"] == 50.0
    assert duration_s >= DURATION_S
    # ECG over the whole session: R waves (~1.2 mV; not the 0 of "nothing sent") near its start
    # and its end, in spans longer than the longest RR.
    assert np.ptp(ecg[130 : 130 * 4]) > 800 and np.ptp(ecg[116 * 130 : 119 * 130]) > 800

    analysed = run_cli("analyze", str(out), "--json")
    assert analysed.returncode == 0, analysed.stderr
    summary = json.loads(analysed.stdout)
    assert summary["breathing_source"] == "accelerometer"
    # The simulated heart's own breathing over the windows analysed (seed 0, as recorded).
    h10 = SimulatedH10(HeartSimulator(seed=0))
    list(h10.events(DURATION_S))
    assert h10.truth is not None
    windows = [w for w in summary["breathing_windows"] if w["breaths_per_min"] is not None]
    assert len(windows) >= 2
    for window in windows:
        truth = h10.truth.acc.true_breaths_per_min(window["start_s"], window["end_s"])
        assert abs(window["breaths_per_min"] - truth) <= 1.0, window

    hr_only = run_cli("analyze", str(ROOT / "recordings" / "example_simulated_session.sqlite"),
                      "--json")  # fmt: skip
    assert hr_only.returncode == 0, hr_only.stderr
    plain = json.loads(hr_only.stdout)
    assert plain["breathing_source"] == "rr" and plain["breathing_windows"] == []
    assert plain["breathing_rate_bpm"] == pytest.approx(plain["resp_rate_bpm"], abs=1e-3)


@pytest.fixture(scope="module")
def live_h10(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[SessionUpdate]]:
    """A simulated H10 session with artefacts, recorded live as fast as it goes."""
    from drivers.simulator import Disturbances

    out = tmp_path_factory.mktemp("h10") / "live.sqlite"
    updates: list[SessionUpdate] = []
    options = LiveOptions(
        simulate=True,
        h10=True,
        seed=3,
        speed=math.inf,
        duration_s=200.0,
        out=out,
        disturbances=Disturbances(ectopic_rate=0.02, missed_rate=0.01, extra_rate=0.01),
    )
    assert asyncio.run(LiveSession(options, on_update=updates.append).run()) == out
    return out, updates


def test_the_live_engine_used_the_raw_data(live_h10: tuple[Path, list[SessionUpdate]]) -> None:
    _, updates = live_h10
    verdicts = [b.verdict for u in updates for b in u.ecg_beats]
    assert len(verdicts) > 180
    assert {"removed", "inserted", "ectopic_qrs"} <= {str(v) for v in verdicts}
    assert any(u.breathing is not None and u.breathing.breaths_per_min for u in updates)
    assert updates[-1].status.ecg or updates[-2].status.ecg
    # The simulated client moves at 150-160 s (DEFAULT_MOVEMENT_BOUTS_S), and only then.
    moving_s = [u.t_s for u in updates if u.status.moving]
    assert moving_s and 150.0 <= min(moving_s) and max(moving_s) <= 165.0


def test_replay_refeeds_the_ecg_and_acc_as_live(live_h10: tuple[Path, list[SessionUpdate]]) -> None:
    """Same ECG verdicts, same breathing estimates, same NN beats: replay is the live session."""
    path, live = live_h10
    session = read_session(path)
    engine = replay_engine(session.metadata)
    replayed: list[SessionUpdate] = []
    for item in replay_source(session, speed=math.inf).items():
        replayed.extend(feed(engine, item))
    replayed.extend(engine.finish())

    def checked(updates: list[SessionUpdate]) -> list[tuple[float, str]]:
        return [(round(b.t_s, 6), str(b.verdict)) for u in updates for b in u.ecg_beats]

    def breathing(updates: list[SessionUpdate]) -> list[tuple[float, float | None]]:
        return [
            (round(u.breathing.t_s, 6), u.breathing.breaths_per_min)
            for u in updates
            if u.breathing is not None
        ]

    def nn(updates: list[SessionUpdate]) -> list[tuple[float, float]]:
        return [(round(u.beat.t_s, 6), round(u.beat.nn_ms, 6)) for u in updates if u.beat]

    assert checked(replayed) == checked(live)
    assert len(breathing(live)) > 20
    assert breathing(replayed) == breathing(live)
    assert nn(replayed) == nn(live)


def test_the_report_names_the_breathing_source(
    live_h10: tuple[Path, list[SessionUpdate]], tmp_path: Path
) -> None:
    path, _ = live_h10
    h10_report, hr_report = tmp_path / "h10.html", tmp_path / "hr.html"
    example = ROOT / "recordings" / "example_simulated_session.sqlite"
    for session, report in ((path, h10_report), (example, hr_report)):
        result = run_cli("report", str(session), "--out", str(report))
        assert result.returncode == 0, result.stderr
    assert "<td>Breathing rate (chest accelerometer)</td>" in h10_report.read_text()
    plain = hr_report.read_text()
    assert "chest accelerometer" not in plain and "<td>Respiration (RSA)</td>" in plain


def test_h10_flags_need_a_strap_or_the_simulator(tmp_path: Path) -> None:
    result = run_cli("record", "--lsl-inlet", "X", "--h10", "--headless", "--out",
                     str(tmp_path / "x.sqlite"))  # fmt: skip
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "--h10" in result.stderr
    assert not (tmp_path / "x.sqlite").exists()
    bids = run_cli("export", str(ROOT / "recordings" / "example_simulated_session.sqlite"),
                   "--format", "bids")  # fmt: skip
    assert bids.returncode == 2 and "--out" in bids.stderr


def test_a_real_strap_with_h10_asks_for_its_raw_data() -> None:
    """``record --device X --h10``: the BLE source with Polar Measurement Data on (a strap
    without it records heart rate only; ``DeviceInfo.extra["raw_data"]`` says "none")."""
    from drivers.ble import BleHeartRateSource

    session = LiveSession(LiveOptions(device="AA:BB:CC:DD:EE:FF", h10=True, record=False))
    source, _, _ = session._make_source()
    assert isinstance(source, BleHeartRateSource) and source.raw_data is True
    plain = LiveSession(LiveOptions(device="AA:BB:CC:DD:EE:FF", record=False))
    source, _, _ = plain._make_source()
    assert isinstance(source, BleHeartRateSource) and source.raw_data is False
