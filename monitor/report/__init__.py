"""Reports: one session on paper, and a client's progress across sessions.

``session-monitor report`` (:mod:`monitor.commands.report`) is the command; the pieces are:

* :func:`analyse_session` → :class:`SessionAnalysis`: one session file analysed as ``analyze``
  does (whole-recording HRV, per-beat timeline, window of tolerance), ready for what-if
  (:meth:`SessionAnalysis.with_settings`, :func:`monitor.core.what_if.what_if`);
* :func:`build_session_report` and :func:`build_progress_report` → a format-free
  :class:`~monitor.report.document.ReportDocument`;
* :func:`write_report` → PDF (A4, matplotlib) or self-contained HTML (inline SVG), owner-only.

The names are loaded on first use, so ``from monitor.report.analysis import SessionAnalysis``
(what ``analyze`` or the replay window need) does not import matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "SessionAnalysis": "monitor.report.analysis",
    "analyse_session": "monitor.report.analysis",
    "tolerance_inputs_for": "monitor.report.analysis",
    "ReportDocument": "monitor.report.document",
    "report_format": "monitor.report.output",
    "write_report": "monitor.report.output",
    "ProgressRow": "monitor.report.progress",
    "analyse_client_sessions": "monitor.report.progress",
    "build_progress_report": "monitor.report.progress",
    "find_client_sessions": "monitor.report.progress",
    "build_session_report": "monitor.report.session_report",
}

__all__ = [
    "ProgressRow",
    "ReportDocument",
    "SessionAnalysis",
    "analyse_client_sessions",
    "analyse_session",
    "build_progress_report",
    "build_session_report",
    "find_client_sessions",
    "report_format",
    "tolerance_inputs_for",
    "write_report",
]

if TYPE_CHECKING:
    from monitor.report.analysis import SessionAnalysis, analyse_session, tolerance_inputs_for
    from monitor.report.document import ReportDocument
    from monitor.report.output import report_format, write_report
    from monitor.report.progress import (
        ProgressRow,
        analyse_client_sessions,
        build_progress_report,
        find_client_sessions,
    )
    from monitor.report.session_report import build_session_report


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'monitor.report' has no attribute {name!r}") from None
    return getattr(importlib.import_module(module), name)
