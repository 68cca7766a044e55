"""PNG pictures of the open windows (the demo's ``--screenshot-dir``; works offscreen too)."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget


def _file_stem(widget: QWidget, index: int) -> str:
    name = widget.objectName() or widget.windowTitle() or type(widget).__name__
    stem = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "window"
    return stem if index == 0 else f"{stem}-{index}"


def save_window_screenshots(directory: Path) -> list[Path]:
    """Save each visible top-level window as ``<directory>/<window name>.png``.

    Parameters
    ----------
    directory : Path
        Created if missing.

    Returns
    -------
    list of Path
        The files written.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    # Let pending layout and scene updates land so the pictures show the final state.
    QApplication.processEvents()
    written: list[Path] = []
    seen: dict[str, int] = {}
    windows = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.isWindow()]
    for widget in windows:
        stem = _file_stem(widget, 0)
        count = seen.get(stem, 0)
        seen[stem] = count + 1
        path = directory / f"{_file_stem(widget, count)}.png"
        if widget.grab().save(str(path), "PNG"):
            written.append(path)
    return written
