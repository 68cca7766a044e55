"""Synchrony over spans of a session (:mod:`monitor.core.co_regulation`), hand-worked spans and
heart rates made here: a therapist who copies the client's heart rate some seconds later."""

from __future__ import annotations

import numpy as np

from monitor.core.co_regulation import (
    AROUND_GROUNDING_S,
    RMSSD_TOO_SHORT_REASON,
    TOO_SHORT_REASON,
    PersonBeats,
    around_grounding_spans_s,
    phase_spans_s,
    span_synchrony,
    whole_session_span_s,
)


def copied_heart_rates(
    lag_s: float, duration_s: float = 900.0, seed: int = 2
) -> tuple[PersonBeats, PersonBeats]:
    """One beat a second; the therapist's HR is the client's ``lag_s`` earlier, plus noise (no
    NN intervals: no RMSSD synchrony)."""
    rng = np.random.default_rng(seed)
    t = np.arange(duration_s)
    client = 70 + np.cumsum(rng.normal(0, 0.4, t.size))
    shift = int(lag_s)
    therapist = np.roll(client, shift) + rng.normal(0, 0.3, t.size) - 4.0
    therapist[:shift] = therapist[shift]
    no_nn = np.full(t.size, np.nan)
    return PersonBeats.of(t, client, no_nn), PersonBeats.of(t, therapist, no_nn)


def test_each_phase_runs_until_the_next_marker_and_a_repeated_phase_keeps_its_first_span() -> None:
    phases = [(0.0, "Baseline"), (300.0, "imagery"), (600.0, "grounding"), (700.0, "imagery")]
    assert phase_spans_s(phases, 900.0) == {
        "baseline": (0.0, 300.0),
        "imagery": (300.0, 600.0),
        "grounding": (600.0, 700.0),
    }


def test_around_grounding_is_two_minutes_either_side_within_the_session() -> None:
    assert AROUND_GROUNDING_S == 120.0
    assert around_grounding_spans_s([700.0, 60.0], 780.0) == {
        "around grounding 1": (0.0, 180.0),
        "around grounding 2": (580.0, 780.0),
    }


def test_spans_find_the_lag_and_a_short_span_says_why_it_has_none() -> None:
    client, therapist = copied_heart_rates(lag_s=2.0)
    found = span_synchrony(
        client, therapist, {"whole session": (0.0, 900.0), "short": (100.0, 200.0)}
    )
    whole = found["whole session"]
    assert whole.result is not None and whole.result.above_chance
    assert whole.result.lead_lag_s == 2.0
    assert whole.as_dict()["leader"] == "client"
    short = found["short"]  # 100 s: six 15-s stretches, fewer than eight
    assert short.result is None and short.absent_reason == TOO_SHORT_REASON
    assert short.as_dict()["above_chance"] is None
    # Without NN intervals there is no RMSSD figure, and it says why.
    assert whole.rmssd is not None and whole.rmssd.result is None
    assert whole.as_dict()["rmssd"] == {
        "start_s": 0.0,
        "end_s": 900.0,
        "above_chance": None,
        "absent": RMSSD_TOO_SHORT_REASON,
    }


def test_the_therapist_leading_is_said_so() -> None:
    client, therapist = copied_heart_rates(lag_s=3.0)
    found = span_synchrony(therapist, client, {"whole": (0.0, 900.0)})  # roles swapped
    assert found["whole"].as_dict()["leader"] == "therapist"
    assert found["whole"].as_dict()["lead_lag_s"] == -3.0


def test_the_whole_session_spans_both_straps() -> None:
    assert whole_session_span_s(np.array([2.0, 50.0]), np.array([1.0, 40.0])) == (1.0, 50.0)
    assert whole_session_span_s(np.array([]), np.array([])) == (0.0, 0.0)
