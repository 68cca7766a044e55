"""Synchrony of client and therapist over a session and per phase (co-regulation, issue #18).

The measure is :func:`monitor.core.synchrony.synchrony` (surrogate synchrony of the two
10-s heart rates); here it is applied to spans of a session: the whole session and each phase
the therapist marked. A span with fewer than :data:`~monitor.core.synchrony.MIN_SEGMENTS`
usable 15-s segments has no figure, and says why, as the HRV indices below their minimum do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from monitor.core.synchrony import (
    MIN_SEGMENTS,
    SEGMENT_S,
    Synchrony,
    heart_rate_series,
    synchrony,
)

TOO_SHORT_REASON = (
    f"fewer than {MIN_SEGMENTS} stretches of {SEGMENT_S:g} s with both heart rates recorded"
)


@dataclass(frozen=True)
class SpanSynchrony:
    """Synchrony over one span of a session, or why there is none.

    Attributes
    ----------
    start_s, end_s : float
        The span (session time).
    result : Synchrony or None
    absent_reason : str
        Why ``result`` is None (empty when there is a result).
    """

    start_s: float
    end_s: float
    result: Synchrony | None
    absent_reason: str = ""

    def as_dict(self) -> dict[str, object]:
        """Plain types for JSON (``analyze --json``'s ``synchrony`` object)."""
        out: dict[str, object] = {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3)}
        r = self.result
        if r is None:
            return {**out, "above_chance": None, "absent": self.absent_reason}
        return {
            **out,
            "above_chance": r.above_chance,
            "in_phase": r.in_phase,
            "leader": _leader(r.lead_lag_s),
            "lead_lag_s": r.lead_lag_s,
            "z_abs": round(r.z_abs, 4),
            "effect_size": round(r.effect_size, 3),
            "p_value": round(r.p_value, 4),
            "segments": r.segments,
        }


def _leader(lead_lag_s: float) -> str:
    """Positive lag: the therapist follows, so the client leads."""
    if lead_lag_s > 0:
        return "client"
    return "therapist" if lead_lag_s < 0 else "together"


def synchrony_words(span: SpanSynchrony) -> tuple[str, str]:
    """A span's verdict and the relation of the two hearts, in the report's words.

    Returns
    -------
    (str, str)
        ``("above chance", "in phase, client leads by 2 s")``, ``("not above chance", "")``,
        or ``("", why there is no figure)``.
    """
    r = span.result
    if r is None:
        return "", span.absent_reason
    if not r.above_chance:
        return "not above chance", ""
    phase = "in phase" if r.in_phase else "anti-phase"
    if r.lead_lag_s == 0:
        return "above chance", f"{phase}, together"
    leader = "client" if r.lead_lag_s > 0 else "therapist"
    return "above chance", f"{phase}, {leader} leads by {abs(r.lead_lag_s):g} s"


def span_synchrony(
    client_t_s: ArrayLike,
    client_hr_bpm: ArrayLike,
    therapist_t_s: ArrayLike,
    therapist_hr_bpm: ArrayLike,
    spans_s: Mapping[str, tuple[float, float]],
) -> dict[str, SpanSynchrony]:
    """Synchrony over named spans of a session.

    Parameters
    ----------
    client_t_s, client_hr_bpm, therapist_t_s, therapist_hr_bpm : array_like
        Each person's NN beat times and 10-s heart rate at each (the live indices' HR).
    spans_s : mapping of str to (start_s, end_s)
        E.g. ``{"whole session": (0, 3000), "imagery": (300, 900)}``.

    Returns
    -------
    dict of str to SpanSynchrony
        In the order of ``spans_s``.
    """
    out = {}
    for name, (start_s, end_s) in spans_s.items():
        client = heart_rate_series(client_t_s, client_hr_bpm, start_s, end_s)
        therapist = heart_rate_series(therapist_t_s, therapist_hr_bpm, start_s, end_s)
        result = synchrony(client, therapist)
        reason = "" if result is not None else TOO_SHORT_REASON
        out[name] = SpanSynchrony(float(start_s), float(end_s), result, reason)
    return out


def phase_spans_s(
    phase_starts: list[tuple[float, str]], end_s: float
) -> dict[str, tuple[float, float]]:
    """Each marked phase runs until the next marker (or the end); a phase marked twice keeps
    its first span only (it is named once in a report).

    Parameters
    ----------
    phase_starts : list of (t_s, name)
        The phase markers in time order.
    end_s : float
        The session's end.
    """
    spans: dict[str, tuple[float, float]] = {}
    ordered = sorted(phase_starts)
    for i, (start_s, name) in enumerate(ordered):
        stop_s = ordered[i + 1][0] if i + 1 < len(ordered) else end_s
        key = name.lower()
        if key not in spans and stop_s > start_s:
            spans[key] = (float(start_s), float(stop_s))
    return spans


AROUND_GROUNDING_S = 120.0
"""Span on each side of a grounding's start for "around grounding": eight 15-s stretches each
way, the fewest the surrogate test takes (:data:`~monitor.core.synchrony.MIN_SEGMENTS`)."""


def around_grounding_spans_s(
    grounding_starts_s: list[float], end_s: float
) -> dict[str, tuple[float, float]]:
    """``"around grounding N"``: from :data:`AROUND_GROUNDING_S` before each grounding's start to
    as long after it (within the session), numbered in time order from 1."""
    return {
        f"around grounding {i}": (
            max(0.0, t_s - AROUND_GROUNDING_S),
            min(end_s, t_s + AROUND_GROUNDING_S),
        )
        for i, t_s in enumerate(sorted(grounding_starts_s), start=1)
    }


def whole_session_span_s(*beat_times_s: np.ndarray) -> tuple[float, float]:
    """From the earlier first beat to the later last beat of the two straps."""
    starts = [float(t[0]) for t in beat_times_s if len(t)]
    ends = [float(t[-1]) for t in beat_times_s if len(t)]
    return (min(starts), max(ends)) if starts else (0.0, 0.0)
