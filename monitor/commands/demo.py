"""``session-monitor demo``: the scripted simulated session in the real dashboard, no hardware.

The demo records into a temporary folder that is deleted when it ends. Recording (rather than
``record=False``) is deliberate: the session engine reports strap events such as drop-outs and
connection changes to the views only when a recorder is attached, so the demo shows exactly what
a recorded live session shows, through the same writer. Nothing is kept and nothing is sent:
a pacer rate the demo's resonance finder stores goes into that temporary folder too.

The CLI imports this module to build ``--help``, so the session and Qt stacks (scipy, PySide6)
are imported inside :func:`run` only.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

from monitor.commands import CliError

DEFAULT_SPEED = 10.0
"""The scripted session lasts about 21.5 minutes; at 10× the whole arc (baseline, imagery, the
alert, grounding, recovery, calm place) passes in a little over two minutes."""

DEFAULT_CLIENT = "DEMO"

DEMO_THERAPIST: tuple[tuple[float, str, object], ...] = (
    (240.0, "suds", 2),
    (420.0, "suds", 6),
    (470.0, "note", "client: chest feels tight"),
    (640.0, "suds", 8),
    (800.0, "suds", 5),
    (900.0, "suds", 3),
    (1080.0, "note", "calm place: beach, warm sand"),
    (1150.0, "suds", 1),
)
"""The demo also plays the therapist: SUDS ratings asked aloud and two notes, entered at these
session times exactly as the keys would (phases are marked by the simulated session itself)."""

STOP_MARGIN_S = 60.0
"""The dashboard stops the demo at ``--duration`` (after its screenshots, so they show the
session live); the simulator itself runs this much longer in case the window is slow to do so."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``demo`` and its flags to the command line."""
    parser = subparsers.add_parser(
        "demo",
        help="a simulated session in the full dashboard (no strap needed)",
        description="Run the scripted imagery-rescripting session from the physiological "
        "simulator in the therapist's dashboard: calm baseline, rising arousal during imagery, a "
        "pause-for-grounding alert, recovery and a calm place with slow breathing. The session "
        "is recorded into a temporary folder that is deleted at the end.",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=DEFAULT_SPEED,
        metavar="X",
        help=f"simulated seconds per real second (default {DEFAULT_SPEED:g}: the ~21-minute "
        "session in about two minutes; 1 = real time)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="stop after S seconds of session (simulated) time and close the window; "
        "with --speed 20, 120 s pass in 6 s (default: the whole script, window stays open)",
    )
    parser.add_argument(
        "--screenshot-dir",
        type=Path,
        metavar="DIR",
        help="save a PNG of each open window into DIR at each protocol phase and at the first "
        "alert (a numbered folder each) and just before the demo closes; the paths are printed "
        "(works offscreen: QT_QPA_PLATFORM=offscreen with --duration)",
    )
    parser.add_argument(
        "--client", default=DEFAULT_CLIENT, metavar="CODE", help="client code shown in the demo"
    )
    parser.add_argument("--seed", type=int, default=0, help="simulator seed (default 0)")
    parser.add_argument(
        "--client-view",
        action="store_true",
        help="also open the client's calm-place view (full screen on a second screen, else a "
        "window beside the dashboard); it follows the demo's phases",
    )
    parser.add_argument(
        "--co-regulation",
        action="store_true",
        help="also simulate the therapist's own strap, coupled to the client's heart: the "
        "dashboard shows your own zone, a gentle cue when you leave your own window, and the live "
        "synchrony",
    )
    parser.add_argument(
        "--h10",
        action="store_true",
        help="simulate a Polar H10: raw ECG and chest accelerometer beside the heart rate "
        "(ECG-verified beats, breathing from the chest, movement)",
    )
    from monitor.commands.record import add_lsl_flag

    add_lsl_flag(parser)
    parser.set_defaults(handler=run)


def check_args(args: argparse.Namespace) -> None:
    """One-line errors for flags that cannot work."""
    if not (math.isfinite(args.speed) and args.speed > 0):
        raise CliError(f"--speed must be a positive number, got {args.speed}")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CliError(f"--duration must be a positive number of seconds, got {args.duration}")
    if (
        args.screenshot_dir is not None
        and args.screenshot_dir.exists()
        and not (args.screenshot_dir.is_dir())
    ):
        raise CliError(f"--screenshot-dir {args.screenshot_dir} is not a folder")
    from monitor.recording.model import check_client_code

    try:
        check_client_code(args.client)
    except ValueError as error:
        raise CliError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    """Run the demo in the dashboard; the exit code."""
    check_args(args)
    from monitor.commands.record import lsl_name_from

    try:
        from monitor.recording.client_store import ClientStore
        from monitor.session.live import LiveOptions
        from monitor.ui.app import check_display, run_dashboard
    except ImportError as error:  # e.g. Qt's system libraries missing on a fresh machine
        raise CliError(f"the dashboard cannot start: {error}") from None
    check_display()

    def say_how_it_ends() -> None:
        # Once the window is up: Ctrl-C from then on closes it cleanly (before, it interrupts).
        print(
            "session-monitor demo: runs until you close its window (--duration S stops it)",
            file=sys.stderr,
            flush=True,
        )

    with tempfile.TemporaryDirectory(prefix="session-monitor-demo-") as folder:
        options = LiveOptions(
            simulate=True,
            h10=args.h10,
            seed=args.seed,
            speed=args.speed,
            duration_s=None if args.duration is None else args.duration + STOP_MARGIN_S,
            folder=Path(folder),
            client_code=args.client,
            record=True,
            therapist_simulate=args.co_regulation,
            therapist_cue=args.co_regulation,
            lsl_name=lsl_name_from(args),
        )
        return run_dashboard(
            options,
            demo=True,
            quit_when_finished=args.duration is not None,
            stop_at_s=args.duration,
            scripted_input=DEMO_THERAPIST,
            screenshot_dir=args.screenshot_dir,
            client_view=args.client_view,
            client_store=ClientStore(Path(folder) / "clients"),
            on_running=say_how_it_ends if args.duration is None else None,
        )
