"""One module per ``session-monitor`` subcommand.

Each module defines ``register(subparsers)``, which adds its parser and sets ``run`` as the
parser's ``handler``: ``run(args) -> int`` returns the exit code. Errors the user can fix are
raised as :class:`CliError` and printed as one line, without a traceback.
"""

from __future__ import annotations

from monitor.user_errors import UserError


class CliError(UserError):
    """A problem the user can fix (bad file, missing device, wrong flag): one line, exit code 2."""
