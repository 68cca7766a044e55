"""The therapist's controls for the client's calm-place view, shown in the dashboard.

:class:`ClientControls` holds what the client should see (mode, pacer rate and in:out ratio,
grounding prompt, breathing guide and meter on or off) whether or not the client view is open, and
applies it to the :class:`~monitor.ui.client.view.ClientView` while one is attached, so a view
opened mid-session starts in the right state. The resonance-rate finder paces the client through
these controls too (they have the view's ``set_pacer_rate`` / ``pacer_rate_per_min``), so the
rate box always shows the rate the client is breathing at.

:class:`ProtocolFollower` (no Qt) says which mode the view takes when a phase is marked:

* ``grounding`` → grounding (the pacer up front, with the chosen prompt);
* ``calm place`` → calm place;
* ``imagery`` and ``rescripting`` → paused. During the exposure work the client's eyes are
  usually closed and inside the image; a warm scene answering their HRV would compete with the
  image, so the screen goes quiet. "Resume" after grounding marks the phase grounding interrupted,
  so it returns the view to *that phase's* mode: paused when resuming imagery, calm place when
  resuming the calm place;
* any other phase (baseline, preparation, debrief, the therapist's own) leaves the view as it is,
  except that leaving grounding for one of them restores the mode from before grounding.

The therapist can switch the mode by hand at any time, and untick "Follow the protocol" to stop
the phases from switching it.

Like the dashboard's other controls these never take the keyboard focus, so the single-key
shortcuts (phases, SUDS digits) keep working after a click; a focused rate box would swallow a
SUDS digit.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.client import pacer as pacer_core
from monitor.client.calm_scene import GROUNDING_PROMPTS, ClientMode
from monitor.client.view_state import ClientViewState
from monitor.core.protocol import Phase, is_phase, phase_of
from monitor.ui.client.view import ClientView

PHASE_CLIENT_MODES: dict[Phase, ClientMode] = {
    Phase.GROUNDING: ClientMode.GROUNDING,
    Phase.CALM_PLACE: ClientMode.CALM_PLACE,
    Phase.IMAGERY: ClientMode.PAUSED,
    Phase.RESCRIPTING: ClientMode.PAUSED,
}
"""The client view's mode for each protocol phase that sets one (see the module notes)."""

MODE_LABELS: dict[ClientMode, str] = {
    ClientMode.CALM_PLACE: "Calm place",
    ClientMode.GROUNDING: "Grounding",
    ClientMode.PAUSED: "Paused",
}

RATIO_PRESETS: tuple[tuple[float, float], ...] = ((5.0, 5.0), (4.0, 6.0), (1.0, 2.0), (3.0, 7.0))
"""In:out ratios offered: even, the default 4:6, and two longer out-breaths (all within the
pacer's in-breath share of 0.2–0.6)."""

RATE_STEP_PER_MIN = 0.1
_LOW, _HIGH = pacer_core.THERAPIST_RATE_RANGE_PER_MIN
RATE_TOOLTIP = f"Breaths per minute, {_LOW:g}–{_HIGH:g}; a change starts with the next breath"


class ProtocolFollower:
    """Which mode the client view takes when a phase is marked (see the module notes).

    Remembers the mode from before grounding, so leaving grounding for a phase without a mode of
    its own gives it back.
    """

    def __init__(self) -> None:
        self._before_grounding: ClientMode | None = None

    def mode_after(self, phase: str, current: ClientMode) -> ClientMode:
        """The mode once ``phase`` starts, with the view in ``current`` now."""
        if is_phase(phase, Phase.GROUNDING):
            if current is not ClientMode.GROUNDING:
                self._before_grounding = current
            return ClientMode.GROUNDING
        protocol_phase = phase_of(phase)
        mode = None if protocol_phase is None else PHASE_CLIENT_MODES.get(protocol_phase)
        if mode is None and current is ClientMode.GROUNDING:
            mode = self._before_grounding or ClientMode.CALM_PLACE
        self._before_grounding = None
        return current if mode is None else mode


def opens_full_screen(screen: QScreen, dashboard_screen: QScreen | None, screens: int) -> bool:
    """Full screen only on a screen of its own: with one screen, or on the dashboard's own
    screen, the view opens as a normal window that the therapist can move and size."""
    return screens > 1 and screen is not dashboard_screen


def ratio_text(inhale: float, exhale: float) -> str:
    """``4 : 6`` for a ratio."""
    return f"{inhale:g} : {exhale:g}"


def _button(text: str, *, checkable: bool = False) -> QPushButton:
    button = QPushButton(text)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setCheckable(checkable)
    return button


def _shrinkable(box: QComboBox) -> None:
    # A long prompt or screen name must not widen the dashboard's column; the list shows it all.
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(16)


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("section")
    return label


def _hint(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


class ClientControls(QFrame):
    """What the client sees, set by the therapist (see the module notes).

    Parameters
    ----------
    client_code : str
        The session's client code (named on the "save" button).
    rate_per_min, inhale_fraction : float
        The pacer's starting timing: the client's stored rate and ratio.
    stored : bool
        Whether that rate is stored for the client (or is the default 6/min).
    parent : QWidget, optional

    Signals
    -------
    open_requested(object)
        Open (or move) the client view on this ``QScreen``.
    close_requested()
        Close the client view.
    save_requested(float, float)
        Store this rate and in-breath share as the client's pacer default.
    mode_changed(str)
        The view's mode changed (by a click or by the protocol).
    """

    open_requested = Signal(object)
    close_requested = Signal()
    save_requested = Signal(float, float)
    mode_changed = Signal(str)

    def __init__(
        self,
        client_code: str = "",
        *,
        rate_per_min: float = pacer_core.DEFAULT_RATE_PER_MIN,
        inhale_fraction: float = pacer_core.DEFAULT_INHALE_FRACTION,
        stored: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.client_code = client_code
        self.view: ClientView | None = None
        self._mode = ClientMode.CALM_PLACE
        self._build()
        self.set_pacer_rate(rate_per_min)
        self._select_ratio(inhale_fraction)
        self.show_stored_rate(rate_per_min if stored else None)
        self.set_view_state(None)

    # -- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)

        layout.addWidget(_section("Screen"))
        self.screen_box = QComboBox()
        self.screen_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.screen_box.setToolTip("The screen the client looks at (full screen there)")
        _shrinkable(self.screen_box)
        layout.addWidget(self.screen_box)
        row = QHBoxLayout()
        self.open_button = _button("Open client view")
        self.open_button.clicked.connect(self._open_clicked)
        self.close_button = _button("Close")
        self.close_button.clicked.connect(self.close_requested)
        row.addWidget(self.open_button, 1)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        self.state_label = _hint()
        layout.addWidget(self.state_label)

        layout.addWidget(_section("The client sees"))
        # One per line like the phase buttons: a checked (bold) label fits, and reads at a glance.
        modes = QVBoxLayout()
        modes.setSpacing(4)
        self.mode_group = QButtonGroup(self)
        self.mode_group.setExclusive(True)
        self.mode_buttons: dict[ClientMode, QPushButton] = {}
        for mode, text in MODE_LABELS.items():
            button = _button(text, checkable=True)
            button.setStyleSheet("text-align: left; padding-left: 10px;")
            button.clicked.connect(lambda _=False, m=mode: self.set_mode(m))
            self.mode_group.addButton(button)
            modes.addWidget(button)
            self.mode_buttons[mode] = button
        layout.addLayout(modes)
        self.follow_box = QCheckBox("Follow the protocol")
        self.follow_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.follow_box.setChecked(True)
        self.follow_box.setToolTip(
            "Grounding started → grounding; calm place → calm place; imagery and rescripting → "
            "paused; Resume → the mode of the phase resumed"
        )
        layout.addWidget(self.follow_box)

        layout.addWidget(_section("Breathing guide"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        self.rate_box = QDoubleSpinBox()
        # No focus: typed digits must stay SUDS ratings; the arrows and the wheel still work.
        self.rate_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.rate_box.setKeyboardTracking(False)
        self.rate_box.setRange(_LOW, _HIGH)
        self.rate_box.setSingleStep(RATE_STEP_PER_MIN)
        self.rate_box.setDecimals(1)
        self.rate_box.setSuffix(" /min")
        self.rate_box.setToolTip(RATE_TOOLTIP)
        self.rate_box.valueChanged.connect(self._rate_edited)
        grid.addWidget(QLabel("Rate"), 0, 0)
        grid.addWidget(self.rate_box, 0, 1)
        self.ratio_box = QComboBox()
        self.ratio_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for inhale, exhale in RATIO_PRESETS:
            self.ratio_box.addItem(ratio_text(inhale, exhale), (inhale, exhale))
        self.ratio_box.setToolTip("In-breath : out-breath")
        self.ratio_box.currentIndexChanged.connect(self._ratio_edited)
        grid.addWidget(QLabel("In : out"), 1, 0)
        grid.addWidget(self.ratio_box, 1, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.stored_label = _hint()
        layout.addWidget(self.stored_label)
        self.breathing_label = _hint()
        self.breathing_label.setObjectName("breathing-follow")
        self.breathing_label.setToolTip(
            "The client's breathing measured by the strap's accelerometer, against the guide"
        )
        self.breathing_label.hide()
        layout.addWidget(self.breathing_label)
        self.save_button = _button("Save as this client's rate")
        self.save_button.clicked.connect(
            lambda: self.save_requested.emit(self.pacer_rate_per_min, self.inhale_fraction)
        )
        layout.addWidget(self.save_button)
        toggles = QHBoxLayout()
        self.pacer_box = QCheckBox("Guide shown")
        self.pacer_box.setChecked(True)
        self.meter_box = QCheckBox("Calm meter")
        self.meter_box.setToolTip("A soft bar without numbers on the client's screen")
        for box in (self.pacer_box, self.meter_box):
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            toggles.addWidget(box)
        self.pacer_box.toggled.connect(self._pacer_toggled)
        self.meter_box.toggled.connect(self._meter_toggled)
        layout.addLayout(toggles)

        layout.addWidget(_section("Grounding prompt"))
        self.prompt_box = QComboBox()
        self.prompt_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.prompt_box.addItems(list(GROUNDING_PROMPTS))
        _shrinkable(self.prompt_box)
        self.prompt_box.setToolTip("Shown under the pacer in grounding mode")
        self.prompt_box.currentTextChanged.connect(self._prompt_chosen)
        layout.addWidget(self.prompt_box)
        layout.addStretch(1)
        self._show_mode()

    def show_breathing(self, text: str | None) -> None:
        """The client's measured breathing against the guide (hidden with ``None``)."""
        if text is None:
            self.breathing_label.setVisible(False)
            return
        if self.breathing_label.text() != text:
            self.breathing_label.setText(text)
        self.breathing_label.setVisible(True)

    # -- the view -------------------------------------------------------------------------------

    def attach(self, view: ClientView) -> None:
        """Control ``view`` from now on, starting it in the current state."""
        self.view = view
        view.set_mode(self._mode)
        view.set_pacer(self.pacer_rate_per_min, self.inhale_fraction)
        view.set_grounding_prompt(self.grounding_prompt)
        view.set_pacer_visible(self.pacer_box.isChecked())
        view.set_meter_visible(self.meter_box.isChecked())

    @property
    def state(self) -> ClientViewState:
        """What the client's view shows (or will show when it opens), for a second machine."""
        driver = self.view.driver if self.view is not None else ClientViewState().driver
        return ClientViewState(
            mode=self._mode,
            rate_per_min=self.pacer_rate_per_min,
            inhale_fraction=self.inhale_fraction,
            pacer_visible=self.pacer_box.isChecked(),
            prompt=self.grounding_prompt,
            meter_visible=self.meter_box.isChecked(),
            driver=driver,
        )

    def detach(self) -> None:
        """The view is gone: keep the state for the next one."""
        self.view = None

    def set_screens(
        self,
        screens: Sequence[QScreen],
        dashboard_screen: QScreen | None,
        preferred_name: str = "",
    ) -> None:
        """List the screens to open the view on; preselect the one named ``preferred_name``
        (the last one used), else the first that is not the dashboard's."""
        chosen = self.chosen_screen()
        chosen_name = chosen.name() if chosen is not None else preferred_name
        self.screen_box.blockSignals(True)
        self.screen_box.clear()
        for screen in screens:
            size = screen.geometry().size()
            text = f"{screen.name() or 'screen'} · {size.width()}×{size.height()}"
            if screen is dashboard_screen:
                text += " (this dashboard)"
            self.screen_box.addItem(text, screen)
        index = next((i for i, s in enumerate(screens) if s.name() == chosen_name), -1)
        if index < 0:
            index = next((i for i, s in enumerate(screens) if s is not dashboard_screen), 0)
        self.screen_box.setCurrentIndex(index)
        self.screen_box.blockSignals(False)
        self.screen_box.setEnabled(len(screens) > 1)

    def chosen_screen(self) -> QScreen | None:
        """The screen picked in the list (``None`` when there is none)."""
        screen = self.screen_box.currentData()
        return screen if isinstance(screen, QScreen) else None

    def _open_clicked(self) -> None:
        self.open_requested.emit(self.chosen_screen())

    def set_view_state(self, text: str | None) -> None:
        """Say where the view is open (``None``: closed)."""
        self.state_label.setText(text or "The client view is closed.")
        if text is None:
            label = "Open client view"
        else:
            label = "Move it to this screen" if self.screen_box.count() > 1 else "Bring to front"
        self.open_button.setText(label)
        self.close_button.setEnabled(text is not None)

    # -- mode -----------------------------------------------------------------------------------

    @property
    def mode(self) -> ClientMode:
        """The mode the client sees (or will see when the view opens)."""
        return self._mode

    @property
    def follows_protocol(self) -> bool:
        """Marked phases set the mode ("Follow the protocol" ticked)."""
        return self.follow_box.isChecked()

    def set_mode(self, mode: ClientMode | str) -> None:
        """Calm place, grounding or paused (the view cross-fades)."""
        mode = ClientMode(mode)
        changed = mode is not self._mode
        self._mode = mode
        self._show_mode()
        if self.view is not None:
            self.view.set_mode(mode)
        if changed:
            self.mode_changed.emit(str(mode))

    def _show_mode(self) -> None:
        for mode, button in self.mode_buttons.items():
            if button.isChecked() != (mode is self._mode):
                button.setChecked(mode is self._mode)

    # -- pacer ----------------------------------------------------------------------------------

    @property
    def pacer_rate_per_min(self) -> float:
        """The pacer's rate, breaths per minute."""
        return float(self.rate_box.value())

    @property
    def inhale_fraction(self) -> float:
        """The in-breath's share of each breath, from the chosen in:out ratio."""
        inhale, exhale = self.ratio_box.currentData()
        return pacer_core.inhale_fraction_from_ratio(inhale, exhale)

    def set_pacer_rate(self, rate_per_min: float) -> None:
        """A new pacer rate (limited to 4.5–7/min); also the finder's way to pace the client."""
        rate = pacer_core.clamp_rate_per_min(rate_per_min)
        self.rate_box.blockSignals(True)
        self.rate_box.setValue(rate)
        self.rate_box.blockSignals(False)
        self._rate_edited(self.rate_box.value())

    def _rate_edited(self, rate_per_min: float) -> None:
        if self.view is not None:
            self.view.set_pacer_rate(rate_per_min)

    def set_pacer_ratio(self, inhale: float, exhale: float) -> None:
        """The in:out ratio, e.g. ``(4, 6)``."""
        self._select_ratio(pacer_core.inhale_fraction_from_ratio(inhale, exhale))

    def _select_ratio(self, inhale_fraction: float) -> None:
        for index in range(self.ratio_box.count()):
            inhale, exhale = self.ratio_box.itemData(index)
            if abs(pacer_core.inhale_fraction_from_ratio(inhale, exhale) - inhale_fraction) < 1e-6:
                break
        else:
            # A stored ratio outside the presets (set by hand in the client file) stays offered.
            inhale, exhale = round(10 * inhale_fraction, 2), round(10 * (1 - inhale_fraction), 2)
            self.ratio_box.addItem(ratio_text(inhale, exhale), (inhale, exhale))
            index = self.ratio_box.count() - 1
        if index == self.ratio_box.currentIndex():
            self._ratio_edited(index)
        else:
            self.ratio_box.setCurrentIndex(index)

    def _ratio_edited(self, index: int) -> None:
        if self.view is not None and index >= 0:
            inhale, exhale = self.ratio_box.itemData(index)
            self.view.set_pacer_ratio(inhale, exhale)

    def set_finder_running(self, running: bool) -> None:
        """While the finder paces the client, the rate is its to set."""
        if self.rate_box.isEnabled() == running:
            self.rate_box.setEnabled(not running)
            self.save_button.setEnabled(not running and bool(self.client_code))
            self.rate_box.setToolTip(
                "The resonance finder is pacing the client" if running else RATE_TOOLTIP
            )

    def show_stored_rate(self, rate_per_min: float | None) -> None:
        """Say which rate is stored for the client (``None``: none, the pacer starts at 6)."""
        code = self.client_code or "this client"
        if rate_per_min is None:
            text = (
                f"No rate stored for {code}: the pacer starts at "
                f"{pacer_core.DEFAULT_RATE_PER_MIN:g} /min."
            )
        else:
            text = f"{code}'s stored rate: {rate_per_min:g} /min."
        self.stored_label.setText(text)
        self.save_button.setText(f"Save as {code}'s rate")
        self.save_button.setEnabled(bool(self.client_code) and self.rate_box.isEnabled())

    def _pacer_toggled(self, visible: bool) -> None:
        if self.view is not None:
            self.view.set_pacer_visible(visible)

    # -- prompt and meter -----------------------------------------------------------------------

    @property
    def grounding_prompt(self) -> str:
        """The prompt shown in grounding mode."""
        return self.prompt_box.currentText()

    def set_grounding_prompt(self, text: str) -> None:
        """Choose a prompt (one of :data:`GROUNDING_PROMPTS`, or any short text)."""
        index = self.prompt_box.findText(text)
        if index < 0:
            self.prompt_box.addItem(text)
            index = self.prompt_box.count() - 1
        self.prompt_box.setCurrentIndex(index)

    def _prompt_chosen(self, text: str) -> None:
        if self.view is not None and text:
            self.view.set_grounding_prompt(text)

    def set_meter_visible(self, visible: bool) -> None:
        """The calm meter on the client's screen on or off."""
        self.meter_box.setChecked(visible)

    def _meter_toggled(self, visible: bool) -> None:
        if self.view is not None:
            self.view.set_meter_visible(visible)
