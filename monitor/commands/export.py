"""``session-monitor export FILE --format kubios|csv|edf|bids [--out PATH]``: export a session file.

Without ``--out`` the export goes beside FILE, named after it with the format's suffix
(:data:`DEFAULT_SUFFIXES`); BIDS needs ``--out`` (a dataset folder).

Formats: ``kubios`` (RR text Kubios HRV reads), ``csv`` (``PATH`` for the beats and
``PATH`` with ``.events`` before the suffix for the events), ``edf`` (EDF+ with beat and
event annotations) and ``bids`` (``PATH`` is a BIDS dataset folder: physio and events files,
:mod:`monitor.recording.export_bids`). Existing output files are only replaced with
``--force``; a failed export leaves no partial file behind.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from monitor.commands import CliError

FORMATS = ("bids", "csv", "edf", "kubios")

DEFAULT_SUFFIXES = {"csv": ".csv", "edf": ".edf", "kubios": ".txt"}
"""The suffix of the default output (FILE with this suffix instead of its own)."""


def exporter(name: str) -> Callable[..., object]:
    """The export function of a format (imported when needed: pyedflib is not light)."""
    if name == "kubios":
        from monitor.recording.export_kubios import export_kubios

        return export_kubios
    if name == "csv":
        from monitor.recording.export_csv import export_csv

        return export_csv
    if name == "bids":
        from monitor.recording.export_bids import export_bids

        return export_bids
    from monitor.recording.export_edf import export_edf

    return export_edf


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a session as Kubios RR text, CSV, EDF+ or BIDS",
        description="Export a recorded session file as Kubios-compatible RR text, CSV (beats "
        "events and session files), EDF+ with annotations, or BIDS physiology and events.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the session file")
    parser.add_argument("--format", required=True, choices=FORMATS, help="export format")
    parser.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="output file (csv: the beats file; the events and the session's fields go to "
        "PATH with .events and .session before the suffix; bids: the dataset folder, needed); "
        "default: FILE with .edf, .csv or .txt (kubios) instead of its suffix",
    )
    parser.add_argument(
        "--bids-session",
        metavar="LABEL",
        help="bids: the ses- label (default: the session's UTC start as YYYYMMDDhhmm)",
    )
    parser.add_argument(
        "--bids-task", metavar="LABEL", default="therapy", help="bids: the task- label"
    )
    parser.add_argument("--force", action="store_true", help="replace existing output files")
    parser.set_defaults(handler=run)


def output_paths(args: argparse.Namespace) -> tuple[Path, ...]:
    """Every file the export writes (csv: the beats, events and session files; bids: none
    known before the session is read, which names them)."""
    if args.format == "bids":
        return ()
    if args.format == "csv":
        from monitor.recording.export_csv import csv_paths

        return csv_paths(args.out)
    return (args.out,)


def run(args: argparse.Namespace) -> int:
    from monitor.recording.errors import UnreadableFileError
    from monitor.recording.output_guard import OutputRefusedError, check_outputs
    from monitor.recording.reader import read_session

    if args.out is None:
        if args.format == "bids":
            raise CliError("--format bids needs --out DIR (the BIDS dataset folder)")
        args.out = args.file.with_suffix(DEFAULT_SUFFIXES[args.format])
    try:
        # Before reading: the output may never be the input itself, nor a live recording.
        check_outputs(output_paths(args), inputs=[args.file], overwrite=args.force)
    except OutputRefusedError as error:
        raise CliError(str(error)) from None
    try:
        session = read_session(args.file)
    except UnreadableFileError as error:
        raise CliError(str(error)) from None
    options = {}
    if args.format == "bids":
        from monitor.recording.export_bids import bids_paths

        try:
            bids = bids_paths(args.out, session, args.bids_session, args.bids_task)
            check_outputs(bids.session_files(), inputs=[args.file], overwrite=args.force)
        except (ValueError, OutputRefusedError) as error:
            raise CliError(str(error)) from None
        options = {"session_label": args.bids_session, "task": args.bids_task}
    try:
        written = exporter(args.format)(session, args.out, overwrite=args.force, **options)
    except (OutputRefusedError, FileExistsError, IsADirectoryError) as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"{args.out}: cannot write ({error.strerror or error})") from None
    paths = written if isinstance(written, tuple) else (written,)
    for path in paths:
        print(path)
    return 0
