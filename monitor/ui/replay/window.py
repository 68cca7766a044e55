"""The replay window: a recorded session as the therapist saw it, with what-if and the report.

Opening a session file shows its overview (phases, SUDS, alerts, gaps) and replays its raw
packets through the same session engine the live dashboard ran, so the gauge, banner, vitals,
status and plots show at each moment what they showed live. Play, pause, 1× to 60×, and exact
seeking by clicking the overview strip or the plots.

Threading: the replay runs on a worker thread (:class:`~monitor.session.replay_runner.ReplayRunner`,
an asyncio loop pumping a :class:`~drivers.replay.ReplaySource` through the engine); the what-if
and the report run on another (:class:`~monitor.ui.replay.analysis.SessionAnalyst`). The GUI
thread only stores what they produce in a :class:`~monitor.session.dashboard_model.DashboardModel`
and redraws from it on a timer at most :data:`REFRESH_HZ` times a second.

The session file is opened read-only and never written: what-if settings live in the window
(and in the report written with them).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from monitor.core.co_regulation import SpanSynchrony
from monitor.recording.errors import UnreadableFileError
from monitor.recording.model import RecordedSession
from monitor.recording.paths import default_recordings_folder
from monitor.recording.reader import read_session
from monitor.session.dashboard_controller import RecordingState
from monitor.session.dashboard_model import DashboardModel
from monitor.session.replay_model import (
    SessionOverview,
    WhatIfOutcome,
    WhatIfRequest,
    recorded_settings,
    session_overview,
    synchrony_spans_text,
)
from monitor.session.replay_runner import BaselineChanged, Ended, Held, ReplayRunner, Restarted
from monitor.ui import theme
from monitor.ui.about import add_help_menu
from monitor.ui.alert_banner import AlertBanner
from monitor.ui.formatting import clock_text
from monitor.ui.gauge import ArousalGaugePanel
from monitor.ui.plots import SessionPlots
from monitor.ui.replay.analysis import SessionAnalyst
from monitor.ui.replay.overview import OverviewStrip
from monitor.ui.replay.recent import RecentFiles
from monitor.ui.replay.whatif import WhatIfPanel
from monitor.ui.screenshots import save_window_screenshots
from monitor.ui.status_strip import StatusStrip
from monitor.ui.vitals import VitalsRow

if TYPE_CHECKING:
    from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent

log = logging.getLogger(__name__)

REFRESH_HZ = 30.0
"""Highest redraw rate (as the dashboard: from accumulated data, never per update)."""

SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
"""The replay speeds offered (recorded seconds per second)."""

STEP_S = 10.0
"""Left and right arrow keys go back and forward this far."""

PLOT_SPAN_S = 300.0
GAUGE_COLUMN_WIDTH_PX = 320
WHAT_IF_COLUMN_WIDTH_PX = 300
SCREENSHOT_WAIT_S = 30.0
"""With ``--screenshot-dir``, how long to wait for the what-if before taking pictures anyway."""

SESSION_FILE_FILTER = "Session files (*.sqlite);;All files (*)"
REPORT_FILTERS = {"PDF report (*.pdf)": ".pdf", "HTML report (*.html)": ".html"}


def _speed_text(speed: float) -> str:
    return f"{speed:g}×"


class ReplayWindow(QMainWindow):
    """Replay of one session file at a time.

    Parameters
    ----------
    recent : RecentFiles, optional
        The recent-files list (the per-user one by default).
    speed : float
        Replay speed to start with.
    refresh_hz : float
        Highest redraw rate.
    """

    def __init__(
        self,
        *,
        recent: RecentFiles | None = None,
        speed: float = 1.0,
        refresh_hz: float = REFRESH_HZ,
    ) -> None:
        super().__init__()
        self.recent = recent or RecentFiles()
        self.speed = speed
        self.session: RecordedSession | None = None
        self.overview: SessionOverview | None = None
        self.model = DashboardModel()
        self.runner = ReplayRunner()
        self.analyst = SessionAnalyst(self)
        self.analyst.outcome.connect(self._on_outcome)
        self.analyst.failed.connect(self._on_analysis_failed)
        self.analyst.report_written.connect(self._on_report_written)
        self.analyst.co_regulation.connect(self._on_co_regulation)
        self.last_report: tuple[Path, str] | None = None
        """The last report written: its path and ``""``, or the error that stopped it."""
        self.stop_at_s: float | None = None
        """Pause at this session time, then take screenshots (if asked) and close."""
        self.screenshot_dir: Path | None = None
        self.screenshots: list[Path] = []
        self._finishing = False
        self._finish_timer = QTimer(self)
        self._finish_timer.setSingleShot(True)
        self._closing = False

        self.setObjectName("replay")
        self.setWindowTitle("Session Monitor — replay")
        self.resize(1440, 920)
        self._build()
        add_help_menu(self)
        self._make_shortcuts()
        self.frame_timer = QTimer(self)
        self.frame_timer.setInterval(max(int(1000.0 / refresh_hz), 1))
        self.frame_timer.timeout.connect(self.refresh)
        self.frame_timer.start()
        self._fill_welcome()
        self.refresh()

    # -- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(10, 8, 10, 6)
        outer.setSpacing(8)

        self.status_strip = StatusStrip()
        self.open_button = QPushButton("Open…")
        self.open_button.clicked.connect(self.open_dialog)
        self.recent_button = QPushButton("Recent")
        self.recent_menu = QMenu(self.recent_button)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.recent_button.setMenu(self.recent_menu)
        self.report_button = QPushButton("Report…")
        self.report_button.setToolTip("Write the session report with the what-if settings")
        self.report_button.clicked.connect(self.report_dialog)
        for button in (self.open_button, self.recent_button, self.report_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.status_strip.add_widget(button)
        outer.addWidget(self.status_strip)

        transport = QFrame()
        transport.setObjectName("panel")
        transport_layout = QVBoxLayout(transport)
        transport_layout.setContentsMargins(12, 8, 12, 6)
        transport_layout.setSpacing(4)
        controls = QHBoxLayout()
        controls.setSpacing(10)
        self.play_button = QPushButton("▶ Play")
        self.play_button.setObjectName("primary")
        self.play_button.setMinimumWidth(110)
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.clicked.connect(self.toggle_play)
        self.speed_box = QComboBox()
        self.speed_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for speed in sorted({*SPEEDS, self.speed}):
            self.speed_box.addItem(_speed_text(speed), speed)
        self.speed_box.setCurrentIndex(self.speed_box.findData(self.speed))
        self.speed_box.currentIndexChanged.connect(
            lambda index: self.set_speed(float(self.speed_box.itemData(index)))
        )
        self.position_label = QLabel("—")
        self.position_label.setObjectName("section")
        self.file_label = QLabel("No session open: Open… a session file")
        self.file_label.setObjectName("hint")
        controls.addWidget(self.play_button)
        controls.addWidget(QLabel("Speed"))
        controls.addWidget(self.speed_box)
        controls.addWidget(self.position_label)
        controls.addStretch(1)
        controls.addWidget(self.file_label)
        transport_layout.addLayout(controls)
        self.strip = OverviewStrip()
        self.strip.seek_requested.connect(self.seek)
        transport_layout.addWidget(self.strip)
        outer.addWidget(transport)

        self.banner = AlertBanner()
        outer.addWidget(self.banner)

        # Page 0 says what to do while no file is open; page 1 is the dashboard's views.
        self.pages = QStackedWidget()
        self.welcome = self._build_welcome()
        self.pages.addWidget(self.welcome)
        body_widget = QWidget()
        body = QHBoxLayout(body_widget)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(10)
        self.gauge = ArousalGaugePanel()
        self.gauge.setFixedWidth(GAUGE_COLUMN_WIDTH_PX)
        body.addWidget(self.gauge)
        centre = QVBoxLayout()
        centre.setContentsMargins(0, 0, 0, 0)
        centre.setSpacing(8)
        self.vitals = VitalsRow()
        centre.addWidget(self.vitals)
        self.plots = self._make_plots()
        centre.addWidget(self.plots, 1)
        # Co-regulation sessions only: the therapist's own zone and the synchrony as the
        # dashboard showed them, and the synchrony per phase once the analysis has it.
        self.co_regulation_line = QLabel("")
        self.co_regulation_line.setObjectName("hint")
        self.co_regulation_line.hide()
        centre.addWidget(self.co_regulation_line)
        self.synchrony_spans = QLabel("")
        self.synchrony_spans.setObjectName("hint")
        self.synchrony_spans.setWordWrap(True)
        self.synchrony_spans.hide()
        centre.addWidget(self.synchrony_spans)
        self._centre = centre
        body.addLayout(centre, 1)
        self.what_if = WhatIfPanel()
        self.what_if.setFixedWidth(WHAT_IF_COLUMN_WIDTH_PX)
        self.what_if.settings_changed.connect(self._what_if_changed)
        self.what_if.seek_requested.connect(self.seek)
        body.addWidget(self.what_if)
        self.pages.addWidget(body_widget)
        outer.addWidget(self.pages, 1)

        hint = QLabel(
            "Space play/pause · ←/→ 10 s back/forward · click the overview or a plot to go there · "
            "Ctrl+O open"
        )
        hint.setObjectName("hint")
        outer.addWidget(hint)
        self.setCentralWidget(central)
        self.statusBar().setSizeGripEnabled(False)
        # Keys belong to the window (Space, arrows), not to the first spin box of the what-if
        # panel, which would otherwise take the focus and swallow them.
        for widget in (central, self.strip):
            widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        central.setFocus()

    def _build_welcome(self) -> QFrame:
        welcome = QFrame()
        welcome.setObjectName("panel")
        layout = QVBoxLayout(welcome)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.setSpacing(10)
        title = QLabel("Open a session file to replay it")
        title_font = QFont(theme.FONT_FAMILY)
        title_font.setPointSize(theme.ZONE_TITLE_POINT_SIZE)
        title.setFont(title_font)
        layout.addWidget(title)
        hint = QLabel(
            "The session is replayed through the same engine the dashboard ran, so every view "
            "shows what it showed live. The file is only read, never changed."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        open_button = QPushButton("Open a session file…")
        open_button.setObjectName("primary")
        open_button.clicked.connect(self.open_dialog)
        layout.addWidget(open_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.recent_caption = QLabel("Recent files")
        self.recent_caption.setObjectName("section")
        layout.addWidget(self.recent_caption)
        self.recent_list = QVBoxLayout()
        self.recent_list.setSpacing(4)
        layout.addLayout(self.recent_list)
        layout.addStretch(1)
        return welcome

    def _fill_welcome(self) -> None:
        """The recent files as buttons on the welcome page."""
        while self.recent_list.count():
            item = self.recent_list.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        paths = self.recent.paths()
        self.recent_caption.setVisible(bool(paths))
        for path in paths:
            button = QPushButton(f"{path.name}    {path.parent}")
            button.setToolTip(str(path))
            button.setStyleSheet("text-align: left;")
            button.clicked.connect(lambda _=False, p=path: self.open_file(p))
            self.recent_list.addWidget(button)

    def _make_plots(self) -> SessionPlots:
        with_therapist = self.session is not None and self.session.therapist_packets is not None
        plots = SessionPlots(PLOT_SPAN_S, synchrony=with_therapist)
        # A click (not a drag: that looks back) on any plot seeks there; the plots share x.
        plots.scene().sigMouseClicked.connect(self._plot_clicked)
        return plots

    def _make_shortcuts(self) -> None:
        bindings = (
            (Qt.Key.Key_Space, self.toggle_play),
            (Qt.Key.Key_Left, lambda: self.seek(self.runner.position_s() - STEP_S)),
            (Qt.Key.Key_Right, lambda: self.seek(self.runner.position_s() + STEP_S)),
            (QKeySequence.StandardKey.Open, self.open_dialog),
        )
        for key, action in bindings:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(action)

    # -- opening --------------------------------------------------------------------------------

    def open_file(self, path: str | Path, *, play: bool = False, start_s: float = 0.0) -> bool:
        """Open a session file and replay it from ``start_s`` (playing, or held there).

        Returns False (with a one-line message) for a file that is not a readable session.
        """
        path = Path(path)
        try:
            session = read_session(path)
        except UnreadableFileError as error:
            self.show_message(f"Cannot open: {error}", timeout_ms=0)
            return False
        self._stop_replay()
        overview = session_overview(session, path)
        self.session, self.overview = session, overview
        self.pages.setCurrentIndex(1)
        self._reset_views()
        self.strip.set_overview(overview)
        self.what_if.set_recorded(overview.tolerance, overview.tolerance_changes)
        self.analyst.load(overview)
        self.last_report = None
        self.setWindowTitle(f"Session Monitor — replay — {overview.title}")
        self.file_label.setText(overview.title)
        self.file_label.setToolTip(str(path))
        self.runner.start(
            session, overview.duration_s, speed=self.speed, start_s=start_s, play=play
        )
        self.recent.add(path)
        if len(session.packets) == 0:
            self.show_message(f"{path.name} holds no heartbeats to replay", timeout_ms=0)
        else:
            self.show_message(f"Opened {path}")
        self.refresh()
        return True

    def open_dialog(self) -> None:
        """Choose a session file to open."""
        folder = self.overview.path.parent if self.overview else default_recordings_folder()
        name, _ = QFileDialog.getOpenFileName(
            self, "Open a session file", str(folder if folder.is_dir() else Path.home()),
            SESSION_FILE_FILTER,
        )  # fmt: skip
        if name:
            self.open_file(name)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.recent.paths()
        if not paths:
            self.recent_menu.addAction("No recent files").setEnabled(False)
        for path in paths:
            action = self.recent_menu.addAction(path.name)
            action.setToolTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_file(p))

    def _stop_replay(self) -> None:
        if self.runner.running:
            self.runner.stop()
            if not self.runner.wait(10.0):
                log.error("the replay thread did not stop within 10 s")
        self.runner.take()

    def _reset_views(self) -> None:
        """A fresh model and plots (the plots draw overlays incrementally, so they go too)."""
        tolerance = self.overview.tolerance if self.overview is not None else None
        self.model = DashboardModel(window_from_events=True)
        if tolerance is not None:
            # The window the session started with; its live changes come with the updates.
            self.model.tolerance = tolerance
        if self.overview is not None:
            # The HRV windows the session ran with (the tooltips say what an index waits for).
            self.model.windows = recorded_settings(self.overview.metadata).windows
        self.co_regulation_line.hide()
        self.synchrony_spans.hide()
        self.synchrony_spans.setText("")
        old = self.plots
        self.plots = self._make_plots()
        self._centre.replaceWidget(old, self.plots)
        # Hidden now: deleteLater waits for the event loop, and until then it would still
        # paint over the views.
        old.hide()
        old.deleteLater()

    # -- transport ------------------------------------------------------------------------------

    def play(self) -> None:
        """Play from where the replay stands (from the start once it reached the end)."""
        if self.session is not None:
            self.plots.follow()
            self.runner.play()
            self.refresh()

    def pause(self) -> None:
        """Hold the replay where it is."""
        if self.session is not None:
            self.runner.pause()
            self.refresh()

    def toggle_play(self) -> None:
        """Play or pause (Space)."""
        if self.runner.playing:
            self.pause()
        else:
            self.play()

    def seek(self, t_s: float) -> None:
        """Go to session time ``t_s``: the views show that moment exactly."""
        if self.session is None:
            return
        self.plots.follow()
        self.runner.seek(t_s)
        self.strip.set_position(self.runner.position_s())
        self.refresh()

    def set_speed(self, speed: float) -> None:
        """Replay speed (recorded seconds per second)."""
        self.speed = speed
        index = self.speed_box.findData(speed)
        if index >= 0 and index != self.speed_box.currentIndex():
            self.speed_box.setCurrentIndex(index)
        if self.runner.running:
            self.runner.set_speed(speed)
        self.refresh()

    def _plot_clicked(self, event: MouseClickEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        t_s = self.plots.arousal.vb.mapSceneToView(event.scenePos()).x()
        self.seek(t_s)

    # -- what-if and report ---------------------------------------------------------------------

    def _what_if_changed(self, request: WhatIfRequest) -> None:
        # The analyst hands the request (settings, whole session or not) on to judged_with
        # unchanged, on its worker thread.
        if self.overview is not None:
            self.analyst.request(request)

    def _on_outcome(self, outcome: WhatIfOutcome) -> None:
        self.what_if.show_outcome(outcome)
        if self.what_if.outcome is outcome:
            # The recorded alerts are drawn already: a what-if row only for other alerts (the
            # start settings held for the whole session are a what-if too).
            self.strip.set_what_if_alerts(None if outcome.as_recorded else outcome.spans())

    def _on_co_regulation(self, spans: dict[str, SpanSynchrony]) -> None:
        self.synchrony_spans.setText(synchrony_spans_text(spans))
        self.synchrony_spans.show()

    def _on_analysis_failed(self, message: str) -> None:
        self.what_if.show_error(message)
        self.show_message(f"What-if and report unavailable: {message}", timeout_ms=0)

    def report_dialog(self) -> None:
        """Choose where to write the session report (PDF or HTML) with the what-if settings."""
        if self.overview is None:
            self.show_message("Open a session file first")
            return
        default = self.overview.path.with_name(f"{self.overview.path.stem}_report.pdf")
        name, chosen_filter = QFileDialog.getSaveFileName(
            self, "Save the session report", str(default), ";;".join(REPORT_FILTERS)
        )
        if not name:
            return
        path = Path(name)
        if path.suffix.lower() not in (".pdf", ".html", ".htm"):
            path = path.with_name(path.name + REPORT_FILTERS.get(chosen_filter, ".pdf"))
        self.write_report(path)

    def write_report(self, path: Path) -> bool:
        """Write the report to ``path`` (replaced if it exists) off the GUI thread.

        The result arrives as :attr:`last_report` and a message; False when there is nothing
        to report on or the settings are not valid.
        """
        # The request, not just the settings: "keep for the whole session" counts in the report.
        settings = self.what_if.request()
        if self.overview is None:
            self.show_message("Open a session file first")
            return False
        if settings is None:
            self.show_message("The what-if settings are not valid: correct them first")
            return False
        self.last_report = None
        self.analyst.write_report(Path(path), settings)
        self.show_message(f"Writing the report {Path(path).name}…", timeout_ms=0)
        return True

    def _on_report_written(self, path: object, error: str) -> None:
        self.last_report = (Path(str(path)), error)
        if error:
            self.show_message(f"Report not written: {error}", timeout_ms=0)
        else:
            self.show_message(f"Report saved: {path}", timeout_ms=0)

    # -- drawing ----------------------------------------------------------------------------------

    def _take_updates(self) -> None:
        for entry in self.runner.take():
            match entry:
                case Restarted():
                    self._reset_views()
                case BaselineChanged(baseline=baseline):
                    self.model.set_baseline(baseline)
                case Ended(error=error):
                    self.model.mark_ended(error)
                    if error:
                        self.show_message(f"Replay stopped: {error}", timeout_ms=0)
                case Held():
                    pass
                case update:
                    self.model.apply(update)

    def replay_state(self) -> str:
        """``playing 10×``, ``paused``, ``end`` or ``no file``."""
        if self.session is None:
            return "no file"
        if self.runner.ended:
            return "end"
        if self.runner.playing:
            return f"playing {_speed_text(self.speed)}"
        return "paused"

    def refresh(self) -> None:
        """Take the replay's updates and redraw (the frame timer calls this ≤ 30 times a s)."""
        self._take_updates()
        model = self.model
        position_s = self.runner.position_s() if self.session is not None else 0.0
        code = self.overview.client_code if self.overview is not None else "—"
        state = RecordingState(False, f"replay · {self.replay_state()}")
        self.status_strip.show_model(model, code, position_s, state)
        self.gauge.show_model(model)
        self.banner.show_model(model)
        self.vitals.show_model(model)
        self.plots.show_model(model)
        line = model.co_regulation_line()
        if line is not None and self.co_regulation_line.text() != line:
            self.co_regulation_line.setText(line)
        self.co_regulation_line.setVisible(line is not None)
        self.strip.set_position(position_s)
        if self.overview is not None:
            text = f"{clock_text(position_s)} / {clock_text(self.overview.duration_s)}"
        else:
            text = "—"
        if self.position_label.text() != text:
            self.position_label.setText(text)
        button = "❚❚ Pause" if self.runner.playing else "▶ Play"
        if self.play_button.text() != button:
            self.play_button.setText(button)
        self.play_button.setEnabled(self.session is not None)
        self.report_button.setEnabled(self.session is not None)
        self._maybe_finish(position_s)

    def _maybe_finish(self, position_s: float) -> None:
        """With :attr:`stop_at_s`: pause there, wait for the what-if, take pictures, close."""
        if self.stop_at_s is None or self._closing:
            return
        if not self._finishing:
            if position_s < self.stop_at_s and not self.runner.ended:
                return
            self.runner.pause()
            self._finishing = True
            self._finish_timer.start(int(SCREENSHOT_WAIT_S * 1000))
        analysed = self.what_if.outcome is not None or bool(self.analyst.error)
        if analysed or not self._finish_timer.isActive():
            self.take_screenshots()
            self.close()

    def take_screenshots(self) -> list[Path]:
        """Save a PNG of each open window into :attr:`screenshot_dir` (once)."""
        if self.screenshot_dir is None or self.screenshots:
            return self.screenshots
        self._take_updates()
        self.plots.show_model(self.model)
        try:
            self.screenshots = save_window_screenshots(self.screenshot_dir)
        except OSError as error:
            log.error("screenshots not saved: %s", error)
        return self.screenshots

    def show_message(self, text: str, timeout_ms: int = 4000) -> None:
        """A short message in the bottom bar (``timeout_ms=0``: until replaced)."""
        self.statusBar().showMessage(text, timeout_ms)

    # -- exit -------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing stops the replay thread and the analysis (nothing to save: nothing changed)."""
        self._closing = True
        self.frame_timer.stop()
        self._stop_replay()
        self.analyst.shutdown()
        event.accept()
