"""The one rule set for every file a command writes: what it may never write over, and how.

An output may never be

- one of the command's own inputs (compared by resolved path and by device and inode, so a hard
  link or a symbolic link to the input counts as the input);
- a session file another process (or this one) is recording: a recorder holds an advisory
  ``flock`` on its file for as long as it writes it (:func:`hold_recording_lock`);
- a symbolic link, dangling or not: the link is never written through, since its target may be
  anything (another client's session, a system file);
- an existing file, unless ``--force`` (``overwrite``) was given;
- a name with an SQLite journal beside it (``-wal``, ``-shm``, ``-journal``): beside an existing
  file it is an unfinished recording, beside a missing one it is left from an earlier file and
  SQLite would replay it into the new one.

Outputs are written under a hidden partial name in the same folder, flushed to disk, made
owner-only (0600, whatever the umask) and only then renamed into place
(:func:`monitor.recording.paths.atomic_outputs`), so a failed command leaves nothing
half-written and nothing replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import threading
from collections.abc import Iterable
from pathlib import Path

SQLITE_COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")
"""Files SQLite keeps beside a database ``X``: ``X-wal``, ``X-shm``, ``X-journal``."""

# Identities (st_dev, st_ino) of the session files this process is recording. Testing the
# advisory lock of one of them would open and close a descriptor on it, and closing any
# descriptor of a file drops every POSIX lock this process holds on it, SQLite's included.
_RECORDING_HERE: set[tuple[int, int]] = set()
_RECORDING_HERE_LOCK = threading.Lock()


class OutputRefusedError(OSError):
    """A command was asked to write where it must not; the message is one line that names the
    file and what to do instead."""

    def __str__(self) -> str:
        # OSError formats (errno, strerror) pairs; this error is always one line of text.
        return str(self.args[0]) if self.args else ""


class OutputExistsError(OutputRefusedError, FileExistsError):
    """The output, or an SQLite journal at its name, already exists."""


def companion_files(path: Path) -> list[Path]:
    """The SQLite journal files beside ``path`` that exist now."""
    return [
        Path(f"{path}{suffix}")
        for suffix in SQLITE_COMPANION_SUFFIXES
        if os.path.lexists(f"{path}{suffix}")
    ]


def orphan_journal_text(path: Path, leftover: Path) -> str:
    """The line that refuses to create ``path`` beside a journal left by an earlier file."""
    return (
        f"{leftover} is left from an earlier session file that is no longer there; SQLite "
        f"would replay it into the new {path.name}: move it away or delete it, or choose "
        "another name"
    )


def check_output(
    path: str | Path, *, inputs: Iterable[str | Path] = (), overwrite: bool = False
) -> Path:
    """Refuse an output path that breaks one of the rules of this module; return it.

    Parameters
    ----------
    path : str or Path
        The file the command is about to write.
    inputs : iterable of str or Path
        The files the command reads (a missing input is skipped).
    overwrite : bool
        An existing regular file may be replaced (``--force``).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputRefusedError
        With one line naming the file and what to do instead.
    """
    path = Path(path)
    try:
        info: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        raise OutputRefusedError(
            f"cannot create {path}: {_first_non_folder(path)} is a file, not a folder"
        ) from None
    except OSError as error:
        raise OutputRefusedError(f"cannot write {path} ({error.strerror or error})") from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise OutputRefusedError(
            f"{path} is a symbolic link; give the file's own path (links are never written through)"
        )
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputRefusedError(f"{path} is a folder; give a file name")
    for source in inputs:
        if _same_file(path, Path(source), info):
            raise OutputRefusedError(
                f"{path} is this command's input {source}; write the output to another name "
                "(nothing was changed)"
            )
    if info is not None and is_being_recorded(path):
        raise OutputRefusedError(
            f"{path} is a session file being recorded now; write the output to another name"
        )
    leftovers = companion_files(path)
    if info is None and leftovers:
        raise OutputExistsError(orphan_journal_text(path, leftovers[0]))
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OutputRefusedError(f"{path} is not a regular file; give a file name")
    if info is not None and not overwrite:
        raise OutputExistsError(f"{path} already exists (use --force to replace it)")
    if info is not None and leftovers:
        raise OutputExistsError(
            f"{path} has {leftovers[0].name} beside it: it is being recorded or was not closed "
            "cleanly; not replacing it (open it once with `session-monitor replay` to see it)"
        )
    return path


def check_outputs(
    paths: Iterable[str | Path], *, inputs: Iterable[str | Path] = (), overwrite: bool = False
) -> list[Path]:
    """:func:`check_output` for each of several outputs of one command."""
    sources = list(inputs)
    return [check_output(p, inputs=sources, overwrite=overwrite) for p in paths]


def _first_non_folder(path: Path) -> Path:
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return path.parent


def _same_file(output: Path, source: Path, output_info: os.stat_result | None) -> bool:
    try:
        if output.resolve() == source.resolve():
            return True
    except (OSError, RuntimeError):  # a symlink loop: compared by identity below
        pass
    if output_info is None:
        return False
    try:
        source_info = os.stat(source)
    except OSError:
        return False
    return (source_info.st_dev, source_info.st_ino) == (output_info.st_dev, output_info.st_ino)


def is_being_recorded(path: str | Path) -> bool:
    """Whether a recorder (in any process) holds its lock on this session file now."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    with _RECORDING_HERE_LOCK:
        if (info.st_dev, info.st_ino) in _RECORDING_HERE:
            return True
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:  # a file system without flock: no recorder can hold one there either
        return False
    finally:
        os.close(fd)
    return False


def hold_recording_lock(fd: int) -> None:
    """Take the recorder's lock on an open session file (held until ``fd`` is closed).

    ``flock`` locks belong to the open file, not to the process, and are independent of the
    POSIX record locks SQLite takes, so neither disturbs the other.

    Raises
    ------
    OutputRefusedError
        Another recorder holds it.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputRefusedError("the session file is being recorded by another process") from None
    except OSError:
        return  # no flock on this file system: recording must still work
    info = os.fstat(fd)
    with _RECORDING_HERE_LOCK:
        _RECORDING_HERE.add((info.st_dev, info.st_ino))


def release_recording_lock(fd: int) -> None:
    """Forget a lock taken by :func:`hold_recording_lock` (call before closing ``fd``)."""
    with contextlib.suppress(OSError):
        info = os.fstat(fd)
        with _RECORDING_HERE_LOCK:
            _RECORDING_HERE.discard((info.st_dev, info.st_ino))
