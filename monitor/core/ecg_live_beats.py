"""The strap's beats checked live against the ECG's R peaks (Polar H10 with raw ECG).

The live form of :mod:`monitor.core.ecg_verified_beats`: strap beats wait until the ECG around
them has been decided by :class:`~monitor.core.ecg_peaks.StreamingRPeakDetector`, then each is
settled by the R peaks, so the RR-only artefact filter's guess from timing (Lipponen &
Tarvainen 2019) is not needed:

- a strap beat with an R peak within ``MATCH_TOL_S`` (after the running median offset between
  the two clocks) is **confirmed**: its RR is kept as the strap measured it, even when the timing
  alone would look ectopic;
- R peaks between the previous settled beat and this one that the strap never reported were
  **missed** by the strap: they come in as beats of their own (``inserted``);
- a strap beat with no R peak near it was an **extra** detection: it goes (``removed``), and the
  next beat's RR is measured from the R peaks;
- an R peak whose QRS correlates below ``MIN_QRS_CORRELATION`` with the running median QRS is
  **ectopic by its shape** (de Chazal et al. 2004, IEEE Trans Biomed Eng 51:1196): the interval
  ending at it and the one after it are replaced by the last normal interval, the live stand-in
  for Lipponen & Tarvainen's interpolation, which would need beats not yet arrived.

Beat times of the output stay on the strap's clock (R peak minus the offset), so they continue
the session's beat times whether the ECG is there or not (docs/architecture.md, Time).
"""

from __future__ import annotations

import dataclasses
import enum
from collections import deque
from dataclasses import dataclass

import numpy as np

from monitor.core.artefacts import BeatClass
from monitor.core.ecg_peaks import StreamingRPeakDetector
from monitor.core.ecg_verified_beats import MATCH_TOL_S, MIN_QRS_CORRELATION, QRS_HALF_WIDTH_S

DECISION_LAG_S = 0.6
"""ECG that must follow an R peak before the detector reports it."""

SETTLED_MARGIN_S = 0.4
"""Beyond the detector's lag: a peak at the edge of the decided span may still be found."""

OFFSET_BEATS = 15
"""Matched beats over which the median offset between the strap and ECG clocks is taken."""

OFFSET_SEARCH_BEFORE_S = 1.5
"""Before any match (and after the strap's clock re-anchored): how long before the strap's beat
time its R peak may be. The strap's beats are anchored at a notification's arrival
(:class:`drivers.beat_clock.BeatClock`), up to one notification interval (~1 s) after the beat
itself, while the ECG's samples are mapped to within the radio's delay of their true times
(:class:`drivers.pmd.StrapClock`): the beat's R peak is the *latest* one not after it."""

OFFSET_SEARCH_AFTER_S = 0.1
"""The same, after the strap's beat time: the two clocks' delays differ by a few tens of ms."""

TEMPLATE_BEATS = 15
"""Recent QRS complexes whose median is the template of a normal beat."""

MIN_TEMPLATE_BEATS = 5
"""Complexes needed before a shape is judged (until then the timing decides)."""

ECG_BUFFER_S = 8.0


class EcgVerdict(enum.StrEnum):
    """What the ECG said about one beat of the output (or one strap beat removed)."""

    CONFIRMED = "confirmed"
    INSERTED = "inserted"
    REMOVED = "removed"
    ECTOPIC_QRS = "ectopic_qrs"


@dataclass(frozen=True, slots=True)
class EcgCheckedBeat:
    """One beat after the ECG's check.

    Attributes
    ----------
    t_s : float
        Beat time on the strap's clock (for a removed beat: the strap's time of it).
    nn_ms : float
        The interval to use (NaN for a removed beat).
    raw_rr_ms : float
        The strap's RR of this beat (NaN for a beat the ECG inserted).
    verdict : EcgVerdict
    corrected : bool
        ``nn_ms`` is not the strap's RR (inserted, after a removed beat, or around an ectopic).
    strap_beat : bool
        It stands for a beat the strap reported (one raw beat), not for an inserted R peak.
    raw_class : BeatClass
        The strap beat's class in the artefact filter's terms, for the file: ``EXTRA`` removed,
        ``MISSED`` its RR spanned R peaks the strap missed, ``ECTOPIC`` by its QRS, else
        ``NORMAL`` (an inserted R peak: ``MISSED``).
    """

    t_s: float
    nn_ms: float
    raw_rr_ms: float
    verdict: EcgVerdict
    corrected: bool
    strap_beat: bool
    raw_class: BeatClass = BeatClass.NORMAL


class LiveEcgBeatCheck:
    """Feed ECG chunks (:meth:`push_ecg`) and strap beats (:meth:`push_beat`); get the beats
    the ECG has settled, in time order.

    Parameters
    ----------
    sample_hz
        ECG sampling rate (130 Hz on the H10).
    """

    def __init__(self, sample_hz: float) -> None:
        self.sample_hz = float(sample_hz)
        self._detector = StreamingRPeakDetector(sample_hz, DECISION_LAG_S)
        self._buffer_n = int(ECG_BUFFER_S * sample_hz)
        self._ecg_t = np.empty(0)
        self._ecg_uv = np.empty(0)
        self._peaks: deque[tuple[float, bool]] = deque(maxlen=64)  # (time, normal QRS)
        self._templates: deque[np.ndarray] = deque(maxlen=TEMPLATE_BEATS)
        self._held: deque[tuple[float, float, bool]] = deque()  # strap (t_s, rr_ms, reanchored)
        self._offsets: deque[float] = deque(maxlen=OFFSET_BEATS)
        self._last_peak_s: float | None = None  # ECG clock, of the last beat given out
        self._last_was_strap_match = False
        self._last_normal_nn_ms: float | None = None
        self._after_ectopic = False
        self.ecg_end_s = -np.inf
        self.peak_count = 0
        self._new_peaks_s: list[float] = []

    # -- input ----------------------------------------------------------------------------------

    def push_ecg(self, t_s: np.ndarray, ecg_uv: np.ndarray) -> list[EcgCheckedBeat]:
        """Add ECG samples (s, uV); return the held beats they settle."""
        t = np.asarray(t_s, dtype=float)
        x = np.asarray(ecg_uv, dtype=float)
        self._ecg_t = np.concatenate((self._ecg_t, t))[-self._buffer_n :]
        self._ecg_uv = np.concatenate((self._ecg_uv, x))[-self._buffer_n :]
        if t.size:
            self.ecg_end_s = float(t[-1])
        for peak_s in self._detector.push(t, x):
            self._peaks.append((float(peak_s), self._normal_qrs(float(peak_s))))
            self._new_peaks_s.append(float(peak_s))
            self.peak_count += 1
        return self._settle()

    def push_beat(self, t_s: float, rr_ms: float, reanchored: bool = False) -> list[EcgCheckedBeat]:
        """Add one strap beat (strap clock); return the beats now settled.

        ``reanchored``: the strap's clock placed this beat afresh (``Beat.reanchored``), so the
        offset between the clocks is searched for again from it.
        """
        self._held.append((t_s, rr_ms, reanchored))
        return self._settle()

    def take_new_peaks(self) -> tuple[float, ...]:
        """The R peaks detected since the last call (ECG clock, s), oldest first: what the
        dashboard's ECG strip marks, before any strap beat is matched to them."""
        peaks, self._new_peaks_s = tuple(self._new_peaks_s), []
        return peaks

    def release_unsettled(self) -> list[tuple[float, float]]:
        """The strap beats still waiting (the ECG stopped): for the RR-only path, in order."""
        held = [(t_s, rr_ms) for t_s, rr_ms, _ in self._held]
        self._held.clear()
        self._peaks.clear()
        self._last_peak_s = None
        self._last_was_strap_match = False
        return held

    @property
    def offset_s(self) -> float | None:
        """ECG clock minus strap clock (median over recent matches), once known."""
        return float(np.median(self._offsets)) if self._offsets else None

    # -- the work -------------------------------------------------------------------------------

    def _settled_until_s(self) -> float:
        return self.ecg_end_s - DECISION_LAG_S - SETTLED_MARGIN_S

    def _settle(self) -> list[EcgCheckedBeat]:
        out: list[EcgCheckedBeat] = []
        while self._held:
            t_s, rr_ms, reanchored = self._held[0]
            if reanchored:
                self._offsets.clear()
            offset = self.offset_s
            before, after = (
                (MATCH_TOL_S, MATCH_TOL_S)
                if offset is not None
                else (OFFSET_SEARCH_BEFORE_S, OFFSET_SEARCH_AFTER_S)
            )
            aligned = t_s + (offset if offset is not None else 0.0)
            if aligned + after > self._settled_until_s():
                break
            self._held.popleft()
            out.extend(self._settle_one(t_s, rr_ms, aligned, before, after))
        return out

    def _settle_one(
        self, t_s: float, rr_ms: float, aligned_s: float, before_s: float, after_s: float
    ) -> list[EcgCheckedBeat]:
        out: list[EcgCheckedBeat] = []
        candidates = [p for p in self._peaks if aligned_s - before_s <= p[0] <= aligned_s + after_s]
        if self._offsets:
            match = min(candidates, key=lambda p: abs(p[0] - aligned_s), default=None)
        else:
            match = max(candidates, key=lambda p: p[0], default=None)
        if match is None:
            # No R peak at this beat: the strap counted something that was not a heartbeat.
            self._last_was_strap_match = False
            return [
                EcgCheckedBeat(t_s, np.nan, rr_ms, EcgVerdict.REMOVED, True, True, BeatClass.EXTRA)
            ]
        self._offsets.append(match[0] - t_s)
        offset = float(np.median(self._offsets))
        if self._last_peak_s is None:
            # The first beat: R peaks before it have no strap beat to be missed by.
            while self._peaks and self._peaks[0][0] <= match[0]:
                self._peaks.popleft()
            self._last_peak_s = match[0]
            self._last_was_strap_match = True
            return [EcgCheckedBeat(t_s, rr_ms, rr_ms, EcgVerdict.CONFIRMED, False, True)]
        while self._peaks and self._peaks[0][0] < match[0]:
            peak_s, normal = self._peaks.popleft()
            out.append(self._beat_from_peak(peak_s, normal, offset, strap_rr_ms=None))
        self._peaks.popleft()
        beat = self._beat_from_peak(match[0], match[1], offset, strap_rr_ms=rr_ms)
        if out and beat.raw_class is BeatClass.NORMAL:
            beat = dataclasses.replace(beat, raw_class=BeatClass.MISSED)
        return [*out, beat]

    def _beat_from_peak(
        self, peak_s: float, normal: bool, offset_s: float, strap_rr_ms: float | None
    ) -> EcgCheckedBeat:
        assert self._last_peak_s is not None
        ecg_rr_ms = (peak_s - self._last_peak_s) * 1000.0
        self._last_peak_s = peak_s
        t_s = peak_s - offset_s
        strap = strap_rr_ms is not None
        raw = strap_rr_ms if strap_rr_ms is not None else np.nan
        use_strap = strap and self._last_was_strap_match
        nn_ms = strap_rr_ms if use_strap and strap_rr_ms is not None else ecg_rr_ms
        self._last_was_strap_match = strap
        if not normal or self._after_ectopic:
            # The premature interval and the compensatory pause both misstate the sinus rhythm.
            fill = self._last_normal_nn_ms if self._last_normal_nn_ms is not None else nn_ms
            verdict = EcgVerdict.ECTOPIC_QRS if not normal else EcgVerdict.CONFIRMED
            self._after_ectopic = not normal
            cls = BeatClass.ECTOPIC if not normal else BeatClass.NORMAL
            return EcgCheckedBeat(t_s, fill, raw, verdict, True, strap, cls)
        self._last_normal_nn_ms = nn_ms
        verdict = EcgVerdict.CONFIRMED if strap else EcgVerdict.INSERTED
        cls = BeatClass.NORMAL if strap else BeatClass.MISSED
        return EcgCheckedBeat(t_s, nn_ms, raw, verdict, not use_strap, strap, cls)

    def _normal_qrs(self, peak_s: float) -> bool:
        """Whether the QRS at ``peak_s`` has the shape of the recent normal beats."""
        half = round(QRS_HALF_WIDTH_S * self.sample_hz)
        centre = int(np.searchsorted(self._ecg_t, peak_s))
        if centre - half < 0 or centre + half >= self._ecg_uv.size:
            return True  # no shape to judge: the timing decides
        seg = self._ecg_uv[centre - half : centre + half + 1].copy()
        seg -= seg.mean()
        history = list(self._templates)
        self._templates.append(seg)
        if len(history) < MIN_TEMPLATE_BEATS:
            return True
        # The median over recent complexes of every kind: ectopics are too few to shape it, and
        # a spurious detection at the start (noise before the first beat) is soon outvoted.
        stack = np.stack(history)
        template = np.median(stack, axis=0)
        if np.percentile(_correlations(stack, template), 33) < MIN_QRS_CORRELATION:
            # Fewer than two in three recent complexes look alike (noise detected before the
            # first beat, a new electrode position): no template to judge by yet.
            return True
        return bool(_correlations(seg[None, :], template)[0] >= MIN_QRS_CORRELATION)


def _correlations(segments: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Pearson correlation of each (mean-removed) segment with the template."""
    den = np.linalg.norm(segments, axis=1) * np.linalg.norm(template)
    return np.asarray(segments @ template / np.where(den > 0, den, np.inf))
