"""``session-monitor scan`` and ``stream`` as a user runs them: subprocesses, real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bluez_testbed.harness import STRAP_ADDRESS, STRAP_NAME, TestBed

REPO = Path(__file__).resolve().parents[2]


def session_monitor(*args: str, env: dict | None = None, timeout_s: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=REPO,
        env=env if env is not None else os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.mark.parametrize("command", ["scan", "stream"])
def test_help_works(command: str) -> None:
    result = session_monitor(command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: session-monitor {command}")
    assert "--adapter" in result.stdout


def test_stream_simulated_gives_valid_json_lines() -> None:
    result = session_monitor("stream", "--simulate", "--duration", "5", "--speed", "inf")
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert [line["type"] for line in lines[:4]] == ["state", "device", "battery", "state"]
    assert lines[0]["state"] == "connecting" and lines[3]["state"] == "connected"
    assert lines[-1] == {**lines[-1], "type": "state", "state": "stopped"}
    packets = [line for line in lines if line["type"] == "packet"]
    assert len(packets) == 5
    for packet in packets:
        assert set(packet) == {
            "type",
            "arrival_s",
            "hr_bpm",
            "rr_ms",
            "contact",
            "energy_kj",
            "raw",
        }
        assert 40 < packet["hr_bpm"] < 120 and packet["contact"] is True
        assert all(600 < rr < 1400 for rr in packet["rr_ms"])
        bytes.fromhex(packet["raw"])
    times = [line.get("arrival_s", line.get("end_s")) for line in lines]
    assert times == sorted(times)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--simulate", "--speed", "0"], "--speed must be positive"),
        (["--simulate", "--duration", "-3"], "--duration must be a positive number"),
        (["--device", "X", "--timeout", "0"], "--timeout must be a positive number"),
    ],
)
def test_stream_bad_values_give_one_line(args: list[str], message: str) -> None:
    result = session_monitor("stream", *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_stream_needs_a_source() -> None:
    result = session_monitor("stream", "--duration", "3")
    assert result.returncode == 2
    assert "one of the arguments --device --simulate is required" in result.stderr


def test_scan_lists_the_strap(strap, system_bus: TestBed) -> None:
    result = session_monitor("scan", "--adapter", "hci0", "--timeout", "1.5", env=system_bus.env)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    name, address, rssi = line.split("\t")
    assert (name, address) == (STRAP_NAME, STRAP_ADDRESS)
    assert -100 < int(rssi) < 0


def test_scan_with_nothing_in_range_says_so(system_bus: TestBed) -> None:
    result = session_monitor("scan", "--adapter", "hci0", "--timeout", "1", env=system_bus.env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "no heart-rate strap found on hci0 within 1 s\n"


def test_stream_from_the_strap(strap, system_bus: TestBed) -> None:
    result = session_monitor(
        "stream",
        "--device",
        STRAP_NAME,
        "--adapter",
        "hci0",
        "--duration",
        "2",
        env=system_bus.env,
    )
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    states = [line["state"] for line in lines if line["type"] == "state"]
    assert states == ["scanning", "connecting", "connected", "stopped"]
    packets = [line for line in lines if line["type"] == "packet"]
    assert len(packets) >= 10
    assert {p["contact"] for p in packets} == {True, None}
    assert any(p["energy_kj"] is not None for p in packets)
    (device,) = [line for line in lines if line["type"] == "device"]
    assert (device["address"], device["body_sensor_location"]) == (STRAP_ADDRESS, "Chest")


def test_a_missing_device_is_one_line_and_exit_2(system_bus: TestBed) -> None:
    result = session_monitor(
        "stream",
        "--device",
        "Nobody's Strap",
        "--adapter",
        "hci0",
        "--timeout",
        "1",
        env=system_bus.env,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "session-monitor stream: error: no heart-rate strap 'Nobody's Strap' found on hci0 "
        "within 1 s"
    )
    assert "Traceback" not in result.stderr


def test_a_missing_adapter_is_one_line_and_exit_2(system_bus: TestBed) -> None:
    result = session_monitor("scan", "--adapter", "hci9", "--timeout", "1", env=system_bus.env)
    assert result.returncode == 2
    assert result.stderr == (
        "session-monitor scan: error: Bluetooth adapter hci9 not found "
        "(adapters here: hci0, hci1, hci2); run `session-monitor doctor` to check this "
        "computer's Bluetooth\n"
    )
