"""RR intervals from the strap checked against the ECG's R peaks (Polar H10 with raw ECG).

The RR-only artefact filter (:mod:`monitor.core.artefacts`, Lipponen & Tarvainen 2019) judges a
beat by its timing alone, so it must guess: a sudden long or short interval may be a missed or
extra detection, a premature beat, or a real sinus change. The ECG settles it:

1. the strap's beat times are aligned to the ECG's R peaks by their median offset (the strap
   stamps beats by RR sums anchored at a notification's arrival; docs/architecture.md, Time);
2. the beats are the R peaks: a strap beat with no R peak within ``match_tol_s`` was an extra
   detection and goes; an R peak with no strap beat was missed and comes in;
3. each R peak's QRS is compared with the median QRS of the record (Pearson correlation over
   +-100 ms): below ``MIN_QRS_CORRELATION`` the beat is ectopic by its shape, the morphology
   rule of automatic beat classifiers (de Chazal et al. 2004, IEEE Trans Biomed Eng 51:1196,
   use QRS morphology features for ventricular beats). Only the two intervals around such a beat
   are corrected, by linear interpolation in beat number between the nearest normal intervals
   (Lipponen & Tarvainen 2019's correction of ectopic beats); a beat whose timing looked
   ectopic but whose QRS is normal is kept exactly as the ECG timed it. (``correct_beats`` with
   given classes is not used: it re-derives displaced pairs from timing alone, which is the
   very guess the ECG replaces.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from monitor.core.artefacts import CorrectedSeries

MATCH_TOL_S = 0.08
QRS_HALF_WIDTH_S = 0.10
MIN_QRS_CORRELATION = 0.8


@dataclass(frozen=True)
class VerifiedBeats:
    """The ECG-verified NN series and what the verification found.

    Attributes
    ----------
    series
        NN intervals (ms) between successive R peaks and their end times (s, strap clock);
        ``source_index`` numbers the R-peak intervals, ``corrected`` marks the interpolated.
    extra_count, missed_count, ectopic_qrs_count
        Strap beats with no R peak, R peaks with no strap beat, QRS of ectopic shape.
    offset_s
        ECG time minus strap time (median over matched beats).
    """

    series: CorrectedSeries
    extra_count: int
    missed_count: int
    ectopic_qrs_count: int
    offset_s: float


def qrs_correlations(
    r_peaks_s: np.ndarray, t_s: np.ndarray, ecg_uv: np.ndarray, sample_hz: float
) -> np.ndarray:
    """Per R peak, the Pearson correlation of its QRS with the median QRS (NaN at the edges)."""
    half = round(QRS_HALF_WIDTH_S * sample_hz)
    centres = np.searchsorted(t_s, r_peaks_s)
    ok = (centres - half >= 0) & (centres + half < len(ecg_uv))
    out = np.full(len(r_peaks_s), np.nan)
    if not np.any(ok):
        return out
    idx = centres[ok, None] + np.arange(-half, half + 1)[None, :]
    segs = np.asarray(ecg_uv, dtype=float)[idx]
    segs -= segs.mean(axis=1, keepdims=True)
    template = np.median(segs, axis=0)
    num = segs @ template
    den = np.linalg.norm(segs, axis=1) * np.linalg.norm(template)
    out[ok] = num / np.where(den > 0, den, np.inf)
    return out


def verify_beats(
    strap_beat_times_s: ArrayLike,
    r_peaks_s: ArrayLike,
    t_s: ArrayLike,
    ecg_uv: ArrayLike,
    sample_hz: float,
    match_tol_s: float = MATCH_TOL_S,
) -> VerifiedBeats:
    """The strap's beats verified and repaired by the ECG over a span the ECG covers.

    Parameters
    ----------
    strap_beat_times_s
        Beat times (s) from the strap's RR intervals (session clock).
    r_peaks_s
        R-peak times (s) from :mod:`monitor.core.ecg_peaks` over the same span (ECG clock).
    t_s, ecg_uv, sample_hz
        The ECG itself, for the QRS shape of each beat.
    match_tol_s
        A strap beat and an R peak closer than this are the same beat.

    Returns
    -------
    VerifiedBeats
        NN series (beat times in the strap's clock) and the counts of repairs.
    """
    strap = np.asarray(strap_beat_times_s, dtype=float)
    peaks = np.asarray(r_peaks_s, dtype=float)
    ecg_t = np.asarray(t_s, dtype=float)
    if peaks.size < 3 or strap.size < 2:
        raise ValueError("too few beats to verify against the ECG")
    j = np.clip(np.searchsorted(peaks, strap), 1, peaks.size - 1)
    nearest = np.where(np.abs(peaks[j - 1] - strap) < np.abs(peaks[j] - strap), j - 1, j)
    offset_s = float(np.median(peaks[nearest] - strap))
    aligned = strap + offset_s
    gap = np.abs(peaks[nearest] - aligned)
    matched_peak = np.zeros(peaks.size, dtype=bool)
    matched_peak[nearest[gap <= match_tol_s]] = True
    extra = int(np.sum(gap > match_tol_s))
    missed = int(np.sum(~matched_peak))
    corr = qrs_correlations(peaks, ecg_t, np.asarray(ecg_uv, dtype=float), sample_hz)
    ectopic_shape = np.nan_to_num(corr, nan=1.0) < MIN_QRS_CORRELATION
    rr_ms = np.diff(peaks) * 1000.0
    # Both intervals around an ectopic beat are wrong: the premature one and the compensatory
    # pause after it (rr[k] runs from peak k to peak k + 1).
    around = ectopic_shape[1:] | ectopic_shape[:-1]
    beat_no = np.arange(rr_ms.size)
    nn_ms = rr_ms.copy()
    if np.any(around) and not np.all(around):
        nn_ms[around] = np.interp(beat_no[around], beat_no[~around], rr_ms[~around])
    series = CorrectedSeries(
        nn_ms=nn_ms, t_s=peaks[1:] - offset_s, source_index=beat_no, corrected=around
    )
    return VerifiedBeats(
        series=series,
        extra_count=extra,
        missed_count=missed,
        ectopic_qrs_count=int(np.sum(ectopic_shape)),
        offset_s=offset_s,
    )
