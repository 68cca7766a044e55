"""Reports: one session on paper, and a client's progress across sessions.

``session-monitor report`` (:mod:`monitor.commands.report`) is the command; the pieces are:

* :func:`analyse_session` → :class:`SessionAnalysis`: one session file analysed as ``analyze``
  does (whole-recording HRV, per-beat timeline, window of tolerance), ready for what-if
  (:meth:`SessionAnalysis.with_settings`, :func:`monitor.core.what_if.what_if`);
* :func:`build_session_report` and :func:`build_progress_report` → a format-free
  :class:`~monitor.report.document.ReportDocument`;
* :func:`write_report` → PDF (A4, matplotlib) or self-contained HTML (inline SVG), owner-only.
"""

from monitor.report.analysis import SessionAnalysis, analyse_session
from monitor.report.document import ReportDocument
from monitor.report.output import report_format, write_report
from monitor.report.progress import (
    ProgressRow,
    analyse_client_sessions,
    build_progress_report,
    find_client_sessions,
)
from monitor.report.session_report import build_session_report

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
    "write_report",
]
