"""Artefact detection and correction for RR-interval series.

Implements the beat classification of Lipponen & Tarvainen (2019), written from the paper's
description (neurokit2's ``signal_fixpeaks(method="kubios")`` serves only as a test oracle):

* dRR, the successive differences of RR, and mRR, each RR minus the median of the 11 beats
  around it (negative mRR doubled, so that short beats weigh as much as long ones), are each
  divided by a time-varying threshold Th = 5.2 × quartile deviation of |dRR| (or |mRR|) over the
  91 beats around the beat.
* Subspace 1 (S11 = dRR, S12 = the neighbouring dRR of opposite sign) finds ectopic beats (the
  short-long or long-short pair of a premature beat); subspace 2 (S21 = dRR, S22 = the next two
  dRR) finds long and short beats, and |mRR| > 3 finds beats far off the local median.
* A long beat that halves into two typical beats is a missed beat; a short beat that, added to
  the next one, makes a typical beat is an extra beat.

Before any of that, each value is checked against a physiological range: RR values that are
zero, negative, not finite or outside [RR_MIN_MS, RR_MAX_MS] are INVALID, never enter the
statistics and are never passed on as NN values.

Corrections, as in the paper: ectopic, long and short beats are replaced by interpolation (here
linear, in beat number) between the neighbouring normal beats, a missed beat is split in two, an
extra beat is merged with the next one.

Departures from the paper, each for a reason given where it is coded. Measured on the shared test
recordings: with 2 % ectopic, missed and extra beats injected into the clean ones, RMSSD after
correction is within 3 % of the clean value on every seed and file, and within 2.5 % for the very
variable pyhrv series (RMSSD 95 ms), where interpolation alone lost up to 6.7 %. On a clean
ECG-derived recording (RMSSD 26 ms) no beat is flagged, where the paper's rule (and neurokit2's
one pass) flags 18 beats of healthy sinus rhythm and lowers RMSSD by 4.3 %; on the noisy strap
recording 16 beats are flagged where neurokit2 flags 54, and RMSSD after correction is within
0.5 % of neurokit2's (58.7 ms raw, 39.9 ms ours, 40.1 ms neurokit2).

* The dRR threshold Th1 is never below 12 % of the local median RR (see _TH1_MEDIAN_FRACTION):
  in a low-variability recording 5.2 × QD falls below the beat-to-beat changes of sinus rhythm.
* A long (short) beat is not flagged by its jumps when the next beat is long (short) too, beyond
  Th2 and by at least a third of its excess: a vagal lengthening over two or more beats, not a
  misplaced beat, which makes a long-short (short-long) pair. Nor when it lies within Th2 of the
  local median (|mRR| ≤ 1), the paper's own tolerance for a typical beat.

* Both intervals around a displaced beat are ECTOPIC: subspace 1 fires on the second one; the
  first is just as wrong (flagged when its own dRR is beyond Th1).
* A displaced beat is moved back halfway between its neighbours, as neurokit2 corrects every
  ectopic, long and short beat: both intervals become their mean and the time between the
  neighbouring beats is kept. Only when that mean lies within Th2 of the median; otherwise, as
  for a long or short pair that is no displacement, the paper's interpolation applies.
  Interpolating both intervals of a premature beat flattens the variability around it (on the
  pyhrv series, 0.5-1.5 % of RMSSD per premature beat).
* A long or short beat flagged by its jumps alone (subspace 2, |mRR| ≤ 3) is brought back within
  Th2 of its interpolated value instead of onto it. In a very variable series such beats are
  mostly healthy peaks and troughs of the breathing oscillation (neurokit2 flags the same ones
  on the clean pyhrv series); interpolating them cost 5.4 % of its RMSSD before any artefact was
  injected (batch; 7.0 % streaming), trimming them 0.7 % (2.0 %).
* The missed and extra tests are tried on every beat, not only after subspace 2, and carry a
  guard: the repaired value must be at least twice as close to the median as the raw one, and
  to the neighbouring intervals. An extra beat may also pass against the mean of its neighbours
  instead of the median: in a burst of double detections the fragments drag the 11-beat median
  down to them, and the burst would pass as beats once the thresholds have widened. When a
  displaced pair explains the beat too, the repair that leaves values closer to the median
  wins.
* Around a repaired beat: after a missed or extra beat, dRR are taken against the repaired
  value; a beat whose next interval is an artefact of its own (missed, extra, or the start of
  its own displaced pair) is not made long, short or ectopic by that interval's jumps.
* Thresholds never fall below twice the median of the values they are computed from, nor below
  one 1/1024-s clock tick: the quartile deviation collapses on regular oscillations.
* The first and last beats are compared with a virtual neighbour equal to the local median;
  finite values above ``RR_MAX_MS`` split the series into independent runs (a gap).
* No iteration (neurokit2 repeats detection on the corrected series by default).

As in the paper's flow chart, a beat far from the median (|mRR| > 3) is only examined where a
dRR beyond Th1 leads to it (its own or the previous beat's).

Two forms share the decision rule: :func:`classify_beats` / :func:`correct_beats` over a whole
recording (centred windows, as in the paper) and :class:`StreamingArtefactFilter` beat by beat
(trailing windows and a look-ahead of ``LOOKAHEAD_BEATS`` beats).

Reference
---------
Lipponen, J. A., & Tarvainen, M. P. (2019). A robust algorithm for heart rate variability time
series artefact correction using novel beat classification. Journal of Medical Engineering &
Technology, 43(3), 173-181. https://doi.org/10.1080/03091902.2019.1640306
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

__all__ = [
    "RR_MAX_MS",
    "RR_MIN_MS",
    "BeatClass",
    "CorrectedSeries",
    "NNBeat",
    "RawBeatDecision",
    "StreamingArtefactFilter",
    "artefact_counts",
    "artefact_percent",
    "classify_beats",
    "correct_beats",
]

# 200 ms is 300 beats/min: above the maximal sinus rate of any adult (about 220 bpm, 270 ms) with
# room for an early-coupled premature beat, which must still reach the classifier as ECTOPIC.
# Anything shorter is a double detection or noise.
RR_MIN_MS: float = 200.0
# 3000 ms is 20 beats/min: a pause that long is a clinically significant sinus pause, and in a
# strap recording it is far more often a drop-out (the strap's 16-bit RR field in 1/1024 s can
# report up to 64 s after a gap). It is treated as a gap in the signal, not as a beat.
RR_MAX_MS: float = 3000.0

# Constants of Lipponen & Tarvainen (2019).
_ALPHA = 5.2  # threshold = ALPHA × quartile deviation
_QD_WINDOW_BEATS = 91
_MEDIAN_WINDOW_BEATS = 11
_C1 = 0.13  # slope of the ectopic decision boundary in subspace 1
_C2 = 0.17  # offset of that boundary
_MRR_LIMIT = 3.0  # |normalised mRR| above this marks a long or short beat

# A perfectly regular stretch (a simulator, or a strap quantising to its 1/1024 s clock) has a
# quartile deviation of 0, which would make every 1-ms jitter an artefact and divide by zero.
# Differences below one clock tick are quantisation, not physiology, so the quartile deviation
# is never taken as smaller than one tick.
_MIN_THRESHOLD_MS = _ALPHA * 1000.0 / 1024.0
# The quartile deviation measures how *unequal* the |dRR| (|mRR|) values are, not how large:
# when they are all alike — a regular oscillation, e.g. breathing phase-locked at four beats per
# breath — it collapses towards zero and every beat becomes an "artefact". So the threshold is
# never below twice the median of the same values. For Gaussian differences 5.2 × QD is about
# 3.2 × the median, so this guard never binds on ordinary data.
_MEDIAN_GUARD = 2.0
# Nor is the dRR threshold ever below 12 % of the local median RR (a departure). In a
# low-variability recording (RMSSD ~25 ms at 800 ms) 5.2 × QD falls to ~6 % of RR, and the
# beat-to-beat changes of healthy sinus rhythm cross it: alternation of 50-85 ms with fast
# breathing, and the first beat of a vagal lengthening. On a clean ECG-derived recording
# (tests/data/systole_task1_rr.txt, R peaks of a 1 kHz ECG) all 18 beats flagged were such beats
# (neurokit2's one pass flags the same 18), and in a stretch at 175 beats/min (RR 340 ms,
# 08012805.txt) jitter of 7 ms was taken for premature beats. 85 ms is 12 % of a 700 ms beat.
# The classical limit of sinus beat-to-beat change is 20 % (Malik et al. 1989, Eur Heart J
# 10:1060); Kubios' fixed thresholds against the local average are 0.15 s ("strong") to 0.25 s
# ("medium") at 60 beats/min (Tarvainen et al. 2014, Comput Methods Programs Biomed 113:210), so
# a premature beat 25 % early, the least the tests inject, is still twice beyond this floor.
_TH1_MEDIAN_FRACTION = 0.12


class BeatClass(IntEnum):
    """Class of one raw RR interval (Lipponen & Tarvainen 2019, plus INVALID)."""

    NORMAL = 0
    ECTOPIC = 1
    LONG = 2
    SHORT = 3
    MISSED = 4
    EXTRA = 5
    INVALID = 6


# Python ints, so the per-beat decision never touches numpy scalars (speed of the streaming path).
_NORMAL, _ECTOPIC, _LONG, _SHORT, _MISSED, _EXTRA, _INVALID = (int(c) for c in BeatClass)


def _is_valid(rr_ms: float) -> bool:
    # NaN fails both comparisons, inf fails the upper one.
    return RR_MIN_MS <= rr_ms <= RR_MAX_MS


def _is_gap(rr_ms: float) -> bool:
    # A finite over-range value means time passed without usable beats: differences across it
    # are meaningless, so the history before it is not used after it.
    return math.isfinite(rr_ms) and rr_ms > RR_MAX_MS


def _is_fragment(rr_ms: float) -> bool:
    # A positive under-range value is at best part of a beat split by a false detection; it may
    # be repaired by merging it into the next beat.
    return 0.0 < rr_ms < RR_MIN_MS


def _subspace1_ectopic(d_prev: float, d: float, d_next: float) -> bool:
    # S11 = dRR of the beat, S12 = its neighbours' dRR of opposite sign (the larger of the two
    # when S11 > 0, the smaller when S11 < 0); decision boundary S12 = ∓(c1·|S11| + c2).
    if d > 1.0:
        return max(d_prev, d_next) < -_C1 * d - _C2
    if d < -1.0:
        return min(d_prev, d_next) > -_C1 * d + _C2
    return False


def _extra_off(
    rr_ms: float,
    rr_next_ms: float,
    med_ms: float,
    th2_ms: float,
    before_ms: float | None = None,
    after_ms: float | None = None,
) -> float:
    """How far the merged pair lies from a typical beat if the extra-beat test accepts it, else inf.

    Paper: the merged value lies within Th2 of the median. Guard (a departure): it must also be
    at least twice as close to it as the beat alone, i.e. the beat is shorter than about half a
    typical beat; with very high variability Th2 alone accepts merging two natural beats. With
    the neighbouring intervals given (``before_ms``, the previous one as repaired, and
    ``after_ms``, the one after the pair):

    * the guard must also hold against the previous interval: a median lifted by a stretch of
      long beats otherwise makes a normal beat look short enough;
    * the test may pass against the mean of the two, when they agree within Th2, instead of the
      median: in a burst of double detections the fragments crowd the 11-beat window and pull
      its median down to them, so that no merged pair passes against it and the burst goes
      through uncorrected.
    """
    merged_ms = rr_ms + rr_next_ms
    if merged_ms > RR_MAX_MS:
        return math.inf
    if before_ms is not None and 2.0 * abs(merged_ms - before_ms) >= before_ms - rr_ms:
        return math.inf
    level_ms = None
    if before_ms is not None and after_ms is not None and abs(before_ms - after_ms) < th2_ms:
        level_ms = (before_ms + after_ms) / 2.0
    best = math.inf
    for ref_ms in (med_ms, level_ms):
        if ref_ms is not None:
            merged_off = abs(merged_ms - ref_ms)
            if merged_off < th2_ms and 2.0 * merged_off < ref_ms - rr_ms:
                best = min(best, merged_off)
    return best


def _missed_off(
    rr_ms: float, med_ms: float, th2_ms: float, before_ms: float | None, after_ms: float | None
) -> float:
    """How far half the beat lies from the median if the missed-beat test accepts it, else inf.

    Paper: the halves lie within Th2 of the median. Guard as for :func:`_extra_off`: twice as
    close as the raw value, i.e. RR ≥ 1.5 × median, halfway between one beat and two; and the
    same against each of the two neighbouring intervals (``before_ms``, as repaired, and
    ``after_ms``, when both exist): at the peak of a large slow oscillation the 11-beat median,
    and still more the trailing one of the streaming form, lies well below the beats around the
    peak, and in a burst of double detections the fragments pull it down.
    """
    half_off = abs(rr_ms / 2.0 - med_ms)
    if not (
        rr_ms > med_ms
        and half_off < th2_ms
        and 2.0 * half_off < rr_ms - med_ms
        and rr_ms / 2.0 >= RR_MIN_MS
    ):
        return math.inf
    if before_ms is not None and after_ms is not None and rr_ms < 1.5 * max(before_ms, after_ms):
        return math.inf
    return half_off


def _next_also_beyond(
    rr_ms: float, rr_next_ms: float | None, med_ms: float, th2_ms: float, side: float
) -> bool:
    """Whether the next interval lies on the same ``side`` of the median (+1 long, -1 short)
    as this one, beyond Th2 (in mRR terms: a short one's shortfall counts double) and by at
    least a third of this interval's own excess (see the use in :func:`_decide`)."""
    if rr_next_ms is None:
        return False
    excess_ms = side * (rr_ms - med_ms)
    next_excess_ms = side * (rr_next_ms - med_ms)
    weight = 1.0 if side > 0 else 2.0
    return weight * next_excess_ms > th2_ms and 3.0 * next_excess_ms >= excess_ms


# How the correction treats a beat beyond what its class says (second value from _decide).
_MOVE = 1  # the beat ending the interval may be moved back (see _retimed_pair_ms)
_TRIM = 2  # a long or short beat is brought back within Th2 of the interpolated value
_NOT_AN_ARTEFACT = (_NORMAL, 0)


def _decide(
    d_prev: float,
    d: float,
    d_next: float,
    d_next2: float,
    m: float,
    rr_prev_ms: float | None,
    rr_ms: float,
    rr_next_ms: float | None,
    rr_next2_ms: float | None,
    med_ms: float,
    th2_ms: float,
    after_repair: bool,
) -> tuple[int, int]:
    """Classify one beat n (decision flow of Lipponen & Tarvainen 2019, Fig. 1 and 2).

    Parameters
    ----------
    d_prev, d, d_next, d_next2 : float
        dRR of beats n-1 .. n+2 divided by Th1. After a missed or extra beat, ``d`` is taken
        against the repaired previous value (half the missed beat, or the merged pair).
    m : float
        mRR of beat n divided by Th2.
    rr_prev_ms, rr_ms, rr_next_ms, rr_next2_ms : float or None
        RR of beats n-1 .. n+2 (None past either end of the run); beat n-1 as repaired, if it
        was.
    med_ms, th2_ms : float
        The 11-beat median and the mRR threshold at beat n, in ms.
    after_repair : bool
        The previous beat is a missed beat or part of an extra beat: repaired on its own, it
        cannot be the other half of a displaced pair, and its dRR (``d_prev``) is not used.

    Returns
    -------
    tuple of (int, int)
        The :class:`BeatClass` value, and how to correct it beyond its class: ``_MOVE`` if the
        beat that ends interval n may be moved back, correcting intervals n and n+1 together
        (see _retimed_pair_ms), ``_TRIM`` if a long or short interval is only brought back
        within Th2 of the interpolated value (see _trimmed_ms).
    """
    if after_repair:
        # The previous interval is replaced by a repaired one, typical by construction (the
        # missed and extra tests accept it only near the median): its raw dRR means nothing.
        d_prev = 0.0
    # Most beats: no dRR around them beyond the threshold, so only the missed- and extra-beat
    # tests can fire (see below).
    if -1.0 <= d <= 1.0 and -1.0 <= d_next <= 1.0 and -1.0 <= d_prev <= 1.0:
        # Cheap necessary conditions first (this runs for every beat of the streaming form):
        # both guards need a beat far from the typical one.
        if rr_ms > 1.5 * med_ms:
            if _missed_off(rr_ms, med_ms, th2_ms, rr_prev_ms, rr_next_ms) < math.inf:
                return _MISSED, 0
        elif (
            rr_next_ms is not None
            and (rr_prev_ms is None or 1.5 * rr_ms + rr_next_ms < 1.5 * rr_prev_ms)
            and _extra_off(rr_ms, rr_next_ms, med_ms, th2_ms, rr_prev_ms, rr_next2_ms) < math.inf
        ):
            return _EXTRA, 0
        return _NOT_AN_ARTEFACT
    # Subspace 1 fires on the second interval around a displaced beat: the compensatory pause of
    # a premature beat (short-long), the short interval after a late detection (long-short). So
    # the test firing here makes this interval ectopic, and the test firing on the next one puts
    # the displaced beat at the end of this interval.
    here = not after_repair and _subspace1_ectopic(d_prev, d, d_next)
    fires_next = _subspace1_ectopic(d, d_next, d_next2)
    # Unless the next interval is an artefact of its own, which explains its jumps: a missed
    # beat (split) or an extra beat (merged with the one after it) when that repair leaves it
    # closer to the median than moving the beat between the two; or the first interval of its
    # own displaced pair, when subspace 1 can fire on the interval after it (as far as the
    # values known so far tell) with a larger jump: the jump across a displaced beat is about
    # twice those into and out of the pair, so the larger one marks it.
    next_is_artefact = False
    pair_next_off = math.inf
    if rr_next_ms is not None:
        pair_next_off = abs((rr_ms + rr_next_ms) / 2.0 - med_ms)
        next_repair_off = _missed_off(rr_next_ms, med_ms, th2_ms, rr_ms, rr_next2_ms)
        if rr_next2_ms is not None:
            next_repair_off = min(
                next_repair_off, _extra_off(rr_next_ms, rr_next2_ms, med_ms, th2_ms)
            )
            next_is_artefact = (
                fires_next
                and abs(d_next2) > abs(d_next)
                and (
                    (d_next2 > 1.0 and d_next < -_C1 * d_next2 - _C2)
                    or (d_next2 < -1.0 and d_next > -_C1 * d_next2 + _C2)
                )
            )
        next_is_artefact = next_is_artefact or next_repair_off < pair_next_off
    moves_next = fires_next and not next_is_artefact
    # Both intervals around a displaced beat are wrong (a departure: the paper marks only the
    # one subspace 1 fires on), so this one is ectopic too when its own dRR is beyond Th1. When
    # it is not, it stays NORMAL, and only the correction moves the beat (see _retimed_pair_ms).
    is_ectopic = here or (moves_next and abs(d) > 1.0)
    # Subspace 2: a long beat jumps up and one of the next two differences comes back down (and
    # vice versa). When the next interval is an artefact, those differences are its own, not a
    # return from this beat.
    #
    # A departure: not when the next interval is long (short) too, beyond Th2 from the median
    # and by at least a third of this one's excess. A detection error makes one interval long
    # (short) and the next one short (long); two long intervals in a row, the second on its way
    # back, are the heart slowing (a vagal lengthening, e.g. after a sigh or a startle), and
    # correcting them cost 2 % of the RMSSD of a clean ECG-derived recording. Missed and
    # extra beats are tested apart; the third keeps a missed beat followed by a slightly long
    # one from passing as a lengthening.
    next_also_long = _next_also_beyond(rr_ms, rr_next_ms, med_ms, th2_ms, 1.0)
    next_also_short = _next_also_beyond(rr_ms, rr_next_ms, med_ms, th2_ms, -1.0)
    is_long = d > 1.0 and min(d_next, d_next2) < -1.0 and not next_is_artefact
    is_long = is_long and not next_also_long
    is_short = d < -1.0 and max(d_next, d_next2) > 1.0 and not next_is_artefact
    is_short = is_short and not next_also_short
    # A departure: a beat flagged by its jumps alone that lies within Th2 of the local median
    # (|mRR| ≤ 1) is a typical beat by the paper's own tolerance (the one its missed- and
    # extra-beat tests accept as typical). Such beats are the peaks and troughs of a large
    # breathing oscillation (the streaming form flagged 7 of them on the pyhrv series, whose
    # trailing median lags the oscillation).
    if abs(m) <= 1.0:
        is_long = is_short = False
    # Far from the local median (|mRR| > 3), examined as in the paper's flow only where a dRR
    # beyond Th1 leads to the beat (its own, or the previous beat's). No fixed ratio to the
    # median is added: with slow, deep breathing (HRV biofeedback) the 11-beat median of a large
    # oscillation sits far from its peaks, and a fixed ratio flags healthy beats exactly when
    # the monitor matters most.
    off_median = abs(m) > _MRR_LIMIT and (abs(d) > 1.0 or abs(d_prev) > 1.0)
    off_median = off_median and not (next_also_long if m > 0.0 else next_also_short)
    # The missed and extra tests are tried on every beat, not only after subspace 2 (the
    # paper): with their guards they are specific on their own, with very high variability the
    # return jump after a split beat can stay under Th1, and in a burst of double detections
    # the thresholds soon grow wide enough to pass every fragment. When the beat is also one of
    # a displaced pair, the repair that leaves the values closest to the median wins: a false
    # detection that splits a beat unevenly looks like a premature beat in subspace 1 but
    # merges into one typical beat, while a premature beat and its compensatory pause add up to
    # two.
    pair_off = pair_next_off if moves_next else math.inf
    if here and rr_prev_ms is not None:
        pair_off = min(pair_off, abs((rr_prev_ms + rr_ms) / 2.0 - med_ms))
    if (
        rr_next_ms is not None
        and _extra_off(rr_ms, rr_next_ms, med_ms, th2_ms, rr_prev_ms, rr_next2_ms) < pair_off
    ):
        return _EXTRA, 0
    if _missed_off(rr_ms, med_ms, th2_ms, rr_prev_ms, rr_next_ms) < pair_off:
        return _MISSED, 0
    if is_ectopic:
        return _ECTOPIC, _MOVE if moves_next else 0
    if is_long or is_short or off_median:
        # A long interval followed by a short one (or the reverse) is a displaced beat that
        # subspace 1 missed, e.g. a premature beat just before the rhythm speeds up or slows
        # down: it is moved back. Otherwise, flagged by its jumps alone (subspace 2) and not far
        # from the median, it may be a healthy beat at the peak or trough of a large breathing
        # oscillation: only the part beyond Th2 is corrected.
        fix = _TRIM if abs(m) <= _MRR_LIMIT else 0
        if moves_next or (
            not next_is_artefact
            and rr_next_ms is not None
            and (rr_ms - med_ms) * (rr_next_ms - med_ms) < 0.0
        ):
            fix |= _MOVE
        return (_LONG if rr_ms > med_ms else _SHORT), fix
    return _NORMAL, _MOVE if moves_next else 0


# ---------------------------------------------------------------------------------------------
# Batch form
# ---------------------------------------------------------------------------------------------


def _threshold_stat(abs_values: np.ndarray, axis: int = -1) -> np.ndarray:
    q1, q2, q3 = np.quantile(abs_values, [0.25, 0.5, 0.75], axis=axis)
    return _combine_threshold(q1, q2, q3)


def _combine_threshold(q1: ArrayLike, q2: ArrayLike, q3: ArrayLike) -> np.ndarray:
    # Paper: ALPHA × quartile deviation. Floors: the median guard (see _MEDIAN_GUARD) and one
    # clock tick.
    q1, q2, q3 = np.asarray(q1), np.asarray(q2), np.asarray(q3)
    spread = np.maximum(_ALPHA * (q3 - q1) / 2.0, _MEDIAN_GUARD * q2)
    return np.asarray(np.maximum(spread, _MIN_THRESHOLD_MS))


def _centred_rolling(values: np.ndarray, width: int, stat: Callable[..., np.ndarray]) -> np.ndarray:
    """``stat`` over a centred window of ``width`` beats, truncated at both ends of the series."""
    half = width // 2
    n = values.size
    out = np.empty(n)
    if n >= width:
        out[half : n - half] = stat(sliding_window_view(values, width), axis=1)
        edges: Iterator[int] = iter([*range(half), *range(n - half, n)])
    else:
        edges = iter(range(n))
    for i in edges:
        out[i] = stat(values[max(0, i - half) : i + half + 1], axis=-1)
    return out


def _threshold(abs_values: np.ndarray) -> np.ndarray:
    return _centred_rolling(abs_values, _QD_WINDOW_BEATS, _threshold_stat)


@dataclass(frozen=True)
class _SegmentFeatures:
    med_ms: np.ndarray  # centred 11-beat median
    th2_ms: np.ndarray  # mRR threshold
    classes: np.ndarray  # int8
    fix: np.ndarray  # int8: _MOVE and _TRIM flags from _decide


def _classify_segment(rr: np.ndarray) -> _SegmentFeatures:
    """Classify a contiguous run of valid RR values (all in range, no gap inside)."""
    n = rr.size
    med = _centred_rolling(rr, _MEDIAN_WINDOW_BEATS, np.median)
    # Start-up and end: the first beat is compared with a virtual previous beat equal to the
    # median of the first 11, the last with a virtual next beat equal to the median of the last
    # 11, so edge beats are judged against a typical beat rather than not at all.
    first_ms = float(np.median(rr[:_MEDIAN_WINDOW_BEATS]))
    last_ms = float(np.median(rr[-_MEDIAN_WINDOW_BEATS:]))
    extended = np.concatenate(([first_ms, first_ms], rr, [last_ms, last_ms]))
    drr_ext = np.diff(extended)  # drr_ext[j + 1] is dRR of beat j, for j = -1 .. n + 1
    th1 = np.maximum(_threshold(np.abs(drr_ext[1 : n + 1])), _TH1_MEDIAN_FRACTION * med)
    th1_ext = np.concatenate(([th1[0]], th1, [th1[-1], th1[-1]]))
    d_ext = (drr_ext / th1_ext).tolist()

    mrr = rr - med
    mrr[mrr < 0] *= 2.0
    th2 = _threshold(np.abs(mrr))
    m = (mrr / th2).tolist()

    rr_list = rr.tolist()
    med_list = med.tolist()
    th1_list = th1.tolist()
    th2_list = th2.tolist()
    classes = np.empty(n, dtype=np.int8)
    fix = np.zeros(n, dtype=np.int8)
    # The value of the previous (and the one before) beat once split or merged, else None: the
    # dRR after a repaired beat are taken against the repaired value.
    repaired_prev_ms: float | None = None
    repaired_prev2_ms: float | None = None
    consumed = False  # this beat is the second part of an extra beat, merged into the previous
    for j in range(n):
        d = d_ext[j + 1]
        if repaired_prev_ms is not None:
            d = (rr_list[j] - repaired_prev_ms) / th1_list[j]
        d_prev = d_ext[j]
        if repaired_prev2_ms is not None:
            d_prev = (rr_list[j - 1] - repaired_prev2_ms) / th1_list[j - 1]
        cls, fix[j] = _decide(
            d_prev,
            d,
            d_ext[j + 2],
            d_ext[j + 3],
            m[j],
            repaired_prev_ms if repaired_prev_ms is not None else rr_list[j - 1] if j > 0 else None,
            rr_list[j],
            rr_list[j + 1] if j + 1 < n else None,
            rr_list[j + 2] if j + 2 < n else None,
            med_list[j],
            th2_list[j],
            consumed or repaired_prev_ms is not None,
        )
        classes[j] = cls
        repaired_prev2_ms, repaired_prev_ms = repaired_prev_ms, None
        if consumed:
            repaired_prev_ms, consumed = rr_list[j - 1] + rr_list[j], False
        elif cls == _MISSED:
            repaired_prev_ms = rr_list[j] / 2.0
        elif cls == _EXTRA:
            consumed = True
    return _SegmentFeatures(med_ms=med, th2_ms=th2, classes=classes, fix=fix)


def _as_rr_array(rr_ms: ArrayLike) -> np.ndarray:
    return np.asarray(rr_ms, dtype=float).reshape(-1)


def _segments(rr: np.ndarray, valid: np.ndarray) -> list[np.ndarray]:
    """Raw indices of valid beats, split into runs at gaps (finite over-range values)."""
    gap = np.isfinite(rr) & (rr > RR_MAX_MS)
    run_id = np.cumsum(gap)
    idx = np.flatnonzero(valid)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(run_id[idx])) + 1
    return np.split(idx, breaks)


def classify_beats(rr_ms: ArrayLike) -> np.ndarray:
    """Classify every raw RR interval of a recording (Lipponen & Tarvainen 2019).

    Parameters
    ----------
    rr_ms : array_like
        Raw RR intervals in ms, in recording order. Any float values are accepted.

    Returns
    -------
    numpy.ndarray
        ``int8`` array of :class:`BeatClass` values, one per raw interval.

    Notes
    -----
    Values that are not finite, zero, negative or outside [``RR_MIN_MS``, ``RR_MAX_MS``] are
    INVALID and take no part in the statistics. A finite value above ``RR_MAX_MS`` is a gap: the
    beats on either side are classified as separate runs. Within a run, the median (11 beats)
    and the thresholds (91 beats) use centred windows, truncated at the ends of the run; the
    first and last beats are compared with a virtual neighbour equal to the median of the 11
    beats at that end.

    References
    ----------
    Lipponen, J. A., & Tarvainen, M. P. (2019). J Med Eng Technol 43(3):173-181.
    """
    rr = _as_rr_array(rr_ms)
    valid = (rr >= RR_MIN_MS) & (rr <= RR_MAX_MS)
    classes = np.full(rr.size, _INVALID, dtype=np.int8)
    for seg in _segments(rr, valid):
        classes[seg] = _classify_segment(rr[seg]).classes
    return classes


@dataclass(frozen=True)
class CorrectedSeries:
    """NN series produced by :func:`correct_beats`.

    Attributes
    ----------
    nn_ms : numpy.ndarray
        NN intervals in ms; every value lies in [``RR_MIN_MS``, ``RR_MAX_MS``].
    t_s : numpy.ndarray
        Time of the beat that ends each NN interval, in s (for a moved beat, where it was moved).
    source_index : numpy.ndarray
        Index of the raw beat each NN value comes from. Both halves of a split missed beat carry
        the missed beat's index; a merge carries the index of the beat whose class caused it
        (the EXTRA beat, or the flagged beat that absorbed an under-range fragment).
    corrected : numpy.ndarray
        ``True`` where the NN value is not the raw value of its source beat.
    """

    nn_ms: np.ndarray
    t_s: np.ndarray
    source_index: np.ndarray
    corrected: np.ndarray


def _default_times_s(rr: np.ndarray) -> np.ndarray:
    # Values with no usable duration (NaN, inf, zero, negative) add no time; over-range values
    # do, because they stand for real elapsed time (a gap).
    usable = np.where(np.isfinite(rr) & (rr > 0), rr, 0.0)
    with np.errstate(over="ignore"):  # absurd input (1e308 ms) may run to inf; that is its time
        return np.cumsum(usable) / 1000.0


def _fragment_merges(frag_ms: float, rr_ms: float, med_ms: float, th2_ms: float) -> bool:
    # A fragment is merged into the next beat when together they make a typical beat: the
    # extra-beat test, with the same guard (twice as close to the median as the beat alone).
    merged_ms = frag_ms + rr_ms
    merged_off = abs(merged_ms - med_ms)
    return (
        merged_off < th2_ms
        and 2.0 * merged_off < abs(rr_ms - med_ms)
        and RR_MIN_MS <= merged_ms <= RR_MAX_MS
    )


_MERGE_FRAGMENT, _MERGE_NEXT = 1, 2
# The classes an interval may have for the beat that starts it to be moved back (see
# _retimed_pair_ms): not one that is split or merged.
_RETIMABLE_NEXT = frozenset((_NORMAL, _ECTOPIC, _LONG, _SHORT))


def _trimmed_ms(rr_ms: float, interpolated_ms: float, th2_ms: float) -> float:
    """A long or short beat brought back within Th2 of its interpolated value.

    The paper replaces it by the interpolated value. A beat flagged by its jumps alone
    (subspace 2) and not far from the local median (|mRR| ≤ 3) is, in a very variable series,
    often a healthy beat at the peak or trough of a large breathing oscillation (neurokit2 flags
    the same ones); interpolating those flattens the variability the monitor is there to show.
    So only the part of its deviation beyond Th2, the paper's tolerance for a typical beat in
    the missed- and extra-beat tests, is removed: a true artefact of this kind keeps at most Th2
    of its error.
    """
    return min(max(rr_ms, interpolated_ms - th2_ms), interpolated_ms + th2_ms)


def _retimed_pair_ms(rr_ms: float, rr_next_ms: float, med_ms: float, th2_ms: float) -> float | None:
    """Both intervals around a displaced beat once it is moved back, or None.

    The beat (a premature beat, or a detection early or late on the R wave) is put halfway
    between its neighbours, so both intervals become their mean and the time between the two
    neighbouring beats is kept, as neurokit2 corrects every ectopic, long or short beat, and as
    the heart-timing view of ectopic beats does (Mateo & Laguna 2003, IEEE Trans Biomed Eng
    50:334). The paper interpolates both intervals instead, which flattens the variability
    around the beat. Only when the mean lies within Th2 of the local median, the tolerance of
    the paper's missed- and extra-beat tests: otherwise the time between the neighbours is not
    that of two typical beats (e.g. an atrial premature beat that resets the rhythm), and the
    flagged interval is interpolated.
    """
    mean_ms = (rr_ms + rr_next_ms) / 2.0
    return mean_ms if abs(mean_ms - med_ms) < th2_ms else None


def _correct_segment(
    rr: np.ndarray,
    times: np.ndarray,
    seg: np.ndarray,
    seg_cls: np.ndarray,
    emit: Callable[[float, float, int, bool], None],
) -> None:
    """Emit the NN values of one run of valid beats (raw indices ``seg``)."""
    seg_rr = rr[seg]
    features = _classify_segment(seg_rr)
    n = seg.size
    # First pass: which beats merge, and which are swallowed by the EXTRA beat before them.
    merge = np.zeros(n, dtype=int)
    consumed = np.zeros(n, dtype=bool)
    for k in range(n):
        if consumed[k]:
            continue
        raw = int(seg[k])
        frag = float(rr[raw - 1]) if raw > 0 else 0.0
        if _is_fragment(frag) and _fragment_merges(
            frag, float(seg_rr[k]), features.med_ms[k], features.th2_ms[k]
        ):
            merge[k] = _MERGE_FRAGMENT
        elif seg_cls[k] == _EXTRA and k + 1 < n and seg_rr[k] + seg_rr[k + 1] <= RR_MAX_MS:
            merge[k] = _MERGE_NEXT
            consumed[k + 1] = True
    # Second pass: displaced beats moved back (see _retimed_pair_ms), in beat order as in the
    # streaming form.
    retimed: dict[int, float] = {}
    moved: set[int] = set()  # k: the beat ending interval k was moved
    for k in range(n - 1):
        if (
            k not in retimed
            and features.fix[k] & _MOVE
            and seg_cls[k] == features.classes[k]
            and seg_cls[k + 1] in _RETIMABLE_NEXT
            and merge[k] == merge[k + 1] == 0
            and not consumed[k]
            and not consumed[k + 1]
        ):
            value = _retimed_pair_ms(
                float(seg_rr[k]), float(seg_rr[k + 1]), features.med_ms[k], features.th2_ms[k]
            )
            if value is not None:
                retimed[k] = retimed[k + 1] = value
                moved.add(k)
    # A swallowed beat is only part of an interval, and a moved beat's neighbours have lost
    # their raw value, so neither can anchor an interpolation.
    keep = (seg_cls == _NORMAL) & ~consumed & (merge == 0)
    keep[list(retimed)] = False
    anchors = np.flatnonzero(keep)
    if anchors.size:
        interpolated = np.interp(np.arange(n), anchors, seg_rr[anchors])
    else:
        interpolated = np.full(n, float(np.median(seg_rr)))

    for k in range(n):
        if consumed[k]:
            continue
        raw = int(seg[k])
        value, cls, time = float(seg_rr[k]), int(seg_cls[k]), float(times[raw])
        if merge[k] == _MERGE_FRAGMENT:
            emit(float(rr[raw - 1]) + value, time, raw, True)
        elif merge[k] == _MERGE_NEXT:
            emit(value + float(seg_rr[k + 1]), float(times[seg[k + 1]]), raw, True)
        elif k in retimed:
            # The moved beat now lies one corrected interval before the next (unmoved) beat.
            if k in moved:
                time = float(times[seg[k + 1]]) - retimed[k] / 1000.0
            emit(retimed[k], time, raw, True)
        elif cls == _NORMAL:
            emit(value, time, raw, False)
        elif cls == _MISSED and value / 2.0 >= RR_MIN_MS:
            emit(value / 2.0, time - value / 2000.0, raw, True)
            emit(value / 2.0, time, raw, True)
        elif features.fix[k] & _TRIM and cls == features.classes[k]:
            emit(_trimmed_ms(value, float(interpolated[k]), features.th2_ms[k]), time, raw, True)
        else:
            emit(float(interpolated[k]), time, raw, True)


def correct_beats(
    rr_ms: ArrayLike,
    t_s: ArrayLike | None = None,
    classes: np.ndarray | None = None,
) -> CorrectedSeries:
    """Turn raw RR intervals into an NN series (Lipponen & Tarvainen 2019 correction rules).

    Parameters
    ----------
    rr_ms : array_like
        Raw RR intervals in ms.
    t_s : array_like, optional
        Time of each raw beat in s. Default: cumulative sum of ``rr_ms / 1000``, where values
        without a usable duration (NaN, inf, zero, negative) add no time.
    classes : numpy.ndarray, optional
        Classes from :func:`classify_beats`; computed when not given.

    Returns
    -------
    CorrectedSeries

    Raises
    ------
    ValueError
        ``t_s`` or ``classes`` do not have one entry per raw interval.

    Notes
    -----
    * NORMAL beats are kept as they are, except the interval after a moved beat.
    * A displaced beat (ectopic, or a long interval next to a short one) is moved back halfway
      between its neighbours when the mean of the two intervals around it lies within Th2 of
      the local median: both become that mean (``corrected`` for both, NORMAL or not), and the
      moved beat's time is the next beat's time minus the new interval.
    * Other ECTOPIC, LONG and SHORT beats are replaced by linear interpolation (in beat number)
      between the nearest NORMAL beats on either side within the same run, not counting the
      intervals around a moved beat; at the end of a run the nearest NORMAL beat on the other
      side is used. A LONG or SHORT beat flagged by its jumps alone (|mRR| ≤ 3) is only brought
      back to within Th2 of that value.
    * MISSED beats are split into two equal halves; the inserted beat is placed half an interval
      before the missed beat's time.
    * EXTRA beats are merged with the following interval; the merged beat keeps the following
      beat's time.
    * INVALID beats never become NN values. Repaired: a positive value below ``RR_MIN_MS`` (a
      fragment of a beat split by a false detection) directly followed by a valid beat is
      merged into that beat when the sum passes the extra-beat test (within Th2 of the median
      and twice as close to it as the beat alone); the NN value keeps that beat's time and
      index. Dropped: zero, negative, NaN and infinite values (no usable duration), values above
      ``RR_MAX_MS`` (a gap, not a beat; the next beat's time still shows the gap) and fragments
      that fail the test.

    References
    ----------
    Lipponen, J. A., & Tarvainen, M. P. (2019). J Med Eng Technol 43(3):173-181.
    """
    rr = _as_rr_array(rr_ms)
    times = _default_times_s(rr) if t_s is None else np.asarray(t_s, dtype=float).reshape(-1)
    if times.size != rr.size:
        raise ValueError(f"t_s has {times.size} values for {rr.size} RR intervals")
    if classes is None:
        classes = classify_beats(rr)
    classes = np.asarray(classes).reshape(-1)
    if classes.size != rr.size:
        raise ValueError(f"classes has {classes.size} values for {rr.size} RR intervals")

    nn: list[float] = []
    out_t: list[float] = []
    src: list[int] = []
    fixed: list[bool] = []

    def emit(value_ms: float, time_s: float, index: int, was_corrected: bool) -> None:
        nn.append(value_ms)
        out_t.append(time_s)
        src.append(index)
        fixed.append(was_corrected)

    valid = (rr >= RR_MIN_MS) & (rr <= RR_MAX_MS)
    for seg in _segments(rr, valid):
        _correct_segment(rr, times, seg, classes[seg].astype(int), emit)

    return CorrectedSeries(
        nn_ms=np.asarray(nn, dtype=float),
        t_s=np.asarray(out_t, dtype=float),
        source_index=np.asarray(src, dtype=np.int64),
        corrected=np.asarray(fixed, dtype=bool),
    )


def artefact_counts(classes: ArrayLike) -> dict[str, int]:
    """Count beats per class.

    Parameters
    ----------
    classes : array_like
        :class:`BeatClass` values, e.g. from :func:`classify_beats`.

    Returns
    -------
    dict
        One entry per class name in lower case (``"normal"``, ``"ectopic"``, ... ,
        ``"invalid"``), ``"artefacts"`` (every beat that is not NORMAL) and ``"total"`` (all
        beats).
    """
    values = np.asarray(classes, dtype=int).reshape(-1)
    counts = {c.name.lower(): int(np.count_nonzero(values == c)) for c in BeatClass}
    counts["artefacts"] = int(values.size - counts["normal"])
    counts["total"] = int(values.size)
    return counts


def artefact_percent(classes: ArrayLike) -> float:
    """Percentage of beats that are not NORMAL (0.0 for no beats).

    Parameters
    ----------
    classes : array_like
        :class:`BeatClass` values.

    Returns
    -------
    float
        ``100 × artefacts / total``.
    """
    counts = artefact_counts(classes)
    return 100.0 * counts["artefacts"] / counts["total"] if counts["total"] else 0.0


# ---------------------------------------------------------------------------------------------
# Streaming form
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NNBeat:
    """One NN interval from :class:`StreamingArtefactFilter`.

    Attributes
    ----------
    t_s : float
        Time of the beat that ends the interval, in s.
    nn_ms : float
        The NN interval in ms, in [``RR_MIN_MS``, ``RR_MAX_MS``].
    raw_rr_ms : float
        The raw RR value of the beat it comes from.
    beat_class : BeatClass
        Class of that raw beat.
    corrected : bool
        Whether ``nn_ms`` differs from the raw value.
    """

    t_s: float
    nn_ms: float
    raw_rr_ms: float
    beat_class: BeatClass
    corrected: bool


@dataclass(frozen=True, slots=True)
class RawBeatDecision:
    """The decided class of one raw beat, for storage next to the unaltered raw RR.

    Attributes
    ----------
    index : int
        Number of the raw beat, counting every ``push`` since the filter was made (from 0).
    t_s : float
        Its time, as pushed.
    rr_ms : float
        Its raw RR value, as pushed.
    beat_class : BeatClass
        Its class.
    """

    index: int
    t_s: float
    rr_ms: float
    beat_class: BeatClass


@dataclass(slots=True)
class _Pending:
    index: int
    t_s: float
    rr_ms: float
    beat_class: int | None = None
    fragment_ms: float = 0.0  # under-range value pushed just before this beat, if any
    merge_fragment: bool = False
    consumed: bool = False  # merged into the previous EXTRA beat
    seg_pos: int = 0
    next_rr_ms: float = 0.0
    next_t_s: float = 0.0
    has_next: bool = False
    right_ms: float = 0.0  # right-hand value for interpolation, and its position
    right_pos: int = 0
    nn_override: float | None = None  # set when the beat ending this or the previous is moved
    fix: int = 0  # _MOVE and _TRIM flags from _decide
    moved: bool = False  # the beat ending this interval was moved (nn_override set by it)
    th2_ms: float = 0.0  # mRR threshold at the decision, for _TRIM


class _SortedWindow:
    """The last ``size`` values, kept sorted so quartiles cost O(size) memmove, not a sort."""

    __slots__ = ("_fifo", "_size", "_sorted")

    def __init__(self, size: int) -> None:
        self._size = size
        self._fifo: deque[float] = deque()
        self._sorted: list[float] = []

    def add(self, value: float) -> None:
        if len(self._fifo) == self._size:
            del self._sorted[bisect_left(self._sorted, self._fifo.popleft())]
        self._fifo.append(value)
        insort(self._sorted, value)

    def threshold_ms(self) -> float:
        s = self._sorted
        if not s:
            return _MIN_THRESHOLD_MS
        # _combine_threshold in plain floats (numpy on scalars costs microseconds per beat).
        if len(s) == self._size == _QD_WINDOW_BEATS:
            # Full window of 91 (positions 0.25, 0.5 and 0.75 × 90, as _quantile computes them).
            q1 = s[22] + 0.5 * (s[23] - s[22])
            q2 = s[45]
            q3 = s[67] + 0.5 * (s[68] - s[67])
        else:
            q1, q2, q3 = _quantile(s, 0.25), _quantile(s, 0.5), _quantile(s, 0.75)
        return max(_ALPHA * (q3 - q1) / 2.0, _MEDIAN_GUARD * q2, _MIN_THRESHOLD_MS)


def _quantile(sorted_values: list[float], q: float) -> float:
    # Linear interpolation between order statistics: numpy's (and pandas') default definition,
    # so the streaming and batch thresholds agree on the same values.
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    if lo + 1 >= len(sorted_values):
        return sorted_values[lo]
    return sorted_values[lo] + (pos - lo) * (sorted_values[lo + 1] - sorted_values[lo])


def _median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2.0


class StreamingArtefactFilter:
    """Beat-by-beat Lipponen & Tarvainen (2019) classification and correction.

    Each valid beat is decided when ``LOOKAHEAD_BEATS`` further valid beats have arrived: the
    decision rule needs dRR of the two following beats (S22) and, for an extra beat, the next
    RR. The median of 11 beats is taken over the 11 latest beats (so ``10 - LOOKAHEAD_BEATS``
    before the beat, ``LOOKAHEAD_BEATS`` after it) rather than centred, and both thresholds come
    from a trailing window of the last 91 values (up to the newest beat) instead of the centred
    91 of the batch form, and one threshold serves the beat and its neighbours. So a change in
    the person's variability reaches the thresholds about 45 beats later than in the batch
    form: just after variability rises, some healthy beats are flagged (and corrected); just
    after it falls, an artefact can slip through. Corrections follow :func:`correct_beats`,
    except that the right-hand value for interpolation is the first look-ahead beat within the
    mRR threshold of the local median (the local median if there is none), and that a displaced
    beat is moved back when it is decided, on what the look-ahead beats show of the next
    interval, because they are not classified yet.

    Start-up (after construction, :meth:`reset` or a gap): nothing is decided until
    ``WARMUP_BEATS`` valid beats have arrived; all but the last ``LOOKAHEAD_BEATS`` of them are
    then decided together with thresholds from all of them, the first beat being compared with
    a virtual previous beat equal to their median. A run that ends before the warm-up is
    decided the same way on whatever it has. A finite RR above ``RR_MAX_MS`` is taken as a gap
    and restarts the history automatically.

    References
    ----------
    Lipponen, J. A., & Tarvainen, M. P. (2019). J Med Eng Technol 43(3):173-181.
    """

    LOOKAHEAD_BEATS: int = 2
    THRESHOLD_WINDOW_BEATS: int = _QD_WINDOW_BEATS
    # Enough beats for a full 11-beat median plus a few to steady the first quartile deviations;
    # about 15 s at rest, well inside the 60 s the live RMSSD needs before it shows anything.
    WARMUP_BEATS: int = 16
    _HISTORY = 32  # valid beats kept: ≥ WARMUP_BEATS and ≥ the 11-beat median window

    def __init__(self) -> None:
        self._raw_count = 0
        self._pending: deque[_Pending] = deque()
        self._outbox: list[NNBeat] = []
        self._raw_out: list[RawBeatDecision] = []
        self._fragment_ms: float = 0.0  # a fragment's RR waiting to merge with the next beat
        self._start_segment()

    # -- public -------------------------------------------------------------------------------

    def push(self, t_s: float, rr_ms: float) -> list[NNBeat]:
        """Add one raw beat; return the NN beats whose class is now decided.

        Parameters
        ----------
        t_s : float
            Time of the beat, in s.
        rr_ms : float
            Raw RR interval ending at that beat, in ms; any float value is accepted.

        Returns
        -------
        list of NNBeat
            In time order; usually the beat ``LOOKAHEAD_BEATS`` valid beats back, none while
            warming up, two for a missed beat, none for a dropped INVALID value.
        """
        rr = float(rr_ms)
        t = float(t_s)
        rec = _Pending(index=self._raw_count, t_s=t, rr_ms=rr)
        self._raw_count += 1
        if _is_valid(rr):
            rec.fragment_ms = self._fragment_ms
            self._fragment_ms = 0.0
            self._pending.append(rec)
            self._add_valid(rec)
        else:
            if _is_gap(rr):
                self._end_run()
            self._fragment_ms = rr if _is_fragment(rr) else 0.0
            rec.beat_class = _INVALID
            self._pending.append(rec)
        return self._release()

    def flush(self) -> list[NNBeat]:
        """End of stream: decide every beat still waiting and return its NN beats.

        The last beats are compared with a virtual next beat equal to the median of the last
        11, as in the batch form. The filter keeps no history afterwards (as after :meth:`reset`).
        """
        self._end_run()
        return self._release()

    def reset(self) -> None:
        """Forget all history, e.g. after a signal gap.

        Beats still waiting are decided first (as by :meth:`flush`); their NN beats are returned
        by the next :meth:`push` or :meth:`flush`, so no beat is lost.
        """
        self._end_run()

    def decided_elsewhere(self, t_s: float, rr_ms: float, beat_class: BeatClass) -> None:
        """A raw beat another check decided (the ECG's, :mod:`monitor.core.ecg_live_beats`):
        numbered in push order with the filter's own and reported by :meth:`take_raw_decisions`,
        so the file keeps one class per raw beat whichever check decided it."""
        self._raw_out.append(RawBeatDecision(self._raw_count, t_s, rr_ms, beat_class))
        self._raw_count += 1

    def take_raw_decisions(self) -> list[RawBeatDecision]:
        """Return (and forget) the raw beats decided since the last call, in push order.

        Every pushed value appears exactly once, INVALID ones included, with its raw RR
        unchanged: this is what a recorder stores.
        """
        out, self._raw_out = self._raw_out, []
        return out

    # -- segment state ------------------------------------------------------------------------

    def _start_segment(self) -> None:
        self._vals: deque[float] = deque(maxlen=self._HISTORY)
        self._recs: deque[_Pending] = deque(maxlen=self._HISTORY)
        self._count = 0  # valid beats in this run
        self._decided = 0  # valid beats of this run already decided
        self._drr_window = _SortedWindow(self.THRESHOLD_WINDOW_BEATS)
        self._mrr_window = _SortedWindow(self.THRESHOLD_WINDOW_BEATS)
        self._virtual_prev_ms = 0.0
        self._virtual_next_ms: float | None = None
        self._fragment_ms = 0.0
        self._last_normal_ms: float | None = None
        self._last_normal_pos = 0

    def _rr_at(self, pos: int) -> float:
        return self._vals[pos - (self._count - len(self._vals))]

    def _drr_at(self, pos: int) -> float:
        if pos < 0:
            return 0.0
        if pos == 0:
            return self._rr_at(0) - self._virtual_prev_ms
        if pos < self._count:
            return self._rr_at(pos) - self._rr_at(pos - 1)
        if pos == self._count and self._virtual_next_ms is not None:
            return self._virtual_next_ms - self._rr_at(pos - 1)
        return 0.0

    def _add_valid(self, rec: _Pending) -> None:
        rec.seg_pos = self._count
        self._vals.append(rec.rr_ms)
        self._recs.append(rec)
        self._count += 1
        if self._count >= 2:
            self._drr_window.add(abs(self._rr_at(self._count - 1) - self._rr_at(self._count - 2)))
        if self._count == self.WARMUP_BEATS:
            self._decide_range(0, self._count - 1 - self.LOOKAHEAD_BEATS)
        elif self._count > self.WARMUP_BEATS:
            n = self._count - 1 - self.LOOKAHEAD_BEATS
            self._decide_range(n, n)

    def _end_run(self) -> None:
        """Decide the rest of this run, queue its output, and start a new run."""
        if self._decided < self._count:
            first_tail = max(0, self._count - _MEDIAN_WINDOW_BEATS)
            self._virtual_next_ms = _median(
                [self._rr_at(p) for p in range(first_tail, self._count)]
            )
            self._decide_range(self._decided, self._count - 1)
        # Released before the run state is cleared: interpolation needs this run's last normal.
        self._outbox.extend(self._release_decided())
        self._start_segment()

    def _decide_range(self, first: int, last: int) -> None:
        """Decide valid beats ``first..last`` of this run with the thresholds as they stand."""
        if first == 0:
            head = [self._rr_at(p) for p in range(min(_MEDIAN_WINDOW_BEATS, self._count))]
            self._virtual_prev_ms = _median(head)
            self._drr_window.add(abs(self._drr_at(0)))
        vals = self._vals
        offset = self._count - len(vals)
        if first == last and first + self.LOOKAHEAD_BEATS == self._count - 1 >= 10:
            # The usual case, one beat after the warm-up: its median is over the last 11 values.
            med = _median(list(vals)[-_MEDIAN_WINDOW_BEATS:])
            mrr = vals[first - offset] - med
            if mrr < 0:
                mrr *= 2.0
            self._mrr_window.add(abs(mrr))
            self._decide_one(
                first, med, mrr, self._drr_window.threshold_ms(), self._mrr_window.threshold_ms()
            )
            self._decided = last + 1
            return
        medians = []
        for n in range(first, last + 1):
            end = min(self._count - 1, max(n + self.LOOKAHEAD_BEATS, _MEDIAN_WINDOW_BEATS - 1))
            start = max(0, end - _MEDIAN_WINDOW_BEATS + 1)
            med = _median([vals[p] for p in range(start - offset, end + 1 - offset)])
            mrr = vals[n - offset] - med
            self._mrr_window.add(abs(2.0 * mrr if mrr < 0 else mrr))
            medians.append((med, 2.0 * mrr if mrr < 0 else mrr))
        th1 = self._drr_window.threshold_ms()
        th2 = self._mrr_window.threshold_ms()
        for n, (med, mrr) in zip(range(first, last + 1), medians, strict=True):
            self._decide_one(n, med, mrr, th1, th2)
        self._decided = last + 1

    def _repaired_ms(self, pos: int) -> float | None:
        """The value of decided beat ``pos`` once split or merged, or None if it is not."""
        if pos < 0:
            return None
        rec = self._recs[pos - (self._count - len(self._recs))]
        if rec.consumed:
            return self._rr_at(pos - 1) + rec.rr_ms
        if rec.beat_class == _MISSED:
            return rec.rr_ms / 2.0
        return None

    def _decide_one(self, n: int, med: float, mrr: float, th1: float, th2: float) -> None:
        th1 = max(th1, _TH1_MEDIAN_FRACTION * med)  # as in the batch form (_classify_segment)
        # _vals and _recs hold the same beats, so one offset serves both.
        offset = self._count - len(self._recs)
        vals = self._vals
        i = n - offset
        rec = self._recs[i]
        rr = vals[i]
        rr_prev = vals[i - 1] if n > 0 else None
        rr_next = vals[i + 1] if n + 1 < self._count else None
        rr_next2 = vals[i + 2] if n + 2 < self._count else None
        if n >= 2 and rr_next2 is not None:
            drr_prev, drr, drr_next, drr_next2 = (
                vals[i - 1] - vals[i - 2],
                rr - vals[i - 1],
                vals[i + 1] - rr,
                vals[i + 2] - vals[i + 1],
            )
        else:  # run edges: virtual neighbours
            drr_prev, drr, drr_next, drr_next2 = (self._drr_at(n + k) for k in range(-1, 3))
        # As in the batch form: after a missed or extra beat, dRR are taken against the repaired
        # value.
        repaired_prev = self._repaired_ms(n - 1)
        if repaired_prev is not None:
            drr = rr - repaired_prev
        repaired_prev2 = self._repaired_ms(n - 2)
        if repaired_prev2 is not None:
            drr_prev = vals[i - 1] - repaired_prev2
        cls, fix = _decide(
            drr_prev / th1,
            drr / th1,
            drr_next / th1,
            drr_next2 / th1,
            mrr / th2,
            rr_prev if repaired_prev is None else repaired_prev,
            rr,
            rr_next,
            rr_next2,
            med,
            th2,
            rec.consumed or repaired_prev is not None,
        )
        rec.beat_class, rec.fix, rec.th2_ms = cls, fix, th2
        rec.merge_fragment = rec.fragment_ms > 0.0 and _fragment_merges(
            rec.fragment_ms, rr, med, th2
        )
        if rr_next is not None:
            nxt = self._recs[n + 1 - offset]
            rec.has_next, rec.next_rr_ms, rec.next_t_s = True, nxt.rr_ms, nxt.t_s
            if cls == _EXTRA and not rec.consumed and not rec.merge_fragment:
                nxt.consumed = True
            # Moving the beat between this interval and the next (see _retimed_pair_ms) sets
            # both values now: the next beat is not classified yet, but _decide has checked on
            # the look-ahead values that it is no artefact of its own.
            if (
                fix & _MOVE
                and rec.nn_override is None
                and not rec.consumed
                and not rec.merge_fragment
                and nxt.fragment_ms == 0.0
            ):
                value = _retimed_pair_ms(rr, rr_next, med, th2)
                if value is not None:
                    rec.nn_override = nxt.nn_override = value
                    rec.moved = True
                    return
        # Right-hand value for interpolation: the look-ahead beats are not classified yet, so
        # the first one within the mRR threshold of the median stands in for "normal".
        rec.right_ms, rec.right_pos = med, n + 1
        for p in range(n + 1, min(n + 1 + self.LOOKAHEAD_BEATS, self._count)):
            if abs(vals[p - offset] - med) < th2:
                rec.right_ms, rec.right_pos = vals[p - offset], p
                break

    # -- output -------------------------------------------------------------------------------

    def _release(self) -> list[NNBeat]:
        out, self._outbox = self._outbox, []
        out.extend(self._release_decided())
        return out

    def _release_decided(self) -> list[NNBeat]:
        out: list[NNBeat] = []
        while self._pending and self._pending[0].beat_class is not None:
            rec = self._pending.popleft()
            assert rec.beat_class is not None  # the loop's condition
            cls = BeatClass(rec.beat_class)
            self._raw_out.append(RawBeatDecision(rec.index, rec.t_s, rec.rr_ms, cls))
            if cls != BeatClass.INVALID and not rec.consumed:
                out.extend(self._nn_beats(rec, cls))
        return out

    def _nn_beats(self, rec: _Pending, cls: BeatClass) -> list[NNBeat]:
        rr, t = rec.rr_ms, rec.t_s
        if rec.merge_fragment:
            return [NNBeat(t, rec.fragment_ms + rr, rr, cls, True)]
        if rec.nn_override is not None and cls in _RETIMABLE_NEXT:
            # A moved beat's neighbours: no interpolation anchor (as in the batch form).
            if rec.moved:
                t = rec.next_t_s - rec.nn_override / 1000.0
            return [NNBeat(t, rec.nn_override, rr, cls, True)]
        if cls == BeatClass.NORMAL:
            self._last_normal_ms, self._last_normal_pos = rr, rec.seg_pos
            return [NNBeat(t, rr, rr, cls, False)]
        if cls == BeatClass.MISSED:
            half = rr / 2.0
            return [NNBeat(t - half / 1000.0, half, rr, cls, True), NNBeat(t, half, rr, cls, True)]
        if cls == BeatClass.EXTRA and rec.has_next:
            return [NNBeat(rec.next_t_s, rr + rec.next_rr_ms, rr, cls, True)]
        value = self._interpolate(rec)
        if rec.fix & _TRIM:
            value = _trimmed_ms(rr, value, rec.th2_ms)
        return [NNBeat(t, value, rr, cls, True)]

    def _interpolate(self, rec: _Pending) -> float:
        if self._last_normal_ms is None:
            return rec.right_ms
        left, left_pos = self._last_normal_ms, self._last_normal_pos
        frac = (rec.seg_pos - left_pos) / (rec.right_pos - left_pos)
        return left + frac * (rec.right_ms - left)
