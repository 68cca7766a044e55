"""Starting the dashboard: the Qt application, the settings, the window and the first session."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import __version__
from monitor.user_errors import UserError

if TYPE_CHECKING:  # the annotations only: importing them loads the HRV stack (and Qt)
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from monitor.recording.client_store import ClientStore
    from monitor.session.live import LiveOptions

SIGNAL_POLL_MS = 200
"""Qt's event loop runs in C++: wake Python this often so Ctrl-C is noticed."""


def check_display() -> None:
    """Raise :class:`UserError` when Qt would have nowhere to show a window.

    Without this, Qt aborts the whole process with a core dump on a machine without a desktop.
    """
    if os.environ.get("QT_QPA_PLATFORM"):
        return
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise UserError(
            "no display to show the dashboard on: run it on a desktop, or set "
            "QT_QPA_PLATFORM=offscreen (the demo saves pictures with --screenshot-dir; record "
            "also runs with --headless)"
        )


_QUIET_QT_MESSAGES = (
    "This plugin does not support propagateSizeHints()",
    "This plugin does not support raise()",
)
"""Harmless warnings of the offscreen platform, printed once per window otherwise."""


def _qt_message_filter(mode: object, context: object, message: str) -> None:
    if message in _QUIET_QT_MESSAGES:
        return
    print(message, file=sys.stderr)


def configure_application() -> QApplication:
    """The QApplication (made if needed) with the dashboard's style and plot defaults."""
    import pyqtgraph as pg
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from monitor.ui import theme

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "session-monitor"])
    # instance() is typed as Qt's base QCoreApplication; here it is always a QApplication (this
    # one, or pytest-qt's), which the widgets need.
    assert isinstance(app, QApplication)
    qInstallMessageHandler(_qt_message_filter)
    app.setApplicationName("Session Monitor")
    app.setApplicationVersion(__version__)
    # The task bar matches the window to the desktop entry (install-desktop) by this name.
    # No application *display* name: Qt would append it to every title, and the titles already
    # begin with "Session Monitor".
    app.setDesktopFileName("session-monitor")
    app.setWindowIcon(application_icon())
    app.setFont(QFont(theme.FONT_FAMILY, theme.BASE_POINT_SIZE))
    app.setStyleSheet(theme.stylesheet())
    pg.setConfigOptions(antialias=False, background=theme.PANEL, foreground=theme.TEXT)
    return app


def application_icon() -> QIcon:
    """The app's icon (package data: the SVG, with the PNG for platforms without SVG icons)."""
    from importlib import resources

    from PySide6.QtGui import QIcon

    icon = QIcon()
    folder = resources.files("monitor.ui") / "icons"
    for name in ("session-monitor.svg", "session-monitor.png"):
        icon.addFile(str(folder / name))
    return icon


def run_dashboard(
    options: LiveOptions,
    *,
    demo: bool = False,
    quit_when_finished: bool = False,
    stop_at_s: float | None = None,
    screenshot_dir: Path | None = None,
    settings_path: Path | None = None,
    scripted_input: Sequence[tuple[float, str, object]] = (),
    client_view: bool = False,
    client_store: ClientStore | None = None,
    on_running: Callable[[], object] | None = None,
) -> int:
    """Open the dashboard, start a session with ``options`` and run until the window closes.

    Parameters
    ----------
    options : LiveOptions
        The first session: a strap (``device``) or the simulator, and where to record.
    demo : bool
        Label it a demo (the session file is temporary).
    quit_when_finished : bool
        Close when the session ends (the demo with ``--duration``).
    stop_at_s : float, optional
        Stop the session when it reaches this session time (screenshots are taken just before).
    screenshot_dir : Path, optional
        Save a PNG of each open window there just before closing at the session's end.
    settings_path : Path, optional
        The settings file (default: :func:`~monitor.ui.settings_store.default_settings_path`).
    scripted_input : sequence of (float, str, object)
        SUDS ratings and notes to enter at given session times, as if typed (the demo).
    client_view : bool
        Also open the client's calm-place view once the session has started (on the screen
        last used for it, full screen if that is not the dashboard's; else beside the dashboard).
    client_store : ClientStore, optional
        Where clients' pacer rates are kept (the demo keeps them in its temporary folder).
    on_running : callable, optional
        Called once the window is up and Ctrl-C closes it cleanly (the event loop runs).

    Returns
    -------
    int
        0, or 1 when the session ended with an error and the window closed by itself.

    Raises
    ------
    UserError
        No display, or the session cannot start (bad client code, no strap chosen).
    """
    check_display()

    from monitor.ui.dashboard.window import MainWindow
    from monitor.ui.settings_store import default_settings_path, load_settings

    app = configure_application()
    settings_path = settings_path or default_settings_path()
    settings = load_settings(settings_path)
    window = MainWindow(
        options, settings, settings_path=settings_path, demo=demo, client_store=client_store
    )
    window.quit_when_finished = quit_when_finished
    window.stop_at_s = stop_at_s
    window.scripted_input = sorted(scripted_input, key=lambda entry: entry[0])
    window.screenshot_dir = screenshot_dir
    if demo and screenshot_dir is not None:
        from monitor.ui.dashboard.moment_screenshots import MomentScreenshots

        window.moment_screenshots = MomentScreenshots(screenshot_dir)
    window.show()
    if not window.start_session():
        message = window.statusBar().currentMessage() or "the session could not start"
        window.close()
        raise UserError(message.removeprefix("Cannot start: "))
    if client_view:
        window.show_client_controls()
        window.open_client_view()

    # Ctrl-C in the terminal ends the session cleanly (file saved) without a question.
    run_event_loop(app, on_interrupt=window.close_without_asking, on_running=on_running)
    # The session thread's last signals (its file, its error) may still be queued.
    app.processEvents()
    if window.last_error:
        print(f"session ended: {window.last_error}", file=sys.stderr)
    if window.last_session_path is not None and not demo:
        print(f"session saved: {window.last_session_path}")
    pictures = [*(window.moment_screenshots.taken if window.moment_screenshots else ()),
                *window.screenshots]  # fmt: skip
    if pictures:
        print(f"screenshots in {screenshot_dir}:")
        for picture in pictures:
            print(f"  {picture}")
    return 1 if (window.last_error and quit_when_finished) else 0


def run_event_loop(
    app: QApplication,
    on_interrupt: Callable[[], object],
    on_running: Callable[[], object] | None = None,
) -> None:
    """Run Qt's event loop with Ctrl-C in the terminal calling ``on_interrupt``.

    Python only runs signal handlers between bytecodes, and Qt's loop runs in C++: a timer
    wakes the interpreter every ``SIGNAL_POLL_MS`` so Ctrl-C is noticed promptly.
    ``on_running`` is called from the loop's first turn (Ctrl-C is handled from then on).
    """
    from PySide6.QtCore import QTimer

    previous_handler = signal.signal(signal.SIGINT, lambda *_: on_interrupt())
    if on_running is not None:
        QTimer.singleShot(0, on_running)
    wake = QTimer()
    wake.start(SIGNAL_POLL_MS)
    wake.timeout.connect(lambda: None)
    try:
        app.exec()
    finally:
        wake.stop()
        signal.signal(signal.SIGINT, previous_handler)
