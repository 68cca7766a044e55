"""The therapist's resonance-rate finder panel, for the dashboard to embed.

Start runs the protocol (:class:`~monitor.session.resonance_finder.ResonanceFinder`): at each
step the panel asks for the pacer's new rate (signal ``pacer_rate_requested``, which
:meth:`ResonancePanel.attach_client_view` connects to the client view), shows where the run is,
fills a row of the table as each rate is measured, and at the end shows the chosen rate with the
reason. "Use for this client" stores it with the client code (:mod:`monitor.recording.client_store`)
so the pacer starts there next time. Numbers are for the therapist; the client's view never shows
them.

The panel only renders and forwards: the protocol, the measurements and the choice are computed
in :mod:`monitor.core.resonance`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor.core.resonance import RateMetrics, ResonanceProtocol, ResonanceResult
from monitor.core.tolerance import Zone
from monitor.recording.client_store import ClientStore, ClientStoreError
from monitor.session.engine import SessionUpdate
from monitor.session.resonance_finder import (
    FinderEvent,
    FinderFinished,
    ResonanceFinder,
    StepFinished,
    StepStarted,
)
from monitor.ui import theme
from monitor.ui.formatting import clock_text

COLUMNS = ("rate\n/min", "LF peak\nms²", "HR swing\nbpm", "coher-\nence", "score")
TICK_MS = 500
"""How often the panel advances the run by the clock when no beats arrive (a lost strap)."""


class PacedView(Protocol):
    """What the finder paces: the client view, or the controls that drive it."""

    def set_pacer_rate(self, rate_per_min: float) -> object: ...


def _button(text: str) -> QPushButton:
    button = QPushButton(text)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return button


def _minutes(seconds: float) -> str:
    return clock_text(max(seconds, 0.0))


def _number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else "—"


class ResonancePanel(QFrame):
    """The finder's controls and results.

    Parameters
    ----------
    parent : QWidget, optional
    protocol : ResonanceProtocol, optional
    store : ClientStore, optional
        Where "Use for this client" saves (the per-user clients folder by default).
    client_code : str
        The session's pseudonymous client code.
    clock : callable, optional
        Session time now (e.g. ``SessionRunner.now_s``), or ``None`` while no session runs;
        with it the run advances even when no beats arrive.

    Signals
    -------
    pacer_rate_requested(float)
        The pacer should show this rate now (each step, and the chosen rate at the end).
    finished(object)
        The run ended with this :class:`ResonanceResult`.
    rate_adopted(str, float)
        The rate was stored for this client code.
    """

    pacer_rate_requested = Signal(float)
    finished = Signal(object)
    rate_adopted = Signal(str, float)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        protocol: ResonanceProtocol | None = None,
        store: ClientStore | None = None,
        client_code: str = "",
        clock: Callable[[], float | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.finder = ResonanceFinder(protocol)
        self.store = store if store is not None else ClientStore()
        self.client_code = client_code
        self.clock = clock
        self._rate_before: float | None = None
        self._client_view: PacedView | None = None
        self._build()
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._show_idle()

    # -- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        protocol = self.finder.protocol
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        title = QLabel("Resonance-rate finder")
        title.setObjectName("section")
        layout.addWidget(title)
        rates = ", ".join(f"{r:g}" for r in protocol.rates_per_min)
        self.summary = QLabel(
            f"Paces {rates} breaths/min, {protocol.step_s / 60:g} min each "
            f"({_minutes(protocol.duration_s)} in all), and finds the rate with the largest, "
            "cleanest heart-rate oscillation (Lehrer et al. 2000)."
        )
        self.summary.setObjectName("hint")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        buttons = QHBoxLayout()
        self.start_button = _button("Start finder")
        self.start_button.clicked.connect(lambda: self.start())
        self.stop_button = _button("Stop")
        self.stop_button.clicked.connect(self.stop)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        layout.addLayout(buttons)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(8)
        layout.addWidget(self.progress_bar)
        self.step_label = QLabel("")
        self.step_label.setWordWrap(True)
        layout.addWidget(self.step_label)
        self.table = QTableWidget(len(protocol.rates_per_min), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip(
            "Per rate: LF peak power, heart-rate swing per breath (breath-locked average), "
            "coherence ratio; score = weighted geometric mean relative to the best rate "
            "(weights 2 : 1 : 0.5). The choice comes from a curve fitted through all rates."
        )
        header_px = self.table.horizontalHeader().sizeHint().height()
        rows_px = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setFixedHeight(header_px + rows_px + 2 * self.table.frameWidth() + 2)
        layout.addWidget(self.table)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        layout.addWidget(self.result_label)
        self.saved_label = QLabel("")
        self.saved_label.setObjectName("hint")
        self.saved_label.setWordWrap(True)
        layout.addWidget(self.saved_label)
        self.adopt_button = _button("Use for this client")
        self.adopt_button.clicked.connect(self.adopt)
        layout.addWidget(self.adopt_button)
        layout.addStretch(1)

    # -- wiring ---------------------------------------------------------------------------------

    def attach_client_view(self, view: PacedView) -> None:
        """Let the finder pace the client view (its ``set_pacer_rate``)."""
        self._client_view = view
        self.pacer_rate_requested.connect(view.set_pacer_rate)

    def set_client_code(self, client_code: str) -> None:
        self.client_code = client_code
        self._update_adopt_button()

    # -- the run --------------------------------------------------------------------------------

    def _now(self) -> float | None:
        return self.clock() if self.clock is not None else None

    def start(self, now_s: float | None = None) -> bool:
        """Start a run at session time ``now_s`` (the clock's "now" by default); False when
        there is no session time to start from."""
        now_s = self._now() if now_s is None else now_s
        if now_s is None:
            self.step_label.setText("Start a session first: the finder needs the strap's beats.")
            return False
        view = self._client_view
        self._rate_before = getattr(view, "pacer_rate_per_min", None) if view else None
        self.table.clearContents()
        self.result_label.setText("")
        self.saved_label.setText("")
        self._handle(self.finder.start(now_s))
        if self.clock is not None:
            self.timer.start()
        self._show_progress()
        return True

    def stop(self) -> None:
        """Abandon the run; the pacer goes back to the rate it had before."""
        if not self.finder.running:
            return
        self.finder.stop()
        self.timer.stop()
        if self._rate_before is not None:
            self.pacer_rate_requested.emit(self._rate_before)
        self.step_label.setText("Stopped: no rate chosen.")
        self._show_idle()

    def feed(self, update: SessionUpdate) -> None:
        """Take one session update (forward every update while a run may be going)."""
        if self.finder.running:
            self._handle(self.finder.feed(update))
            self._show_progress()

    def _tick(self) -> None:
        now_s = self._now()
        if now_s is not None and self.finder.running:
            self._handle(self.finder.advance(now_s))
            self._show_progress()
        if not self.finder.running:
            self.timer.stop()

    def _handle(self, events: list[FinderEvent]) -> None:
        for event in events:
            if isinstance(event, StepStarted):
                self.pacer_rate_requested.emit(event.step.rate_per_min)
            elif isinstance(event, StepFinished):
                self._fill_row(event.step.index, event.metrics)
            elif isinstance(event, FinderFinished):
                self._show_result(event.result)

    # -- showing --------------------------------------------------------------------------------

    def _show_idle(self) -> None:
        self.start_button.setEnabled(not self.finder.running)
        self.stop_button.setEnabled(self.finder.running)
        self._update_adopt_button()

    def _show_progress(self) -> None:
        progress = self.finder.progress()
        self.progress_bar.setValue(round(1000 * progress.fraction))
        if progress.running and progress.step is not None:
            count = len(self.finder.protocol.rates_per_min)
            text = (
                f"Pacing {progress.step.rate_per_min:g} breaths/min · step "
                f"{progress.step.index + 1} of {count} · {_minutes(progress.step_left_s)} left"
            )
            if progress.settling:
                text += " (settling in)"
            self.step_label.setText(text)
        self._show_idle()

    def _fill_row(self, row: int, metrics: RateMetrics) -> None:
        cells = (
            f"{metrics.rate_per_min:.1f}",
            _number(metrics.lf_peak_power_ms2, 0),
            _number(metrics.peak_to_trough_bpm, 1),
            _number(metrics.coherence, 1),
            metrics.problem or "",
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            if metrics.problem:
                item.setToolTip(metrics.problem)
            self.table.setItem(row, column, item)

    def _show_result(self, result: ResonanceResult) -> None:
        self.timer.stop()
        for score in result.scores:
            row = self.finder.protocol.rates_per_min.index(score.metrics.rate_per_min)
            item = QTableWidgetItem(f"{100 * math.exp(score.score):.0f} %")
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            item.setToolTip("weighted geometric mean of the criteria, relative to the best rate")
            self.table.setItem(row, len(COLUMNS) - 1, item)
            if score.metrics.rate_per_min == result.best_rate_per_min:
                self._mark_chosen(row)
        if result.best_rate_per_min is None:
            self.result_label.setText(f"No rate chosen: {result.reason}.")
            if self._rate_before is not None:
                self.pacer_rate_requested.emit(self._rate_before)
        else:
            fitted = (
                f" The curve through all rates peaks near {result.fitted_peak_per_min:.1f}/min."
                if result.fitted_peak_per_min is not None
                else ""
            )
            self.result_label.setText(
                f"<b>Resonance rate: {result.best_rate_per_min:g} breaths/min.</b> "
                f"{result.reason[0].upper()}{result.reason[1:]}.{fitted}"
            )
            self.pacer_rate_requested.emit(result.best_rate_per_min)
        self.step_label.setText("Finished.")
        self.finished.emit(result)
        self._show_idle()

    def _mark_chosen(self, row: int) -> None:
        for column in range(self.table.columnCount()):
            item = self.table.item(row, column)
            if item is None:
                continue
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            item.setBackground(QColor(theme.ZONE_COLOURS[Zone.INSIDE]).lighter(135))

    def _update_adopt_button(self) -> None:
        result = self.finder.result
        usable = result is not None and result.best_rate_per_min is not None
        self.adopt_button.setEnabled(bool(usable and self.client_code))
        code = self.client_code or "this client"
        self.adopt_button.setText(f"Use for {code}")

    @property
    def result(self) -> ResonanceResult | None:
        return self.finder.result

    def adopt(self) -> bool:
        """Store the chosen rate for the client (the pacer's default from now on)."""
        result = self.finder.result
        if result is None or result.best_rate_per_min is None or not self.client_code:
            return False
        try:
            profile = self.store.record_finder_result(self.client_code, result, adopt=True)
        except (OSError, ValueError, ClientStoreError) as error:
            self.saved_label.setText(f"Could not save the rate: {error}")
            return False
        rate = profile.pacer_rate_per_min
        self.saved_label.setText(
            f"Saved: {self.client_code} will start at {rate:g} breaths/min from now on."
        )
        self.rate_adopted.emit(self.client_code, rate)
        return True
