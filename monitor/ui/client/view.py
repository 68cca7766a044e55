"""The client's calm-place view: a breathing pacer and a scene that answers the client's own HRV.

A second top-level window the therapist opens on the client's screen (full screen) from the
dashboard. The client never needs to touch it: the therapist sets the mode (calm place,
grounding, paused), the pacer's rate and in:out ratio, the grounding prompt and the optional meter
through the controller methods below, and the dashboard forwards each
:class:`~monitor.session.engine.SessionUpdate` to :meth:`ClientView.feed`.

What the client sees never alarms: no numbers (the optional meter is a plain bar), no red, no
flashing, nothing about the strap. When the signal is lost the
scene simply rests. All timing and all mapping are computed in :mod:`monitor.client.pacer` and
:mod:`monitor.client.calm_scene`; this module holds the state, reads the clock once per frame and
paints (:mod:`monitor.ui.client.paint`).

Frames are drawn from a precise timer at the screen's refresh rate (60 Hz when unknown). Each
paint reads the monotonic clock and asks the pure pacer where the breath is at that instant, so
a late frame shows the right moment rather than falling behind.

Controller API (for the dashboard)
----------------------------------
``open_on(screen, full_screen=True)``, ``set_mode(mode)``, ``set_pacer(rate_per_min,
inhale_fraction)`` / ``set_pacer_rate(rate)`` / ``set_pacer_ratio(inhale, exhale)``,
``set_pacer_visible(on)``, ``set_grounding_prompt(text)``, ``set_meter_visible(on)``,
``set_driver(driver)``, ``feed(update)``; signal ``closed``.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QPainter, QPaintEvent, QScreen
from PySide6.QtWidgets import QWidget

from monitor.client import pacer as pacer_core
from monitor.client.calm_scene import (
    GROUNDING_PROMPTS,
    MODE_FADE_S,
    CalmScene,
    CalmSceneSettings,
    ClientMode,
    Crossfade,
    SceneDriver,
    SceneFrame,
    compose_frame,
    mode_weights,
)
from monitor.client.view_state import ClientViewState, scene_drive_of
from monitor.recording.client_store import ClientStore, ClientStoreError
from monitor.session.engine import SessionUpdate
from monitor.ui.client.paint import ScenePainter

log = logging.getLogger(__name__)

DEFAULT_FRAME_HZ = 60.0
MIN_FRAME_INTERVAL_MS = 8
MAX_FRAME_INTERVAL_MS = 33
PROMPT_FADE_S = 1.2
FRAME_LOG_LENGTH = 4096


class ClientView(QWidget):
    """The client's window (see the module notes for the controller API).

    Parameters
    ----------
    parent : QWidget, optional
        Normally ``None``: the view is its own top-level window.
    clock : callable, optional
        Monotonic seconds; tests inject a fake clock.
    rate_per_min, inhale_fraction : float, optional
        The pacer's starting timing (e.g. the client's stored resonance rate).
    mode : ClientMode
    scene_settings : CalmSceneSettings, optional
    animate : bool
        Run the frame timer (off in tests that step a fake clock and grab frames).
    frame_hz : float, optional
        Frame rate; by default the screen's refresh rate.

    Signals
    -------
    closed()
        The window was closed.
    """

    closed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        rate_per_min: float = pacer_core.DEFAULT_RATE_PER_MIN,
        inhale_fraction: float = pacer_core.DEFAULT_INHALE_FRACTION,
        mode: ClientMode = ClientMode.CALM_PLACE,
        scene_settings: CalmSceneSettings | None = None,
        animate: bool = True,
        frame_hz: float | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("client-view")
        self.setWindowTitle("Calm place")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setMinimumSize(320, 200)
        self.resize(1280, 720)
        self.clock = clock
        now = clock()
        self.pacer = pacer_core.BreathPacer(clock, rate_per_min, inhale_fraction, start_s=now)
        self.scene = CalmScene(scene_settings, start_s=now)
        self.driver = self.scene.settings.driver
        self._mode = ClientMode(mode)
        self._modes = Crossfade.holding(mode_weights(self._mode))
        self._pacer_fade = Crossfade.holding((1.0,))
        self._meter_fade = Crossfade.holding((0.0,))
        self._prompt = GROUNDING_PROMPTS[0]
        self._previous_prompt = ""
        self._prompt_fade = Crossfade.holding((1.0,), PROMPT_FADE_S)
        self.last_frame: SceneFrame | None = None
        self.painter = ScenePainter()
        self.frame_log: deque[tuple[float, float, float]] = deque(maxlen=FRAME_LOG_LENGTH)
        """(clock at the frame, pacer breaths painted, clock when the paint finished)."""
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.update)
        self.set_frame_rate(frame_hz)
        if animate:
            self.timer.start()

    # -- the controller API ---------------------------------------------------------------------

    def open_on(self, screen: QScreen | None = None, full_screen: bool = True) -> None:
        """Show the view on ``screen`` (the primary screen by default), full screen by default.

        The mouse pointer is hidden over the full-screen view: the client has nothing to click.
        """
        screen = screen or QGuiApplication.primaryScreen()
        if screen is not None:
            self.setScreen(screen)
            self.move(screen.geometry().topLeft())
            self.set_frame_rate(None)
        if full_screen:
            if screen is not None:
                self.setGeometry(screen.geometry())
            self.setCursor(Qt.CursorShape.BlankCursor)
            self.showFullScreen()
        else:
            self.unsetCursor()
            self.showNormal()
        self.raise_()

    def set_mode(self, mode: ClientMode | str) -> None:
        """Calm place, grounding or paused; the screen cross-fades over :data:`MODE_FADE_S`."""
        mode = ClientMode(mode)
        if mode is self._mode:
            return
        self._mode = mode
        self._modes = self._modes.retarget(self.clock(), mode_weights(mode))
        self.update()

    @property
    def mode(self) -> ClientMode:
        return self._mode

    def set_pacer(
        self, rate_per_min: float | None = None, inhale_fraction: float | None = None
    ) -> float:
        """New pacer rate (breaths/min, limited to 4.5–7) and/or in-breath share, from the end of
        the breath in progress (no jump; see :mod:`monitor.client.pacer`). Returns the clock time
        at which the change takes effect."""
        rate = None if rate_per_min is None else pacer_core.clamp_rate_per_min(rate_per_min)
        return self.pacer.set_timing(rate, inhale_fraction)

    def set_pacer_rate(self, rate_per_min: float) -> float:
        return self.set_pacer(rate_per_min=rate_per_min)

    def set_pacer_ratio(self, inhale: float, exhale: float) -> float:
        """The in:out ratio, e.g. ``(4, 6)``."""
        return self.set_pacer(inhale_fraction=pacer_core.inhale_fraction_from_ratio(inhale, exhale))

    @property
    def pacer_rate_per_min(self) -> float:
        return self.pacer.rate_per_min

    @property
    def inhale_fraction(self) -> float:
        return self.pacer.inhale_fraction

    def set_pacer_visible(self, visible: bool) -> None:
        """Show or hide the pacer (it fades; its timing runs on either way)."""
        self._pacer_fade = self._pacer_fade.retarget(self.clock(), (1.0 if visible else 0.0,))

    @property
    def pacer_visible(self) -> bool:
        return self._pacer_fade.end[0] > 0.5

    def set_grounding_prompt(self, text: str) -> None:
        """The prompt shown in grounding mode (one of :data:`GROUNDING_PROMPTS` or any short
        text); the old prompt fades into the new one."""
        text = " ".join(str(text).split())
        if text == self._prompt:
            return
        self._previous_prompt = self._prompt
        self._prompt = text
        self._prompt_fade = Crossfade((0.0,), (1.0,), self.clock(), PROMPT_FADE_S)
        self.update()

    @property
    def grounding_prompt(self) -> str:
        return self._prompt

    def set_meter_visible(self, visible: bool) -> None:
        """The optional calm meter (a soft bar without numbers), off by default."""
        self._meter_fade = self._meter_fade.retarget(self.clock(), (1.0 if visible else 0.0,))

    @property
    def meter_visible(self) -> bool:
        return self._meter_fade.end[0] > 0.5

    def set_driver(self, driver: SceneDriver | str) -> None:
        """Which index drives the scene (blend of lnRMSSD-vs-baseline and coherence by
        default)."""
        self.driver = SceneDriver(driver)

    def feed(self, update: SessionUpdate) -> None:
        """Take one session update (from the dashboard, in the GUI thread)."""
        drive = scene_drive_of(update, self.driver)
        if drive is not None:
            self.observe_drive(drive)

    def observe_drive(self, drive: float) -> None:
        """A new value of the scene's driving index (NaN: the scene rests); what :meth:`feed`
        does with an update, and what a view on a second machine does with an HRV sample."""
        self.scene.observe(self.clock(), drive)

    @property
    def state(self) -> ClientViewState:
        """What the therapist has set (mode, pacer, prompt, meter, driver)."""
        return ClientViewState(
            mode=self.mode,
            rate_per_min=self.pacer_rate_per_min,
            inhale_fraction=self.inhale_fraction,
            pacer_visible=self.pacer_visible,
            prompt=self.grounding_prompt,
            meter_visible=self.meter_visible,
            driver=self.driver,
        )

    def apply_state(self, state: ClientViewState) -> None:
        """Take every setting of ``state``; each changes as the controller call would (the
        mode cross-fades, a new pacer timing starts after the breath in progress)."""
        self.set_mode(state.mode)
        if (state.rate_per_min, state.inhale_fraction) != (
            self.pacer_rate_per_min,
            self.inhale_fraction,
        ):
            self.set_pacer(state.rate_per_min, state.inhale_fraction)
        if state.pacer_visible != self.pacer_visible:
            self.set_pacer_visible(state.pacer_visible)
        self.set_grounding_prompt(state.prompt)
        if state.meter_visible != self.meter_visible:
            self.set_meter_visible(state.meter_visible)
        self.set_driver(state.driver)

    @property
    def scene_level(self) -> float:
        return self.scene.level

    @property
    def scene_resting(self) -> bool:
        return self.scene.resting

    def set_frame_rate(self, frame_hz: float | None = None) -> None:
        """Frames per second; by default the refresh rate of the view's screen."""
        if frame_hz is None:
            screen = self.screen()
            refresh = screen.refreshRate() if screen is not None else 0.0
            frame_hz = refresh if refresh and refresh > 1.0 else DEFAULT_FRAME_HZ
        interval = round(1000.0 / frame_hz)
        self.timer.setInterval(min(max(interval, MIN_FRAME_INTERVAL_MS), MAX_FRAME_INTERVAL_MS))

    # -- frames ---------------------------------------------------------------------------------

    def frame_at(self, t_s: float) -> SceneFrame:
        """The frame the view shows at clock time ``t_s`` (computed by the core)."""
        state = self.pacer.state(t_s)
        level = self.scene.advance(t_s)
        return compose_frame(
            t_s,
            level,
            self._modes.at(t_s),
            state.size,
            inhaling=state.inhaling,
            cue_alpha=state.cue_alpha,
            pacer_alpha=self._pacer_fade.at(t_s)[0],
            meter_alpha=self._meter_fade.at(t_s)[0],
        )

    def _prompts(self, t_s: float) -> tuple[tuple[str, float], ...]:
        fade_in = self._prompt_fade.at(t_s)[0]
        return ((self._previous_prompt, 1.0 - fade_in), (self._prompt, fade_in))

    def paintEvent(self, event: QPaintEvent) -> None:
        t_s = self.clock()
        frame = self.frame_at(t_s)
        painter = QPainter(self)
        try:
            self.painter.paint(
                painter, QRectF(self.rect()), frame, self._prompts(t_s), self.devicePixelRatioF()
            )
        finally:
            painter.end()
        self.last_frame = frame
        self.frame_log.append((t_s, self.pacer.timeline.breaths_at(t_s), self.clock()))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.timer.stop()
        super().closeEvent(event)
        self.closed.emit()


def open_client_view(
    screen: QScreen | None = None,
    *,
    full_screen: bool = True,
    client_code: str | None = None,
    store: ClientStore | None = None,
) -> ClientView:
    """Make a :class:`ClientView` and show it on ``screen`` (see :meth:`ClientView.open_on`).

    With ``client_code`` the pacer starts at the client's stored resonance rate and ratio
    (:mod:`monitor.recording.client_store`), else at 6/min, 4:6. A client file that cannot be
    read is logged and the defaults are used: the view must open regardless.
    """
    rate, fraction = pacer_core.DEFAULT_RATE_PER_MIN, pacer_core.DEFAULT_INHALE_FRACTION
    if client_code:
        try:
            profile = (store or ClientStore()).load_or_new(client_code)
            rate, fraction = profile.pacer_rate_per_min, profile.inhale_fraction
        except (OSError, ValueError, ClientStoreError) as error:
            log.warning("client pacer settings not loaded, using the defaults: %s", error)
    view = ClientView(rate_per_min=rate, inhale_fraction=fraction)
    view.open_on(screen, full_screen)
    return view


__all__ = [
    "GROUNDING_PROMPTS",
    "MODE_FADE_S",
    "ClientMode",
    "ClientView",
    "SceneDriver",
    "open_client_view",
]
