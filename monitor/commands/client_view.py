"""``session-monitor client-view --lsl [NAME]``: the client's calm-place view on another computer.

The view follows a session that publishes its LSL streams (``record --lsl NAME`` or ``demo --lsl
NAME`` on the therapist's computer, same network): the mode, pacer, grounding prompt and meter
the therapist sets, and the scene answering the client's HRV. It keeps looking until the session
starts, and again when it stops. Full screen unless ``--window``.
"""

from __future__ import annotations

import argparse
import math

from monitor.commands import CliError
from monitor.commands.record import LSL_DEFAULT_NAME


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "client-view",
        help="the client's calm-place view on a second computer, following a session over LSL",
        description="Open the client's calm-place view on this computer and let it follow a "
        "session published with --lsl on another computer of the same network.",
    )
    parser.add_argument(
        "--lsl",
        nargs="?",
        const=LSL_DEFAULT_NAME,
        metavar="NAME",
        help=f"follow the session published as NAME (default {LSL_DEFAULT_NAME}); required",
    )
    parser.add_argument("--window", action="store_true", help="a window instead of full screen")
    parser.add_argument(
        "--duration", type=float, metavar="S", help="close after S seconds (for trying it out)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.lsl is None:
        raise CliError("client-view needs --lsl [NAME]: it follows a session over the network")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CliError(f"--duration must be a positive number of seconds, got {args.duration}")
    from PySide6.QtCore import QTimer

    from monitor.session.lsl_follower import SessionFollower
    from monitor.ui.app import check_display, configure_application
    from monitor.ui.client.remote import RemoteClientView
    from monitor.ui.client.view import ClientView

    check_display()
    app = configure_application()
    view = ClientView()
    view.open_on(None, full_screen=not args.window)

    def say(text: str) -> None:
        print(text, flush=True)

    remote = RemoteClientView(view, SessionFollower(args.lsl), say=say)
    say(f"waiting for session '{args.lsl}' on the local network")
    if args.duration is not None:
        QTimer.singleShot(round(args.duration * 1000), view.close)
    view.closed.connect(app.quit)
    try:
        app.exec()
    finally:
        remote.stop()
    return 0
