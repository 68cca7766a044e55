"""The ``session-monitor`` command line (also ``python -m monitor``).

The subcommands and their flags are a contract that scripts and tests rely on.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from monitor import __version__
from monitor.user_errors import UserError

# Subcommand modules, in the order ``--help`` lists them. A module that is not there yet (a
# capability still to come) is simply left out of the list.
COMMAND_MODULES = (
    "demo",
    "doctor",
    "install_desktop",
    "scan",
    "stream",
    "record",
    "replay",
    "analyze",
    "export",
    "import_rr",
    "report",
    "client_view",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="session-monitor",
        description="Live HRV and window-of-tolerance monitor for therapy sessions "
        "(a therapist's aid, not a medical device).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"monitor.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name == f"monitor.commands.{name}":
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    from monitor.app_log import FILE_ONLY, start_log_file

    client = getattr(args, "client", None)
    start_log_file(args.command, __version__, (client,) if isinstance(client, str) else ())
    try:
        return int(handler(args) or 0)
    except UserError as error:
        logging.getLogger("monitor.cli").warning("%s: %s", args.command, error, extra=FILE_ONLY)
        print(f"session-monitor {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"session-monitor {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and friends: not an error of ours.
        return 0
    except Exception:
        logging.getLogger("monitor.cli").exception(
            "%s failed unexpectedly", args.command, extra=FILE_ONLY
        )
        raise
