"""The window of tolerance as a session file keeps it: the settings at the start, then each live
change as a ``tolerance`` event (schema version 2).

The live engine writes the events (:func:`tolerance_event`); replay, ``analyze`` and reports read
the settings back as they were at every moment (:func:`recorded_tolerance`,
:func:`tolerance_changes`), so they judge each beat with the window the therapist had then. A
version-1 file holds only the settings the session ended with and no events: it reads as a
session whose window never changed, judged with those settings throughout.

A session recorded with ``record --reuse-baseline`` also keeps, from its start, the earlier
baseline it was judged against (:data:`REUSED_BASELINE_KEY`, :func:`recorded_reused_baseline`),
so that offline it is judged against that baseline too instead of being recalibrated.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

from monitor.core.baseline import Baseline
from monitor.core.judge import SettingsChange
from monitor.core.tolerance import ToleranceSettings
from monitor.recording.model import EventKind, SessionEvent

log = logging.getLogger(__name__)

_FIELDS = frozenset(f.name for f in dataclasses.fields(ToleranceSettings))

REUSED_BASELINE_KEY = "reused_baseline"
"""The settings entry holding a reused baseline (:meth:`Baseline.as_dict`, with its source)."""

_BASELINE_NUMBERS = ("hr_bpm", "hr_spread_bpm", "ln_rmssd", "ln_rmssd_spread")


def tolerance_text(settings: ToleranceSettings) -> str:
    """The bounds and dwell in words, as notes and annotations show a change."""
    return (
        f"window set to upper {settings.upper_sd:g} SD, edge {settings.edge_sd:g} SD, "
        f"lower {settings.lower_sd:g} SD, dwell {settings.dwell_s:g} s"
    )


def tolerance_event(
    t_s: float, settings: ToleranceSettings, after_beat_s: float | None
) -> SessionEvent:
    """The event of a live change of the window to ``settings`` at ``t_s``.

    Parameters
    ----------
    t_s : float
        When the therapist changed it.
    settings : ToleranceSettings
        The settings from then on (all of them are stored).
    after_beat_s : float or None
        The last beat judged with the earlier settings (``None``: none yet).
    """
    return SessionEvent.tolerance(t_s, settings.as_dict(), tolerance_text(settings), after_beat_s)


def settings_over(base: ToleranceSettings, values: object) -> ToleranceSettings:
    """``base`` with the fields ``values`` (a mapping) gives; ``base`` if they are unusable.

    Unknown keys are ignored (a newer version's settings), so every file stays readable.
    """
    if not isinstance(values, Mapping):
        return base
    known = {k: v for k, v in values.items() if k in _FIELDS}
    try:
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in known.values()):
            raise ValueError("not all numbers")
        return dataclasses.replace(base, **known)
    except (TypeError, ValueError) as error:
        log.warning("recorded window-of-tolerance settings unusable (%s); keeping others", error)
        return base


def recorded_tolerance(settings: Mapping[str, Any]) -> ToleranceSettings:
    """The window's settings at the start of a session, from its file's settings.

    (A version-1 file holds those the session ended with; the defaults when there are none.)
    """
    return settings_over(ToleranceSettings(), settings.get("tolerance"))


def settings_after(current: ToleranceSettings, event: SessionEvent) -> ToleranceSettings:
    """The settings in force after a ``tolerance`` event, given those before it."""
    return settings_over(current, event.data.get("settings"))


def tolerance_changes(
    events: Iterable[SessionEvent], start: ToleranceSettings
) -> tuple[SettingsChange, ...]:
    """The live changes of the window recorded in a session, in time order.

    Parameters
    ----------
    events : iterable of SessionEvent
        The session's events (other kinds are skipped).
    start : ToleranceSettings
        The settings at the start (:func:`recorded_tolerance`): each change applies over the
        settings before it.
    """
    changes = []
    current = start
    for event in sorted((e for e in events if e.kind == EventKind.TOLERANCE), key=lambda e: e.t_s):
        current = settings_after(current, event)
        if "after_beat_s" in event.data:
            after = event.data["after_beat_s"]
            after_beat_s: float | None = -math.inf if after is None else float(after)
        else:
            after_beat_s = None
        changes.append(SettingsChange(event.t_s, current, after_beat_s))
    return tuple(changes)


def recorded_reused_baseline(settings: Mapping[str, Any]) -> Baseline | None:
    """The earlier baseline a session was judged against live, from its file's settings.

    Parameters
    ----------
    settings : Mapping
        The session file's settings.

    Returns
    -------
    Baseline or None
        ``None`` when the session calibrated its own baseline (no entry: older files, RR files,
        sessions recorded without ``--reuse-baseline``), or when the entry is unusable: that
        is logged once per call and the session is recalibrated from its own beats, because a
        damaged entry must not stop a file from opening.
    """
    entry = settings.get(REUSED_BASELINE_KEY)
    if entry is None:
        return None
    try:
        return _baseline_from_entry(entry)
    except (TypeError, ValueError) as error:
        log.warning(
            "recorded reused baseline unusable (%s); recalibrating from the session's own beats",
            error,
        )
        return None


def _baseline_from_entry(entry: object) -> Baseline:
    """Rebuild a stored reused baseline; ``ValueError``/``TypeError`` when it cannot judge."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"expected a mapping, got {type(entry).__name__}")
    missing = [name for name in _BASELINE_NUMBERS if name not in entry]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    # A bool is an int to Python but never a measured value; strings would only fail later,
    # in the middle of judging the beats.
    if not all(isinstance(entry[n], int | float) and not isinstance(entry[n], bool)
               for n in _BASELINE_NUMBERS):  # fmt: skip
        raise ValueError("not all of its centres and spreads are numbers")
    baseline = Baseline.from_dict(dict(entry))
    if not baseline.is_usable:
        raise ValueError("its centres and spreads are not all finite")
    if baseline.hr_spread_bpm <= 0 or baseline.ln_rmssd_spread <= 0:
        raise ValueError("its spreads are not positive")
    return baseline
