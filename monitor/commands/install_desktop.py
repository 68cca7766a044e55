"""``session-monitor install-desktop``: the app in a Linux desktop's menu, with its icon.

It writes a desktop entry (freedesktop.org Desktop Entry Specification 1.5) to
``$XDG_DATA_HOME/applications/session-monitor.desktop`` (``~/.local/share`` by default) and the
app's icon into the ``hicolor`` icon theme there, for this user only: no root, nothing outside
the home folder. The entry opens the replay window (recent sessions, Open…); its actions run the
demo and, with ``--device``, a live session with that strap. ``--remove`` takes it all away.
Running it again replaces the files (say, after moving the installation).

On macOS and Windows there is nothing to install: pipx puts ``session-monitor`` on the PATH,
and the window shows its name and icon by itself.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from importlib import resources
from pathlib import Path

from monitor.commands import CliError

APP_ID = "session-monitor"
"""The desktop file's name and the icon's name; the Qt application sets the same desktop file
name, so the task bar groups the window under this entry."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``install-desktop`` and its flags to the command line."""
    parser = subparsers.add_parser(
        "install-desktop",
        help="Linux: add Session Monitor, with its icon, to this user's desktop menu",
        description="Write a desktop entry and the icon for this user (Linux desktops: GNOME, "
        "KDE, Xfce...). The entry opens the replay window; its actions start the demo and, "
        "with --device, a live session with that strap.",
    )
    parser.add_argument(
        "--device", metavar="NAME|ADDRESS", help="also offer a live session with this strap"
    )
    parser.add_argument("--remove", action="store_true", help="remove the entry and the icon")
    parser.set_defaults(handler=run)


def data_home() -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` (XDG Base Directory Specification)."""
    override = os.environ.get("XDG_DATA_HOME", "").strip()
    return Path(override) if override else Path.home() / ".local" / "share"


def installed_paths(home: Path) -> dict[str, Path]:
    """Where the entry and the icons go under ``home`` (a data home)."""
    icons = home / "icons" / "hicolor"
    return {
        "entry": home / "applications" / f"{APP_ID}.desktop",
        "svg": icons / "scalable" / "apps" / f"{APP_ID}.svg",
        "png": icons / "256x256" / "apps" / f"{APP_ID}.png",
    }


def launcher_command() -> list[str]:
    """How the desktop starts this installation: its ``session-monitor`` script if it is the one
    running, else this Python with ``-m monitor``."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name.startswith(APP_ID) and script.exists():
        return [str(script.resolve())]
    found = shutil.which(APP_ID)
    if found:
        return [found]
    return [sys.executable, "-m", "monitor"]


_RESERVED = re.compile(r"[\s\"'\\><~|&;$*?#()`]")
_ESCAPED_IN_QUOTES = re.compile(r'(["`$\\])')


def _exec_line(arguments: list[str]) -> str:
    """The Exec value: arguments with reserved characters in double quotes, with ``"``, `````,
    ``$`` and ``\\`` escaped inside them, ``%`` doubled, and then every backslash doubled as in
    any string value (Desktop Entry Specification, "The Exec key")."""
    quoted = (
        '"' + _ESCAPED_IN_QUOTES.sub(r"\\\1", argument) + '"'
        if _RESERVED.search(argument)
        else argument
        for argument in arguments
    )
    # Then the escaping of every string value: a backslash is written twice.
    return " ".join(quoted).replace("%", "%%").replace("\\", "\\\\")


def desktop_entry(command: list[str], device: str | None) -> str:
    """The text of the desktop entry.

    Parameters
    ----------
    command : list of str
        The launcher (:func:`launcher_command`).
    device : str or None
        A strap for the "Record a session" action.
    """
    actions = ["demo"] + (["record"] if device else [])
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.5",
        "Name=Session Monitor",
        "GenericName=Biofeedback monitor",
        "Comment=Live HRV and the client's window of tolerance for therapy sessions",
        f"Exec={_exec_line([*command, 'replay'])} %f",
        f"Icon={APP_ID}",
        "Terminal=false",
        "Categories=MedicalSoftware;Science;Qt;",
        "Keywords=HRV;biofeedback;therapy;heart rate;",
        "StartupNotify=true",
        f"Actions={';'.join(actions)};",
        "",
        "[Desktop Action demo]",
        "Name=Demo (a simulated session)",
        f"Exec={_exec_line([*command, 'demo'])}",
    ]
    if device:
        lines += [
            "",
            "[Desktop Action record]",
            f"Name=Record a session with {device}",
            f"Exec={_exec_line([*command, 'record', '--device', device])}",
        ]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Install (or remove) the entry and icon; print what was written."""
    if not sys.platform.startswith("linux"):
        raise CliError(
            "desktop entries are for Linux; on macOS and Windows start `session-monitor` from "
            "a terminal (pipx put it on the PATH)"
        )
    if args.device is not None and not args.device.strip():
        raise CliError("--device needs the strap's name or address")
    paths = installed_paths(data_home())
    if args.remove:
        for path in paths.values():
            if path.exists():
                path.unlink()
                print(f"removed {path}")
        return 0
    icons = resources.files("monitor.ui") / "icons"
    try:
        for key, path in paths.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if key == "entry":
                path.write_text(desktop_entry(launcher_command(), args.device), encoding="utf-8")
            else:
                path.write_bytes((icons / f"{APP_ID}.{key}").read_bytes())
    except OSError as error:
        raise CliError(f"cannot write {error.filename}: {error.strerror}") from None
    for path in paths.values():
        print(f"wrote {path}")
    print("Session Monitor is in the desktop's menu (log out and in if it does not show yet)")
    return 0
