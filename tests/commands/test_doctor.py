"""``session-monitor doctor``: every verdict with its fix, and the real command on this machine.

The pure checks get hand-made facts (one per situation a clinic can be in); the command runs in
a subprocess with its folders in a temporary directory, without a Bluetooth service (a D-Bus
address with no bus behind it) and with recordings folders that cannot be written. The runs
against a mock BlueZ are in ``tests/drivers/test_doctor_bluez.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.ble import AdapterState, BluezStatus
from monitor.commands import doctor_checks as checks
from monitor.commands.doctor import folder_state
from monitor.commands.doctor_checks import FolderState, Status

ROOT = Path(__file__).resolve().parents[2]


def run_doctor(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real command, with its folders under ``tmp_path`` and no Bluetooth service."""
    environ = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "SESSION_MONITOR_CONFIG": str(tmp_path / "config.json"),
        "SESSION_MONITOR_RECORDINGS": str(tmp_path / "recordings"),
        "SESSION_MONITOR_CLIENTS": str(tmp_path / "clients"),
        "SESSION_MONITOR_LOG_DIR": str(tmp_path / "log"),
        "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path / 'no-bus'}",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "monitor", "doctor", "--timeout", "2", *args],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def report_lines(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Topic → its whole line."""
    lines = {}
    for line in result.stdout.splitlines()[:-1]:
        topic = line[5:].split(":", 1)[0]
        lines[topic] = line
    return lines


# -- the command --------------------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="BlueZ is Linux's")
def test_without_a_bluetooth_service_doctor_says_so_with_the_fix(tmp_path: Path) -> None:
    result = run_doctor(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == ""
    lines = report_lines(result)
    assert list(lines) == [
        "Python", "packages", "display", "Bluetooth service", "Bluetooth permission",
        "Bluetooth adapter", "chime", "recordings folder", "client store", "log file",
        "settings", "example sessions",
    ]  # fmt: skip
    assert lines["Bluetooth service"].startswith(
        "FIX  Bluetooth service: cannot reach the system D-Bus"
    )
    assert (
        "fix: start the system D-Bus and BlueZ (`sudo systemctl start dbus bluetooth`)"
        in (lines["Bluetooth service"])
    )
    assert lines["Bluetooth adapter"].startswith(" --  Bluetooth adapter: not checked")
    assert lines["display"].startswith(" ok  display: offscreen")
    assert lines["recordings folder"] == (
        f" ok  recordings folder: {tmp_path / 'recordings'} (made owner-only at first use, "
        + lines["recordings folder"].split("first use, ")[1]
    )
    assert f"log file: {tmp_path / 'log' / 'session-monitor.log'}" in lines["log file"]
    assert result.stdout.splitlines()[-1] == "1 thing(s) to fix: see the lines marked FIX"
    assert not (tmp_path / "recordings").exists(), "the doctor changes nothing"


def test_doctor_as_this_machine_is(tmp_path: Path) -> None:
    """Whatever this machine has: one line per check, and the exit code follows the FIX lines."""
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "doctor", "--timeout", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "SESSION_MONITOR_LOG_DIR": str(tmp_path / "log")},
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert len(lines) >= 9 and "Traceback" not in result.stderr
    needs_fixing = [line for line in lines if line.startswith("FIX  ")]
    assert result.returncode == (1 if needs_fixing else 0)
    for line in needs_fixing:
        assert " — fix: " in line, line


def test_a_recordings_folder_under_a_file_is_named_with_its_fix(tmp_path: Path) -> None:
    """Root passes every permission check, so the unwritable folder is one that cannot exist:
    its path runs through a regular file."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    result = run_doctor(tmp_path, SESSION_MONITOR_RECORDINGS=str(blocker / "recordings"))
    assert result.returncode == 1
    line = report_lines(result)["recordings folder"]
    assert line == (
        f"FIX  recordings folder: {blocker / 'recordings'} cannot be made: {blocker} is a file, "
        "not a folder — fix: choose another folder (SESSION_MONITOR_RECORDINGS / "
        "SESSION_MONITOR_CLIENTS) or move that file away"
    )


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_recordings_folder_nobody_can_write_is_named_with_its_fix(tmp_path: Path) -> None:
    """``/proc/self`` is a folder that refuses new files even to root: a real failed write."""
    result = run_doctor(tmp_path, SESSION_MONITOR_RECORDINGS="/proc/self/recordings")
    assert result.returncode == 1
    line = report_lines(result)["recordings folder"]
    assert line.startswith("FIX  recordings folder: /proc/self/recordings cannot be written (")
    assert line.endswith(
        "— fix: give this user write access to it (or to the folder above it), or choose "
        "another folder"
    )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_a_folder_others_can_read_is_named_with_its_fix(tmp_path: Path) -> None:
    clients = tmp_path / "clients"
    clients.mkdir()
    clients.chmod(0o755)
    result = run_doctor(tmp_path)
    line = report_lines(result)["client store"]
    assert line.startswith(f"FIX  client store: {clients} can be read by others (mode 755)")
    assert line.endswith(f"— fix: make it owner-only: `chmod 700 {clients}`")


def test_folder_state_probes_with_a_real_file_and_leaves_nothing(tmp_path: Path) -> None:
    state = folder_state(tmp_path)
    assert state.exists and state.is_dir and state.writable and state.free_bytes > 0
    assert list(tmp_path.iterdir()) == []
    missing = folder_state(tmp_path / "a" / "b")
    assert not missing.exists and missing.writable and not (tmp_path / "a").exists()


# -- the verdicts -------------------------------------------------------------------------------


def bluez(**fields: object) -> BluezStatus:
    defaults = {"bus_reachable": True, "bluez_running": True, "permitted": True}
    return BluezStatus(**{**defaults, **fields})  # type: ignore[arg-type]


HCI0_ON = AdapterState("hci0", "00:11:22:33:44:55", True)
HCI1_OFF = AdapterState("hci1", "00:AA:BB:CC:DD:EE", False)


@pytest.mark.parametrize(
    ("status", "adapter", "topic", "text", "fix"),
    [
        (bluez(bus_reachable=False, bluez_running=False, detail="no socket"), None,
         "Bluetooth service", "cannot reach the system D-Bus (no socket)",
         "sudo systemctl start dbus bluetooth"),
        (bluez(bluez_running=False, detail="org.freedesktop.DBus.Error.ServiceUnknown"), None,
         "Bluetooth service", "BlueZ (bluetoothd) does not answer",
         "systemctl enable --now bluetooth"),
        (bluez(permitted=False, detail="org.freedesktop.DBus.Error.AccessDenied"), None,
         "Bluetooth permission", "BlueZ refused this user", "usermod -aG bluetooth $USER"),
        (bluez(adapters=()), None, "Bluetooth adapter", "BlueZ knows no adapter",
         "rfkill unblock bluetooth"),
        (bluez(adapters=(HCI0_ON, HCI1_OFF)), "hci1", "Bluetooth adapter",
         "hci1 is off (hci0 on, hci1 off)", "bluetoothctl power on"),
        (bluez(adapters=(HCI0_ON,)), "hci5", "Bluetooth adapter",
         "hci5 (chosen in the settings or --adapter) is not here; there are hci0 on",
         "choose one of these in the dashboard's settings"),
    ],
)  # fmt: skip
def test_each_bluetooth_problem_has_its_fix(
    status: BluezStatus, adapter: str | None, topic: str, text: str, fix: str
) -> None:
    found = {check.topic: check for check in checks.check_bluez(status, adapter)}
    assert found[topic].status is Status.FIX
    assert text in found[topic].text
    assert fix in found[topic].fix
    assert checks.exit_code(list(found.values())) == 1


def test_a_powered_adapter_is_all_well() -> None:
    found = checks.check_bluez(bluez(adapters=(HCI1_OFF, HCI0_ON)), "hci0")
    assert [check.status for check in found] == [Status.OK] * 3
    assert found[-1].text == "hci0 00:11:22:33:44:55, on (hci1 off, hci0 on)"
    assert checks.exit_code(found) == 0


@pytest.mark.parametrize(
    ("platform", "problem", "fix"),
    [
        ("darwin", "permission to use Bluetooth was denied: ...", "Privacy & Security → Bluetooth"),
        ("darwin", "Bluetooth is off: turn it on", "Control Centre → Bluetooth"),
        ("win32", "Bluetooth is off: turn it on", "Settings → Bluetooth & devices"),
        ("win32", "no Bluetooth adapter found on this computer", "USB Bluetooth adapter"),
    ],
)
def test_macos_and_windows_problems_have_their_fixes(platform: str, problem: str, fix: str) -> None:
    (check,) = checks.check_bluetooth_backend(platform, problem)
    assert check.status is Status.FIX and fix in check.fix
    (fine,) = checks.check_bluetooth_backend(platform, None)
    assert fine.status is Status.OK


def test_display_verdicts() -> None:
    linux = "linux"
    assert checks.check_display(linux, {}, "").status is Status.FIX
    assert "QT_QPA_PLATFORM=offscreen" in checks.check_display(linux, {}, "").fix
    assert checks.check_display(linux, {"DISPLAY": ":0"}, "").text == "X11 (:0)"
    assert checks.check_display(linux, {"WAYLAND_DISPLAY": "wayland-0"}, "").status is Status.OK
    broken = checks.check_display(linux, {"DISPLAY": ":0"}, "libEGL.so.1: cannot open")
    assert broken.status is Status.FIX and "libegl1" in broken.fix
    assert checks.check_display("darwin", {}, "").status is Status.OK


def test_chime_is_a_problem_only_when_it_is_on() -> None:
    assert checks.check_chime("paplay", True, "linux").status is Status.OK
    off = checks.check_chime(None, False, "linux")
    assert off.status is Status.NOTE and "pulseaudio-utils" in off.text
    on = checks.check_chime(None, True, "linux")
    assert on.status is Status.FIX and "pulseaudio-utils" in on.fix


def test_little_free_space_is_a_problem() -> None:
    state = FolderState("/r", True, True, 0o40700, True, free_bytes=100 * 1024**2)
    check = checks.check_private_folder("recordings folder", state, needs_space=True)
    assert check.status is Status.FIX and "only 100 MB free" in check.text
    assert checks.check_private_folder("client store", state, needs_space=False).status is (
        Status.OK
    )


def test_modes_are_judged_where_they_mean_something() -> None:
    state = FolderState("C:/Users/ann/AppData/session-monitor", True, True, 0o40777, True)
    shared = checks.check_private_folder("client store", state, needs_space=False, platform="linux")
    assert shared.status is Status.FIX and "mode 777" in shared.text
    windows = checks.check_private_folder(
        "client store", state, needs_space=False, platform="win32"
    )
    assert windows.status is Status.OK


def test_python_and_packages() -> None:
    assert checks.check_python((3, 10, 4), "/usr/bin/python3").status is Status.FIX
    assert checks.check_python((3, 12, 1), "/usr/bin/python3").status is Status.OK
    missing = checks.check_packages({"numpy": "2.0", "bleak": None})
    assert missing.status is Status.FIX and "missing bleak" in missing.text
    assert "pipx reinstall session-monitor" in missing.fix


def test_every_bluetooth_error_points_to_the_doctor() -> None:
    from bleak.exc import BleakDBusError

    from drivers.ble import DOCTOR_HINT, explain_bluetooth_error, with_doctor_hint

    for error in (
        FileNotFoundError(2, "No such file"),
        PermissionError(13, "Permission denied"),
        BleakDBusError("org.freedesktop.DBus.Error.ServiceUnknown", []),
        TimeoutError(),
    ):
        message = explain_bluetooth_error(error, "hci0")
        assert message.endswith(f"; {DOCTOR_HINT}") and message.count(DOCTOR_HINT) == 1
        assert with_doctor_hint(message) == message
    assert DOCTOR_HINT == "run `session-monitor doctor` to check this computer's Bluetooth"
