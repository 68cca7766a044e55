"""A client's earlier sessions in the recordings folder, and the baseline they left."""

from __future__ import annotations

from pathlib import Path

from monitor.core.baseline import Baseline
from monitor.recording.errors import UnreadableFileError
from monitor.recording.paths import SESSION_FILE_SUFFIX
from monitor.recording.reader import SessionReader


def find_client_sessions(client_code: str, folder: Path) -> tuple[list[Path], int]:
    """The session files of one client in ``folder`` (not its subfolders).

    Every ``*.sqlite`` file is opened read-only and its client code read; files that are not
    readable session files are passed over.

    Returns
    -------
    (list of Path, int)
        The client's files (sorted by name), and how many other session files the folder holds.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        ``folder`` is missing or not a folder.
    """
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder")
    mine: list[Path] = []
    others = 0
    for path in sorted(folder.glob(f"*{SESSION_FILE_SUFFIX}")):
        try:
            with SessionReader(path) as reader:
                code = reader.metadata.client_code
        except UnreadableFileError:
            continue
        if code == client_code:
            mine.append(path)
        else:
            others += 1
    return mine, others


def latest_baseline(client_code: str, folder: Path) -> tuple[Baseline, Path] | None:
    """The usable baseline of the client's most recent session in ``folder``, and its file.

    A live session stores the baseline it computed in its settings (``baseline_result``) when it
    ends; the most recent session (by start time) whose baseline is usable and carries no
    warning is returned, so a calm earlier baseline can stand in for a short or restless one.

    Returns
    -------
    (Baseline, Path) or None
        None when the client has no session with a clean stored baseline (or the folder does
        not exist).
    """
    try:
        paths, _ = find_client_sessions(client_code, folder)
    except (FileNotFoundError, NotADirectoryError):
        return None
    candidates = []
    for path in paths:
        try:
            with SessionReader(path) as reader:
                metadata = reader.metadata
        except UnreadableFileError:
            continue
        stored = metadata.settings.get("baseline_result")
        if not isinstance(stored, dict) or metadata.start_utc is None:
            continue
        date = metadata.start_utc.date().isoformat()
        baseline = Baseline.from_dict(stored, source=f"session of {date} ({path.name})")
        if baseline.is_usable and not baseline.warnings:
            candidates.append((metadata.start_utc, baseline, path))
    if not candidates:
        return None
    _, baseline, path = max(candidates, key=lambda c: c[0])
    return baseline, path
