"""The therapist's main window: status strip, banner, gauge, controls and plots.

The window owns a :class:`~monitor.ui.session_runner.SessionRunner` (the session on its worker
thread) and a :class:`~monitor.session.dashboard_model.DashboardModel`. Updates arriving from the
session thread (queued signals) are only stored in the model; a frame timer redraws the views
from it at most :data:`REFRESH_HZ` times a second, so a burst of beats costs one frame, not one
per beat. The frame timer is armed by new data rather than ticking blindly: the first update
after a quiet spell is drawn at once (if the last frame is at least 1/30 s old) instead of
waiting up to a full period, which takes ~16 ms off the average beat-to-screen latency and
costs nothing while no data comes; a slow clock timer keeps the session clock moving.
Clicks and keys become engine calls with :meth:`SessionRunner.call`.

The client's calm-place view (:mod:`monitor.ui.client.view`) is a second top-level window. The
"Client view" button shows a column at the right with its controls
(:mod:`monitor.ui.client.controls`) and the resonance-rate finder
(:mod:`monitor.ui.dashboard.resonance_panel`) in two tabs. Every update the dashboard receives
is passed on to both, and the phases marked set the view's mode (grounding, calm place, paused).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import (
    QCloseEvent,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QScreen,
    QShortcut,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from monitor.core.baseline import Baseline
from monitor.core.protocol import Phase, is_phase
from monitor.core.tolerance import AlertKind, ToleranceSettings
from monitor.recording.client_store import ClientStore
from monitor.recording.model import EventKind
from monitor.session.dashboard_controller import DashboardController, RecordingState, ScriptedInput
from monitor.session.dashboard_model import DashboardModel
from monitor.session.engine import DEFAULT_PHASES, SessionEngine, SessionUpdate
from monitor.session.live import LiveOptions
from monitor.ui import theme
from monitor.ui.about import add_help_menu
from monitor.ui.alert_banner import AlertBanner
from monitor.ui.client.controls import ClientControls, ProtocolFollower, opens_full_screen
from monitor.ui.client.view import ClientView
from monitor.ui.dashboard import shortcuts
from monitor.ui.dashboard.chime import ChimePlayer
from monitor.ui.dashboard.ecg_strip import EcgStripView
from monitor.ui.dashboard.moment_screenshots import MomentScreenshots
from monitor.ui.dashboard.protocol_panel import ProtocolPanel
from monitor.ui.dashboard.recording_notice import RecordingNotice
from monitor.ui.dashboard.resonance_panel import ResonancePanel
from monitor.ui.dashboard.settings_dialog import SettingsDialog
from monitor.ui.dashboard.strap_picker import ScanFunction, StrapPickerDialog
from monitor.ui.gauge import ArousalGaugePanel
from monitor.ui.plots import SessionPlots
from monitor.ui.screenshots import save_window_screenshots
from monitor.ui.session_runner import SessionRunner
from monitor.ui.settings_store import VIEW_SPANS_S, DashboardSettings, save_settings
from monitor.ui.status_strip import StatusStrip
from monitor.ui.vitals import VitalsRow

log = logging.getLogger(__name__)

REFRESH_HZ = 30.0
"""Highest redraw rate of the views (docs/architecture.md, "Threading": ~30 Hz, never per beat)."""

CLOCK_TICK_MS = 250
"""The session clock and strap status are redrawn at least this often without new data."""

GAUGE_COLUMN_WIDTH_PX = 340
CONTROLS_COLUMN_WIDTH_PX = 250
BUTTON_PADDING_PX = 14
"""Horizontal padding plus border of a status-strip button (theme.stylesheet), each side."""
CLIENT_COLUMN_WIDTH_PX = 280
"""The client-view column: a column in the body rather than a dock, so the status strip above
keeps the window's whole width and the dashboard still fits 1440 px with it shown."""


def _tool_button(text: str) -> QPushButton:
    button = QPushButton(text)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return button


def _fit_bold(button: QPushButton) -> None:
    # A checked button is drawn bold (theme.stylesheet): room for that, or its text is clipped.
    font = QFont(button.font())
    font.setBold(True)
    width = QFontMetrics(font).horizontalAdvance(button.text())
    button.setMinimumWidth(width + 2 * BUTTON_PADDING_PX)


class MainWindow(QMainWindow):
    """The live dashboard.

    Parameters
    ----------
    options : LiveOptions
        What the first session records from (strap or simulator) and where.
    settings : DashboardSettings
        The therapist's settings (window bounds, chime, adapter, plot span).
    settings_path : Path, optional
        Where settings changed in the dialog are saved (``None``: not saved).
    runner : SessionRunner, optional
        The session runner (one is made by default).
    chime : ChimePlayer, optional
    scan : callable, optional
        The strap scan for the picker (:func:`drivers.ble.scan_straps` by default).
    demo : bool
        Label the session as a demo (its file is temporary).
    client_store : ClientStore, optional
        Where clients' pacer rates are kept (the per-user clients folder by default).
    refresh_hz : float
        Highest redraw rate.
    """

    def __init__(
        self,
        options: LiveOptions,
        settings: DashboardSettings,
        *,
        settings_path: Path | None = None,
        runner: SessionRunner | None = None,
        chime: ChimePlayer | None = None,
        scan: ScanFunction | None = None,
        demo: bool = False,
        client_store: ClientStore | None = None,
        refresh_hz: float = REFRESH_HZ,
    ) -> None:
        super().__init__()
        self.controller = DashboardController(options, demo=demo, client_store=client_store)
        """The session lifecycle and its wording (Qt-free; this window shows what it says)."""
        self.settings = settings
        self.settings_path = settings_path
        self.demo = demo
        self.runner = runner or SessionRunner(self)
        self.chime = chime or ChimePlayer(self)
        self._scan = scan
        self.client_store = self.controller.client_store
        self.client_view: ClientView | None = None
        """The client's calm-place window while it is open."""
        self.protocol_follower = ProtocolFollower()
        self.phases = tuple(DEFAULT_PHASES)
        self.phase_keys = shortcuts.assign_phase_keys(self.phases)
        self.model = self._new_model()
        self._chimed_alerts = 0
        self._last_clock_s = 0.0
        self.quit_when_finished = False
        """Close the window when the session ends (the demo with ``--duration``)."""
        self.stop_at_s: float | None = None
        """Stop the session once it reaches this session time (the demo's ``--duration``);
        screenshots, if asked for, are taken just before, while the session is still live."""
        self.screenshot_dir: Path | None = None
        """Where to save a PNG of each open window just before closing at the session's end."""
        self.screenshots: list[Path] = []
        self.moment_screenshots: MomentScreenshots | None = None
        """Pictures at each protocol phase and the first alert (the demo's --screenshot-dir)."""
        self._closing = False
        self._confirmed_close = False

        self.setObjectName("dashboard")
        self.setWindowTitle("Session Monitor" + (" — demo" if demo else ""))
        self.resize(1440, 900)
        self._frame_interval_s = 1.0 / refresh_hz
        self._last_frame_s = -math.inf
        self.frame_timer = QTimer(self)
        self.frame_timer.setSingleShot(True)
        self.frame_timer.timeout.connect(self.refresh)
        self.clock_timer = QTimer(self)
        self.clock_timer.setInterval(CLOCK_TICK_MS)
        self.clock_timer.timeout.connect(self.request_frame)
        self._build()
        add_help_menu(self)
        self._build_client_column()
        self._connect_runner()
        self._make_shortcuts()
        self.clock_timer.start()
        self.refresh()

    # -- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(10, 8, 10, 6)
        outer.setSpacing(8)
        self.status_strip = StatusStrip()
        self.start_stop_button = _tool_button("Start recording")
        self.start_stop_button.clicked.connect(self.toggle_session)
        self.strap_button = _tool_button("Strap…")
        self.strap_button.clicked.connect(self.pick_strap)
        self.settings_button = _tool_button("Settings…")
        self.settings_button.clicked.connect(self.edit_settings)
        self.client_button = _tool_button("Client view")
        self.client_button.setCheckable(True)
        self.client_button.setToolTip(
            "Show or hide the controls of the client's calm-place screen, its breathing pacer "
            "and the resonance-rate finder"
        )
        self.client_button.toggled.connect(self._client_column_toggled)
        _fit_bold(self.client_button)
        for button in (
            self.start_stop_button, self.strap_button, self.client_button, self.settings_button
        ):  # fmt: skip
            self.status_strip.add_widget(button)
        outer.addWidget(self.status_strip)
        self.recording_notice = RecordingNotice()
        self.recording_notice.record_again.connect(self.record_again)
        outer.addWidget(self.recording_notice)
        self.banner = AlertBanner()
        outer.addWidget(self.banner)

        body = QHBoxLayout()
        body.setSpacing(10)
        self.gauge = ArousalGaugePanel()
        self.panel = ProtocolPanel(self.phases, self.phase_keys)
        self.panel.phase_clicked.connect(self.mark_phase)
        self.panel.suds_clicked.connect(self.record_suds)
        self.panel.note_submitted.connect(self.record_note)
        self.panel.grounding_clicked.connect(self.grounding_started)
        self.panel.resume_clicked.connect(self.resume)
        self.panel.window_step.connect(self.change_window)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(8)
        left.addWidget(self.gauge, 1)
        left.addWidget(self.panel.action_row)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setFixedWidth(GAUGE_COLUMN_WIDTH_PX)
        body.addWidget(left_widget)
        centre = QVBoxLayout()
        centre.setContentsMargins(0, 0, 0, 0)
        centre.setSpacing(8)
        self.vitals = VitalsRow()
        centre.addWidget(self.vitals)
        # A Polar H10's ECG, so the therapist can see the signal's quality (hidden without).
        self.ecg_strip = EcgStripView()
        centre.addWidget(self.ecg_strip)
        self.plots = SessionPlots(self.settings.view_span_s, synchrony=self.options.with_therapist)
        self.plots.signals.following_changed.connect(self._following_changed)
        self.plots.signals.needs_frame.connect(self.request_frame)
        centre.addWidget(self.plots, 1)
        # Co-regulation only: the therapist's own zone and the live synchrony (never shown on
        # the client's view).
        self.co_regulation_line = QLabel("")
        self.co_regulation_line.setObjectName("hint")
        self.co_regulation_line.hide()
        centre.addWidget(self.co_regulation_line)
        # Only when the therapist asked for it (--therapist-cue): some would rather not be told.
        self.therapist_cue = QLabel("")
        self.therapist_cue.setObjectName("therapist-cue")
        self.therapist_cue.setWordWrap(True)
        self.therapist_cue.hide()
        centre.addWidget(self.therapist_cue)
        self._centre = centre
        body.addLayout(centre, 1)
        self.panel.setFixedWidth(CONTROLS_COLUMN_WIDTH_PX)
        body.addWidget(self.panel)
        self.client_tabs = QTabWidget()
        self.client_tabs.setObjectName("client-column")
        self.client_tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.client_tabs.setFixedWidth(CLIENT_COLUMN_WIDTH_PX)
        # Out of the way until the therapist asks for it: many sessions never use it.
        self.client_tabs.hide()
        body.addWidget(self.client_tabs)
        self._body = body
        outer.addLayout(body, 1)
        self.key_list = QLabel(shortcuts.key_list_text(self.phase_keys))
        self.key_list.setObjectName("hint")
        self.key_list.setWordWrap(True)
        outer.addWidget(self.key_list)
        self.setCentralWidget(central)
        self.statusBar().setSizeGripEnabled(False)

    def _build_client_column(self) -> None:
        code = self.options.client_code
        rate, fraction, stored = self.controller.stored_pacer()
        self.client_controls = ClientControls(
            code, rate_per_min=rate, inhale_fraction=fraction, stored=stored
        )
        self.client_controls.open_requested.connect(self.open_client_view)
        self.client_controls.close_requested.connect(self.close_client_view)
        self.client_controls.save_requested.connect(self.save_client_pacer)
        self.resonance_panel = ResonancePanel(
            store=self.client_store, client_code=code, clock=self.runner.now_s
        )
        # The finder paces the client through the controls, so the rate box shows what the
        # client breathes at and a view opened later starts at that rate.
        self.resonance_panel.attach_client_view(self.client_controls)
        self.resonance_panel.pacer_rate_requested.connect(self._finder_paces)
        self.resonance_panel.rate_adopted.connect(self._rate_adopted)
        # The finder's table was laid out for a wider panel: in this narrower column its
        # two-line headers ("LF peak / ms²", "HR swing / bpm") fit in a smaller font (which
        # only makes the header shorter, so the panel's fixed table height still holds).
        # (Set on the header items: the style sheet gives the header view the application's font.)
        table = self.resonance_panel.table
        for column in range(table.columnCount()):
            item = table.horizontalHeaderItem(column)
            if item is not None:
                header_font = QFont(item.font())
                header_font.setPointSize(theme.BASE_POINT_SIZE - 3)
                item.setFont(header_font)
        panel_layout = self.resonance_panel.layout()
        if panel_layout is not None:
            panel_layout.setContentsMargins(4, 8, 4, 8)
        self.client_tabs.addTab(self.client_controls, "Client view")
        self.client_tabs.addTab(self.resonance_panel, "Resonance finder")
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.screenAdded.connect(self._screens_changed)
            app.screenRemoved.connect(self._screen_removed)

    def _new_model(self) -> DashboardModel:
        tolerance = self.options.tolerance or self.settings.tolerance()
        return DashboardModel(tolerance=tolerance)

    def _make_shortcuts(self) -> None:
        def bind(key: str | Qt.Key, action: Callable[[], None]) -> None:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(action)

        self.suds_keypad = shortcuts.SudsKeypad(self)
        self.suds_keypad.committed.connect(self.record_suds)
        self.suds_keypad.pending_changed.connect(self.panel.set_suds_status)
        for digit in range(10):
            bind(str(digit), functools.partial(self.suds_keypad.press, digit))
        # Enter is not a shortcut: the note field needs it. It reaches keyPressEvent below
        # whenever no field has the focus.
        for name, key in self.phase_keys.items():
            if is_phase(name, Phase.GROUNDING):
                continue
            bind(key, functools.partial(self.mark_phase, name))
        bind(shortcuts.GROUNDING_KEY, self.grounding_started)
        bind(shortcuts.RESUME_KEY, self.resume)
        bind(shortcuts.NOTE_KEY, self.panel.note_field.setFocus)
        bind(shortcuts.FOLLOW_KEY, self.plots.follow)
        bind(shortcuts.VIEW_KEY, self.cycle_view_span)
        bind(shortcuts.CHIME_KEY, self.toggle_chime)
        bind(Qt.Key.Key_Plus, lambda: self.change_window(shortcuts.WINDOW_STEP_SD))
        bind(Qt.Key.Key_Equal, lambda: self.change_window(shortcuts.WINDOW_STEP_SD))
        bind(Qt.Key.Key_Minus, lambda: self.change_window(-shortcuts.WINDOW_STEP_SD))

    def _connect_runner(self) -> None:
        self.runner.update.connect(self.on_update)
        self.runner.baseline.connect(self.on_baseline)
        self.runner.recording.connect(self.on_recording)
        self.runner.finished.connect(self.on_finished)

    # -- session life -------------------------------------------------------------------------

    def start_session(
        self, *, reused_baseline: Baseline | None = None, record: bool | None = None
    ) -> bool:
        """Start a session with the current strap and window; False if it could not start.

        Parameters
        ----------
        reused_baseline : Baseline, optional
            Judge against this baseline from the start instead of taking one.
        record : bool, optional
            Write a session file (default: as the options say).
        """
        if self.runner.running:
            return False
        options = self.controller.next_options(
            self.model.tolerance, self.settings.adapter, reused_baseline, record
        )
        if self.model.beats.beats or self.model.phases or self.model.recording_error:
            self._reset_views(options.tolerance)
        try:
            self.runner.start(options)
        except ValueError as error:
            self.show_message(f"Cannot start: {error}")
            return False
        self.controller.started()
        self.show_message("Session started" + (" (demo)" if self.demo else ""))
        self.refresh()
        return True

    def stop_session(self) -> None:
        """End the session; the file is closed cleanly and its path shown."""
        if self.runner.running:
            self.runner.stop()
            self.show_message("Stopping…")

    def toggle_session(self) -> None:
        """Start or stop (the Start/Stop button: "Start recording", then "Stop recording", or
        "End session" once nothing is recorded any more)."""
        if self.runner.running:
            # Ending is ending: a "Record again" still waiting for this session to end is off.
            self.controller.cancel_record_again()
            self.stop_session()
        else:
            self.start_session()

    def record_again(self) -> None:
        """End this session, whose file failed, and start a new one into a new file (the
        recording notice's button), once the cause (a full disk) has gone.

        The failed file keeps what it holds and is never written into again. The new session
        reuses this session's baseline when one was taken, so the client is judged against the
        same reference from its first beat rather than after another baseline.
        """
        if not self.runner.running or not self.controller.ask_record_again(self.model):
            return
        self.runner.stop()
        self.show_message("Ending this session to record again into a new file…", timeout_ms=0)

    def _reset_views(self, tolerance: ToleranceSettings | None) -> None:
        self.model = DashboardModel(tolerance=tolerance or self.settings.tolerance())
        self._chimed_alerts = 0
        old = self.plots
        self.plots = SessionPlots(old.span_s, synchrony=self.options.with_therapist)
        self.plots.signals.following_changed.connect(self._following_changed)
        self.plots.signals.needs_frame.connect(self.request_frame)
        self._centre.replaceWidget(old, self.plots)
        # Hidden now: until the event loop deletes it, it would still paint over the views.
        old.hide()
        old.deleteLater()

    def on_update(self, update: SessionUpdate) -> None:
        """Store an update from the session thread (drawn at the next frame); pass it on to the
        client view and the resonance finder, and let marked phases set the view's mode."""
        recording_was_fine = self.model.recording_error is None
        self.model.apply(update)
        if recording_was_fine and self.model.recording_error is not None:
            # Once: the notice says it on screen from the next frame on.
            log.error("not recording any more: %s", self.model.recording_error)
        controls = self.client_controls
        if controls.follows_protocol:
            for event in update.events:
                if event.kind is EventKind.PHASE:
                    controls.set_mode(self.protocol_follower.mode_after(event.text, controls.mode))
        if self.client_view is not None:
            # Every update, a lost strap's too: the view itself lets the scene rest calmly.
            self.client_view.feed(update)
        self.resonance_panel.feed(update)
        self.request_frame()

    def on_baseline(self, baseline: Baseline | None) -> None:
        """The engine (re)calibrated the client's baseline (queued from the session thread)."""
        self.model.set_baseline(baseline)
        self.request_frame()

    def request_frame(self) -> None:
        """Draw soon: now if the last frame is 1/30 s old, else when it will be."""
        if self.frame_timer.isActive():
            return
        wait_s = self._last_frame_s + self._frame_interval_s - time.monotonic()
        self.frame_timer.start(max(math.ceil(wait_s * 1000.0), 0))

    def on_recording(self, path: Path) -> None:
        """The session file exists (queued from the session thread)."""
        self.recording_path = Path(path)

    def on_finished(self, path: Path | None, error: str) -> None:
        """The session thread ended: show where the file is, or why it failed."""
        self.model.mark_ended(error)
        if self.resonance_panel.finder.running:
            # Without the session's clock and beats the run cannot go on; the pacer goes back.
            self.resonance_panel.stop()
        self.show_message(self.controller.finished(path, error, self.model), timeout_ms=0)
        try:
            self.refresh()
        finally:
            if self.quit_when_finished and not self._closing:
                self.close()
            else:
                self._after_record_again(path, error)

    def _after_record_again(self, path: Path | None, error: str) -> None:
        """Start the session "Record again" asked for, now that the failed one has ended; or, if
        that new session could not even create its file, go on with the live view unrecorded."""
        if self._closing:
            return
        next_session = self.controller.session_after(path, error)
        if next_session is not None and self.start_session(
            reused_baseline=next_session.reused_baseline, record=next_session.record
        ):
            self.controller.started_again(next_session)
            self.show_message(next_session.message, timeout_ms=0)

    # The session's options and files and the demo's script, as the controller keeps them.

    @property
    def options(self) -> LiveOptions:
        """The options the next session starts from (the strap picked last, the client)."""
        return self.controller.options

    @options.setter
    def options(self, options: LiveOptions) -> None:
        self.controller.options = options

    @property
    def recording_path(self) -> Path | None:
        return self.controller.recording_path

    @recording_path.setter
    def recording_path(self, path: Path | None) -> None:
        self.controller.recording_path = path

    @property
    def last_session_path(self) -> Path | None:
        return self.controller.last_session_path

    @property
    def last_error(self) -> str:
        return self.controller.last_error

    @property
    def scripted_input(self) -> list[ScriptedInput]:
        """(session time, "suds" or "note", value) entered as if typed, in time order (the demo
        plays a therapist with these)."""
        return self.controller.scripted_input

    @scripted_input.setter
    def scripted_input(self, entries: Sequence[ScriptedInput]) -> None:
        self.controller.scripted_input = sorted(entries, key=lambda entry: entry[0])

    def _kept_path(self) -> Path | None:
        """The session file as it is now: once the recording failed, where the file went if it
        was moved, ``None`` if it was deleted."""
        session = self.runner.session
        writer = None if session is None else session.writer
        if self.runner.running and writer is not None and writer.error is not None:
            return writer.kept_path
        return self.recording_path or self.last_session_path

    # -- the therapist's actions ----------------------------------------------------------------

    def _engine(self, action: Callable[[SessionEngine, float], list[SessionUpdate]]) -> bool:
        if self.runner.call(action):
            return True
        self.show_message("No session is running: start one first")
        return False

    def mark_phase(self, name: str) -> None:
        """A protocol phase starts now."""
        if self._engine(lambda engine, now_s: engine.add_phase(now_s, name)):
            self.show_message(f"Phase: {name}")

    def grounding_started(self) -> None:
        """Grounding started (starts the recovery measurement)."""
        if self._engine(lambda engine, now_s: engine.mark_grounding(now_s)):
            self.show_message("Grounding started")

    def resume(self) -> None:
        """Back to the phase the session was in before grounding."""
        target = self.model.resume_phase
        if target is None:
            self.show_message("Nothing to resume: mark grounding first")
            return
        self.mark_phase(target)

    def record_suds(self, rating: int) -> None:
        """Record a SUDS rating 0–10 now."""
        if self._engine(lambda engine, now_s: engine.add_suds(now_s, rating)):
            self.show_message(f"SUDS {rating} recorded")

    def record_note(self, text: str) -> None:
        """Record a free-text note now."""
        if self._engine(lambda engine, now_s: engine.add_note(now_s, text)):
            self.show_message("Note recorded")

    def change_window(self, by_sd: float) -> None:
        """Widen (positive) or narrow the window for this session."""
        try:
            settings = self.model.tolerance.widened(by_sd)
        except ValueError:
            self.show_message("The window cannot be narrower")
            return
        if self.runner.running:
            self.runner.call(lambda engine, now_s: engine.set_tolerance(now_s, settings))
        self.model.set_tolerance(settings)
        word = "wider" if by_sd > 0 else "narrower"
        self.show_message(f"Window {word}: above ≥ {settings.upper_sd:.2f} SD")

    def cycle_view_span(self) -> None:
        """Plots show the last 2, 5 or 15 minutes or the whole session (key V); saved."""
        spans = VIEW_SPANS_S
        current = self.plots.span_s
        index = spans.index(current) if current in spans else 0
        span_s = spans[(index + 1) % len(spans)]
        self.plots.set_span(span_s)
        self._apply_settings(dataclasses.replace(self.settings, view_span_s=span_s))
        label = "whole session" if math.isinf(span_s) else f"last {span_s / 60:.0f} min"
        self.show_message(f"Plots show the {label}")

    def toggle_chime(self) -> None:
        """Chime on or off (key M); saved."""
        self._apply_settings(
            dataclasses.replace(self.settings, sound_on=not self.settings.sound_on)
        )
        self.show_message("Chime " + ("on" if self.settings.sound_on else "off"))

    def pick_strap(self) -> None:
        """Choose a strap for the next session (scan off the GUI thread)."""
        if self.runner.running:
            self.show_message("Stop the session before choosing another strap")
            return
        adapter = self.options.adapter or self.settings.adapter or None
        dialog = StrapPickerDialog(adapter, scan=self._scan, parent=self)
        dialog.start_scan()
        if dialog.exec() and dialog.chosen is not None:
            strap = dialog.chosen
            # A simulated therapist belongs to a simulated client: a real strap ends both.
            self.options = dataclasses.replace(
                self.options, device=strap.address, simulate=False, therapist_simulate=False
            )
            self.show_message(f"Next session uses {strap.name or strap.address}")

    def edit_settings(self) -> None:
        """Open the settings dialog; apply and save what the therapist accepts."""
        dialog = SettingsDialog(self.settings, self.chime, self.settings_path, parent=self)
        if dialog.exec():
            self._apply_settings(dialog.settings(), window_changed=True)

    def _apply_settings(self, settings: DashboardSettings, window_changed: bool = False) -> None:
        previous = self.settings
        self.settings = settings
        if window_changed and settings.tolerance() != previous.tolerance():
            tolerance = settings.tolerance(self.model.tolerance)
            if self.runner.running:
                self.runner.call(lambda engine, now_s: engine.set_tolerance(now_s, tolerance))
            self.model.set_tolerance(tolerance)
        if self.settings_path is not None:
            try:
                save_settings(settings, self.settings_path)
            except OSError as error:
                self.show_message(f"Settings not saved: {error}")

    # -- the client's view ---------------------------------------------------------------------

    def show_client_controls(self) -> None:
        """Show the client-view controls (as the "Client view" button does)."""
        self.client_button.setChecked(True)
        self.client_tabs.setCurrentWidget(self.client_controls)

    def _client_column_toggled(self, shown: bool) -> None:
        if shown:
            self._screens_changed()
        self.client_tabs.setVisible(shown)

    def open_client_view(self, screen: QScreen | None = None) -> ClientView:
        """Open the client view on ``screen`` (the one picked in the controls by default), or
        move it there if it is open.

        Full screen on a screen of its own; with a single screen, or on the dashboard's own
        screen, it opens as a normal window beside the dashboard.
        """
        screen = screen or self.client_controls.chosen_screen() or QGuiApplication.primaryScreen()
        full_screen = opens_full_screen(screen, self.screen(), len(QGuiApplication.screens()))
        view = self.client_view
        if view is None:
            controls = self.client_controls
            view = ClientView(
                rate_per_min=controls.pacer_rate_per_min,
                inhale_fraction=controls.inhale_fraction,
            )
            # The therapist's keys act in the active window: the client's must not take that.
            view.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
            view.closed.connect(lambda closed=view: self._client_view_closed(closed))
            self.client_view = view
            controls.attach(view)
        view.open_on(screen, full_screen)
        if not full_screen:
            self._place_beside(view)
        self.activateWindow()
        how = "full screen" if full_screen else "as a window"
        where = f" on {screen.name()}" if screen.name() else ""
        self.client_controls.set_view_state(f"Open {how}{where}.")
        if screen.name() and screen.name() != self.settings.client_screen:
            self._apply_settings(dataclasses.replace(self.settings, client_screen=screen.name()))
        self.client_button.setChecked(True)
        self.show_message(f"Client view open {how}{where}")
        return view

    def _place_beside(self, view: ClientView) -> None:
        # Beside the dashboard when the screen has room, so neither hides the other.
        screen = view.screen()
        if screen is None:
            return
        area = screen.availableGeometry()
        frame = self.frameGeometry()
        left = frame.right() + 1
        if left + view.frameGeometry().width() <= area.right() + 1:
            view.move(left, max(frame.top(), area.top()))

    def close_client_view(self) -> None:
        """Close the client view (the dashboard is told through its ``closed`` signal)."""
        if self.client_view is not None:
            self.client_view.close()

    def _client_view_closed(self, view: ClientView) -> None:
        if view is not self.client_view:
            return
        self.client_view = None
        self.client_controls.detach()
        self.client_controls.set_view_state(None)
        view.deleteLater()
        if not self._closing:
            self.show_message("The client view was closed")

    def _screens_changed(self, *_: object) -> None:
        self.client_controls.set_screens(
            QGuiApplication.screens(), self.screen(), self.settings.client_screen
        )

    def _screen_removed(self, screen: QScreen) -> None:
        # Qt would move the view to the primary screen, full screen, perhaps over the dashboard:
        # once the screen is gone, open it again where it belongs among those left.
        if self.client_view is not None and self.client_view.screen() is screen:
            QTimer.singleShot(0, self._rehome_client_view)
        QTimer.singleShot(0, self._screens_changed)

    def _rehome_client_view(self) -> None:
        if self.client_view is not None:
            self._screens_changed()
            self.open_client_view(self.client_controls.chosen_screen())

    def save_client_pacer(self, rate_per_min: float, inhale_fraction: float) -> None:
        """Store the pacer's rate and ratio as the client's default (the "save" button)."""
        message, resonance_rate_per_min, saved = self.controller.save_pacer(
            rate_per_min, inhale_fraction
        )
        if saved:
            self.client_controls.show_stored_rate(resonance_rate_per_min)
        self.show_message(message)

    def _rate_adopted(self, client_code: str, rate_per_min: float) -> None:
        self.client_controls.show_stored_rate(rate_per_min)
        self.show_message(f"{client_code} will start at {rate_per_min:g} breaths/min")

    def _finder_paces(self, rate_per_min: float) -> None:
        if self.client_view is None and self.resonance_panel.finder.running:
            self.show_message("The finder paces the client through the client view: open it")

    # -- drawing ------------------------------------------------------------------------------

    def recording_state(self) -> RecordingState:
        """What the recording indicator says now."""
        return self.controller.recording_state(
            self.model, self.runner.running, self._session_records()
        )

    def _session_records(self) -> bool:
        """The current (or last) session was started to write a file."""
        session = self.runner.session
        return self.options.record if session is None else session.options.record

    def refresh(self) -> None:
        """Redraw from the model (the frame timer calls this, at most 30 times a second)."""
        self._last_frame_s = time.monotonic()
        model = self.model
        now_s = self.runner.now_s()
        clock_s = model.latest_t_s if now_s is None else max(now_s, model.latest_t_s)
        running = self.runner.running
        self.status_strip.show_model(
            model, self.options.client_code, clock_s, self.recording_state()
        )
        kept_path = self._kept_path()
        self.recording_notice.show_model(model, kept_path)
        tooltip = self.controller.recording_tooltip(model, kept_path)
        if self.status_strip.fields["recording"].toolTip() != tooltip:
            self.status_strip.fields["recording"].setToolTip(tooltip)
        button_text, button_tip = self.controller.start_stop_label(
            model, running, self._session_records()
        )
        if self.start_stop_button.text() != button_text:
            self.start_stop_button.setText(button_text)
            self.start_stop_button.setToolTip(button_tip)
        self.strap_button.setEnabled(not running)
        self.gauge.show_model(model)
        self.banner.show_model(model)
        self.panel.show_model(model, running)
        self.vitals.show_model(model)
        self.client_controls.show_breathing(
            model.pacer_follow_text(self.client_controls.pacer_rate_per_min)
        )
        self.ecg_strip.show_model(model)
        self.plots.show_model(model)
        self._show_co_regulation(model.co_regulation_line())
        self._show_therapist_cue(model.therapist_cue())
        self._publish_client_state()
        self.client_controls.set_finder_running(self.resonance_panel.finder.running)
        self._maybe_chime()
        if self.moment_screenshots is not None:
            self.moment_screenshots.take_due(model)
        for kind, value in self.controller.due_input(model.latest_t_s) if running else ():
            if kind == "suds" and isinstance(value, int):
                self.record_suds(value)
            else:
                self.record_note(str(value))
        if running and self.stop_at_s is not None and model.latest_t_s >= self.stop_at_s:
            self.stop_at_s = None
            self.take_screenshots()
            self.stop_session()

    def _publish_client_state(self) -> None:
        # With --lsl, a client view on a second machine shows what the controls set (sent only
        # when it changed, and again every few seconds by the outlets).
        session = self.runner.session
        outlets = None if session is None else session.outlets
        if outlets is not None:
            outlets.set_client_state(self.client_controls.state)

    def _show_therapist_cue(self, cue: str | None) -> None:
        if cue is None or not self.options.therapist_cue:
            self.therapist_cue.hide()
            return
        if self.therapist_cue.text() != cue:
            self.therapist_cue.setText(cue)
        self.therapist_cue.show()

    def _show_co_regulation(self, line: str | None) -> None:
        if line is None:
            return
        if self.co_regulation_line.text() != line:
            self.co_regulation_line.setText(line)
        self.co_regulation_line.show()

    def take_screenshots(self) -> list[Path]:
        """Save a PNG of each open window into :attr:`screenshot_dir` (once)."""
        if self.screenshot_dir is None or self.screenshots:
            return self.screenshots
        try:
            self.screenshots = save_window_screenshots(self.screenshot_dir)
        except OSError as error:
            log.error("screenshots not saved: %s", error)
        return self.screenshots

    def _maybe_chime(self) -> None:
        hyper_started = sum(1 for span in self.model.alerts if span.kind == AlertKind.HYPER)
        if hyper_started > self._chimed_alerts:
            self._chimed_alerts = hyper_started
            if self.settings.sound_on:
                self.chime.play(self.settings.volume_pct)

    def _following_changed(self, following: bool) -> None:
        if not following:
            self.show_message(f"Looking back: press {shortcuts.FOLLOW_KEY} to follow now")

    def show_message(self, text: str, timeout_ms: int = 4000) -> None:
        """A short message in the bottom bar (``timeout_ms=0``: until replaced)."""
        self.statusBar().showMessage(text, timeout_ms)
        # Whatever prompted a message (a click, a key, a setting) may change what is shown.
        self.request_frame()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.suds_keypad.pending:
            self.suds_keypad.commit_pending()
            return
        super().keyPressEvent(event)

    # -- exit ---------------------------------------------------------------------------------

    def close_without_asking(self) -> None:
        """End the session (saving its file) and close: Ctrl-C in the terminal."""
        self._confirmed_close = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing ends a running session cleanly (asking first, unless already decided)."""
        if self._closing:
            event.accept()
            return
        asked_already = self.quit_when_finished or self.demo or self._confirmed_close
        if self.runner.running and not asked_already:
            answer = QMessageBox.question(
                self, "End the session?",
                "A session is running. End it and close? The file is saved first.",
            )  # fmt: skip
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self._closing = True
        if self.screenshot_dir is not None and not self.screenshots:
            self.refresh()
            self.take_screenshots()
        self.frame_timer.stop()
        self.clock_timer.stop()
        self.resonance_panel.timer.stop()
        self.close_client_view()
        if self.runner.running:
            self.runner.stop()
            if not self.runner.wait(15.0):
                log.error("the session did not stop within 15 s")
        self.chime.cleanup()
        event.accept()
