"""The support log: warnings and errors of every run, in the user's log folder, without client data.

Where: ``platformdirs.user_log_path("session-monitor") / "session-monitor.log"`` (or the folder
in ``$SESSION_MONITOR_LOG_DIR``), owner-only (file 0600, folder 0700), at most
:data:`MAX_LOG_BYTES` with one older copy. ``session-monitor doctor`` names it, so a therapist can
send it to whoever helps them.

What it never holds: client data. A log is sent to other people, a session file is not, so
every line is scrubbed before it is written: the client code of the running command is
replaced by ``<client>``, and every file path (which would name the client code and the session
start in a session file's name) by ``<file>``. What stays is what support needs: the time, the
version, the command, and the error in the program's own words.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
from pathlib import Path

import platformdirs

from monitor import stderr_lines

LOG_DIR_ENV = "SESSION_MONITOR_LOG_DIR"
"""Environment variable naming another log folder (tests, a shared support folder)."""

LOG_FILE_NAME = "session-monitor.log"
MAX_LOG_BYTES = 1_000_000
"""One megabyte, then the file is rotated once (``.1``): years of warnings, never a full disk."""

_PATH = re.compile(
    r"(?<![\w.~])(?:[A-Za-z]:|~)?[\\/][^\s'\"]*[^\s'\":,;.)\]]"
    r"|[^\s'\"\\/]+\.(?:sqlite|edf|csv|txt|hrm|pdf|html|json)\b"
)
"""Absolute paths (POSIX or Windows) and bare file names of the kinds a session is kept in."""


FILE_ONLY = {"file_only": True}
"""``extra=`` for a record meant for the log file only (one already said on stderr)."""

_handlers: list[logging.Handler] = []
"""The handlers :func:`start_log_file` installed in this process."""


def log_folder() -> Path:
    """The folder of the log: ``$SESSION_MONITOR_LOG_DIR`` if set, else the per-user log folder."""
    override = os.environ.get(LOG_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return platformdirs.user_log_path("session-monitor", appauthor=False)


def log_file_path() -> Path:
    """The log file itself (it may not exist yet: it is made at the first warning)."""
    return log_folder() / LOG_FILE_NAME


def scrub(text: str, client_codes: tuple[str, ...] = ()) -> str:
    """``text`` without client codes and file paths.

    Parameters
    ----------
    text : str
        A formatted log line.
    client_codes : tuple of str
        Codes to replace by ``<client>`` wherever they appear.
    """
    text = _PATH.sub("<file>", text)
    for code in client_codes:
        if code:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(code)}(?![A-Za-z0-9])", "<client>", text)
    return text


class ScrubbingFormatter(logging.Formatter):
    """Formats a record, tracebacks included, then scrubs it (:func:`scrub`).

    Every line names the program's version and the command after its time, so a line pasted
    into a message to support says what ran.
    """

    def __init__(self, client_codes: tuple[str, ...] = (), run_label: str = "") -> None:
        label = run_label.replace("%", "%%")
        super().__init__(f"%(asctime)s {label} %(levelname)s %(name)s: %(message)s")
        self.client_codes = client_codes

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record), self.client_codes)


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler whose files are created owner-only whatever the umask."""

    def _open(self) -> io.TextIOWrapper:
        descriptor = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.chmod(self.baseFilename, 0o600)
        # "a" is the only mode this descriptor (write-only, appending) can take, and the one a
        # rotating handler with maxBytes always has.
        return os.fdopen(descriptor, "a", encoding=self.encoding)

    def handleError(self, record: logging.LogRecord) -> None:
        # A log that cannot be written (the disk just filled, the folder went away) must not
        # bury the one line the therapist needs under Python's traceback on stderr: the run
        # goes on without its log, as it does when the log cannot be opened at all.
        logging.getLogger().removeHandler(self)


class _StderrHandler(logging.Handler):
    """The message alone on whatever ``sys.stderr`` is at the time, like Python's last resort."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stderr_lines.say(self.format(record))
        except Exception:
            self.handleError(record)


def start_log_file(command: str, version: str, client_codes: tuple[str, ...] = ()) -> Path | None:
    """Send warnings and errors of this run to the log file; its path, or None if it cannot be.

    A log that cannot be written (read-only home, full disk) is no reason to stop a session:
    the run goes on without it, and ``doctor`` says why.

    Parameters
    ----------
    command : str
        The subcommand, named in every line.
    version : str
        The program's version, likewise.
    client_codes : tuple of str
        Client codes this run handles, to be kept out of the log.
    """
    path = log_file_path()
    try:
        from monitor.recording.paths import ensure_private_folder

        ensure_private_folder(path.parent)
        handler = _PrivateRotatingFileHandler(
            path, maxBytes=MAX_LOG_BYTES, backupCount=1, encoding="utf-8", delay=True
        )
    except OSError:
        return None
    root = logging.getLogger()
    for old in _handlers:  # main() run again in one process (tests): one set of handlers
        root.removeHandler(old)
        old.close()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(ScrubbingFormatter(client_codes, f"session-monitor {version} {command}"))
    # With a handler on the root logger Python no longer prints warnings on stderr by itself
    # (its "last resort"); this one goes on doing just that, as before there was a log file.
    terminal = _StderrHandler(logging.WARNING)
    terminal.addFilter(lambda record: not getattr(record, "file_only", False))
    _handlers[:] = [handler, terminal]
    root.addHandler(handler)
    root.addHandler(terminal)
    if root.level > logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.WARNING)
    return path
