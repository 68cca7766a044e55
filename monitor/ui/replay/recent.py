"""The replay window's recent files, kept between runs in a small JSON file on this computer.

The list sits next to the dashboard's settings (``platformdirs.user_config_path("session-monitor")``
or the folder of ``$SESSION_MONITOR_CONFIG``), is written owner-only (file names carry client
codes) and never leaves the computer. A missing or unreadable list is an empty one: it must never
stop the window from opening.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from monitor.recording.paths import ensure_private_folder, write_private_bytes
from monitor.ui.settings_store import default_settings_path

log = logging.getLogger(__name__)

RECENT_FILE_NAME = "replay-recent.json"
MAX_RECENT = 10


def default_recent_path() -> Path:
    """``replay-recent.json`` in the folder of the dashboard's settings file."""
    return default_settings_path().parent / RECENT_FILE_NAME


class RecentFiles:
    """The most recently opened session files, newest first.

    Parameters
    ----------
    path : Path, optional
        The JSON file (:func:`default_recent_path` by default).
    limit : int
        How many files are kept.
    """

    def __init__(self, path: Path | None = None, limit: int = MAX_RECENT) -> None:
        self.path = path or default_recent_path()
        self.limit = limit

    def _read(self) -> list[Path]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            log.warning("recent files: cannot read %s (%s)", self.path, error)
            return []
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, list):
            return []
        return [Path(name) for name in files if isinstance(name, str) and name]

    def paths(self) -> list[Path]:
        """The files still there, newest first."""
        return [path for path in self._read() if path.is_file()][: self.limit]

    def add(self, path: Path) -> list[Path]:
        """Put ``path`` first (saved at once); a failing disk is logged, not raised."""
        path = Path(path).resolve()
        files = [path] + [p for p in self._read() if p != path]
        files = files[: self.limit]
        try:
            self._write(files)
        except OSError as error:
            log.warning("recent files: cannot write %s (%s)", self.path, error)
        return [p for p in files if p.is_file()]

    def _write(self, files: list[Path]) -> None:
        # The list names session files (client codes, dates): owner-only like them.
        ensure_private_folder(self.path.parent)
        text = json.dumps({"files": [str(p) for p in files]}, indent=2) + "\n"
        write_private_bytes(self.path, text.encode("utf-8"))
