"""Opening the dashboard from a command (``record`` without ``--headless``, ``demo``)."""

from __future__ import annotations

from monitor.commands import CliError
from monitor.session.live import LiveOptions


def open_dashboard(options: LiveOptions) -> int:
    try:
        from monitor.ui.app import run_dashboard
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("monitor.ui"):
            raise CliError(
                "the dashboard is not part of this version yet; use --headless"
            ) from None
        raise
    return run_dashboard(options)
