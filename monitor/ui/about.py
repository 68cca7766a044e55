"""The Help menu and its About box: the program's version, what it is and is not, and where it
keeps its settings and its support log (so a therapist can tell whoever helps them)."""

from __future__ import annotations

import platform
import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMessageBox

ABOUT_TITLE = "About Session Monitor"


def about_text() -> str:
    """The About box's text (plain, so it can be copied into an e-mail to support)."""
    from monitor import __version__
    from monitor.app_log import log_file_path
    from monitor.ui.settings_store import default_settings_path

    return (
        f"Session Monitor {__version__}\n\n"
        "Live HRV and the client's window of tolerance for therapy sessions. "
        "A therapist's aid, not a medical device: it makes no diagnosis and never replaces "
        "the therapist's judgement.\n\n"
        f"Python {platform.python_version()}, Qt for Python {pyside_version}, {sys.platform}\n"
        f"Settings: {default_settings_path()}\n"
        f"Support log (no client data): {log_file_path()}\n\n"
        "Open source under the MIT licence. `session-monitor doctor` checks this computer."
    )


def add_help_menu(window: QMainWindow) -> QAction:
    """Give ``window`` a Help menu with the About box; the About action."""
    menu = window.menuBar().addMenu("&Help")
    action = QAction(ABOUT_TITLE, window)
    action.setMenuRole(QAction.MenuRole.AboutRole)  # macOS puts it in the application menu
    action.triggered.connect(lambda: QMessageBox.about(window, ABOUT_TITLE, about_text()))
    menu.addAction(action)
    return action
