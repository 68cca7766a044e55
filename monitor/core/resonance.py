"""The resonance-rate finder: a stepped paced-breathing protocol and the choice of the client's
resonance breathing rate from the heart's response at each rate.

Why a personal rate
-------------------
Breathing slowly drives heart rate through respiratory sinus arrhythmia; near one breathing
frequency the baroreflex loop resonates and the heart-rate oscillation is largest (Vaschillo,
Lehrer, Rishe & Konstantinov 2002, Appl Psychophysiol Biofeedback 27:1). That frequency differs
between adults, over about 4.5–6.5 breaths/min, so HRV biofeedback first finds it for each person
(Lehrer, Vaschillo & Vaschillo 2000, Appl Psychophysiol Biofeedback 25:177; Lehrer & Gevirtz
2014, Front Psychol 5:756).

The protocol
------------
Lehrer et al. (2000) pace the client for about 2 minutes at each of 6.5, 6.0, 5.5, 5.0 and
4.5 breaths/min (:class:`ResonanceProtocol`; rates, step length and order are configurable). The
first ``settle_s`` of each step is not analysed: the pacer changes rate at the next breath
boundary and the client needs a few breaths to follow (Shaffer & Meehan 2020, Front Neurosci
14:570400, on epochs and adaptation).

What is measured at each rate (:func:`rate_metrics`)
----------------------------------------------------
Lehrer et al. (2000) choose the rate that gives (1) the largest low-frequency (LF) spectral peak,
(2) the largest peak-to-trough heart-rate swing with each breath, and (3) the cleanest, single,
narrow peak (a smooth sinusoidal heart-rate curve); they also look at HR–breathing phase
(0° at resonance), which needs a respiration belt this strap does not have. Here:

* **LF peak power** (ms²): the highest peak of the Lomb–Scargle spectrum of the NN series in
  0.04–0.15 Hz, integrated over 0.030 Hz around it (the peak width of McCraty et al. 2009);
* **peak-to-trough HR** (bpm): max − min of the breath-locked average heart rate
  (:func:`peak_to_trough_bpm`);
* **coherence**: the HeartMath coherence ratio of the same spectrum, peak / (total − peak)
  (McCraty, Atkinson, Tomasino & Bradley 2009, Integral Review 5:10), high when one narrow peak
  holds the variability: the "single smooth peak" criterion as a number.

How they are combined (:func:`choose_resonance_rate`)
-----------------------------------------------------
1. *Relative to the best rate, in log units.* Each criterion is divided by its best value over the
   rates with clean signal and its logarithm taken (0 for the best rate, −0.1 for one 10 % lower):
   the size of a difference counts, not just its rank, and the three criteria, whose units
   differ, become comparable.
2. *Weighted mean.* The score of a rate is the weighted mean of its three log ratios, with weights
   2 : 1 : 0.5 (LF peak : peak-to-trough : coherence). LF peak power leads: it is the criterion
   practitioners keep when they reduce Lehrer's list (Shaffer & Meehan 2020), and on the
   simulator it is the least noisy. The breath-locked swing measures the same oscillation in the
   time domain. Coherence is a tie-breaker: its denominator holds the slow (VLF) fluctuation,
   which varies a lot between 2-minute steps.
3. *A resonance curve, not a single maximum.* Neighbouring rates differ by a few per cent at the
   top of the resonance curve, less than the step-to-step noise, so picking the single highest
   score often lands one step off. The resonance curve of the baroreflex is smooth and has one
   peak (Vaschillo et al. 2002), so a parabola is fitted to score versus rate over all rates,
   and the protocol rate nearest its vertex is the choice: every step informs the estimate. A
   vertex beyond the protocol's range chooses the edge rate and says the peak may lie beyond;
   without a peak (the fit opens upward) the highest score is taken.
4. *Close calls.* When the fitted score of the runner-up (the neighbour on the vertex's side) is
   within :data:`CLOSE_CALL_MARGIN` of the best, the result says both suit and the client's
   comfort may decide (Lehrer & Gevirtz 2014).

Steps whose signal is not clean (too few beats, too many corrected beats, a gap) are left out
and reported.

Measured on the simulator (drivers/simulator.py with ``resonance_hz``; a client following the
pacer, :func:`monitor.session.resonance_finder.protocol_script`; seeds 100–129): the exact
resonance rate was chosen in 29, 19, 30, 22 and 25 of 30 runs for resonances at 4.5, 5.0, 5.5,
6.0 and 6.5 breaths/min, and all 150 runs were within one step (0.5/min). Picking the single
highest score instead got 83 of 150 right. With a Mayer wave 2.5 times larger the exact rate came
in 94 of 150 runs and 146 were within one step. The simulator's resonance is broad (neighbouring
rates differ by ~7 % in LF power), so one step is the honest resolution of a 2-minute protocol;
a therapist who wants more can repeat the finder around the chosen rate.

Everything here is pure: arrays in, numbers out. The stepwise runner that feeds the live beats
is :mod:`monitor.session.resonance_finder`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from monitor.core import spectral

DEFAULT_RATES_PER_MIN = (6.5, 6.0, 5.5, 5.0, 4.5)
"""Lehrer, Vaschillo & Vaschillo (2000): the adult range, from faster to slower."""
DEFAULT_STEP_S = 120.0
"""About 2 minutes per rate (Lehrer et al. 2000)."""
DEFAULT_SETTLE_S = 30.0
"""Not analysed at the start of each step: the pacer changes at the next breath boundary (up to
one 13-s breath at 4.5/min) and the client needs a few breaths to follow the new rate."""

LF_PEAK_WIDTH_HZ = spectral.COHERENCE_PEAK_WIDTH_HZ
"""Width over which the LF peak's power is summed (McCraty et al. 2009)."""
PACER_MATCH_HZ = LF_PEAK_WIDTH_HZ / 2.0
"""The LF peak is "at the pacer" when within this of the paced breathing frequency."""

MIN_ANALYSED_S = 60.0
"""Shortest analysed span per rate: at 4.5/min that is 4.5 breaths."""
MIN_COVERAGE = 0.8
"""Share of the analysed span that accepted beats must cover (a gap leaves it short)."""
MAX_CORRECTED_PCT = 20.0
"""Above this share of corrected beats a step's numbers are not trusted (as the window of
tolerance suspends its readings)."""
PHASE_BINS = 8
"""Phase bins of the breath-locked average heart rate (see :func:`peak_to_trough_bpm`)."""

CLOSE_CALL_MARGIN = 0.03
"""Fitted scores (mean log ratios) closer than this, about 3 %, make a close call."""

CRITERIA = ("lf_peak_power_ms2", "peak_to_trough_bpm", "coherence")
DEFAULT_WEIGHTS = (2.0, 1.0, 0.5)
"""Weights of LF peak power, peak-to-trough HR and coherence (see the module notes)."""


@dataclass(frozen=True)
class ProtocolStep:
    """One rate of the protocol, in seconds from the protocol's start.

    Attributes
    ----------
    index : int
    rate_per_min : float
        Paced breathing rate (breaths/min).
    start_s, end_s : float
        When the pacer is asked for this rate, and when the next step begins.
    analysis_start_s : float
        Start of the analysed part (``start_s + settle_s``).
    """

    index: int
    rate_per_min: float
    start_s: float
    end_s: float
    analysis_start_s: float

    @property
    def breathing_hz(self) -> float:
        return self.rate_per_min / 60.0

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class ResonanceProtocol:
    """The stepped paced-breathing protocol (Lehrer, Vaschillo & Vaschillo 2000).

    Attributes
    ----------
    rates_per_min : tuple of float
        Breathing rates in the order they are paced (each 2–12 breaths/min, no repeats).
    step_s : float
        Time at each rate (≥ ``settle_s`` + 60 s).
    settle_s : float
        Start of each step left out of the analysis.
    inhale_fraction : float
        In-breath share of each breath the pacer shows (see :mod:`monitor.client.pacer`).
    """

    rates_per_min: tuple[float, ...] = DEFAULT_RATES_PER_MIN
    step_s: float = DEFAULT_STEP_S
    settle_s: float = DEFAULT_SETTLE_S
    inhale_fraction: float = 0.4

    def __post_init__(self) -> None:
        rates = tuple(float(r) for r in self.rates_per_min)
        object.__setattr__(self, "rates_per_min", rates)
        if len(rates) < 2:
            raise ValueError("a resonance protocol needs at least two rates to compare")
        if len(set(rates)) != len(rates):
            raise ValueError(f"rates must not repeat: {rates}")
        if not all(2.0 <= r <= 12.0 for r in rates):
            raise ValueError(f"rates must be within 2-12 breaths/min: {rates}")
        if not self.settle_s >= 0:
            raise ValueError(f"settle_s must not be negative, got {self.settle_s}")
        if not self.step_s >= self.settle_s + MIN_ANALYSED_S:
            raise ValueError(
                f"step_s ({self.step_s}) must leave at least {MIN_ANALYSED_S:.0f} s to analyse "
                f"after settle_s ({self.settle_s})"
            )
        if not 0.2 <= self.inhale_fraction <= 0.6:
            raise ValueError(f"inhale_fraction must be within 0.2-0.6, got {self.inhale_fraction}")

    @property
    def duration_s(self) -> float:
        return self.step_s * len(self.rates_per_min)

    @property
    def steps(self) -> tuple[ProtocolStep, ...]:
        return tuple(
            ProtocolStep(
                index=i,
                rate_per_min=rate,
                start_s=i * self.step_s,
                end_s=(i + 1) * self.step_s,
                analysis_start_s=i * self.step_s + self.settle_s,
            )
            for i, rate in enumerate(self.rates_per_min)
        )

    def step_at(self, elapsed_s: float) -> ProtocolStep | None:
        """The step running ``elapsed_s`` after the start (``None`` before it and after the end)."""
        if not 0.0 <= elapsed_s < self.duration_s:
            return None
        return self.steps[min(int(elapsed_s // self.step_s), len(self.rates_per_min) - 1)]


@dataclass(frozen=True)
class RateMetrics:
    """The heart's response while paced at one rate.

    Attributes
    ----------
    rate_per_min : float
        The paced rate.
    beats : int
        Accepted NN intervals in the analysed span.
    analysed_s : float
        Length of the analysed span.
    coverage : float
        Share of the span the NN intervals cover (1 without gaps).
    corrected_pct : float
        Share of those intervals the artefact stage corrected.
    lf_peak_power_ms2 : float
        Power of the highest LF peak (0.030 Hz around it).
    lf_peak_hz : float
        Its frequency.
    peak_to_trough_bpm : float
        Median over breaths of max − min instantaneous heart rate.
    coherence : float
        Coherence ratio of the span's spectrum.
    problem : str
        Why the step cannot be used ("" when it can).
    """

    rate_per_min: float
    beats: int
    analysed_s: float
    coverage: float
    corrected_pct: float
    lf_peak_power_ms2: float
    lf_peak_hz: float
    peak_to_trough_bpm: float
    coherence: float
    problem: str = ""

    @property
    def valid(self) -> bool:
        return not self.problem

    @property
    def breathing_hz(self) -> float:
        return self.rate_per_min / 60.0

    @property
    def followed_pacer(self) -> bool:
        """Whether the LF peak sits at the paced breathing frequency (the client followed)."""
        return math.isfinite(self.lf_peak_hz) and (
            abs(self.lf_peak_hz - self.breathing_hz) <= PACER_MATCH_HZ
        )

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            name: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for name, v in self.__dict__.items()
        }
        out["followed_pacer"] = self.followed_pacer
        return out


def _lf_peak(freqs_hz: np.ndarray, psd: np.ndarray) -> tuple[float, float]:
    """(power ms², frequency Hz) of the highest LF peak, power summed over its 0.030-Hz width."""
    low = int(np.searchsorted(freqs_hz, spectral.LF_BAND_HZ[0], side="left"))
    high = int(np.searchsorted(freqs_hz, spectral.LF_BAND_HZ[1], side="right"))
    peak_hz = float(freqs_hz[low + int(np.argmax(psd[low:high]))])
    half = LF_PEAK_WIDTH_HZ / 2.0
    return spectral.band_power_ms2(freqs_hz, psd, (peak_hz - half, peak_hz + half)), peak_hz


def peak_to_trough_bpm(
    t_s: ArrayLike, nn_ms: ArrayLike, breath_s: float, start_s: float, bins: int = PHASE_BINS
) -> float:
    """Heart-rate swing of the average breath: max − min of the breath-locked mean heart rate.

    Lehrer, Vaschillo & Vaschillo (2000) compare the peak-to-trough heart-rate difference within
    breaths: at the resonance rate heart rate swings furthest between in- and out-breath. Taking
    max − min of single beats in each breath lets beat-to-beat noise inflate every swing, so
    here the beats are first folded onto the paced breath period (phase = time since
    ``start_s`` modulo ``breath_s``), the instantaneous heart rate 60000/NN is averaged in
    ``bins`` phase bins over all breaths of the span, and the swing is max − min of that
    average breath. Averaging over ~8–10 breaths cuts the noise by about their square root; the
    bins' width lowers a sinusoid's swing by the same ~3 % at every rate, so rates stay
    comparable. A client who does not follow the pacer smears the average and scores lower,
    which is the point.

    Parameters
    ----------
    t_s, nn_ms : array_like
        Beat times (s) and NN intervals (ms) of the span.
    breath_s : float
        The paced breath period, 60 / rate.
    start_s : float
        Phase origin (the start of the span).
    bins : int
        Phase bins per breath.

    Returns
    -------
    float
        The swing in bpm; NaN with fewer than two whole breaths or an empty bin.
    """
    t = np.asarray(t_s, dtype=float)
    hr_bpm = 60000.0 / np.asarray(nn_ms, dtype=float)
    if t.size == 0 or (t[-1] - start_s) < 2 * breath_s:
        return float("nan")
    phase = np.mod(t - start_s, breath_s) / breath_s
    index = np.minimum((phase * bins).astype(int), bins - 1)
    counts = np.bincount(index, minlength=bins)
    if np.any(counts == 0):
        return float("nan")
    means = np.bincount(index, weights=hr_bpm, minlength=bins) / counts
    return float(means.max() - means.min())


def rate_metrics(
    t_s: ArrayLike,
    nn_ms: ArrayLike,
    rate_per_min: float,
    start_s: float,
    end_s: float,
    corrected: ArrayLike | None = None,
) -> RateMetrics:
    """The heart's response to breathing paced at ``rate_per_min`` between two moments.

    Parameters
    ----------
    t_s, nn_ms : array_like
        Beat times (s, ascending) and NN intervals (ms); beats outside ``[start_s, end_s)`` are
        ignored, so a whole session's arrays can be passed.
    rate_per_min : float
        The paced rate.
    start_s, end_s : float
        The analysed span (a step after its settling time).
    corrected : array_like of bool, optional
        Which intervals the artefact stage corrected.

    Returns
    -------
    RateMetrics
        The three criteria (see the module notes) and whether the span's signal was clean.
    """
    t = np.asarray(t_s, dtype=float)
    nn = np.asarray(nn_ms, dtype=float)
    fixed = np.zeros(t.shape, dtype=bool) if corrected is None else np.asarray(corrected, bool)
    inside = (t >= start_s) & (t < end_s)
    t, nn, fixed = t[inside], nn[inside], fixed[inside]
    analysed_s = float(end_s - start_s)
    beats = int(t.size)
    coverage = min(float(nn.sum() / 1000.0 / analysed_s), 1.0) if analysed_s > 0 else 0.0
    corrected_pct = 100.0 * float(fixed.mean()) if beats else float("nan")
    nan = float("nan")
    problem = ""
    if analysed_s < MIN_ANALYSED_S:
        problem = f"only {analysed_s:.0f} s analysed (needs {MIN_ANALYSED_S:.0f} s)"
    elif beats < spectral.MIN_BEATS or coverage < MIN_COVERAGE:
        problem = f"signal covers only {100 * coverage:.0f} % of the step (a gap)"
    elif corrected_pct > MAX_CORRECTED_PCT:
        problem = f"{corrected_pct:.0f} % of the beats were corrected"
    if beats < spectral.MIN_BEATS:
        return RateMetrics(
            float(rate_per_min), beats, analysed_s, coverage, corrected_pct,
            nan, nan, nan, nan, problem,
        )  # fmt: skip
    psd = spectral.lomb_scargle_psd(t, nn, spectral.FREQUENCIES_HZ)
    lf_power, lf_hz = _lf_peak(spectral.FREQUENCIES_HZ, psd)
    coherence = spectral.coherence_ratio(spectral.FREQUENCIES_HZ, psd)
    swing = peak_to_trough_bpm(t, nn, 60.0 / rate_per_min, start_s)
    if not problem and not math.isfinite(swing):
        problem = "too few beats to average the breaths"
    return RateMetrics(
        rate_per_min=float(rate_per_min),
        beats=beats,
        analysed_s=analysed_s,
        coverage=coverage,
        corrected_pct=corrected_pct,
        lf_peak_power_ms2=lf_power,
        lf_peak_hz=lf_hz,
        peak_to_trough_bpm=swing,
        coherence=coherence,
        problem=problem,
    )


@dataclass(frozen=True)
class RateScore:
    """One rate's criteria as log ratios to the best rate's (0 = best), and their weighted
    mean."""

    metrics: RateMetrics
    lf_score: float
    swing_score: float
    coherence_score: float
    score: float


@dataclass(frozen=True)
class ResonanceResult:
    """The finder's answer.

    Attributes
    ----------
    best_rate_per_min : float or None
        The client's resonance breathing rate (one of the protocol's rates); ``None`` when fewer
        than two rates had clean signal.
    runner_up_per_min : float or None
        The next-best rate.
    close_call : bool
        The runner-up scored within :data:`CLOSE_CALL_MARGIN` of the best.
    fitted_peak_per_min : float or None
        Vertex of the fitted resonance curve (``None`` without a peak); finer than the
        protocol's steps, but only as good as the fit: for information, not for the pacer.
    scores : tuple of RateScore
        Every rate with clean signal, in protocol order.
    skipped : tuple of RateMetrics
        Rates left out, with their ``problem``.
    reason : str
        One sentence for the therapist.
    """

    best_rate_per_min: float | None
    runner_up_per_min: float | None
    close_call: bool
    fitted_peak_per_min: float | None
    scores: tuple[RateScore, ...]
    skipped: tuple[RateMetrics, ...] = field(default_factory=tuple)
    reason: str = ""

    def score_of(self, rate_per_min: float) -> RateScore | None:
        for score in self.scores:
            if math.isclose(score.metrics.rate_per_min, rate_per_min):
                return score
        return None

    def as_dict(self) -> dict[str, object]:
        return {
            "best_rate_per_min": self.best_rate_per_min,
            "runner_up_per_min": self.runner_up_per_min,
            "close_call": self.close_call,
            "fitted_peak_per_min": self.fitted_peak_per_min,
            "reason": self.reason,
            "rates": [
                {**s.metrics.as_dict(), "score": s.score} for s in self.scores
            ] + [m.as_dict() for m in self.skipped],
        }  # fmt: skip


def _fitted_curve(rates: np.ndarray, scores: np.ndarray) -> np.ndarray | None:
    """Coefficients of the least-squares parabola through (rate, score), or ``None`` when it
    has no peak (opens upward or is flat) or there are too few rates to fit one."""
    if rates.size < 3:
        return None
    coefficients = np.polyfit(rates, scores, 2)
    return coefficients if coefficients[0] < 0 else None


def choose_resonance_rate(
    metrics: Sequence[RateMetrics], weights: Sequence[float] = DEFAULT_WEIGHTS
) -> ResonanceResult:
    """Pick the resonance rate from the per-rate responses (see the module notes).

    Parameters
    ----------
    metrics : sequence of RateMetrics
        One per paced rate.
    weights : sequence of three floats
        Weights of LF peak power, peak-to-trough HR and coherence (non-negative, not all 0).

    Returns
    -------
    ResonanceResult
    """
    w = np.asarray(weights, dtype=float)
    if w.shape != (3,) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError(f"weights must be three non-negative numbers, not all 0: {weights}")
    usable = [
        m for m in metrics
        if m.valid and all(math.isfinite(getattr(m, c)) and getattr(m, c) > 0 for c in CRITERIA)
    ]  # fmt: skip
    skipped = tuple(m for m in metrics if m not in usable)
    if len(usable) < 2:
        return ResonanceResult(
            None, None, False, None, (), skipped,
            "fewer than two rates had clean signal: repeat the finder",
        )  # fmt: skip
    values = np.array([[getattr(m, c) for c in CRITERIA] for m in usable])
    log_ratios = np.log(values / values.max(axis=0))
    totals = log_ratios @ w / w.sum()
    scores = tuple(
        RateScore(m, float(r[0]), float(r[1]), float(r[2]), float(total))
        for m, r, total in zip(usable, log_ratios, totals, strict=True)
    )
    rates = np.array([m.rate_per_min for m in usable])
    curve = _fitted_curve(rates, totals)
    note = ""
    if curve is None:
        vertex = None
        fitted = totals
        best = int(np.argmax(totals))
        if rates.size >= 3:
            note = " (no clear peak across the rates: worth repeating)"
    else:
        vertex = float(-curve[1] / (2.0 * curve[0]))
        fitted = np.polyval(curve, rates)
        best = int(np.argmin(np.abs(rates - vertex)))
        if not rates.min() <= vertex <= rates.max():
            edge = "slowest" if vertex < rates.min() else "fastest"
            note = f" (still rising at the {edge} rate: the peak may lie beyond it)"
    if vertex is None:
        others = [int(i) for i in np.argsort(-totals) if i != best]
    else:
        # The rate next nearest the vertex: the neighbour on the vertex's side.
        others = sorted(
            (i for i in range(rates.size) if i != best), key=lambda i: abs(rates[i] - vertex)
        )
    second = int(others[0])
    close = bool(fitted[best] - fitted[second] < CLOSE_CALL_MARGIN)
    rate = float(rates[best])
    if close:
        reason = (
            f"{rate:g} and {rates[second]:g} breaths/min respond almost equally; "
            "either suits, let the client's comfort decide"
        )
    else:
        reason = (
            f"{rate:g} breaths/min sits at the peak of the heart-rate oscillation across the rates"
        )
    reason += note
    if not usable[best].followed_pacer:
        reason += "; the heart's rhythm did not follow the pacer there: check the breathing"
    return ResonanceResult(
        best_rate_per_min=rate,
        runner_up_per_min=float(rates[second]),
        close_call=close,
        fitted_peak_per_min=vertex,
        scores=scores,
        skipped=skipped,
        reason=reason,
    )


def analyse_protocol(
    t_s: ArrayLike,
    nn_ms: ArrayLike,
    protocol: ResonanceProtocol,
    start_s: float,
    corrected: ArrayLike | None = None,
    weights: Sequence[float] = DEFAULT_WEIGHTS,
) -> ResonanceResult:
    """The batch form: metrics of every step of a protocol run that began at ``start_s``, and
    the choice.

    Parameters
    ----------
    t_s, nn_ms : array_like
        Beat times (s) and NN intervals (ms) covering the run.
    protocol : ResonanceProtocol
    start_s : float
        When the protocol's first step began, on the beats' clock.
    corrected : array_like of bool, optional
    weights : sequence of float, optional

    Returns
    -------
    ResonanceResult
    """
    metrics = [
        rate_metrics(
            t_s,
            nn_ms,
            step.rate_per_min,
            start_s + step.analysis_start_s,
            start_s + step.end_s,
            corrected,
        )
        for step in protocol.steps
    ]
    return choose_resonance_rate(metrics, weights)
