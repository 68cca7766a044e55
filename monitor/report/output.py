"""Writing a report file: PDF or HTML by its suffix, owner-only, never half-written."""

from __future__ import annotations

from pathlib import Path

from monitor.recording.paths import atomic_outputs
from monitor.report.document import ReportDocument
from monitor.report.html import write_html
from monitor.report.pdf import write_pdf

REPORT_FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html"}


def report_format(path: Path) -> str:
    """``"pdf"`` or ``"html"`` from the file's suffix.

    Raises
    ------
    ValueError
        Any other suffix.
    """
    try:
        return REPORT_FORMATS[Path(path).suffix.lower()]
    except KeyError:
        raise ValueError(
            f"{path}: a report is written as .pdf or .html, not {Path(path).suffix or 'no suffix'}"
        ) from None


def write_report(document: ReportDocument, path: Path, *, overwrite: bool = False) -> Path:
    """Write ``document`` to ``path`` as PDF or HTML (by suffix).

    The file is written under a hidden partial name, made owner-only (0600, it holds a client's
    health data) and moved into place only once complete; a missing folder is created
    owner-only.

    Raises
    ------
    ValueError
        ``path`` is neither .pdf nor .html.
    FileExistsError
        ``path`` exists and ``overwrite`` is false.
    IsADirectoryError, OSError
        It cannot be written.
    """
    path = Path(path)
    kind = report_format(path)
    with atomic_outputs([path], overwrite=overwrite) as (partial,):
        if kind == "pdf":
            write_pdf(document, partial)
        else:
            write_html(document, partial)
    return path
