"""``session-monitor import RRFILE --out FILE [--client CODE]``: make a session file from RR data.

Reads RR text (Kubios style, ms or s), Polar HRM, a CSV export of this program (beats file, with
its ``.events.csv`` and ``.session.csv`` beside it), an EDF+ export of this program, or an XDF
file from LabRecorder (its RR or ECG stream and its markers; ``--stream``/``--markers`` choose
when several fit). The session file is written
completely or not at all; an existing ``--out`` is only replaced with ``--force``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.commands import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import RR text, Polar HRM, CSV, EDF+ or XDF into a session file",
        description="Import an RR recording (RR text, Polar HRM, a CSV/EDF+ export of this "
        "program, or an XDF file from LabRecorder) into a new session file.",
    )
    parser.add_argument("rr_file", type=Path, metavar="RRFILE", help="the file to import")
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FILE", help="session file to create"
    )
    parser.add_argument(
        "--client",
        metavar="CODE",
        help="pseudonymous client code (default: from an EDF+ file, else 'imported')",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing --out file")
    parser.add_argument(
        "--stream",
        metavar="NAME",
        help="XDF: the RR or ECG stream to import, when the file has several",
    )
    parser.add_argument(
        "--markers",
        metavar="NAME",
        help="XDF: the marker stream to import, when the file has several",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from monitor.recording.errors import UnreadableFileError
    from monitor.recording.export_csv import csv_paths
    from monitor.recording.importers import import_file
    from monitor.recording.model import check_client_code
    from monitor.recording.output_guard import OutputRefusedError, check_output

    if args.client is not None:
        try:
            check_client_code(args.client)
        except ValueError as error:
            raise CliError(str(error)) from None
    try:
        # A CSV export is read with its events and session files beside it: inputs too.
        inputs = [args.rr_file, *csv_paths(args.rr_file)[1:]]
        check_output(args.out, inputs=inputs, overwrite=args.force)
    except OutputRefusedError as error:
        raise CliError(str(error)) from None
    layouts: list[str] = []
    try:
        path = import_file(
            args.rr_file,
            args.out,
            client_code=args.client,
            overwrite=args.force,
            xdf_stream=args.stream,
            xdf_markers=args.markers,
            on_layout=layouts.append,
        )
    except UnreadableFileError as error:
        raise CliError(str(error)) from None
    except (OutputRefusedError, FileExistsError, IsADirectoryError) as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"{args.out}: cannot write ({error.strerror or error})") from None
    print(path)
    how = "; ".join(layouts) or _how_read(args.rr_file)
    if how:
        print(f"{args.rr_file.name}: {how}")
    return 0


def _how_read(rr_file: Path) -> str:
    """How an RR text or HRM input was read (units, layout), so nothing is taken on trust."""
    from monitor.recording.errors import UnreadableFileError
    from monitor.recording.importers import detect_kind
    from monitor.recording.rr_files import describe, read_rr_file

    try:
        return describe(read_rr_file(rr_file)) if detect_kind(rr_file) == "rr" else ""
    except UnreadableFileError:
        return ""
