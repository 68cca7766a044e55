"""``session-monitor doctor`` against a mock BlueZ (bluezoo on a private D-Bus), and against a
D-Bus without BlueZ: the real command in a subprocess, asking over D-Bus as bleak does."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bluez_testbed.harness import (
    CENTRAL_ADDRESS,
    SPARE_ADAPTER,
    bluez_call,
    dbus_daemon_path,
)
from dbus_fast import Variant

ROOT = Path(__file__).resolve().parents[2]


def run_doctor(tmp_path: Path, bus_address: str, *args: str) -> tuple[int, dict[str, str]]:
    """The doctor's exit code and its lines by topic, with its folders under ``tmp_path``."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "SESSION_MONITOR_CONFIG": str(tmp_path / "config.json"),
        "SESSION_MONITOR_RECORDINGS": str(tmp_path / "recordings"),
        "SESSION_MONITOR_CLIENTS": str(tmp_path / "clients"),
        "SESSION_MONITOR_LOG_DIR": str(tmp_path / "log"),
        "DBUS_SYSTEM_BUS_ADDRESS": bus_address,
    }
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "doctor", "--timeout", "3", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    lines = {line[5:].split(":", 1)[0]: line for line in result.stdout.splitlines()[:-1]}
    return result.returncode, lines


def test_with_bluez_and_a_powered_adapter_all_is_well(tmp_path: Path, bluez_testbed) -> None:
    code, lines = run_doctor(tmp_path, bluez_testbed.bus_address)
    assert lines["Bluetooth service"] == (
        " ok  Bluetooth service: BlueZ answers on the system D-Bus (bleak)"
    )
    assert lines["Bluetooth permission"] == " ok  Bluetooth permission: this user may use BlueZ"
    assert lines["Bluetooth adapter"] == (
        f" ok  Bluetooth adapter: hci0 {CENTRAL_ADDRESS}, on (hci0 on, hci1 on, hci2 on)"
    )
    # Nothing else needs fixing either: offscreen, folders in tmp, the chime off by default.
    assert [line for line in lines.values() if line.startswith("FIX")] == []
    assert code == 0


def test_an_adapter_that_is_off_is_named_with_its_fix(tmp_path: Path, bluez_testbed) -> None:
    asyncio.run(set_powered(bluez_testbed.bus_address, SPARE_ADAPTER, False))
    try:
        code, lines = run_doctor(tmp_path, bluez_testbed.bus_address, "--adapter", SPARE_ADAPTER)
    finally:
        asyncio.run(set_powered(bluez_testbed.bus_address, SPARE_ADAPTER, True))
    assert code == 1
    assert lines["Bluetooth adapter"] == (
        "FIX  Bluetooth adapter: hci2 is off (hci0 on, hci1 on, hci2 off) — fix: switch it on: "
        "`bluetoothctl power on` (or the desktop's Bluetooth switch)"
    )


def test_a_missing_adapter_is_named_with_its_fix(tmp_path: Path, bluez_testbed) -> None:
    code, lines = run_doctor(tmp_path, bluez_testbed.bus_address, "--adapter", "hci7")
    assert code == 1
    assert lines["Bluetooth adapter"].startswith(
        "FIX  Bluetooth adapter: hci7 (chosen in the settings or --adapter) is not here; "
        "there are hci0 on, hci1 on, hci2 on — fix: choose one of these"
    )


@pytest.fixture
def bus_without_bluez(tmp_path: Path) -> Iterator[str]:
    """A D-Bus daemon with nothing on it: the system bus of a machine without BlueZ running."""
    daemon = dbus_daemon_path()
    if daemon is None:
        pytest.skip("dbus-daemon not installed (Debian package 'dbus'; scripts/setup.sh)")
    address = f"unix:path={tmp_path / 'bus'}"
    process = subprocess.Popen(
        [daemon, "--session", "--nofork", "--print-address=1", f"--address={address}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None and process.stdout.readline().startswith("unix:")
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_bus_without_bluez_is_named_with_its_fix(tmp_path: Path, bus_without_bluez) -> None:
    code, lines = run_doctor(tmp_path, bus_without_bluez)
    assert code == 1
    assert lines["Bluetooth service"].startswith(
        "FIX  Bluetooth service: BlueZ (bluetoothd) does not answer on the system D-Bus "
        "(org.freedesktop.DBus.Error.ServiceUnknown) — fix: start BlueZ: "
        "`sudo systemctl enable --now bluetooth`"
    )
    assert lines["Bluetooth adapter"] == (
        " --  Bluetooth adapter: not checked (no Bluetooth service to ask)"
    )


async def set_powered(bus_address: str, adapter: str, powered: bool) -> None:
    await bluez_call(
        bus_address, f"/org/bluez/{adapter}", "Set", "ssv",
        ["org.bluez.Adapter1", "Powered", Variant("b", powered)],
    )  # fmt: skip
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        (value,) = await bluez_call(
            bus_address, f"/org/bluez/{adapter}", "Get", "ss", ["org.bluez.Adapter1", "Powered"]
        )
        if value.value == powered:
            return
        await asyncio.sleep(0.05)
