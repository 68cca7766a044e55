"""Live R-peak detection in a chest-strap ECG (Polar H10, 130 Hz), chunk by chunk.

The detector is Pan & Tompkins' (1985, IEEE Trans Biomed Eng 32:230) in its stages, with scipy
filters whose state is carried between chunks so that any chunking gives the same peaks:

1. band-pass 5-15 Hz (Butterworth, causal), where QRS energy dominates P, T, wander and mains;
2. derivative, squaring and a 150 ms moving-window integration (MWI);
3. MWI peaks at least 250 ms apart (the refractory period) above an adaptive threshold: Pan &
   Tompkins' running signal and noise levels, ``threshold = NPKI + 0.25 (SPKI - NPKI)``, with
   their search-back at half the threshold when no beat came for 1.66 times the mean RR, and
   their levels learned afresh from the last 2 s when no beat came for 3 s (after lost skin
   contact, or a new electrode position with a smaller QRS);
4. the R peak is the largest deflection of the baseline-corrected raw ECG in the QRS span
   before the MWI peak, refined below the 7.7 ms sample spacing by a cubic spline through the
   neighbouring samples (a standard sub-sample step; at 130 Hz, without it, R-peak times are
   quantised to +-3.8 ms, too coarse for RMSSD at rest; Merri et al. 1990, IEEE Trans Biomed
   Eng 37:99 on ECG sampling rate and HRV).

Memory is bounded: a few seconds of signal are kept, whatever the session's length. A peak is
reported once ``decision_lag_s`` of signal after it has arrived, so the detector's answers do not
change later.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import butter, find_peaks, lfilter, lfilter_zi, sosfilt, sosfilt_zi

BAND_HZ = (5.0, 15.0)
MWI_WINDOW_S = 0.150
REFRACTORY_S = 0.250
SEARCH_BACK_FACTOR = 1.66
RELEARN_AFTER_S = 3.0
BUFFER_S = 6.0
MIN_SAMPLE_HZ = 2 * BAND_HZ[1] + 10.0
"""The slowest ECG the detector takes: the band's top, twice over, and a margin."""


class StreamingRPeakDetector:
    """Feed ECG chunks with :meth:`push`; get the new R-peak times (s) each time.

    Parameters
    ----------
    sample_hz
        ECG sampling rate (130 Hz on the H10).
    decision_lag_s
        Signal that must follow a peak before it is reported (look-ahead for the refractory
        period and the search-back).
    """

    def __init__(self, sample_hz: float, decision_lag_s: float = 0.6) -> None:
        if not np.isfinite(sample_hz) or sample_hz < MIN_SAMPLE_HZ:
            raise ValueError(f"ECG sample rate {sample_hz:g} Hz is too low for QRS detection")
        self.sample_hz = float(sample_hz)
        self._lag_n = round(decision_lag_s * sample_hz)
        self._sos = butter(2, BAND_HZ, btype="bandpass", fs=sample_hz, output="sos")
        self._sos_zi: np.ndarray | None = None
        n_mwi = max(1, round(MWI_WINDOW_S * sample_hz))
        self._mwi_b = np.ones(n_mwi) / n_mwi
        self._mwi_zi = np.zeros(n_mwi - 1)
        self._diff_last = 0.0
        self._max_n = int(BUFFER_S * sample_hz)
        self._t = np.empty(0)
        self._raw = np.empty(0)
        self._mwi = np.empty(0)
        self._spki: float | None = None
        self._npki = 0.0
        self._rr_s: deque[float] = deque(maxlen=8)
        self._last_peak_s = -np.inf
        self._last_mwi_s = -np.inf
        self._relearned_s = -np.inf
        self._seen_n = 0

    def push(self, t_s: np.ndarray, ecg_uv: np.ndarray) -> np.ndarray:
        """Add samples (times in s, values in uV); return R-peak times (s) newly decided."""
        x = np.asarray(ecg_uv, dtype=float).reshape(-1)
        t = np.asarray(t_s, dtype=float).reshape(-1)
        if x.size != t.size:
            raise ValueError(f"{t.size} sample times for {x.size} ECG samples")
        if x.size == 0:
            return np.empty(0)
        if not np.all(np.isfinite(x)):
            # A lost or corrupt sample would poison the filters' state for good: hold the last
            # good value instead (a flat stretch, which makes no QRS).
            x = self._hold_last_finite(x)
        if self._sos_zi is None:
            self._sos_zi = sosfilt_zi(self._sos) * x[0]
            self._mwi_zi = lfilter_zi(self._mwi_b, 1.0) * 0.0
        band, self._sos_zi = sosfilt(self._sos, x, zi=self._sos_zi)
        deriv = np.diff(band, prepend=self._diff_last) * self.sample_hz
        self._diff_last = float(band[-1])
        mwi, self._mwi_zi = lfilter(self._mwi_b, 1.0, deriv**2, zi=self._mwi_zi)
        self._t = np.concatenate((self._t, t))
        self._raw = np.concatenate((self._raw, x))
        self._mwi = np.concatenate((self._mwi, mwi))
        self._seen_n += x.size
        peaks = self._decide()
        if self._t.size > self._max_n:
            cut = self._t.size - self._max_n
            self._t, self._raw, self._mwi = self._t[cut:], self._raw[cut:], self._mwi[cut:]
        return peaks

    def _hold_last_finite(self, x: np.ndarray) -> np.ndarray:
        good = np.isfinite(x)
        last = self._raw[-1] if self._raw.size else (x[good][0] if np.any(good) else 0.0)
        idx = np.where(good, np.arange(x.size), -1)
        np.maximum.accumulate(idx, out=idx)
        return np.where(idx >= 0, x[np.maximum(idx, 0)], last)

    def _decide(self) -> np.ndarray:
        if self._seen_n < 2 * self.sample_hz:
            return np.empty(0)  # learning phase: levels from the first 2 s
        if self._spki is None:
            self._spki = float(np.max(self._mwi))
            self._npki = float(np.mean(self._mwi))
        decidable = self._t.size - self._lag_n
        distance = max(1, int(REFRACTORY_S * self.sample_hz))
        cands, _props = find_peaks(self._mwi[:decidable], distance=distance)
        out: list[float] = []
        newest_s = float(self._t[decidable - 1]) if decidable > 0 else -np.inf
        if newest_s - max(self._last_mwi_s, self._relearned_s) > RELEARN_AFTER_S:
            recent = self._mwi[max(0, decidable - int(2 * self.sample_hz)) : decidable]
            self._spki = float(np.max(recent))
            self._npki = float(np.mean(recent))
            self._relearned_s = newest_s
        for idx in cands:
            cand_s = float(self._t[idx])
            if cand_s <= self._last_mwi_s + REFRACTORY_S:
                continue
            height = float(self._mwi[idx])
            threshold = self._npki + 0.25 * (self._spki - self._npki)
            if height < threshold and not self._search_back(cand_s, height, threshold):
                self._npki = 0.125 * height + 0.875 * self._npki
                continue
            self._spki = 0.125 * height + 0.875 * self._spki
            self._last_mwi_s = cand_s
            r_s = self._r_peak_time(idx)
            if np.isfinite(self._last_peak_s):
                self._rr_s.append(r_s - self._last_peak_s)
            self._last_peak_s = r_s
            out.append(r_s)
        return np.asarray(out)

    def _search_back(self, cand_s: float, height: float, threshold: float) -> bool:
        """Pan & Tompkins' search-back: accept at half threshold after a long pause."""
        if len(self._rr_s) < 2 or height < 0.5 * threshold:
            return False
        return cand_s - self._last_mwi_s > SEARCH_BACK_FACTOR * float(np.mean(self._rr_s))

    def _r_peak_time(self, mwi_idx: int) -> float:
        """The raw ECG's largest deflection in the QRS span ending at the MWI peak."""
        fs = self.sample_hz
        lo = max(0, mwi_idx - round(0.25 * fs))
        hi = min(self._raw.size, mwi_idx + 1)
        seg = self._raw[lo:hi]
        # Baseline: the median of a wider span, which is mostly not QRS.
        wlo = max(0, mwi_idx - round(0.6 * fs))
        base = float(np.median(self._raw[wlo : mwi_idx + 1]))
        dev = seg - base
        k = int(np.argmax(np.abs(dev)))
        centre = lo + k
        sign = 1.0 if dev[k] >= 0 else -1.0
        a = max(0, centre - 3)
        b = min(self._raw.size, centre + 4)
        if b - a < 4 or centre in (0, self._raw.size - 1):
            return float(self._t[centre])
        local_n = np.arange(a, b, dtype=float)
        spline = CubicSpline(local_n, sign * self._raw[a:b])
        fine = np.linspace(centre - 1.0, centre + 1.0, 201)
        best = float(fine[int(np.argmax(spline(fine)))])
        i0 = int(np.floor(best))
        frac = best - i0
        return float(self._t[i0] + frac / fs) if frac else float(self._t[i0])


def detect_r_peaks(
    t_s: np.ndarray, ecg_uv: np.ndarray, sample_hz: float, chunk_n: int = 73
) -> np.ndarray:
    """R-peak times (s) of a whole record, through the live detector in chunks of ``chunk_n``.

    73 samples is one H10 ECG notification (Polar Measurement Data frame at 130 Hz).
    """
    det = StreamingRPeakDetector(sample_hz)
    parts = [
        det.push(t_s[i : i + chunk_n], ecg_uv[i : i + chunk_n])
        for i in range(0, len(ecg_uv), chunk_n)
    ]
    return np.concatenate(parts) if parts else np.empty(0)
