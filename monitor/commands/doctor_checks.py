"""The judgements of ``session-monitor doctor``: facts about this computer in, one line out.

Each function takes what :mod:`monitor.commands.doctor` found (versions, environment, a folder's
state, BlueZ's answer) and returns a :class:`Check`: what was checked, whether it needs the user,
and if so the fix in words. Nothing here looks at the machine itself, so every verdict and every
fix is tested without the situation it describes.
"""

from __future__ import annotations

import enum
import stat
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drivers.ble import BluezStatus

MIN_FREE_BYTES = 500 * 1024 * 1024
"""Below this the recordings folder's disk is called short: an hour's session file takes a few
megabytes, but a full disk also stops the exports and reports that go beside it."""

MIN_PYTHON = (3, 11)


class Status(enum.Enum):
    OK = "ok"
    FIX = "FIX"  # needs the user: doctor exits 1
    NOTE = "--"  # worth knowing, nothing to do


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report.

    Attributes
    ----------
    topic : str
        What was checked ("Bluetooth adapter").
    status : Status
    text : str
        What was found.
    fix : str
        What to do about it, in words ("" unless ``status`` is FIX).
    """

    topic: str
    status: Status
    text: str
    fix: str = ""

    def line(self) -> str:
        """The report line: ``status  topic: text — fix: ...``."""
        fix = f" — fix: {self.fix}" if self.fix else ""
        return f"{self.status.value:>3}  {self.topic}: {self.text}{fix}"


@dataclass(frozen=True)
class FolderState:
    """What :func:`monitor.commands.doctor.folder_state` found about a folder.

    Attributes
    ----------
    path : str
    exists, is_dir : bool
    mode : int or None
        Permission bits when it exists.
    writable : bool
        A file could really be created in it (tried; root ignores mode bits) or, if it does not
        exist yet, in the nearest folder above it.
    blocked_by_file : str
        A regular file on the way to it ("" if none): the folder can never be made.
    write_error : str
        Why writing failed ("" when it did not).
    free_bytes : int or None
        Free space on its disk (or the nearest existing folder's).
    """

    path: str
    exists: bool
    is_dir: bool
    mode: int | None
    writable: bool
    blocked_by_file: str = ""
    write_error: str = ""
    free_bytes: int | None = None


def check_python(version: tuple[int, int, int], executable: str) -> Check:
    """Python itself: 3.11 or newer."""
    text = f"{'.'.join(map(str, version))} ({executable})"
    if version[:2] < MIN_PYTHON:
        return Check(
            "Python", Status.FIX, text, "install Python 3.11 or newer and reinstall Session Monitor"
        )
    return Check("Python", Status.OK, text)


def check_packages(versions: dict[str, str | None]) -> Check:
    """The program and the libraries it runs on; ``None`` marks a missing one."""
    missing = sorted(name for name, found in versions.items() if found is None)
    text = ", ".join(f"{name} {found}" for name, found in versions.items() if found is not None)
    if missing:
        return Check(
            "packages",
            Status.FIX,
            f"missing {', '.join(missing)} ({text})",
            "reinstall: `pipx reinstall session-monitor` or "
            "`python -m pip install --force-reinstall session_monitor-*.whl`",
        )
    return Check("packages", Status.OK, text)


def check_display(platform: str, environ: dict[str, str], qt_error: str) -> Check:
    """Where the dashboard would show: a desktop, a named Qt platform, or nowhere.

    Parameters
    ----------
    platform : str
        ``sys.platform``.
    environ : dict
        The environment (QT_QPA_PLATFORM, DISPLAY, WAYLAND_DISPLAY).
    qt_error : str
        Why Qt's widgets could not be loaded ("" when they could).
    """
    if qt_error:
        fix = "reinstall Session Monitor (PySide6 is damaged)"
        if platform.startswith("linux"):
            fix = (
                "install Qt's system libraries: `sudo apt-get install libegl1 libgl1 "
                "libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libxcb-cursor0 libglib2.0-0` "
                "(scripts/setup.sh has the full list)"
            )
        return Check("display", Status.FIX, f"Qt cannot load: {qt_error}", fix)
    forced = environ.get("QT_QPA_PLATFORM", "")
    if forced == "offscreen":
        return Check(
            "display",
            Status.OK,
            "offscreen (QT_QPA_PLATFORM=offscreen): windows are drawn but not shown, "
            "for screenshots and tests",
        )
    if forced:
        return Check("display", Status.OK, f"Qt platform {forced} (QT_QPA_PLATFORM)")
    if platform.startswith("linux"):
        if environ.get("WAYLAND_DISPLAY"):
            return Check("display", Status.OK, f"Wayland ({environ['WAYLAND_DISPLAY']})")
        if environ.get("DISPLAY"):
            return Check("display", Status.OK, f"X11 ({environ['DISPLAY']})")
        return Check(
            "display",
            Status.FIX,
            "no desktop (neither DISPLAY nor WAYLAND_DISPLAY is set)",
            "run it on the desktop, or set QT_QPA_PLATFORM=offscreen; "
            "`record --headless` needs no display",
        )
    return Check("display", Status.OK, "the desktop")


# -- Bluetooth ------------------------------------------------------------------------------


LINUX_FIXES = {
    "bus": "start the system D-Bus and BlueZ (`sudo systemctl start dbus bluetooth`); "
    "if BlueZ is missing, `sudo apt-get install bluez`",
    "bluez": "start BlueZ: `sudo systemctl enable --now bluetooth` "
    "(if it is missing, `sudo apt-get install bluez`)",
    "permission": "allow this user to use Bluetooth: `sudo usermod -aG bluetooth $USER`, then "
    "log out and in again",
    "adapter": "plug in a Bluetooth 4.0 (LE) adapter or switch it on in the laptop's settings "
    "(`rfkill unblock bluetooth`)",
    "powered": "switch it on: `bluetoothctl power on` (or the desktop's Bluetooth switch)",
}


def check_bluez(status: BluezStatus, adapter: str | None) -> list[Check]:
    """Linux: the Bluetooth lines (service, permission, adapter) from BlueZ's answer.

    Parameters
    ----------
    status : BluezStatus
        What :func:`drivers.ble.bluez_status` found.
    adapter : str or None
        The adapter the user chose (settings or ``--adapter``); the first one otherwise.
    """
    unchecked = "not checked (no Bluetooth service to ask)"
    if not status.bus_reachable:
        return [
            Check(
                "Bluetooth service",
                Status.FIX,
                f"cannot reach the system D-Bus ({status.detail})",
                LINUX_FIXES["bus"],
            ),
            Check("Bluetooth permission", Status.NOTE, unchecked),
            Check("Bluetooth adapter", Status.NOTE, unchecked),
        ]
    if not status.bluez_running:
        return [
            Check(
                "Bluetooth service",
                Status.FIX,
                f"BlueZ (bluetoothd) does not answer on the system D-Bus ({status.detail})",
                LINUX_FIXES["bluez"],
            ),
            Check("Bluetooth permission", Status.NOTE, unchecked),
            Check("Bluetooth adapter", Status.NOTE, unchecked),
        ]
    service = Check("Bluetooth service", Status.OK, "BlueZ answers on the system D-Bus (bleak)")
    if not status.permitted:
        return [
            service,
            Check(
                "Bluetooth permission",
                Status.FIX,
                f"BlueZ refused this user ({status.detail})",
                LINUX_FIXES["permission"],
            ),
            Check("Bluetooth adapter", Status.NOTE, "not checked (permission refused)"),
        ]
    permission = Check("Bluetooth permission", Status.OK, "this user may use BlueZ")
    adapters = status.adapters
    if not adapters:
        return [
            service,
            permission,
            Check(
                "Bluetooth adapter", Status.FIX, "BlueZ knows no adapter", LINUX_FIXES["adapter"]
            ),
        ]
    listing = ", ".join(f"{a.name} {'on' if a.powered else 'off'}" for a in adapters)
    chosen = next((a for a in adapters if a.name == adapter), None) if adapter else adapters[0]
    if chosen is None:
        return [
            service,
            permission,
            Check(
                "Bluetooth adapter",
                Status.FIX,
                f"{adapter} (chosen in the settings or --adapter) is not here; there are {listing}",
                "choose one of these in the dashboard's settings, or plug that adapter in",
            ),
        ]
    if not chosen.powered:
        return [
            service,
            permission,
            Check(
                "Bluetooth adapter",
                Status.FIX,
                f"{chosen.name} is off ({listing})",
                LINUX_FIXES["powered"],
            ),
        ]
    return [
        service,
        permission,
        Check("Bluetooth adapter", Status.OK, f"{chosen.name} {chosen.address}, on ({listing})"),
    ]


def check_bluetooth_backend(platform: str, problem: str | None) -> list[Check]:
    """macOS and Windows: what a short scan through CoreBluetooth or WinRT said.

    Parameters
    ----------
    platform : str
        ``sys.platform``.
    problem : str or None
        :func:`drivers.ble.probe_bluetooth`'s answer (``None``: the scan ran).
    """
    backend = "CoreBluetooth" if platform == "darwin" else "WinRT"
    if problem is None:
        return [
            Check(
                "Bluetooth",
                Status.OK,
                f"{backend} scanned (adapter present, on, and this program may use it)",
            )
        ]
    if "permission" in problem:
        fix = (
            "System Settings → Privacy & Security → Bluetooth: allow the terminal (or the app) "
            "that runs session-monitor, then start it again"
            if platform == "darwin"
            else "Settings → Privacy & security → Radios / Bluetooth: let apps use Bluetooth"
        )
    elif "off" in problem:
        fix = (
            "switch Bluetooth on (Control Centre → Bluetooth)"
            if platform == "darwin"
            else "switch Bluetooth on (Settings → Bluetooth & devices)"
        )
    elif "no Bluetooth adapter" in problem:
        fix = "use a computer with Bluetooth 4.0 (LE), or plug in a USB Bluetooth adapter"
    else:
        fix = "switch Bluetooth off and on again; if that does not help, restart the computer"
    return [Check("Bluetooth", Status.FIX, f"{backend}: {problem}", fix)]


# -- sound, folders, files -------------------------------------------------------------------


def check_chime(player: str | None, sound_on: bool, platform: str) -> Check:
    """Sound for the optional chime: a player program, needed only when the chime is on."""
    if player is not None:
        return Check("chime", Status.OK, f"plays through {player}" + ("" if sound_on else " (off)"))
    text = "no sound player (pw-play, paplay or aplay) found: the chime cannot play"
    fix = (
        "`sudo apt-get install pulseaudio-utils` (for paplay)"
        if platform.startswith("linux")
        else "none on this system yet; the alert banner still shows"
    )
    if sound_on:
        return Check("chime", Status.FIX, text, fix)
    return Check("chime", Status.NOTE, f"{text} (it is off; to use it: {fix})")


def check_private_folder(
    topic: str, state: FolderState, *, needs_space: bool, platform: str = sys.platform
) -> Check:
    """A folder that holds client data: it can be written, is owner-only, has room.

    Parameters
    ----------
    topic : str
        "recordings folder", "client store".
    state : FolderState
    needs_space : bool
        Judge the free space too (the recordings).
    platform : str
        ``sys.platform``: Windows keeps access in ACLs, not in mode bits, so there the mode
        is not judged (the per-user AppData folders are the user's own).
    """
    where = state.path
    if state.blocked_by_file:
        return Check(
            topic,
            Status.FIX,
            f"{where} cannot be made: {state.blocked_by_file} is a file, not a folder",
            "choose another folder (SESSION_MONITOR_RECORDINGS / SESSION_MONITOR_CLIENTS) or "
            "move that file away",
        )
    if state.exists and not state.is_dir:
        return Check(
            topic,
            Status.FIX,
            f"{where} is a file, not a folder",
            "move the file away or choose another folder",
        )
    if not state.writable:
        reason = f" ({state.write_error})" if state.write_error else ""
        return Check(
            topic,
            Status.FIX,
            f"{where} cannot be written{reason}",
            "give this user write access to it (or to the folder above it), "
            "or choose another folder",
        )
    space = ""
    if state.free_bytes is not None:
        space = f", {state.free_bytes / 1024**3:.1f} GB free"
        if needs_space and state.free_bytes < MIN_FREE_BYTES:
            return Check(
                topic,
                Status.FIX,
                f"{where}: only {state.free_bytes / 1024**2:.0f} MB free",
                "free some disk space (keep at least 500 MB), or choose a folder on another disk",
            )
    if not state.exists:
        return Check(topic, Status.OK, f"{where} (made owner-only at first use{space})")
    if platform == "win32":
        return Check(topic, Status.OK, f"{where} (in this user's profile{space})")
    if state.mode is not None and state.mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Check(
            topic,
            Status.FIX,
            f"{where} can be read by others (mode {state.mode & 0o777:03o}){space}",
            f"make it owner-only: `chmod 700 {where}`",
        )
    return Check(topic, Status.OK, f"{where} (owner-only{space})")


def check_log_file(
    path: str, exists: bool, mode: int | None, started: bool, platform: str = sys.platform
) -> Check:
    """The support log: where it is (named for support), and that it is owner-only."""
    if not started:
        return Check(
            "log file",
            Status.FIX,
            f"{path} cannot be written",
            "give this user write access to its folder, or set SESSION_MONITOR_LOG_DIR",
        )
    if exists and platform != "win32" and mode is not None and mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Check(
            "log file",
            Status.FIX,
            f"{path} can be read by others (mode {mode & 0o777:03o})",
            f"`chmod 600 {path}`",
        )
    state = "warnings and errors, no client data" if exists else "nothing logged yet"
    return Check("log file", Status.OK, f"{path} ({state})")


def exit_code(checks: list[Check]) -> int:
    """0 when nothing needs the user, else 1."""
    return 1 if any(check.status is Status.FIX for check in checks) else 0
