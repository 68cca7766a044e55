"""``replay FILE --headless --json``: the live engine over a file's raw packets, no Qt, with the
keys of ``analyze --json`` and the same verdict.

The two commands take different roads to the one judge (:mod:`monitor.core.judge`): ``analyze``
runs the batch per-beat timeline over the stored beats in worker processes, the headless replay
re-parses every stored notification and runs the live :class:`SessionEngine` over them with the
therapist's markers at their times. Their alerts, recoveries and time in each zone must agree.

Real parts: live simulated sessions recorded by :class:`LiveSession` into real SQLite files (one
widened live, with a signal drop-out, lost skin contact and ectopic beats), the example session
shipped in ``recordings/``, a version-1 file widened live (``tests/data``), and both commands as
real subprocesses. Nothing runs Qt: the test checks that the headless replay never imports it.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.simulator import Disturbances
from monitor.core.tolerance import ToleranceSettings
from monitor.recording.model import EventKind
from monitor.recording.reader import read_session
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions, LiveSession

ROOT = Path(__file__).resolve().parents[2]
CHANGE_S = 420.0
"""Between the early warning (~387 s) and the pause-for-grounding alert (~434 s) of seed 4."""
DISTURBED = Disturbances(
    ectopic_rate=0.01, dropouts=((520.0, 545.0),), contact_loss=((660.0, 680.0),)
)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=600
    )


def recorded_live(path: Path, *, widen_at_s: float | None) -> Path:
    """A simulated session recorded as the dashboard records it (widened once if asked)."""
    options = LiveOptions(
        simulate=True, speed=math.inf, duration_s=900.0, seed=4, out=path, client_code="T015",
        disturbances=DISTURBED,
    )  # fmt: skip
    asked = False

    def on_update(update: SessionUpdate) -> None:
        nonlocal asked
        if widen_at_s is not None and not asked and update.t_s >= widen_at_s:
            asked = True  # the therapist presses "wider" (the dashboard's runner.call)
            wider = ToleranceSettings().widened(1.0)
            session.call(lambda engine, now_s: engine.set_tolerance(now_s, wider))

    session = LiveSession(options, on_update=on_update)
    assert asyncio.run(session.run()) == path
    return path


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("headless")
    return {
        "widened live, gap, contact lost": recorded_live(folder / "w.sqlite", widen_at_s=CHANGE_S),
        "disturbed": recorded_live(folder / "d.sqlite", widen_at_s=None),
        "example session": ROOT / "recordings" / "example_simulated_session.sqlite",
        "version 1, widened live": ROOT / "tests" / "data" / "session_schema1_live_widen.sqlite",
    }


def json_of(*args: str) -> dict[str, object]:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def assert_same_episodes(got: list[dict], expected: list[dict], keys: tuple[str, ...]) -> None:
    """Same episodes; times equal to the rounding of the JSON (the batch timeline runs in worker
    processes, whose beat times may differ from the live engine's in the last bits)."""
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert {k: v for k, v in a.items() if k not in keys} == {
            k: v for k, v in b.items() if k not in keys
        }
        for key in keys:
            assert (a[key] is None) == (b[key] is None), key
            if a[key] is not None:
                assert a[key] == pytest.approx(b[key], abs=2e-3), key


def assert_same_zones(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for zone, seconds in expected.items():
        # Rounded to 0.1 s each: a last-bit difference may move one across a rounding edge.
        assert got[zone] == pytest.approx(seconds, abs=0.11), zone


@pytest.mark.parametrize(
    "name",
    ["widened live, gap, contact lost", "disturbed", "example session", "version 1, widened live"],
)
def test_headless_replay_says_what_analyze_says(sessions: dict[str, Path], name: str) -> None:
    path = str(sessions[name])
    replayed = json_of("replay", path, "--headless", "--json")
    analysed = json_of("analyze", path, "--json")

    assert replayed.keys() == analysed.keys()
    assert_same_episodes(replayed["alerts"], analysed["alerts"], ("start_s", "end_s"))
    assert_same_episodes(
        replayed["recoveries"], analysed["recoveries"],
        ("start_s", "inside_s", "ready_s", "recovery_s"),
    )  # fmt: skip
    assert_same_zones(replayed["time_in_window"], analysed["time_in_window"])
    assert replayed["phases"].keys() == analysed["phases"].keys()
    for phase, zones in analysed["phases"].items():
        assert_same_zones(replayed["phases"][phase], zones)
    for key in ("beats", "rmssd_ms", "mean_hr_bpm"):  # the same stored beats
        assert replayed[key] == analysed[key]


def test_the_sessions_hold_what_the_comparison_needs(sessions: dict[str, Path]) -> None:
    """Without alerts, a change of the window, a gap and lost contact the comparison above
    would prove little."""
    events = read_session(sessions["widened live, gap, contact lost"]).events
    kinds = [e.kind for e in events]
    assert EventKind.TOLERANCE in kinds and EventKind.GAP in kinds
    assert any(e.kind == EventKind.CONTACT and e.value == 0.0 for e in events)
    replayed = json_of(
        "replay", str(sessions["widened live, gap, contact lost"]), "--headless", "--json"
    )
    assert replayed["alerts"], "the session raises alerts"
    assert replayed["time_in_window"]["unjudged_s"] > 20.0  # the gap and the contact loss


def test_headless_replay_gives_the_alerts_the_live_session_recorded(
    sessions: dict[str, Path],
) -> None:
    """The file stores the alerts the therapist saw; replaying its packets raises them again."""
    path = sessions["widened live, gap, contact lost"]
    live = [
        (e.data["alert_kind"], round(e.t_s, 3), None if e.end_s is None else round(e.end_s, 3))
        for e in read_session(path).events
        if e.kind == EventKind.ALERT
    ]
    replayed = json_of("replay", str(path), "--headless", "--json")["alerts"]
    assert [(a["kind"], a["start_s"], a["end_s"]) for a in replayed] == live


def test_headless_replay_loads_no_qt(sessions: dict[str, Path]) -> None:
    code = (
        "import sys\n"
        f"sys.argv = ['session-monitor', 'replay', {str(sessions['disturbed'])!r}, '--headless',"
        " '--json']\n"
        "from monitor.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "qt = any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules)\n"
        "print('QT' if qt else 'NO-QT', file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    assert result.stderr.strip().splitlines()[-1] == "NO-QT", result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--json"], "--json goes with --headless"),
        (["--headless", "--speed", "4"], "--speed is for the window, not for --headless"),
        (["--headless", "--duration", "10"], "--duration is for the window"),
    ],
)
def test_flags_that_do_not_go_together_are_one_line(
    sessions: dict[str, Path], args: list[str], message: str
) -> None:
    result = run_cli("replay", str(sessions["example session"]), *args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_headless_replay_of_a_foreign_file_is_one_line(tmp_path: Path) -> None:
    foreign = tmp_path / "notes.sqlite"
    foreign.write_text("not a session\n")
    result = run_cli("replay", str(foreign), "--headless", "--json")
    assert result.returncode == 2
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
