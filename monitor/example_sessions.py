"""The bundled example sessions, from an installed wheel or from a source tree.

The canonical files are in the repository's ``recordings/`` folder; a built wheel carries a copy
in the package (``monitor/examples/``, made by ``setup.py``), so ``session-monitor`` installed
with pip or pipx finds them without a clone.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

EXAMPLE_NAMES = ("example_simulated_session.sqlite", "example_rest_rri_import.sqlite")


def examples_folder() -> Path:
    """The folder holding the example sessions.

    Returns
    -------
    Path
        ``monitor/examples`` inside the installed package if it is there (a wheel install),
        else ``recordings/`` of the source tree this package runs from.

    Raises
    ------
    FileNotFoundError
        Neither exists (a broken install).
    """
    packaged = Path(str(resources.files("monitor") / "examples"))
    if packaged.is_dir():
        return packaged
    source_tree = Path(__file__).resolve().parent.parent / "recordings"
    if source_tree.is_dir():
        return source_tree
    raise FileNotFoundError("the example sessions are missing from this installation")


def example_session(name: str = EXAMPLE_NAMES[0]) -> Path:
    """The path of one bundled example session (read-only: open it, never write into it).

    Parameters
    ----------
    name : str
        One of :data:`EXAMPLE_NAMES`.
    """
    if name not in EXAMPLE_NAMES:
        raise ValueError(f"no example session {name!r}; there are {', '.join(EXAMPLE_NAMES)}")
    return examples_folder() / name
