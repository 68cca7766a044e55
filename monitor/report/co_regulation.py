"""A co-regulation session's second half: the therapist's own strap and the synchrony of the two
(issue #18), computed once for ``analyze --json`` and the session report.

The therapist is judged like a client, against the therapist's own baseline (the first five
minutes of their strap: they mark no phases); synchrony is
:func:`monitor.core.co_regulation.span_synchrony` over the whole session and each phase the
therapist marked and around each grounding (two minutes either side of its start), on the two
10-s heart rates of the live indices and on the two RMSSDs in 15-s bins of the NN intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.core.analysis import RecordingSummary, snapshots_from_table, summarize
from monitor.core.co_regulation import (
    PersonBeats,
    SpanSynchrony,
    around_grounding_spans_s,
    phase_spans_s,
    span_synchrony,
    whole_session_span_s,
)
from monitor.core.protocol import Phase, is_phase
from monitor.core.tolerance_summary import ToleranceSummary
from monitor.recording.beat_input import BeatInput, tolerance_inputs_for
from monitor.recording.model import EventKind
from monitor.timeline import parallel_timeline

WHOLE_SESSION = "whole session"
AROUND_GROUNDING = "around grounding"


@dataclass(frozen=True)
class CoRegulation:
    """The therapist's strap and the synchrony of a co-regulation session.

    Attributes
    ----------
    therapist_hrv : RecordingSummary
        The therapist's whole-recording HRV.
    therapist_tolerance : ToleranceSummary
        The therapist against the therapist's own window.
    synchrony : dict of str to SpanSynchrony
        ``"whole session"`` first, then each marked phase in time order, then
        ``"around grounding N"`` for each grounding.
    therapist_hr : (t_s, hr_bpm) of numpy arrays
        The therapist's 10-s heart rate at each NN beat (for figures).
    """

    therapist_hrv: RecordingSummary
    therapist_tolerance: ToleranceSummary
    synchrony: dict[str, SpanSynchrony]
    therapist_hr: tuple[np.ndarray, np.ndarray]

    def as_json(self) -> dict[str, object]:
        """``analyze --json``'s ``therapist`` and ``synchrony`` objects."""
        hrv = self.therapist_hrv.as_dict()
        zones = self.therapist_tolerance.time_in_zones_s[WHOLE_SESSION]
        spans = dict(self.synchrony)
        return {
            "therapist": {
                "beats": hrv["beats"],
                "mean_hr_bpm": hrv["mean_hr_bpm"],
                "rmssd_ms": hrv["rmssd_ms"],
                "time_in_window": {f"{k}_s": round(v, 1) for k, v in zones.items()},
            },
            "synchrony": {
                "whole_session": spans.pop(WHOLE_SESSION).as_dict(),
                "phases": {
                    name: span.as_dict()
                    for name, span in spans.items()
                    if not name.startswith(AROUND_GROUNDING)
                },
                "around_grounding": [
                    span.as_dict()
                    for name, span in spans.items()
                    if name.startswith(AROUND_GROUNDING)
                ],
            },
        }


def co_regulation_of(
    beats: BeatInput, client_table: np.ndarray, workers: int | None = None
) -> CoRegulation | None:
    """The therapist's strap and the synchrony, or None for a session without a therapist.

    Parameters
    ----------
    beats : BeatInput
        The session (:attr:`BeatInput.therapist` holds the therapist's strap).
    client_table : numpy.ndarray
        The client's timeline (:func:`monitor.timeline.parallel_timeline`).
    workers : int, optional
        Processes for the therapist's timeline (as :func:`~monitor.timeline.parallel_timeline`).
    """
    therapist = beats.therapist
    if therapist is None:
        return None
    table = parallel_timeline(
        therapist.t_s, therapist.rr_ms, gap_after=therapist.gap_after, workers=workers
    )
    own = tolerance_inputs_for(therapist, table).evaluate()
    client = snapshots_from_table(client_table)
    theirs = snapshots_from_table(table)
    therapist_t = np.array([s.t_s for s in theirs])
    therapist_hr = np.array([s.indices.hr_10s_bpm for s in theirs])
    start_s, end_s = whole_session_span_s(beats.t_s, therapist.t_s)
    phases = [(e.t_s, e.text) for e in beats.events if e.kind == EventKind.PHASE and e.text]
    groundings = [t_s for t_s, name in phases if is_phase(name, Phase.GROUNDING)]
    spans = {
        WHOLE_SESSION: (start_s, end_s),
        **phase_spans_s(phases, end_s),
        **around_grounding_spans_s(groundings, end_s),
    }
    found = span_synchrony(
        PersonBeats.of(
            [s.t_s for s in client],
            [s.indices.hr_10s_bpm for s in client],
            [s.nn_ms for s in client],
        ),
        PersonBeats.of(therapist_t, therapist_hr, [s.nn_ms for s in theirs]),
        spans,
    )
    return CoRegulation(
        therapist_hrv=summarize(therapist.rr_ms, therapist.t_s),
        therapist_tolerance=own,
        synchrony=found,
        therapist_hr=(therapist_t, therapist_hr),
    )
