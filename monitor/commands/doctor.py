"""``session-monitor doctor``: is this computer ready for a session? One line per check.

It looks at Python and the installed packages, the display, Bluetooth (on Linux: the system
D-Bus, BlueZ, this user's permission, the adapter and its power, asked over D-Bus the way bleak
does; on macOS and Windows: a two-second scan through CoreBluetooth or WinRT), the chime's sound
player, the recordings folder and the client store (writable, owner-only, free space) and the
support log. Each line says ``ok``, ``FIX`` (with the fix in words) or ``--`` (worth knowing).
The exit code is 0 when nothing needs the user, 1 otherwise. It changes nothing on the machine:
folders are probed with a temporary file that is removed at once.

The verdicts are made in :mod:`monitor.commands.doctor_checks`; this module only gathers facts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.commands import CliError
from monitor.commands.doctor_checks import Check, FolderState, Status

if TYPE_CHECKING:  # annotations only: the settings are loaded lazily, in _settings()
    from monitor.ui.settings_store import DashboardSettings

PACKAGES = (
    "numpy",
    "scipy",
    "bleak",
    "PySide6-Essentials",
    "pyqtgraph",
    "matplotlib",
    "pyEDFlib",
    "platformdirs",
)
"""The libraries whose versions the report names (and whose absence it calls a fault)."""

LINUX_ONLY_PACKAGES = ("dbus-fast",)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``doctor`` and its flags to the command line."""
    parser = subparsers.add_parser(
        "doctor",
        help="check this computer: Python, packages, display, Bluetooth, sound, folders, log",
        description="Check that this computer is ready for a session and say, one line each, "
        "what is fine and what to fix. Exit code 0 when all is well, 1 when something needs "
        "you. Nothing is changed.",
    )
    parser.add_argument(
        "--adapter", metavar="hci0", help="Bluetooth adapter to check (default: the settings')"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=3.0,
        metavar="S",
        help="longest wait for the Bluetooth service (default: %(default)s s)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the report; 0 when all is well, 1 when something needs the user."""
    from monitor.commands import doctor_checks as checks

    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise CliError(f"--timeout must be a positive number of seconds, not {args.timeout}")
    report = gather(args.adapter, args.timeout)
    for check in report:
        print(check.line(), flush=True)
    needing = [check for check in report if check.status is Status.FIX]
    if needing:
        print(f"{len(needing)} thing(s) to fix: see the lines marked FIX")
    else:
        print("all well")
    return checks.exit_code(report)


def gather(adapter: str | None, timeout_s: float) -> list[Check]:
    """Every check, in the order the report lists them."""
    from monitor import __version__
    from monitor.app_log import log_file_path
    from monitor.commands import doctor_checks as checks
    from monitor.recording.client_store import default_clients_folder
    from monitor.recording.paths import default_recordings_folder

    settings = _settings()
    chosen_adapter = adapter or (settings.adapter if settings is not None else "") or None
    sound_on = bool(settings.sound_on) if settings is not None else False
    report = [
        checks.check_python(
            (sys.version_info.major, sys.version_info.minor, sys.version_info.micro),
            sys.executable,
        ),
        checks.check_packages({"session-monitor": __version__, **package_versions()}),
        checks.check_display(sys.platform, dict(os.environ), qt_import_error()),
        *bluetooth_checks(chosen_adapter, timeout_s),
        checks.check_chime(chime_player(), sound_on, sys.platform),
        checks.check_private_folder(
            "recordings folder", folder_state(default_recordings_folder()), needs_space=True
        ),
        checks.check_private_folder(
            "client store", folder_state(default_clients_folder()), needs_space=False
        ),
    ]
    log_path = log_file_path()
    log_folder = folder_state(log_path.parent)
    log_mode = _mode(log_path)
    report.append(
        checks.check_log_file(str(log_path), log_path.exists(), log_mode, log_folder.writable)
    )
    report.append(_settings_note())
    report.append(_examples_note())
    return report


def package_versions() -> dict[str, str | None]:
    """Installed version of each runtime library (``None`` when missing)."""
    names = PACKAGES + (LINUX_ONLY_PACKAGES if sys.platform.startswith("linux") else ())
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def qt_import_error() -> str:
    """Why Qt's widgets cannot be loaded ("" when they can): a missing system library, mostly."""
    try:
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as error:
        return " ".join(str(error).split())
    return ""


def bluetooth_checks(adapter: str | None, timeout_s: float) -> list[Check]:
    """The Bluetooth lines: BlueZ over D-Bus on Linux, a short bleak scan elsewhere."""
    from monitor.commands import doctor_checks as checks

    broken = "reinstall Session Monitor (`pipx reinstall session-monitor`)"
    try:
        from drivers.ble import bluez_status, probe_bluetooth

        if sys.platform.startswith("linux"):
            return checks.check_bluez(asyncio.run(bluez_status(timeout_s)), adapter)
        problem = asyncio.run(probe_bluetooth(timeout_s))
    except ImportError as error:  # bleak or dbus-fast missing: the packages line says so too
        return [Check("Bluetooth", Status.FIX, f"its library cannot load: {error}", broken)]
    return checks.check_bluetooth_backend(sys.platform, problem)


def chime_player() -> str | None:
    """The program that would play the chime, or None."""
    try:
        from monitor.ui.dashboard.chime import EXTERNAL_PLAYERS
    except ImportError:
        return None
    return next((name for name in EXTERNAL_PLAYERS if shutil.which(name)), None)


def folder_state(folder: Path) -> FolderState:
    """What a folder is like, including whether a file can really be created in it.

    A real probe file rather than ``os.access``: root passes every access check, and only a
    write shows a read-only disk, a full one or a path under ``/proc``.
    """
    folder = Path(folder)
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    blocked = str(probe) if probe != folder and not probe.is_dir() else ""
    writable, error = (False, "") if blocked else _can_create_file_in(probe)
    free = None
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(probe if probe.is_dir() else probe.parent).free
    return FolderState(
        path=str(folder),
        exists=folder.exists(),
        is_dir=folder.is_dir(),
        mode=_mode(folder),
        writable=writable,
        blocked_by_file=blocked,
        write_error=error,
        free_bytes=free,
    )


def _can_create_file_in(folder: Path) -> tuple[bool, str]:
    if not folder.is_dir():
        return False, "not a folder"
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".session-monitor-doctor-"):
            pass
    except OSError as error:
        return False, error.strerror or type(error).__name__
    return True, ""


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode
    except OSError:
        return None


def _settings() -> DashboardSettings | None:
    try:
        from monitor.ui.settings_store import default_settings_path, load_settings

        return load_settings(default_settings_path())
    except Exception:  # settings never stop anything, the doctor included
        return None


def _settings_note() -> Check:
    try:
        from monitor.ui.settings_store import default_settings_path
    except ImportError as error:
        return Check("settings", Status.NOTE, f"cannot be located ({error})")
    path = default_settings_path()
    state = "remembered" if path.exists() else "the defaults until something is changed"
    return Check(
        "settings",
        Status.NOTE,
        f"{path} ({state}; the replay window's recent sessions are kept beside it)",
    )


def _examples_note() -> Check:
    from monitor.example_sessions import examples_folder

    try:
        folder = examples_folder()
    except FileNotFoundError as error:
        return Check("example sessions", Status.FIX, str(error), "reinstall Session Monitor")
    return Check(
        "example sessions",
        Status.NOTE,
        f"{folder} (try `session-monitor replay {folder / 'example_simulated_session.sqlite'}`)",
    )
