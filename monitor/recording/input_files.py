"""The gate every input file passes before it is read: a regular file, within a size cap.

A path on the command line can name anything: a FIFO (opening it blocks until a writer comes,
so the command would hang), ``/dev/zero`` or another device (reading it never ends and memory
grows without bound), a folder, or a file far larger than any recording. Only regular files
are opened, and only up to a documented size per kind of input (:data:`SIZE_CAPS_BYTES`):

==============  ==========  ===============================================================
input           cap         why
==============  ==========  ===============================================================
RR text, HRM,   64 MiB      a 24-hour RR series is about 1 MiB of text; 64 MiB is a week of
our CSV                     beats with a time column, far more than a session
EDF+            2 GiB       EDF+ exports hold an annotation per beat; pyedflib reads them
                            whole
session file    8 GiB       a 50-minute session is a few MiB; packets of a 24-hour
                            recording stay well under 100 MiB
==============  ==========  ===============================================================

The check is an ``os.stat`` of the path (following a symbolic link to what it names), made
before any ``open``, so a FIFO is refused without ever blocking on it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Literal

from monitor.recording.errors import UnreadableFileError

InputKind = Literal["text", "edf", "session"]

MIB = 1024 * 1024
SIZE_CAPS_BYTES: dict[str, int] = {"text": 64 * MIB, "edf": 2048 * MIB, "session": 8192 * MIB}
"""The largest input of each kind that is read (see the table above)."""


def require_regular_input(path: str | Path, kind: InputKind = "text") -> int:
    """Refuse anything but a regular file within its kind's size cap; return its size.

    Parameters
    ----------
    path : str or Path
        The input file.
    kind : {"text", "edf", "session"}
        Which cap of :data:`SIZE_CAPS_BYTES` applies.

    Returns
    -------
    int
        The file's size in bytes.

    Raises
    ------
    UnreadableFileError
        One line naming the file and what it is instead.
    """
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UnreadableFileError(f"{path}: no such file") from None
    except NotADirectoryError:
        raise UnreadableFileError(f"{path}: no such file (a part of the path is a file)") from None
    except PermissionError:
        raise UnreadableFileError(f"{path}: permission denied") from None
    except OSError as error:
        raise UnreadableFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise UnreadableFileError(f"{path}: is a folder, not a file")
    if not stat.S_ISREG(mode):
        what = (
            "a named pipe (FIFO)"
            if stat.S_ISFIFO(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        raise UnreadableFileError(f"{path}: is {what}; only regular files are read")
    cap = SIZE_CAPS_BYTES[kind]
    if info.st_size > cap:
        raise UnreadableFileError(
            f"{path}: {info.st_size / MIB:.0f} MiB is larger than any {kind} input read here "
            f"({cap // MIB} MiB at most)"
        )
    return info.st_size
