"""``session-monitor report``: the report of one session, or a client's progress across sessions.

``report FILE --out report.pdf|report.html``
    One session: header, the session on one page, baseline, time in the window per phase,
    alerts with their reasons, recovery after grounding, SUDS and notes, data quality, methods.
``report --client CODE [--folder DIR] --out progress.pdf|progress.html``
    Every session file of one client in the recordings folder (or ``--folder``), session by
    session: baseline lnRMSSD, time outside the window, recovery times, SUDS.

Without what-if flags each session is judged as recorded: with the window of tolerance it started
with, changed where the therapist changed it live, so the report shows the alerts the therapist
saw. ``--upper-sd``, ``--lower-sd``, ``--edge-sd``, ``--dwell-s`` and ``--widen-sd`` recompute the
window of tolerance with other settings for the whole session (what-if, starting from the
defaults); the session files are never changed. The report is written owner-only (0600); an
existing file is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.commands import CliError
from monitor.commands.progress import progress_bar
from monitor.recording.errors import UnreadableFileError
from monitor.recording.model import check_client_code
from monitor.recording.output_guard import OutputRefusedError, check_output
from monitor.recording.paths import default_recordings_folder

if TYPE_CHECKING:
    from monitor.core.tolerance import ToleranceSettings
    from monitor.report.document import ReportDocument

# monitor.report (and with it matplotlib, ~0.8 s) is imported only when a report is made, so
# the other subcommands start as fast as before.


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="a session report, or a client's progress across sessions, as PDF or HTML",
        description="Write the report of one session file, or with --client the progress of "
        "one client across their session files, as an A4 PDF or a self-contained HTML file "
        "(by the suffix of --out). The window-of-tolerance flags recompute the alerts with "
        "other settings (what-if) without changing any session file.",
    )
    parser.add_argument("file", nargs="?", type=Path, metavar="FILE", help="a session file")
    parser.add_argument(
        "--out", required=True, type=Path, metavar="PATH", help="the report: .pdf or .html"
    )
    parser.add_argument(
        "--client", metavar="CODE", help="progress across all session files of this client"
    )
    parser.add_argument(
        "--folder",
        type=Path,
        metavar="DIR",
        help="where --client looks for session files (default: the recordings folder)",
    )
    parser.add_argument(
        "--baseline-s",
        type=float,
        metavar="S",
        help="baseline = the first S seconds, recalibrated even if the session reused an earlier "
        "baseline (default: the reused baseline the session was judged against live, else the "
        "marked baseline phase, else 300 s)",
    )
    what_if = parser.add_argument_group(
        "what-if", "other window-of-tolerance settings, in baseline SD units of arousal"
    )
    what_if.add_argument(
        "--widen-sd",
        type=float,
        metavar="SD",
        help="widen (or with a negative value narrow) the window on both sides, as the "
        "dashboard does",
    )
    what_if.add_argument(
        "--upper-sd",
        type=float,
        metavar="SD",
        help="hyperarousal bound (default 2.5); the upper edge follows it at the same distance "
        "unless --edge-sd is given",
    )
    what_if.add_argument("--edge-sd", type=float, metavar="SD", help="upper edge (default 1.5)")
    what_if.add_argument(
        "--lower-sd", type=float, metavar="SD", help="hypoarousal bound (default -2.5)"
    )
    what_if.add_argument(
        "--dwell-s",
        type=float,
        metavar="S",
        help="seconds beyond a bound before an alert (default 20)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing report")
    parser.set_defaults(handler=run)


def tolerance_settings(args: argparse.Namespace) -> ToleranceSettings | None:
    """The window-of-tolerance settings the flags ask for, over the defaults; ``None`` without
    flags (each session as recorded).

    Raises
    ------
    CliError
        A value that is not a finite number, or bounds out of order.
    """
    names = ("widen_sd", "upper_sd", "edge_sd", "lower_sd", "dwell_s")
    for name in names:
        value = getattr(args, name, None)
        if value is not None and not math.isfinite(value):
            raise CliError(f"--{name.replace('_', '-')} must be a number, got {value}")
    if all(getattr(args, name, None) is None for name in names):
        return None
    from monitor.core.tolerance import ToleranceSettings  # scipy: only when the command runs

    defaults = ToleranceSettings()
    settings = defaults
    try:
        if args.widen_sd is not None:
            settings = settings.widened(args.widen_sd)
        changes: dict[str, float] = {}
        if args.upper_sd is not None:
            changes["upper_sd"] = args.upper_sd
            edge_gap_sd = settings.upper_sd - settings.edge_sd
            changes["edge_sd"] = max(0.5, args.upper_sd - edge_gap_sd)
        if args.edge_sd is not None:
            changes["edge_sd"] = args.edge_sd
        if args.lower_sd is not None:
            changes["lower_sd"] = args.lower_sd
        if args.dwell_s is not None:
            if args.dwell_s < 0:
                raise CliError(f"--dwell-s must not be negative, got {args.dwell_s}")
            changes["dwell_s"] = args.dwell_s
        return dataclasses.replace(settings, **changes)
    except ValueError as error:
        raise CliError(f"window of tolerance: {error}") from None


def run(args: argparse.Namespace) -> int:
    if args.file is not None and args.client is not None:
        raise CliError("give one session FILE or --client CODE, not both")
    if args.file is None and args.client is None:
        raise CliError("give one session FILE, or --client CODE for progress across sessions")
    if args.folder is not None and args.client is None:
        raise CliError("--folder goes with --client")
    from monitor.report import report_format, write_report

    try:
        report_format(args.out)
    except ValueError as error:
        raise CliError(str(error)) from None
    _check_report_out(args, [args.file] if args.file is not None else [])
    if args.baseline_s is not None and not (math.isfinite(args.baseline_s) and args.baseline_s > 0):
        raise CliError(f"--baseline-s must be a positive number of seconds, got {args.baseline_s}")
    settings = tolerance_settings(args)
    if args.client is not None:
        document = _progress_document(args, settings)
    else:
        document = _session_document(args, settings)
    try:
        write_report(document, args.out, overwrite=args.force)
    except (OutputRefusedError, FileExistsError, IsADirectoryError) as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"{args.out}: cannot write ({error.strerror or error})") from None
    print(args.out)
    return 0


def _check_report_out(args: argparse.Namespace, inputs: list[Path]) -> None:
    """Refuse a report path that is an input, a live session, a link or an existing file."""
    try:
        check_output(args.out, inputs=inputs, overwrite=args.force)
    except OutputRefusedError as error:
        raise CliError(str(error)) from None


def _session_document(
    args: argparse.Namespace, settings: ToleranceSettings | None
) -> ReportDocument:
    from monitor.report import analyse_session, build_session_report

    try:
        original = analyse_session(
            args.file, baseline_s=args.baseline_s, progress=progress_bar("analysis")
        )
    except UnreadableFileError as error:
        raise CliError(str(error)) from None
    analysis = original if settings is None else original.with_settings(settings)
    return build_session_report(analysis, original if analysis is not original else None)


def _progress_document(
    args: argparse.Namespace, settings: ToleranceSettings | None
) -> ReportDocument:
    from monitor.report import analyse_client_sessions, build_progress_report, find_client_sessions

    try:
        code = check_client_code(args.client)
    except ValueError as error:
        raise CliError(str(error)) from None
    folder = args.folder if args.folder is not None else default_recordings_folder()
    try:
        paths, others = find_client_sessions(code, folder)
    except (FileNotFoundError, NotADirectoryError) as error:
        raise CliError(str(error)) from None
    if not paths:
        raise CliError(
            f"no session files of client {code} in {folder} "
            f"({others} session file{'s' if others != 1 else ''} of other clients)"
        )
    _check_report_out(args, list(paths))
    rows, skipped = analyse_client_sessions(
        paths,
        settings=settings,
        baseline_s=args.baseline_s,
        progress=progress_bar(f"{len(paths)} sessions"),
    )
    if not rows:
        # Say why, file by file: a session without beats (a strap that never delivered one) is
        # not an unreadable file.
        reasons = "; ".join(skipped[:3]) + ("; …" if len(skipped) > 3 else "")
        raise CliError(
            f"none of the {len(paths)} session files of client {code} can be analysed: {reasons}"
        )
    return build_progress_report(code, rows, skipped, settings, args.baseline_s)
