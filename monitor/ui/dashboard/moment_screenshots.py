"""Pictures of the windows at the moments that matter: each protocol phase and the first alert.

"The first alert" is the first pause-for-grounding alert; the first early warning at the upper
edge, which comes before it, gets a picture of its own.

The demo's ``--screenshot-dir`` uses this, so its pictures show the arc of a session (baseline,
imagery, the alert, grounding, recovery, calm place) and not only its end. Each moment gets its
own numbered folder inside the screenshot folder (``01-phase-baseline/dashboard.png``, ...,
``04-first-alert/``, ...); the pictures at the close stay directly in the folder.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.core.tolerance import AlertKind
from monitor.ui.screenshots import save_window_screenshots

if TYPE_CHECKING:
    from monitor.session.dashboard_model import DashboardModel

WARNING = str(AlertKind.WARNING)

log = logging.getLogger(__name__)


def moment_folder_name(number: int, moment: str) -> str:
    """``03-phase-calm-place`` from 3 and "phase calm place"."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", moment).strip("-").lower() or "moment"
    return f"{number:02d}-{slug}"


class MomentScreenshots:
    """Takes the pictures as the dashboard's model reaches each moment.

    Parameters
    ----------
    directory : Path
        The screenshot folder; a numbered folder per moment is made inside it.

    Attributes
    ----------
    taken : list of Path
        Every picture written so far, in order.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.taken: list[Path] = []
        self._model: DashboardModel | None = None
        self._phases_seen = 0
        self._first_taken: set[str] = set()
        self._number = 0

    def take_due(self, model: DashboardModel) -> list[Path]:
        """Picture every moment ``model`` (a :class:`DashboardModel`) reached since the last call.

        Returns
        -------
        list of Path
            The pictures written by this call.
        """
        if model is not self._model:  # a new session's model: its phases count from the start
            self._model, self._phases_seen = model, 0
        written: list[Path] = []
        phases = model.phases
        while self._phases_seen < len(phases):
            mark = phases[self._phases_seen]
            self._phases_seen += 1
            written += self._save(f"phase {mark.text}")
        for span in model.alerts:
            # The early warning and the pause-for-grounding alert (above or below) look
            # different on screen: the first of each is pictured.
            moment = "first warning" if span.kind == WARNING else "first alert"
            if moment not in self._first_taken:
                self._first_taken.add(moment)
                written += self._save(moment)
        return written

    def _save(self, moment: str) -> list[Path]:
        self._number += 1
        folder = self.directory / moment_folder_name(self._number, moment)
        try:
            pictures = save_window_screenshots(folder)
        except OSError as error:  # a picture is never worth stopping a session for
            log.error("screenshots not saved: %s", error)
            return []
        self.taken += pictures
        return pictures
