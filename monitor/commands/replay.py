"""``session-monitor replay``: a recorded session in the replay window.

``replay FILE [--speed X] [--start S]``
    Open the session file and play it through the same engine the live dashboard ran, with the
    overview, what-if and report. Without FILE the window opens empty (Open…, recent files).
``replay FILE --duration S --screenshot-dir DIR``
    Play S seconds of the session, save a PNG of the window into DIR and quit (works offscreen
    with ``QT_QPA_PLATFORM=offscreen``).
``replay FILE --headless [--json]``
    No window, no Qt: the file's raw packets and markers through the live engine as fast as
    possible (:mod:`monitor.session.headless_replay`), printed with the keys of ``analyze``.

The session file is only read, never changed. The file is checked before any window opens, so a
foreign or damaged file is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.commands import CliError

if TYPE_CHECKING:
    from monitor.core.judge import ToleranceSummary
    from monitor.recording.beat_input import BeatInput

# Qt, the session engine and the analysis are imported in run(): `session-monitor --help` and
# the other subcommands must not pay for them.

MIN_SPEED = 1.0
MAX_SPEED = 60.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="replay a session file in the dashboard's views, with what-if and the report",
        description="Replay a recorded session through the same engine the live dashboard ran: "
        "the overview of the whole session, play/pause/seek at 1x to 60x, what-if for the "
        "window of tolerance, and the session report. The file is never changed.",
    )
    parser.add_argument(
        "file", nargs="?", type=Path, metavar="FILE", help="a session file (.sqlite)"
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help=f"recorded seconds per second, {MIN_SPEED:g} to {MAX_SPEED:g} (default 1)",
    )
    parser.add_argument(
        "--start", type=float, default=0.0, metavar="S", help="start at S seconds into the session"
    )
    parser.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="play S seconds of the session (from --start), then quit",
    )
    parser.add_argument(
        "--screenshot-dir",
        type=Path,
        metavar="DIR",
        help="with --duration: save a PNG of the window into DIR before quitting",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="no window: run the live engine over the file's packets as fast as possible and "
        "print what `analyze` prints (the alerts the live engine raises)",
    )
    parser.add_argument(
        "--json", action="store_true", help="with --headless: print one JSON object"
    )
    parser.set_defaults(handler=run)


def check_args(args: argparse.Namespace) -> None:
    """Refuse flags that make no sense, before anything heavy is loaded.

    Raises
    ------
    CliError
        With one line saying what is wrong.
    """
    if not (math.isfinite(args.speed) and MIN_SPEED <= args.speed <= MAX_SPEED):
        raise CliError(
            f"--speed must be a number from {MIN_SPEED:g} to {MAX_SPEED:g}, got {args.speed:g}"
        )
    if not (math.isfinite(args.start) and args.start >= 0):
        raise CliError(f"--start must be zero or a positive number of seconds, got {args.start:g}")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CliError(f"--duration must be a positive number of seconds, got {args.duration:g}")
    if args.file is None and (args.duration is not None or args.screenshot_dir is not None):
        raise CliError("--duration and --screenshot-dir need a session FILE")
    if args.screenshot_dir is not None and args.duration is None:
        raise CliError("--screenshot-dir goes with --duration (the pictures are taken at its end)")
    if args.json and not args.headless:
        raise CliError("--json goes with --headless (the window prints nothing)")
    if args.headless:
        if args.file is None:
            raise CliError("--headless needs a session FILE")
        window_only = [
            flag
            for flag, given in (
                ("--speed", args.speed != 1.0),
                ("--start", args.start != 0.0),
                ("--duration", args.duration is not None),
                ("--screenshot-dir", args.screenshot_dir is not None),
            )
            if given
        ]
        if window_only:
            verb = "is" if len(window_only) == 1 else "are"
            flags = ", ".join(window_only)
            raise CliError(f"{flags} {verb} for the window, not for --headless")


def run(args: argparse.Namespace) -> int:
    check_args(args)
    from monitor.recording.errors import UnreadableFileError
    from monitor.recording.reader import SessionReader

    if args.file is not None:
        # The whole check (header, integrity, tables, metadata) before a window opens.
        try:
            with SessionReader(args.file):
                pass
        except UnreadableFileError as error:
            raise CliError(str(error)) from None
    if args.headless:
        return _run_headless(args)
    from monitor.ui.app import check_display

    check_display()
    return _run_window(args)


def _run_window(args: argparse.Namespace) -> int:
    from monitor.ui.app import configure_application, run_event_loop
    from monitor.ui.replay.window import ReplayWindow

    app = configure_application()
    window = ReplayWindow(speed=args.speed)
    window.screenshot_dir = args.screenshot_dir
    window.show()
    if args.file is not None:
        if not window.open_file(args.file, play=True, start_s=args.start):
            message = window.statusBar().currentMessage().removeprefix("Cannot open: ")
            window.close()
            raise CliError(message or f"{args.file}: cannot open")
        if args.duration is not None:
            window.stop_at_s = args.start + args.duration
    run_event_loop(app, on_interrupt=window.close)
    for path in window.screenshots:
        print(path)
    return 0


def _run_headless(args: argparse.Namespace) -> int:
    import json

    from monitor.commands.analyze import analysis_keys, print_text
    from monitor.recording.beat_input import read_beat_input
    from monitor.recording.errors import UnreadableFileError
    from monitor.session.headless_replay import replay_headless

    try:
        replay = replay_headless(args.file)
        beats = read_beat_input(args.file)
    except UnreadableFileError as error:
        raise CliError(str(error)) from None
    summary = analysis_keys(beats, replay.tolerance)
    if replay.therapist_tolerance is not None:
        summary.update(_co_regulation_keys(beats, replay.therapist_tolerance))
    if args.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        print_text(args.file, summary)
    return 0


def _co_regulation_keys(beats: BeatInput, therapist: ToleranceSummary) -> dict[str, object]:
    """``analyze``'s ``therapist`` and ``synchrony`` keys, the therapist's time in their own
    window from the replayed live engine (as the client's ``tolerance``)."""
    import dataclasses

    from monitor.report.co_regulation import co_regulation_of
    from monitor.timeline import parallel_timeline

    table = parallel_timeline(beats.t_s, beats.rr_ms, gap_after=beats.gap_after)
    found = co_regulation_of(beats, table)
    if found is None:  # a therapist strap that recorded no beats
        return {}
    return dataclasses.replace(found, therapist_tolerance=therapist).as_json()
