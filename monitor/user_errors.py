"""The one error type for problems the user can fix, shared by every room that may meet one.

A bad flag, a file that is not a session, no display for a window, no strap chosen: the command
line prints it as one line and exits with code 2, without a traceback (:func:`monitor.cli.main`).
The commands raise it as :class:`monitor.commands.CliError`; the windows (:mod:`monitor.ui`),
which must not import the commands (docs/architecture.md, "The rooms"), raise it as it is.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix (bad file, missing device, wrong flag): one line, exit code 2."""

    exit_code = 2
