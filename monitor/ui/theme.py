"""Colours and fonts of the dashboard: calm, readable at a glance, no alarm red.

The zones follow the usual window-of-tolerance picture (Siegel 1999): cool blue below, sage green
inside, sand at the upper edge and a warm amber above. The only strong colour is the
pause-for-grounding banner, and even that is a terracotta orange rather than red: the therapist's
attention is wanted, not the client's alarm.
"""

from __future__ import annotations

from monitor.core.protocol import Phase, phase_of
from monitor.core.tolerance import Zone

BACKGROUND = "#F5F3EE"
PANEL = "#FFFFFF"
TEXT = "#2F3B45"
MUTED_TEXT = "#6B7780"
GRID = "#D9D5CC"

ZONE_COLOURS: dict[Zone, str] = {
    Zone.HYPO: "#8FA9D9",
    Zone.INSIDE: "#86C49B",
    Zone.EDGE: "#E9C46A",
    Zone.HYPER: "#EE9A4D",
    Zone.CALIBRATING: "#C5C8CC",
    Zone.SUSPENDED: "#C5C8CC",
}
"""Fill colour of each zone (gauge, arousal plot bands, alert spans)."""

ZONE_TEXT_COLOURS: dict[Zone, str] = {
    Zone.HYPO: "#3E5C94",
    Zone.INSIDE: "#2F7A4D",
    Zone.EDGE: "#8A6A12",
    Zone.HYPER: "#B4541A",
    Zone.CALIBRATING: MUTED_TEXT,
    Zone.SUSPENDED: MUTED_TEXT,
}
"""Darker shade of each zone colour for text on a light background (contrast ≥ 4.5:1)."""

BANNER_ALERT = "#D9692E"
"""The pause-for-grounding banner: the one strong colour on the screen (terracotta, not red)."""
BANNER_READY = "#5FA77A"
BANNER_PROMPT = "#7D97C9"
BANNER_TEXT = "#FFFFFF"

STATE_OK = "#2F7A4D"
STATE_WARN = "#B4541A"
STATE_IDLE = MUTED_TEXT
NOTICE_BACKGROUND = "#FBEEDF"
"""A pale sand behind the "not recording" notice: noticed, but not an alarm."""

HR_COLOUR = "#4A6FA5"
RR_COLOUR = "#5B7083"
CORRECTED_COLOUR = "#E08A3C"
RMSSD_COLOUR = "#2A9D8F"
AROUSAL_COLOUR = "#34495E"
SUDS_COLOUR = "#7A4E9E"
SYNCHRONY_COLOUR = "#2F7F8C"
NOTE_COLOUR = "#6B7780"
GAP_COLOUR = "#9AA0A6"

PHASE_COLOURS: dict[Phase, str] = {
    Phase.BASELINE: "#CFE3F0",
    Phase.PREPARATION: "#E3E0F3",
    Phase.IMAGERY: "#F6DCC8",
    Phase.RESCRIPTING: "#DCEFD9",
    Phase.GROUNDING: "#F3E6B8",
    Phase.CALM_PLACE: "#D5EEE9",
    Phase.DEBRIEF: "#E6E6E6",
}
_SPARE_PHASE_COLOURS = ("#F0D9E7", "#E1EBD3", "#D8E2F0", "#F2E3D5", "#E4DDEB")

FONT_FAMILY = "DejaVu Sans"
BASE_POINT_SIZE = 11
STATUS_POINT_SIZE = 13
ZONE_TITLE_POINT_SIZE = 21
BANNER_POINT_SIZE = 18


def phase_colour(name: str) -> str:
    """A pastel band colour for a phase; phases outside the default protocol get a stable one."""
    phase = phase_of(name)
    if phase is not None:
        return PHASE_COLOURS[phase]
    # A stable pick (not Python's salted hash), so a phase keeps its colour across runs.
    index = sum(name.encode("utf-8")) % len(_SPARE_PHASE_COLOURS)
    return _SPARE_PHASE_COLOURS[index]


def with_alpha(colour: str, alpha: int) -> tuple[int, int, int, int]:
    """``#RRGGBB`` as an RGBA tuple with ``alpha`` 0–255 (for pyqtgraph brushes)."""
    colour = colour.lstrip("#")
    return (int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16), alpha)


def stylesheet() -> str:
    """The application-wide Qt style sheet."""
    return f"""
    QWidget {{ color: {TEXT}; }}
    QMainWindow, QDialog {{ background: {BACKGROUND}; }}
    QFrame#panel {{ background: {PANEL}; border: 1px solid {GRID}; border-radius: 8px; }}
    QPushButton {{
        background: {PANEL}; border: 1px solid #C9C4B8; border-radius: 6px; padding: 5px 10px;
    }}
    QPushButton:hover {{ background: #EFEBE3; }}
    QPushButton:checked {{ background: #DDE8E0; border: 2px solid {STATE_OK}; font-weight: bold; }}
    QPushButton:disabled {{ color: #A6ADB3; border-color: #E0DCD3; }}
    QPushButton#primary {{ font-size: {BASE_POINT_SIZE + 1}pt; padding: 9px 6px; }}
    QLineEdit {{
        background: {PANEL}; border: 1px solid #C9C4B8; border-radius: 6px; padding: 5px;
    }}
    QLabel#hint {{ color: {MUTED_TEXT}; font-size: {BASE_POINT_SIZE - 1}pt; }}
    QLabel#therapist-cue {{
        background: {NOTICE_BACKGROUND}; color: {TEXT}; border-radius: 6px; padding: 6px 10px;
    }}
    QLabel#section {{ color: {MUTED_TEXT}; font-weight: bold; }}
    """
