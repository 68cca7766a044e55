"""PNG pictures of the open windows (the demo's ``--screenshot-dir``; works offscreen too).

A picture of the dashboard shows a client's session, so it is kept like the session file:
owner-only (0600 files in a folder created 0700), whatever the umask.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtWidgets import QApplication, QWidget

from monitor.recording.paths import ensure_private_folder, write_private_bytes


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
    directory = ensure_private_folder(Path(directory))
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
        png = _png_bytes(widget)
        if png:
            written.append(write_private_bytes(path, png))
    return written


def _png_bytes(widget: QWidget) -> bytes:
    """The widget's picture as PNG bytes (empty if Qt could not encode it)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    saved = widget.grab().save(buffer, "PNG")
    buffer.close()
    return bytes(data.data()) if saved else b""
