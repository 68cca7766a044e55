"""The incremental HRV engine: push beats one by one, get the live index set after each.

Per beat it runs the streaming artefact filter (a few beats of look-ahead), appends the decided NN
intervals to its history and recomputes every index over its own sliding window
(:class:`~monitor.core.settings.HrvWindows`). Time-domain, Poincaré, stress-index and DFA values
come from the same functions as the batch form (:func:`monitor.core.indices.indices_at`), applied
to the same window; spectra come from sliding Lomb–Scargle sums that equal a fresh periodogram. A
property test holds the engine and the batch form equal.

A signal gap (:meth:`HrvEngine.mark_gap`) ends the stretch: indices need their windows to fill
again before they are shown, so missing data never reads as calm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from monitor.core import spectral
from monitor.core.artefacts import BeatClass, NNBeat, RawBeatDecision, StreamingArtefactFilter
from monitor.core.ecg_live_beats import EcgCheckedBeat, EcgVerdict
from monitor.core.indices import WindowIndices, window_indices
from monitor.core.settings import HrvWindows

_INITIAL_CAPACITY_BEATS = 8192


@dataclass(frozen=True, slots=True)
class HrvSnapshot:
    """The engine's output after one NN beat.

    Attributes
    ----------
    t_s : float
        Beat time of the NN beat the windows end at.
    nn_ms : float
        Its NN interval (after correction).
    raw_rr_ms : float
        The RR interval as received (NaN for a beat the correction inserted).
    beat_class : BeatClass
        What the artefact stage decided about the raw beat.
    corrected : bool
        Whether ``nn_ms`` differs from what was received.
    indices : WindowIndices
        The live index set.
    """

    t_s: float
    nn_ms: float
    raw_rr_ms: float
    beat_class: BeatClass
    corrected: bool
    indices: WindowIndices


def stretch_start_s(t_s: float, rr_ms: float) -> float:
    """When a stretch of signal whose first received beat is (``t_s``, ``rr_ms``) began: the
    start of that beat's interval when the interval is plausible, else the beat itself."""
    if math.isfinite(rr_ms) and 0 < rr_ms < 10_000:
        return t_s - rr_ms / 1000.0
    return t_s


class HrvEngine:
    """Per-beat HRV over sliding windows, with streaming artefact correction.

    Parameters
    ----------
    windows : HrvWindows, optional
        Window lengths; the documented defaults when omitted.

    Examples
    --------
    >>> engine = HrvEngine()
    >>> snapshots = [s for t, rr in zip(times_s, rr_ms) for s in engine.push(t, rr)]
    >>> snapshots += engine.flush()
    """

    def __init__(self, windows: HrvWindows | None = None) -> None:
        self.windows = windows or HrvWindows()
        self._filter = StreamingArtefactFilter()
        # Row 0 is the LF/HF window's spectrum, row 1 the coherence window's.
        self._spectra = spectral.SlidingLombScargle(
            (self.windows.spectral_s, self.windows.coherence_s)
        )
        self._t_s = np.empty(_INITIAL_CAPACITY_BEATS)
        self._nn_ms = np.empty(_INITIAL_CAPACITY_BEATS)
        self._corrected = np.empty(_INITIAL_CAPACITY_BEATS, dtype=bool)
        self._count = 0
        self._data_start_s: float | None = None
        self.latest: HrvSnapshot | None = None

    # -- input --------------------------------------------------------------------------------

    def push(self, t_s: float, rr_ms: float) -> list[HrvSnapshot]:
        """Add one received beat; return a snapshot for every NN beat now decided (often one,
        none while the look-ahead fills, two when a missed beat is split)."""
        if self._data_start_s is None:
            self._data_start_s = stretch_start_s(t_s, rr_ms)
        return [self._add(beat) for beat in self._filter.push(t_s, rr_ms)]

    def push_checked(self, beat: EcgCheckedBeat) -> list[HrvSnapshot]:
        """Add one beat the ECG has settled (:mod:`monitor.core.ecg_live_beats`), bypassing the
        timing-only artefact filter; beats still waiting in the filter are decided first so the
        series stays in time order. Returns the snapshots now decided (none for a removed beat).
        """
        snapshots = [self._add(b) for b in self._filter.flush()]
        if beat.strap_beat:
            self._filter.decided_elsewhere(beat.t_s, beat.raw_rr_ms, beat.raw_class)
        if beat.verdict is EcgVerdict.REMOVED:
            return snapshots
        if self._data_start_s is None:
            self._data_start_s = stretch_start_s(beat.t_s, beat.nn_ms)
        nn = NNBeat(beat.t_s, beat.nn_ms, beat.raw_rr_ms, beat.raw_class, beat.corrected)
        return [*snapshots, self._add(nn)]

    def flush(self) -> list[HrvSnapshot]:
        """Decide the beats still waiting for look-ahead (end of the stream)."""
        return [self._add(beat) for beat in self._filter.flush()]

    def mark_gap(self) -> list[HrvSnapshot]:
        """The signal was lost: settle the pending beats, then start a new stretch."""
        snapshots = self.flush()
        self.reset()
        return snapshots

    def reset(self) -> None:
        """Forget all history (windows refill before indices show again)."""
        self._filter.reset()
        self._spectra.reset()
        self._count = 0
        self._data_start_s = None

    def take_raw_decisions(self) -> list[RawBeatDecision]:
        """The artefact class of every raw beat decided since the last call, numbered by push
        order from 0 (what a recorder stores beside the unaltered raw RR)."""
        return self._filter.take_raw_decisions()

    # -- what the tests and the batch comparison need ----------------------------------------

    @property
    def data_start_s(self) -> float | None:
        """When the current stretch of signal began."""
        return self._data_start_s

    def nn_history(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of (t_s, nn_ms, corrected) kept for the current stretch (at least the longest
        window)."""
        n = self._count
        return self._t_s[:n].copy(), self._nn_ms[:n].copy(), self._corrected[:n].copy()

    # -- the work -------------------------------------------------------------------------------

    def _add(self, beat: NNBeat) -> HrvSnapshot:
        self._append(beat)
        self._spectra.push(beat.t_s, beat.nn_ms)
        snapshot = HrvSnapshot(
            t_s=beat.t_s,
            nn_ms=beat.nn_ms,
            raw_rr_ms=beat.raw_rr_ms,
            beat_class=BeatClass(beat.beat_class),
            corrected=beat.corrected,
            indices=self._indices(beat.t_s),
        )
        self.latest = snapshot
        return snapshot

    def _append(self, beat: NNBeat) -> None:
        if self._count == self._t_s.size:
            self._drop_old_beats(beat.t_s)
        i = self._count
        self._t_s[i] = beat.t_s
        self._nn_ms[i] = beat.nn_ms
        self._corrected[i] = beat.corrected
        self._count += 1

    def _drop_old_beats(self, now_s: float) -> None:
        n = self._count
        keep_from = int(np.searchsorted(self._t_s[:n], now_s - 2 * self.windows.longest_s))
        keep_from = max(keep_from, 1)
        kept = n - keep_from
        if kept >= self._t_s.size // 2:
            # Very fast heart rates with long windows: grow rather than lose window contents.
            self._t_s = np.concatenate([self._t_s, np.empty_like(self._t_s)])
            self._nn_ms = np.concatenate([self._nn_ms, np.empty_like(self._nn_ms)])
            self._corrected = np.concatenate([self._corrected, np.empty_like(self._corrected)])
        for buffer in (self._t_s, self._nn_ms, self._corrected):
            buffer[:kept] = buffer[keep_from:n]
        self._count = kept

    def _indices(self, now_s: float) -> WindowIndices:
        n = self._count
        assert self._data_start_s is not None
        spectra: list[np.ndarray] = []  # both windows in one pass, only once one is needed

        def psd_of(row: int) -> np.ndarray:
            if not spectra:
                spectra.append(self._spectra.psds())
            return np.asarray(spectra[0][row])

        return window_indices(
            self._t_s[:n],
            self._nn_ms[:n],
            self._corrected[:n],
            now_s - self._data_start_s,
            self.windows,
            lf_hf_psd=lambda _window: psd_of(0),
            coherence_psd=lambda _window: psd_of(1),
        )
