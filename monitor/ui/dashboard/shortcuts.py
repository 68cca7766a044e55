"""The dashboard's keys: one key per action, shown on the buttons and in the key list.

Letters mark protocol phases (the first free letter of the phase's name), digits enter SUDS
ratings, and a few fixed letters do the rest. Single keys, no modifiers: the therapist may be
looking at the client, not the keyboard. While the note field has the focus, keys type text
(Qt gives a focused line edit the printable keys before any shortcut).
"""

from __future__ import annotations

import string
from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from monitor.core.protocol import Phase, is_phase

GROUNDING_KEY = "G"
RESUME_KEY = "R"
NOTE_KEY = "N"
FOLLOW_KEY = "F"
VIEW_KEY = "V"
CHIME_KEY = "M"
WIDEN_KEYS = ("+", "=")
NARROW_KEY = "-"
WINDOW_STEP_SD = 0.25
"""How much one press widens or narrows the window (baseline SDs, both sides)."""

RESERVED_KEYS = frozenset({GROUNDING_KEY, RESUME_KEY, NOTE_KEY, FOLLOW_KEY, VIEW_KEY, CHIME_KEY})

SUDS_TEN_WAIT_MS = 1200
"""After "1", how long to wait for a "0" (SUDS 10) before recording 1."""


def assign_phase_keys(phases: Sequence[str]) -> dict[str, str]:
    """A letter for each phase: the first letter of its name that is still free.

    ``grounding`` always gets :data:`GROUNDING_KEY` (it is the "Grounding started" button).

    Parameters
    ----------
    phases : sequence of str
        The protocol's phase names, in order.

    Returns
    -------
    dict
        Phase name → upper-case letter (phases with no free letter are left out).
    """
    taken = set(RESERVED_KEYS)
    keys: dict[str, str] = {}
    for name in phases:
        if is_phase(name, Phase.GROUNDING):
            keys[name] = GROUNDING_KEY
    for name in phases:
        if name in keys:
            continue
        candidates = [c.upper() for c in name if c.isascii() and c.isalpha()]
        candidates += list(string.ascii_uppercase)
        for letter in candidates:
            if letter not in taken:
                keys[name] = letter
                taken.add(letter)
                break
    return keys


def key_list_text(phase_keys: dict[str, str]) -> str:
    """The key list shown under the controls."""
    return (
        "Keys: letters mark phases (shown on the buttons) · "
        f"{GROUNDING_KEY} grounding started · {RESUME_KEY} resume · 0–10 SUDS (1 then 0 = 10; "
        f"Enter records a waiting 1) · {NOTE_KEY} write a note, Enter saves, Esc leaves · "
        f"+ / − widen / narrow the window · {FOLLOW_KEY} follow now · {VIEW_KEY} plot span · "
        f"{CHIME_KEY} chime on/off"
    )


class SudsKeypad(QObject):
    """Turns digit presses into SUDS ratings 0–10.

    Every digit but 1 records at once (no rating above 10 starts with 2–9 or 0). A 1 waits up
    to :data:`SUDS_TEN_WAIT_MS` for a 0 that makes it 10; another digit, Enter or the timeout
    record it as 1.

    Signals
    -------
    committed(int)
        A rating to record.
    pending_changed(str)
        Text for the "waiting" indicator (empty when nothing waits).
    """

    committed = Signal(int)
    pending_changed = Signal(str)

    def __init__(self, parent: QObject | None = None, wait_ms: int = SUDS_TEN_WAIT_MS) -> None:
        super().__init__(parent)
        self._pending_one = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(wait_ms)
        self._timer.timeout.connect(self.commit_pending)

    @property
    def pending(self) -> bool:
        """A 1 is waiting for a possible 0."""
        return self._pending_one

    def press(self, digit: int) -> None:
        """A digit key 0–9."""
        if not 0 <= digit <= 9:
            raise ValueError(f"not a digit: {digit}")
        if self._pending_one:
            self._timer.stop()
            self._pending_one = False
            self.pending_changed.emit("")
            if digit == 0:
                self.committed.emit(10)
                return
            self.committed.emit(1)
        if digit == 1:
            self._pending_one = True
            self._timer.start()
            self.pending_changed.emit("SUDS 1… (0 makes 10, Enter records 1)")
            return
        self.committed.emit(digit)

    def commit_pending(self) -> None:
        """Record a waiting 1 now (Enter, or the wait ran out)."""
        if self._pending_one:
            self._timer.stop()
            self._pending_one = False
            self.pending_changed.emit("")
            self.committed.emit(1)
