"""Synchrony of client and therapist over a session and per phase (co-regulation, issue #18).

Two measures, applied to spans of a session (the whole session, each phase the therapist
marked, around each grounding):

- heart rate: :func:`monitor.core.synchrony.synchrony`, surrogate synchrony of the two 10-s
  heart rates (seconds-scale co-variation);
- vagal tone: :func:`monitor.core.vagal_synchrony.vagal_synchrony`, the two ln RMSSD series
  in 15-s bins (co-variation over tens of seconds to minutes).

A span too short for a measure has no figure for it, and says why, as the HRV indices below
their minimum do.
"""

from __future__ import annotations

import dataclasses
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
from monitor.core.vagal_synchrony import BIN_S, MIN_BINS, ln_rmssd_bins, vagal_synchrony

TOO_SHORT_REASON = (
    f"fewer than {MIN_SEGMENTS} stretches of {SEGMENT_S:g} s with both heart rates recorded"
)
RMSSD_TOO_SHORT_REASON = f"fewer than {MIN_BINS} bins of {BIN_S:g} s with both RMSSDs recorded"


@dataclass(frozen=True)
class PersonBeats:
    """One person's NN beats, as synchrony reads them.

    Attributes
    ----------
    t_s : numpy.ndarray
        NN beat times (s, increasing).
    hr_bpm : numpy.ndarray
        The 10-s heart rate at each (the live indices' HR).
    nn_ms : numpy.ndarray
        The NN interval ending at each (NaN where unknown: no RMSSD from it).
    """

    t_s: np.ndarray
    hr_bpm: np.ndarray
    nn_ms: np.ndarray

    @classmethod
    def of(cls, t_s: ArrayLike, hr_bpm: ArrayLike, nn_ms: ArrayLike) -> PersonBeats:
        """From any sequences of equal length."""
        arrays = [np.asarray(v, dtype=float) for v in (t_s, hr_bpm, nn_ms)]
        if len({a.shape for a in arrays}) != 1:
            raise ValueError("beat times, heart rates and NN intervals differ in length")
        return cls(*arrays)


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
    rmssd: SpanSynchrony | None = None
    """Synchrony of the two RMSSDs (vagal tone), over its own span (live: a longer one)."""

    def as_dict(self) -> dict[str, object]:
        """Plain types for JSON (``analyze --json``'s ``synchrony`` object): the heart-rate
        figures, and the RMSSD ones under ``"rmssd"`` (with ``"bins"`` for ``"segments"``)."""
        out: dict[str, object] = {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3)}
        if self.rmssd is not None:
            # RMSSD synchrony counts 15-s bins, not SUSY's segments: named so.
            vagal = self.rmssd.as_dict()
            out["rmssd"] = {("bins" if k == "segments" else k): v for k, v in vagal.items()}
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
    return "above chance", relation_words(r)


def relation_words(r: Synchrony, therapist: str = "therapist", leads: str = "leads") -> str:
    """How the two hearts go together: ``"in phase, client leads by 2 s"``, ``"anti-phase,
    together"``; the therapist's own line says ``therapist="you", leads="leading"``."""
    phase = "in phase" if r.in_phase else "anti-phase"
    if r.lead_lag_s == 0:
        return f"{phase}, together"
    leader = "client" if r.lead_lag_s > 0 else therapist
    return f"{phase}, {leader} {leads} by {abs(r.lead_lag_s):g} s"


def heart_rate_span(
    client: PersonBeats, therapist: PersonBeats, start_s: float, end_s: float
) -> SpanSynchrony:
    """Heart-rate synchrony from ``start_s`` to ``end_s`` (no RMSSD figure)."""
    result = synchrony(
        heart_rate_series(client.t_s, client.hr_bpm, start_s, end_s),
        heart_rate_series(therapist.t_s, therapist.hr_bpm, start_s, end_s),
    )
    reason = "" if result is not None else TOO_SHORT_REASON
    return SpanSynchrony(float(start_s), float(end_s), result, reason)


def rmssd_span(
    client: PersonBeats, therapist: PersonBeats, start_s: float, end_s: float
) -> SpanSynchrony:
    """RMSSD (vagal) synchrony from ``start_s`` to ``end_s``, in 15-s bins from ``start_s``."""
    result = vagal_synchrony(
        ln_rmssd_bins(client.t_s, client.nn_ms, start_s, end_s),
        ln_rmssd_bins(therapist.t_s, therapist.nn_ms, start_s, end_s),
    )
    reason = "" if result is not None else RMSSD_TOO_SHORT_REASON
    return SpanSynchrony(float(start_s), float(end_s), result, reason)


def paired_span(
    client: PersonBeats,
    therapist: PersonBeats,
    start_s: float,
    end_s: float,
    rmssd_start_s: float | None = None,
) -> SpanSynchrony:
    """Heart-rate synchrony from ``start_s`` to ``end_s``, with the RMSSD synchrony from
    ``rmssd_start_s`` (by default ``start_s``) to ``end_s`` as its :attr:`~SpanSynchrony.rmssd`."""
    vagal_start_s = start_s if rmssd_start_s is None else rmssd_start_s
    return dataclasses.replace(
        heart_rate_span(client, therapist, start_s, end_s),
        rmssd=rmssd_span(client, therapist, vagal_start_s, end_s),
    )


def span_synchrony(
    client: PersonBeats,
    therapist: PersonBeats,
    spans_s: Mapping[str, tuple[float, float]],
) -> dict[str, SpanSynchrony]:
    """Heart-rate and RMSSD synchrony over named spans of a session.

    Parameters
    ----------
    client, therapist : PersonBeats
        Each person's NN beats.
    spans_s : mapping of str to (start_s, end_s)
        E.g. ``{"whole session": (0, 3000), "imagery": (300, 900)}``.

    Returns
    -------
    dict of str to SpanSynchrony
        In the order of ``spans_s``; each with its :attr:`SpanSynchrony.rmssd` over the same
        span.
    """
    return {
        name: paired_span(client, therapist, start_s, end_s)
        for name, (start_s, end_s) in spans_s.items()
    }


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
