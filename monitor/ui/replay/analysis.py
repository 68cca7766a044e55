"""The replay window's what-if and report, computed off the GUI thread.

The analysis of a session (:func:`monitor.report.analysis.analyse_session`: whole-recording HRV
and the per-beat timeline, ~1.5 s for 20 minutes) runs once per opened file on a single worker
thread; each what-if then only re-runs the window of tolerance over it (~40 ms), and a report
is written from it with the what-if settings. Jobs run one after another on that thread, so the
analysis is only ever touched there; results come back as queued Qt signals.

The timeline is computed in this process (``timeline_workers=1``): forking worker processes
from a GUI process with running threads is unsafe.

Nothing here writes to the session file. A what-if request made while another is computed
replaces it: only the latest settings are evaluated, and results of an earlier file are dropped.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, SignalInstance

from monitor.core.tolerance import ToleranceSettings
from monitor.recording.errors import UnreadableFileError
from monitor.session.replay_model import (
    SessionOverview,
    WhatIfOutcome,
    WhatIfRequest,
    judged_with,
    reference_alerts,
    what_if_outcome,
)

if TYPE_CHECKING:
    from monitor.report.analysis import SessionAnalysis

log = logging.getLogger(__name__)


class SessionAnalyst(QObject):
    """What-if and reports for the open session, on one worker thread.

    Signals
    -------
    outcome(WhatIfOutcome)
        The alerts with the latest requested settings (first with the recorded ones).
    failed(str)
        The session cannot be analysed (one line); what-if and reports are unavailable.
    report_written(object, str)
        A report was written: its path and ``""``, or the path and a one-line error.
    co_regulation(object)
        A co-regulation session was analysed: its synchrony per span (dict of str to
        :class:`~monitor.core.co_regulation.SpanSynchrony`: whole session, phases, around
        grounding).
    """

    outcome = Signal(object)
    failed = Signal(str)
    report_written = Signal(object, str)
    co_regulation = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-analysis")
        self._lock = threading.Lock()
        self._generation = 0
        self._wanted: ToleranceSettings | WhatIfRequest | None = None
        self._closed = False
        # Worker-only state.
        self._analysis: SessionAnalysis | None = None
        self._analysed_generation = -1
        self._reference: tuple[str, list] = ("recorded", [])
        self._evaluated: ToleranceSettings | WhatIfRequest | None = None
        self.error = ""

    @property
    def ready(self) -> bool:
        """The open session is analysed (what-if results and reports can follow)."""
        return self._analysed_generation == self._generation and not self._closed

    def load(self, overview: SessionOverview) -> Future | None:
        """Analyse a newly opened session as recorded, then evaluate that (its settings at the
        start stand for it, live changes included)."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._wanted = overview.tolerance
        self.error = ""
        return self._submit(self._analyse, generation, overview)

    def request(self, settings: ToleranceSettings | WhatIfRequest) -> Future | None:
        """Evaluate the whole session with ``settings`` (the latest request wins; see
        :func:`~monitor.session.replay_model.judged_with` for what they mean)."""
        with self._lock:
            self._wanted = settings
            generation = self._generation
        return self._submit(self._evaluate, generation)

    def write_report(
        self, path: Path, settings: ToleranceSettings | WhatIfRequest
    ) -> Future | None:
        """Write the session report (PDF or HTML by suffix) with ``settings``."""
        with self._lock:
            generation = self._generation
        return self._submit(self._report, generation, Path(path), settings)

    def shutdown(self) -> None:
        """Stop taking jobs; a running one finishes without reporting back."""
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- worker ---------------------------------------------------------------------------------

    def _submit(self, job: Callable[..., None], *args: object) -> Future | None:
        if self._closed:
            return None
        return self._executor.submit(self._guarded, job, *args)

    def _guarded(self, job: Callable[..., None], *args: object) -> None:
        try:
            job(*args)
        except Exception:  # a bug must not kill the worker silently
            log.exception("replay analysis job failed")

    def _current(self, generation: int) -> bool:
        with self._lock:
            return generation == self._generation and not self._closed

    def _emit(self, signal: SignalInstance, *args: object) -> None:
        with contextlib.suppress(RuntimeError):  # the window was deleted meanwhile
            signal.emit(*args)

    def _analyse(self, generation: int, overview: SessionOverview) -> None:
        if not self._current(generation):
            return
        from monitor.report.analysis import analyse_session

        try:
            analysis = analyse_session(overview.path, timeline_workers=1)
        except (UnreadableFileError, ValueError, OSError) as error:
            if self._current(generation):
                self.error = str(error)
                self._emit(self.failed, self.error)
            return
        if not self._current(generation):
            return
        self._analysis = analysis
        self._reference = reference_alerts(overview, analysis)
        self._evaluated = None
        self._analysed_generation = generation
        if analysis.co_regulation is not None:
            self._emit(self.co_regulation, dict(analysis.co_regulation.synchrony))
        self._evaluate(generation)

    def _evaluate(self, generation: int) -> None:
        analysis = self._analysis
        with self._lock:
            settings = self._wanted
        if self._analysed_generation != generation or analysis is None or settings is None:
            return
        if not self._current(generation):
            return
        if settings == self._evaluated:
            return
        label, reference = self._reference
        outcome: WhatIfOutcome = what_if_outcome(analysis, settings, reference, label)
        self._evaluated = settings
        if self._current(generation):
            self._emit(self.outcome, outcome)

    def _report(
        self, generation: int, path: Path, settings: ToleranceSettings | WhatIfRequest
    ) -> None:
        analysis = self._analysis
        if self._analysed_generation != generation or analysis is None:
            self._emit(self.report_written, path, self.error or "the session is not analysed yet")
            return
        from monitor.report import build_session_report, write_report

        what_if = judged_with(analysis, settings)
        document = build_session_report(what_if, analysis if what_if is not analysis else None)
        try:
            write_report(document, path, overwrite=True)
        except (ValueError, OSError) as error:
            message = str(error) if isinstance(error, ValueError) else error.strerror or str(error)
            self._emit(self.report_written, path, message)
            return
        self._emit(self.report_written, path, "")
