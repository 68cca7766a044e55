"""Errors raised for files the program cannot use."""

from __future__ import annotations

from pathlib import Path


class UnreadableFileError(ValueError):
    """A file is missing, truncated, corrupted or of a foreign kind.

    The message is one plain line naming the file and what is wrong with it.
    """


def read_file_bytes(path: Path, limit: int | None = None) -> bytes:
    """The file's bytes (the first ``limit`` of them, if given), or one clear line saying why
    it cannot be read.

    Raises
    ------
    UnreadableFileError
        Missing file, a folder, or no permission.
    """
    try:
        with path.open("rb") as file:
            return file.read() if limit is None else file.read(limit)
    except FileNotFoundError:
        raise UnreadableFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableFileError(f"{path}: is a folder, not a file") from None
    except PermissionError:
        raise UnreadableFileError(f"{path}: permission denied") from None
