"""Heartbeats from an ECG alone: RR intervals between the live R peaks of runs of samples.

For a source that sends an ECG and no beats of its own (another program's LSL ECG stream), the
beats are the R peaks :class:`~monitor.core.ecg_peaks.StreamingRPeakDetector` finds (Pan &
Tompkins 1985, with sub-sample refinement) and each RR interval is the time between two
successive R peaks (Task Force of the ESC and NASPE 1996, Circulation 93:1043: "normal-to-normal"
intervals are measured between successive QRS complexes).

Two rules keep lost signal from passing for a heartbeat, as the session's gaps require
(docs/architecture.md, Time: never bridged):

- a run that does not continue the previous one (its first sample more than ``MAX_SLIP_S``
  from where the previous run's next sample was due, or at another rate) starts the detector
  afresh: no interval spans the break;
- two R peaks more than ``MAX_RR_MS`` apart (a heart rate under 20 bpm, far below any waking
  heart) are not one interval but lost signal between (a loose electrode, a flat stretch):
  the later peak starts the next interval.

Either way the first interval after the lost stretch says where the stretch began
(:attr:`EcgInterval.gap_from_s`), so the session marks a gap there instead of running the
beats on from the last one before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.core.ecg_peaks import StreamingRPeakDetector

MAX_RR_MS = 3000.0
"""A longer time between two R peaks is lost signal, not an interval (20 bpm)."""

MAX_SLIP_S = 0.1
"""A run starting further than this from the previous run's next sample is a break (samples
lost, a clock reset); nearer, it is the sender's time stamps being corrected (a dejitter fit
settling), and the signal goes on."""


@dataclass(frozen=True, slots=True)
class EcgInterval:
    """One RR interval found in the ECG.

    Attributes
    ----------
    t_s : float
        The R peak that ends the interval (the beat's time), on the samples' clock.
    rr_ms : float
        Time since the previous R peak, in ms.
    gap_from_s : float or None
        The first interval after lost signal: the end of the last interval before it (``None``
        when there was no earlier interval); nothing is known from there to
        ``t_s - rr_ms / 1000``.
    """

    t_s: float
    rr_ms: float
    gap_from_s: float | None = None


class EcgIntervals:
    """Feed ECG runs with :meth:`push`; get the RR intervals their R peaks decide.

    Parameters
    ----------
    decision_lag_s
        Signal the detector waits for after a peak before it reports it
        (:class:`~monitor.core.ecg_peaks.StreamingRPeakDetector`).
    """

    def __init__(self, decision_lag_s: float = 0.6) -> None:
        self.decision_lag_s = decision_lag_s
        self._detector: StreamingRPeakDetector | None = None
        self._next_sample_s = -np.inf
        self._last_peak_s: float | None = None
        self._last_interval_s: float | None = None
        self._lost = False
        self.breaks = 0
        """How many times a run did not continue the previous one (the detector restarted)."""

    def push(self, start_s: float, sample_hz: float, ecg_uv: np.ndarray) -> list[EcgInterval]:
        """Add one run: sample ``i`` at ``start_s + i / sample_hz``, values in µV.

        Raises
        ------
        ValueError
            When ``sample_hz`` is too low to find QRS complexes in.
        """
        x = np.asarray(ecg_uv, dtype=float).reshape(-1)
        if x.size == 0:
            return []
        detector = self._detector
        period_s = 1.0 / sample_hz if sample_hz > 0 else np.inf
        slip_s = abs(start_s - self._next_sample_s)
        if detector is None or detector.sample_hz != sample_hz or not slip_s <= MAX_SLIP_S:
            if detector is not None:
                self.breaks += 1
                self._lost = True
            detector = self._detector = StreamingRPeakDetector(sample_hz, self.decision_lag_s)
            self._last_peak_s = None
        t_s = start_s + np.arange(x.size) * period_s
        self._next_sample_s = start_s + x.size * period_s
        out: list[EcgInterval] = []
        for peak in detector.push(t_s, x):
            peak_s = float(peak)
            previous_s, self._last_peak_s = self._last_peak_s, peak_s
            if previous_s is None:
                continue
            rr_ms = (peak_s - previous_s) * 1000.0
            if rr_ms > MAX_RR_MS:
                self._lost = True
                continue
            gap_from_s = self._last_interval_s if self._lost else None
            self._lost = False
            self._last_interval_s = peak_s
            out.append(EcgInterval(peak_s, rr_ms, gap_from_s))
        return out
