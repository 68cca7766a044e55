"""The session protocol's phases: one enum for the names the whole program shares.

A therapist marks the phases of an imagery-rescripting or EMDR-resourcing session as they go
(docs/architecture.md, "The therapist's input"). Two of them change what the window of
tolerance does (:mod:`monitor.core.judge`): the end of a ``baseline`` phase recalibrates the
baseline to the marked span, and the start of ``grounding`` starts a recovery measurement. The
others only label time (time in each zone per phase, the report's phase bands).

A session may use its own phase names (``settings["phases"]`` of the session file); a name is
matched to a :class:`Phase` without regard to case or surrounding space, so "Grounding" typed in
an imported file's annotation means grounding too, everywhere.
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    """The default protocol's phases, in session order (their values are the recorded names)."""

    BASELINE = "baseline"
    PREPARATION = "preparation"
    IMAGERY = "imagery"
    RESCRIPTING = "rescripting"
    GROUNDING = "grounding"
    CALM_PLACE = "calm place"
    DEBRIEF = "debrief"


DEFAULT_PROTOCOL: tuple[str, ...] = tuple(phase.value for phase in Phase)
"""The phase names a new session offers, in order (configurable per session)."""


def phase_of(name: str) -> Phase | None:
    """The protocol phase a recorded phase name stands for, or None for a session's own name.

    Parameters
    ----------
    name : str
        A phase name as marked or recorded (``"Grounding "`` and ``"grounding"`` are the same).
    """
    try:
        return Phase(name.strip().lower())
    except ValueError:
        return None


def is_phase(name: str | None, phase: Phase) -> bool:
    """Whether the phase name ``name`` (None: no phase yet) is ``phase``."""
    return name is not None and phase_of(name) is phase
