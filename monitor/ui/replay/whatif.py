"""The what-if panel: other window-of-tolerance settings, and the whole session's alerts with them.

The therapist changes the upper bound, the upper edge, the lower bound or the dwell (or widens
or narrows the window on both sides); the panel asks for the alerts with those settings
(:attr:`WhatIfPanel.settings_changed`; the replay window has them computed off the GUI thread)
and lists them against the recorded ones: kept, removed, added. Nothing here changes the file.

The recorded settings are those the session started with; they stand for the session as it
ran, with any window the therapist widened or narrowed live at its time. Other values hold for
the whole session. A session with live changes also offers "Keep these settings all session":
checked, even the start settings hold throughout, ignoring the live changes (what the session
would have been had the therapist kept the starting window). What a request means is
decided in one place, :func:`~monitor.session.replay_model.judged_with`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.core.judge import SettingsChange
from monitor.core.tolerance import ToleranceSettings
from monitor.session.replay_model import (
    WhatIfOutcome,
    WhatIfRequest,
    settings_text,
    window_settings,
)
from monitor.ui import theme
from monitor.ui.formatting import clock_text

WIDEN_STEP_SD = 0.5
"""What Wider and Narrower change each bound by (the dashboard's +/− step)."""

CHANGE_COLOURS = {"kept": theme.TEXT, "removed": theme.MUTED_TEXT, "added": theme.STATE_WARN}


def _spin(low: float, high: float, step: float, decimals: int, suffix: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setSuffix(suffix)
    # Typing "3.5" must not ask for "3" first: the value counts when editing is done.
    box.setKeyboardTracking(False)
    return box


class WhatIfPanel(QFrame):
    """Window-of-tolerance settings to try, and the alerts they give.

    Signals
    -------
    settings_changed(WhatIfRequest)
        The therapist set valid settings, or chose whether they hold for the whole session
        (evaluate them: :func:`~monitor.session.replay_model.what_if_outcome`).
    seek_requested(float)
        An alert in the list was activated: go to its start.
    """

    settings_changed = Signal(object)
    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.recorded = ToleranceSettings()
        self.recorded_changes: tuple[SettingsChange, ...] = ()
        self.outcome: WhatIfOutcome | None = None
        self._settings: ToleranceSettings | None = self.recorded
        self._keep_chosen = False
        """The therapist checked "keep these settings all session" (it counts at the start values;
        other values hold for the whole session whatever it says)."""
        self._request: WhatIfRequest | None = WhatIfRequest(self.recorded)
        self._updating = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        title = QLabel("What-if: window of tolerance")
        title.setObjectName("section")
        layout.addWidget(title)
        hint = QLabel(
            "The whole session's alerts with other settings: in the overview's What-if row and "
            "listed below. The views show the session as it ran; the file is not changed."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)

        self.upper = _spin(0.6, 20.0, 0.1, 2, " SD")
        self.edge = _spin(0.5, 19.5, 0.1, 2, " SD")
        # Not ``lower``: that would hide QWidget.lower() (send the widget to the back).
        self.lower_bound = _spin(-20.0, -0.5, 0.1, 2, " SD")
        self.dwell = _spin(1.0, 600.0, 5.0, 0, " s")
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setSpacing(4)
        form.addRow("Upper bound", self.upper)
        form.addRow("Upper edge", self.edge)
        form.addRow("Lower bound", self.lower_bound)
        form.addRow("Dwell", self.dwell)
        layout.addLayout(form)
        for box in (self.upper, self.edge, self.lower_bound, self.dwell):
            box.valueChanged.connect(self._edited)

        steps = QHBoxLayout()
        steps.setSpacing(6)
        self.narrower_button = QPushButton("− Narrower")
        self.narrower_button.clicked.connect(lambda: self.widen(-WIDEN_STEP_SD))
        self.wider_button = QPushButton("+ Wider")
        self.wider_button.clicked.connect(lambda: self.widen(WIDEN_STEP_SD))
        steps.addWidget(self.narrower_button)
        steps.addWidget(self.wider_button)
        layout.addLayout(steps)

        # Only a session with live changes has anything to keep or ignore: set_recorded shows
        # these. They sit in the panel's own layout, not a box of their own, so the wrapped hint
        # gets the height it needs.
        self.whole_session = QCheckBox("Keep these settings all session")
        self.whole_session.toggled.connect(self._whole_session_toggled)
        layout.addWidget(self.whole_session)
        # A check box does not wrap its text: the changes it ignores go in a label that does.
        self.whole_session_hint = QLabel("")
        self.whole_session_hint.setObjectName("hint")
        self.whole_session_hint.setWordWrap(True)
        layout.addWidget(self.whole_session_hint)
        for widget in (self.whole_session, self.whole_session_hint):
            widget.setVisible(False)

        self.reset_button = QPushButton("Back to the recorded settings")
        self.reset_button.clicked.connect(self.reset)
        layout.addWidget(self.reset_button)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setObjectName("hint")
        layout.addWidget(self.message)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        summary_font = QFont(theme.FONT_FAMILY)
        summary_font.setBold(True)
        self.summary.setFont(summary_font)
        layout.addWidget(self.summary)
        self.alert_list = QListWidget()
        self.alert_list.setWordWrap(True)
        self.alert_list.setToolTip("Double-click an alert to go to it")
        self.alert_list.itemActivated.connect(self._activated)
        layout.addWidget(self.alert_list, 1)
        self.zone_times = QLabel("")
        self.zone_times.setObjectName("hint")
        self.zone_times.setWordWrap(True)
        layout.addWidget(self.zone_times)
        self._show_values(self.recorded)

    # -- settings ---------------------------------------------------------------------------------

    def settings(self) -> ToleranceSettings | None:
        """The settings shown, or ``None`` while they are not valid."""
        return self._settings

    def request(self) -> WhatIfRequest | None:
        """What the panel asks for (the settings and whether they hold for the whole session),
        or ``None`` while the settings are not valid."""
        return self._request

    def keeps_whole_session(self) -> bool:
        """The settings shown hold for the whole session, ignoring the live changes."""
        return self._request is not None and self._request.whole_session

    def set_recorded(
        self, settings: ToleranceSettings, changes: tuple[SettingsChange, ...] = ()
    ) -> None:
        """A session was opened: its recorded settings (at its start, with the live
        ``changes``) are the reference and the start."""
        self.recorded = settings
        self.recorded_changes = tuple(changes)
        self.outcome = None
        self.alert_list.clear()
        self.summary.setText("")
        self.zone_times.setText("")
        self.message.setText("Computing the whole session's alerts…")
        self._show_values(settings)
        self._settings = settings
        self._keep_chosen = False
        self._request = WhatIfRequest(settings)
        n = len(self.recorded_changes)
        for widget in (self.whole_session, self.whole_session_hint):
            widget.setVisible(n > 0)
        self.whole_session_hint.setText(
            f"Checked, even the recorded settings ignore the live change{'s' if n != 1 else ''} "
            f"at {self._change_times()}. Unchecked, they replay the session as it ran."
            if n
            else ""
        )
        self._show_whole_session()

    def set_values(self, upper_sd: float, edge_sd: float, lower_sd: float, dwell_s: float) -> None:
        """Set all four values at once (one evaluation, not four)."""
        self._updating = True
        try:
            self.upper.setValue(upper_sd)
            self.edge.setValue(edge_sd)
            self.lower_bound.setValue(lower_sd)
            self.dwell.setValue(dwell_s)
        finally:
            self._updating = False
        self._edited()

    def widen(self, by_sd: float) -> None:
        """Widen (positive) or narrow the window on both sides, as the dashboard's +/− do."""
        current = self._settings or self.recorded
        try:
            wider = current.widened(by_sd)
        except ValueError:
            self.message.setText("The window cannot be narrower.")
            return
        self.set_values(wider.upper_sd, wider.edge_sd, wider.lower_sd, wider.dwell_s)

    def reset(self) -> None:
        """Back to the recorded settings, as the session ran (live changes at their time)."""
        self._keep_chosen = False
        s = self.recorded
        self.set_values(s.upper_sd, s.edge_sd, s.lower_sd, s.dwell_s)

    def set_whole_session(self, keep: bool) -> None:
        """Check or clear "keep these settings all session" (as a click does)."""
        self.whole_session.setChecked(keep)

    def _show_values(self, settings: ToleranceSettings) -> None:
        self._updating = True
        try:
            self.upper.setValue(settings.upper_sd)
            self.edge.setValue(settings.edge_sd)
            self.lower_bound.setValue(settings.lower_sd)
            self.dwell.setValue(settings.dwell_s)
        finally:
            self._updating = False

    def _whole_session_toggled(self, checked: bool) -> None:
        if self._updating:
            return
        self._keep_chosen = checked
        self._edited()

    def _show_whole_session(self) -> None:
        """The check box as the settings stand: the therapist's choice at the start values;
        checked and fixed at any others, which hold for the whole session anyway."""
        at_start = self._settings is None or self._settings == self.recorded
        self._updating = True
        try:
            self.whole_session.setEnabled(at_start)
            self.whole_session.setChecked(self._keep_chosen if at_start else True)
        finally:
            self._updating = False
        self.whole_session.setToolTip(
            "Checked: the start settings hold for the whole session, as if the window had "
            "never been changed live. Unchecked: the session as it ran."
            if at_start
            else "Settings other than the recorded ones always hold for the whole session."
        )

    def _edited(self) -> None:
        if self._updating:
            return
        try:
            settings = window_settings(
                self.recorded, self.upper.value(), self.edge.value(), self.lower_bound.value(),
                self.dwell.value(),
            )  # fmt: skip
        except ValueError as error:
            self._settings = None
            self._request = None
            self.message.setText(f"Not valid: {error}")
            return
        self._settings = settings
        self._show_whole_session()
        # Other values hold for the whole session whatever the check box said; saying so in
        # the request keeps the outcome's own account of itself true.
        request = WhatIfRequest(settings, self._keep_chosen or settings != self.recorded)
        if request == self._request:
            return
        self._request = request
        self.message.setText("Computing…")
        self.settings_changed.emit(request)

    # -- results ----------------------------------------------------------------------------------

    def show_outcome(self, outcome: WhatIfOutcome) -> None:
        """Show the alerts of ``outcome`` (ignored if the request moved on)."""
        if outcome.request != self._request:
            return
        self.outcome = outcome
        is_recorded = outcome.as_recorded
        self.message.setText(self._outcome_text(outcome))
        self.summary.setText(outcome.summary)
        self.alert_list.clear()
        for row in outcome.rows:
            item = QListWidgetItem(row.text)
            item.setToolTip(row.reason)
            item.setData(Qt.ItemDataRole.UserRole, row.start_s)
            item.setForeground(QColor(CHANGE_COLOURS.get(row.change, theme.TEXT)))
            if row.change == "removed":
                font = item.font()
                font.setStrikeOut(True)
                item.setFont(font)
            self.alert_list.addItem(item)
        if not outcome.rows:
            self.alert_list.addItem(QListWidgetItem("No alerts"))
        self.zone_times.setText(self._zone_times_text(outcome, is_recorded))

    def _outcome_text(self, outcome: WhatIfOutcome) -> str:
        """Which the alerts are: the session as recorded (with its live changes), or these
        settings for the whole session (with the live changes ignored)."""
        settings = settings_text(outcome.settings)
        if not self.recorded_changes:
            if outcome.as_recorded:
                return f"Recorded settings: {settings}"
            return f"What-if, for the whole session: {settings}"
        if outcome.as_recorded:
            return f"As recorded: started at {settings}; changed live at {self._change_times()}"
        return f"What-if, for the whole session: {settings} ({self._ignored_text()})"

    def _change_times(self) -> str:
        return ", ".join(clock_text(c.t_s) for c in self.recorded_changes)

    def _ignored_text(self) -> str:
        """``the live change at 7:00 ignored``, or empty without live changes."""
        n = len(self.recorded_changes)
        if n == 0:
            return ""
        return f"the live change{'s' if n != 1 else ''} at {self._change_times()} ignored"

    @staticmethod
    def _zone_times_text(outcome: WhatIfOutcome, is_recorded: bool) -> str:
        parts = []
        for label, now_s, then_s in (
            ("above the window", outcome.time_above_s, outcome.reference_above_s),
            ("below", outcome.time_below_s, outcome.reference_below_s),
        ):
            if now_s is None:
                continue
            text = f"{label} {clock_text(now_s)}"
            if not is_recorded and then_s is not None and then_s != now_s:
                text += f" (as recorded {clock_text(then_s)})"
            parts.append(text)
        return ("Time " + ", ".join(parts)) if parts else ""

    def show_error(self, text: str) -> None:
        """The session cannot be analysed: say why; the controls stay, but do nothing."""
        self.outcome = None
        self.alert_list.clear()
        self.summary.setText("")
        self.message.setText(f"What-if unavailable: {text}")

    def alert_texts(self) -> list[str]:
        """The lines of the alert list (for tests and screenshots)."""
        return [self.alert_list.item(i).text() for i in range(self.alert_list.count())]

    def _activated(self, item: QListWidgetItem) -> None:
        start_s = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(start_s, float):
            self.seek_requested.emit(start_s)
