"""Where session files live and what they are called.

Session files are a client's private health data: folders this module creates are owner-only
(0700), and the default recordings folder is tightened to 0700 if it already exists.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path

import platformdirs

from monitor.recording.output_guard import check_outputs

RECORDINGS_ENV = "SESSION_MONITOR_RECORDINGS"
"""Environment variable that overrides the default recordings folder."""

SESSION_FILE_SUFFIX = ".sqlite"

PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

_UNSAFE_FILE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def platform_recordings_folder() -> Path:
    """The per-user default: ``platformdirs.user_data_path("session-monitor") / "recordings"``."""
    return platformdirs.user_data_path("session-monitor") / "recordings"


def default_recordings_folder() -> Path:
    """The recordings folder: ``$SESSION_MONITOR_RECORDINGS`` if set, else the per-user default."""
    override = os.environ.get(RECORDINGS_ENV, "").strip()
    return Path(override).expanduser() if override else platform_recordings_folder()


def ensure_private_folder(folder: Path, *, tighten_existing: bool = False) -> Path:
    """Create ``folder`` (and missing parents) owner-only, and return it.

    Parameters
    ----------
    folder : Path
        The folder.
    tighten_existing : bool
        Also set an already existing ``folder`` to 0700. Only for folders this program owns: a
        folder the user chose (``--out ~/Documents/x.sqlite``) keeps the permissions they gave it.
    """
    folder = Path(folder)
    missing: list[Path] = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_FOLDER_MODE)
        except FileExistsError:  # created meanwhile by another process
            continue
        # mkdir's mode is filtered by the umask; set it explicitly.
        path.chmod(PRIVATE_FOLDER_MODE)
    if tighten_existing and not missing:
        folder.chmod(PRIVATE_FOLDER_MODE)
    return folder


def default_session_file_name(client_code: str, start_utc: dt.datetime) -> str:
    """File name from client code and UTC start, e.g. ``C017_2025-03-01T101500Z.sqlite``.

    UTC (marked ``Z``) keeps names unique and sortable across daylight-saving changes.
    """
    code = _UNSAFE_FILE_NAME_CHARS.sub("_", client_code) or "session"
    stamp = start_utc.astimezone(dt.UTC).strftime("%Y-%m-%dT%H%M%SZ")
    return f"{code}_{stamp}{SESSION_FILE_SUFFIX}"


def default_session_path(
    client_code: str, start_utc: dt.datetime, folder: Path | None = None
) -> Path:
    """Full path for a new session file (folder default: :func:`default_recordings_folder`).

    Two sessions of one client started within the same second (a quick restart) get ``~2``,
    ``~3`` ... rather than colliding.
    """
    folder = default_recordings_folder() if folder is None else Path(folder)
    path = folder / default_session_file_name(client_code, start_utc)
    counter = 2
    while path.exists():
        path = path.with_name(f"{path.stem.rsplit('~', 1)[0]}~{counter}{path.suffix}")
        counter += 1
    return path


def partial_path_for(destination: Path) -> Path:
    """A fresh hidden name next to ``destination`` for writing it before it is complete."""
    destination = Path(destination)
    return destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.partial")


def publish(partial: Path, destination: Path, *, overwrite: bool) -> None:
    """Move a completed ``partial`` file to ``destination`` in one step.

    Without ``overwrite`` an existing destination is never replaced, not even by a race: a hard
    link fails if the name exists. Filesystems without hard links (FAT, exFAT) fall back to a
    check-then-rename.
    """
    partial, destination = Path(partial), Path(destination)
    if overwrite:
        os.replace(partial, destination)
        return
    try:
        os.link(partial, destination)
    except FileExistsError:
        partial.unlink(missing_ok=True)
        raise FileExistsError(f"{destination} already exists (use --force to replace it)") from None
    except OSError:
        if destination.exists():
            partial.unlink(missing_ok=True)
            raise FileExistsError(
                f"{destination} already exists (use --force to replace it)"
            ) from None
        os.rename(partial, destination)
        return
    partial.unlink()


@contextlib.contextmanager
def atomic_outputs(
    destinations: Sequence[Path], *, overwrite: bool, precreate: bool = True
) -> Iterator[list[Path]]:
    """Write files under hidden partial names and publish them only once complete.

    Yields one partial path per destination for the caller to write (with any writer); when
    the block succeeds each partial file is made owner-only (0600), flushed to disk and moved to
    its destination. On any error every partial file is removed, so no half-written file is left
    and nothing is overwritten. Destinations are checked by
    :func:`monitor.recording.output_guard.check_output` first (no symbolic link, no session
    being recorded, no leftover SQLite journal, nothing existing without ``overwrite``).

    Parameters
    ----------
    destinations : sequence of Path
        Final file names; their folders are created owner-only when missing.
    overwrite : bool
        Replace existing destinations (``--force``).
    precreate : bool
        Create each partial file empty and owner-only before yielding, so a writer that opens
        it for writing never exposes its content to other users, even briefly. Turn off for
        writers that insist on creating the file themselves.
    """
    destinations = check_outputs(destinations, overwrite=overwrite)
    for destination in destinations:
        ensure_private_folder(destination.parent)
    partials = [partial_path_for(d) for d in destinations]
    try:
        if precreate:
            for partial in partials:
                create_private_file(partial)
        yield partials
        for partial, destination in zip(partials, destinations, strict=True):
            partial.chmod(PRIVATE_FILE_MODE)
            fsync_file(partial)
            publish(partial, destination, overwrite=overwrite)
            fsync_folder(destination.parent)
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)


def fsync_file(path: Path) -> None:
    """Flush a written file's content to disk (before it is renamed into place)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a new or renamed file's name) to disk, where possible."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_private_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` owner-only (0600, whatever the umask), atomically; ``path``.

    A half-written picture or settings file never takes the old one's place: the bytes go to a
    partial file beside it, which is renamed over ``path`` once complete.
    """
    path = Path(path)
    partial = partial_path_for(path)
    try:
        create_private_file(partial)
        partial.write_bytes(data)
        fsync_file(partial)
        publish(partial, path, overwrite=True)
    finally:
        partial.unlink(missing_ok=True)
    return path


def create_private_file(path: Path) -> None:
    """Create an empty owner-only (0600) file; ``FileExistsError`` if the name is taken."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
