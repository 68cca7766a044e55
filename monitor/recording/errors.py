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

    Only a regular file within the text size cap is read
    (:func:`monitor.recording.input_files.require_regular_input`): a FIFO or a device is
    refused before it is opened, so it can neither block nor fill memory.

    Raises
    ------
    UnreadableFileError
        Missing file, a folder, not a regular file, too large, or no permission.
    """
    from monitor.recording.input_files import require_regular_input

    require_regular_input(path, "text" if limit is None else "session")
    try:
        with path.open("rb") as file:
            return file.read() if limit is None else file.read(limit)
    except FileNotFoundError:
        raise UnreadableFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableFileError(f"{path}: is a folder, not a file") from None
    except PermissionError:
        raise UnreadableFileError(f"{path}: permission denied") from None
    except OSError as error:
        raise UnreadableFileError(f"{path}: cannot be read ({error.strerror or error})") from None
