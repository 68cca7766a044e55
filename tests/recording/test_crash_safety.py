"""Crash safety: a recording killed with SIGKILL at random moments keeps all but the last second.

Each run starts ``crash_recorder.py`` (the simulator recorded in real time at 20x through
:class:`SessionWriter`), kills it with SIGKILL at a seeded random moment, then checks that the
file opens with the normal reader, passes ``PRAGMA integrity_check``, and holds every beat the
child had handed to the writer up to 1 s (on the child's own monotonic clock) before the kill,
with the RR values it sent. Every other run checkpoints the WAL into the database file every
0.3 s, so kills also land around checkpoints. Runs go four at a time to keep the test near 10 s.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from recording_helpers import REPO_ROOT

from monitor.recording.reader import SessionReader

RUNS = 12
PARALLEL = 4
SPEED = 20.0
MAX_LOSS_S = 1.0
CHILD = Path(__file__).with_name("crash_recorder.py")


@dataclass
class CrashRun:
    seed: int
    kill_after_s: float
    sent: list[tuple[int, float, float]]  # (index, rr_ms, handed at monotonic s)
    killed_at_s: float
    path: Path


def run_and_kill(folder: Path, seed: int, kill_after_s: float) -> CrashRun:
    checkpoint_s = 0.3 if seed % 2 else 30.0
    path = folder / f"crash-{seed}.sqlite"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), str(CHILD.parent)]))
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(path), str(seed), str(SPEED), str(checkpoint_s)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )
    assert child.stdout is not None
    first = child.stdout.readline()
    if first.strip() != "ready":
        child.kill()
        raise AssertionError(f"recorder did not start: {first!r} {child.stderr.read()!r}")
    time.sleep(kill_after_s)
    killed_at_s = time.monotonic()
    child.send_signal(signal.SIGKILL)
    child.wait()
    sent = []
    for line in child.stdout.read().splitlines():
        parts = line.split()
        # The kill may cut the last line short.
        if len(parts) == 4 and parts[0] == "beat":
            sent.append((int(parts[1]), float(parts[2]), float(parts[3])))
    child.stdout.close()
    child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return CrashRun(seed, kill_after_s, sent, killed_at_s, path)


@pytest.fixture(scope="module")
def crash_runs(tmp_path_factory: pytest.TempPathFactory) -> list[CrashRun]:
    folder = tmp_path_factory.mktemp("crash")
    rng = random.Random(20250301)
    plans = [(seed, rng.uniform(0.05, 2.5)) for seed in range(RUNS)]
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(lambda plan: run_and_kill(folder, *plan), plans))


def test_every_killed_recording_opens_and_passes_the_integrity_check(
    crash_runs: list[CrashRun],
) -> None:
    assert len(crash_runs) >= 10
    for run in crash_runs:
        with SessionReader(run.path) as reader:
            assert reader.metadata.client_code == "CRASH"
            assert reader.metadata.end_utc is None  # cut short, and the file says so
        connection = sqlite3.connect(run.path)  # read-write, as a recovering tool would
        try:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            connection.close()


def test_at_most_the_last_second_before_the_kill_is_lost(crash_runs: list[CrashRun]) -> None:
    worst_loss_s = 0.0
    for run in crash_runs:
        with SessionReader(run.path) as reader:
            on_disk = reader.beats().rr_ms
        sent_rr = np.array([rr for _, rr, _ in run.sent])
        assert [i for i, _, _ in run.sent] == list(range(len(run.sent)))
        # What is on disk is exactly what was sent, in order (a beat handed over just before
        # the kill may be on disk without its line having been printed).
        common = min(on_disk.size, sent_rr.size)
        np.testing.assert_array_equal(on_disk[:common], sent_rr[:common])
        assert on_disk.size <= sent_rr.size + 1
        lost = [handed for index, _, handed in run.sent if index >= on_disk.size]
        if lost:
            loss_s = run.killed_at_s - min(lost)
            worst_loss_s = max(worst_loss_s, loss_s)
            assert loss_s <= MAX_LOSS_S, (
                f"run {run.seed} (killed after {run.kill_after_s:.2f} s) lost beats handed "
                f"{loss_s:.3f} s before the kill"
            )
    print(
        f"\ncrash test: {len(crash_runs)} SIGKILLs, "
        f"{sum(len(r.sent) for r in crash_runs)} beats sent, "
        f"worst loss {worst_loss_s:.3f} s before the kill"
    )


def test_the_runs_killed_mid_recording(crash_runs: list[CrashRun]) -> None:
    # Guards the test itself: kills must land while beats were flowing, not before or after.
    assert sum(1 for run in crash_runs if len(run.sent) > 20) >= len(crash_runs) // 2
