"""How much data each HRV index needs before it means anything, and why an index is absent.

One table, :data:`MINIMUMS`, gives per index the seconds of NN intervals (their sum: the time the
beats cover, gaps excluded) and the number of *clean* NN intervals (not corrected by the artefact
stage) below which the index is not shown. Each entry names its source:

==================================  =======  =======  =========================================
index                               seconds  clean    source
==================================  =======  =======  =========================================
mean RR, mean HR                    10       10       Munoz et al. 2015: HR is stable from 10 s
RMSSD, lnRMSSD, pNN50, SD1          60       30       Munoz et al. 2015 (n = 3,387): RMSSD over
                                                      60 s tracks the 5-min value, 10 s does not
SDNN, SD2                           120      60       Munoz et al. 2015: SDNN needs longer
                                                      records than RMSSD: ≥ 120 s
stress index                        120      100      Baevsky's histogram of 50-ms bins: with
                                                      100 intervals one beat moves AMo by 1 %;
                                                      Baevsky & Chernikova 2017 use 5 min
DFA α1                              —        100      Peng et al. 1995 fit boxes of 4–16 beats;
                                                      100 beats hold six of the largest; Rogers
                                                      et al. 2021 use 2-min windows
LF power, LF/HF                     120      —        Task Force 1996: about 2 min are needed
                                                      for LF (5 min is the standard)
HF power                            60       —        Task Force 1996: about 1 min for HF
coherence, breathing rate           64       —        one full 64-s epoch (McCraty et al. 2009)
==================================  =======  =======  =========================================

Where they apply:

* **A whole recording** (``analyze``, the reports): every minimum, over the corrected NN series;
  an index below it is absent (``null`` in ``--json``, "—" in the text and the reports) with the
  reason from :func:`absence_reason`.
* **The live engine and the per-beat timeline**: an index is shown once its window is covered
  (:class:`~monitor.core.settings.HrvWindows`; the default windows are at least the seconds above,
  and a window counts as covered at ``min_coverage`` of it), and the stress index and DFA α1
  also need their clean beats *inside the window* (:func:`enough_clean_beats`), a count that
  a slow heart or many corrected beats can leave short of the minimum in a filled 120-s window.
  The live reason comes from :func:`live_absence_reason`, computed only when a view asks (never
  per beat).

References
----------
Task Force of the ESC and NASPE (1996), Circulation 93:1043–1065. Munoz et al. (2015), PLoS ONE
10:e0138921. Baevsky & Chernikova (2017), Cardiometry 10:66–76. Peng et al. (1995), Chaos
5:82–87. Rogers et al. (2021), Front Physiol 11:596567. McCraty et al. (2009), Integral Review
5(2):10–115. Shaffer, Meehan & Zerr (2020), Front Public Health 8:594880: an ultra-short value
needs its own validation per index, which is why none is shown from less than the above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from monitor.core.respiration import NO_CLEAR_PEAK_REASON
from monitor.core.settings import HrvWindows


@dataclass(frozen=True)
class DataMinimum:
    """The least data an index needs.

    Attributes
    ----------
    seconds : float
        Sum of the NN intervals (s); 0 when the index counts beats only.
    clean_beats : int
        Uncorrected NN intervals; 0 when the seconds suffice.
    source : str
        Where the minimum comes from (short citation).
    """

    seconds: float
    clean_beats: int
    source: str


_HR = DataMinimum(10.0, 10, "Munoz et al. 2015")
_SHORT = DataMinimum(60.0, 30, "Munoz et al. 2015: RMSSD from 60 s tracks the 5-min value")
_LONG = DataMinimum(120.0, 60, "Munoz et al. 2015")
_LF = DataMinimum(120.0, 0, "Task Force 1996: about 2 min for LF")
_HF = DataMinimum(60.0, 0, "Task Force 1996: about 1 min for HF")
_EPOCH = DataMinimum(64.0, 0, "one full 64-s epoch, McCraty et al. 2009")

MINIMUMS: dict[str, DataMinimum] = {
    "mean_rr_ms": _HR,
    "mean_hr_bpm": _HR,
    "hr_10s_bpm": _HR,
    "hr_60s_bpm": _HR,
    "rmssd_ms": _SHORT,
    "ln_rmssd": _SHORT,
    "pnn50_pct": _SHORT,
    "sd1_ms": _SHORT,
    "sdnn_ms": _LONG,
    "sd2_ms": _LONG,
    "stress_index": DataMinimum(120.0, 100, "Baevsky's 50-ms histogram; Baevsky & Chernikova 2017"),
    "dfa_a1": DataMinimum(0.0, 100, "Peng et al. 1995 boxes of 4–16 beats; Rogers et al. 2021"),
    "lf_ms2": _LF,
    "lf_hf": _LF,
    "hf_ms2": _HF,
    "coherence": _EPOCH,
    "resp_rate_bpm": _EPOCH,
}
"""The minimum of every index that has one (keys as in :class:`~monitor.core.indices.WindowIndices`
and :class:`~monitor.core.analysis.RecordingSummary`)."""

LIVE_BEAT_MINIMUM_INDICES = ("stress_index", "dfa_a1")
"""Indices whose clean-beat minimum the live engine checks inside each window."""

UNDEFINED_REASON = "not defined for these beats (e.g. every interval the same)"
"""Why an index with enough data is still absent: its formula has no value (a zero range for
the stress index, a zero RMSSD for its logarithm, no spectral peak ...)."""

UNDEFINED_REASONS: dict[str, str] = {"resp_rate_bpm": NO_CLEAR_PEAK_REASON}
"""Indices whose formula withholds a value for a reason of its own, said in its words."""


def undefined_reason(name: str) -> str:
    """Why ``name`` has no value although its data minimum is met."""
    return UNDEFINED_REASONS.get(name, UNDEFINED_REASON)


@dataclass(frozen=True)
class Readout:
    """An index as shown: a value, or why there is none.

    The one shape every view uses for a number that may be absent (an HRV index, the breathing
    rate): exactly one of ``value`` and ``absent_because`` is set.

    Attributes
    ----------
    value : float or None
        The value; None when absent.
    absent_because : str or None
        Plain words saying why there is no value (for a tooltip or a footnote).
    """

    value: float | None
    absent_because: str | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.absent_because is None):
            raise ValueError("a readout has either a value or a reason for its absence")

    @classmethod
    def of(cls, value: float, reason_if_absent: str = UNDEFINED_REASON) -> Readout:
        """``value`` when finite, else absent with ``reason_if_absent``."""
        if math.isfinite(value):
            return cls(float(value))
        return cls(None, reason_if_absent)

    @classmethod
    def absent(cls, reason: str) -> Readout:
        return cls(None, reason)


def _seconds_text(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds >= 9.5 else f"{seconds:.1f} s"


def shortfall(name: str, seconds: float, clean_beats: int) -> str | None:
    """Why the data falls short of ``name``'s minimum, or None when it is enough.

    Parameters
    ----------
    name : str
        A key of :data:`MINIMUMS` (other names have no minimum: None).
    seconds : float
        Sum of the NN intervals available (s).
    clean_beats : int
        Uncorrected NN intervals available.

    Examples
    --------
    >>> shortfall("lf_ms2", 29.3, 35)
    'needs 120 s of beats (Task Force 1996: about 2 min for LF); the recording has 29 s'
    """
    minimum = MINIMUMS.get(name)
    if minimum is None:
        return None
    if seconds < minimum.seconds:
        return (
            f"needs {minimum.seconds:.0f} s of beats ({minimum.source}); the recording has "
            f"{_seconds_text(seconds)}"
        )
    if clean_beats < minimum.clean_beats:
        return (
            f"needs {minimum.clean_beats} clean beats ({minimum.source}); the recording has "
            f"{clean_beats}"
        )
    return None


def absence_reason(name: str, value: float, seconds: float, clean_beats: int) -> str | None:
    """Why a whole-recording index is absent, or None when ``value`` stands.

    An index below its minimum is absent even when its formula gives a number; one with
    enough data but no value (NaN) has :func:`undefined_reason`.
    """
    reason = shortfall(name, seconds, clean_beats)
    if reason is None and not math.isfinite(value):
        return undefined_reason(name)
    return reason


def enough_clean_beats(name: str, clean_beats: int | np.ndarray) -> bool | np.ndarray:
    """Whether a window's clean beats reach ``name``'s minimum (elementwise for an array)."""
    minimum = MINIMUMS.get(name)
    needed = 0 if minimum is None else minimum.clean_beats
    return clean_beats >= needed


def window_of(name: str, windows: HrvWindows) -> float | None:
    """The live window (s) an index is computed over; None for a name that has none."""
    if name == "hr_10s_bpm":
        return windows.hr_short_s
    if name in ("hr_60s_bpm", "mean_rr_ms", "rmssd_ms", "ln_rmssd", "pnn50_pct", "sd1_ms"):
        return windows.short_term_s
    if name in ("sdnn_ms", "sd2_ms", "stress_index", "dfa_a1"):
        return windows.long_term_s
    if name in ("lf_ms2", "hf_ms2", "lf_hf"):
        return windows.spectral_s
    if name in ("coherence", "resp_rate_bpm"):
        return windows.coherence_s
    return None


def live_absence_reason(
    name: str, span_s: float | None, windows: HrvWindows, clean_beats: int | None = None
) -> str:
    """Why a live index shows no value, in plain words for the dashboard's tooltip.

    Parameters
    ----------
    name : str
        A name of :class:`~monitor.core.indices.WindowIndices`.
    span_s : float or None
        Seconds of signal since the stretch began (the strap connected or the last gap); None
        before the first beat.
    windows : HrvWindows
        The live windows.
    clean_beats : int, optional
        Uncorrected beats in the index's window, when the caller knows them.
    """
    window_s = window_of(name, windows)
    if span_s is None:
        return "no beats yet"
    if window_s is not None:
        needed_s = windows.min_coverage * window_s
        if span_s < needed_s:
            return (
                f"calibrating: needs {needed_s:.0f} s of signal ({windows.min_coverage:.0%} of its "
                f"{window_s:.0f}-s window) since the start or the last gap; "
                f"{max(span_s, 0.0):.0f} s so far"
            )
    minimum = MINIMUMS.get(name)
    if name in LIVE_BEAT_MINIMUM_INDICES and minimum is not None and window_s is not None:
        needs = f"needs {minimum.clean_beats} clean beats in its {window_s:.0f}-s window"
        if clean_beats is None:
            return f"{needs} ({minimum.source}), or {UNDEFINED_REASON}"
        if clean_beats < minimum.clean_beats:
            return f"{needs} ({minimum.source}); it has {clean_beats}"
    return undefined_reason(name)
