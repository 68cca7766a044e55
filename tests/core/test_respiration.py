"""Breathing rate from the RSA peak on simulated RR series that reproduce the failures seen on a
real recording with a respiration belt (issue 14): LF power leaking across 0.15 Hz, strong Mayer
waves, beat-to-beat alternation, low variability; and no estimate where there is no peak.

Each scenario's RR series comes from a documented model, built here rather than by the
estimator's own assumptions: the heart period at each beat is

    RR_k = mean + A_rsa·sin φ_r(t_k) + A_mayer·sin φ_m(t_k) + σ·ε_k + A_alt·(−1)^k,

the phases integrated beat by beat from the breathing frequency (wandering ±5 % over a 47-s
cycle, as spontaneous breathing does) and the Mayer-wave frequency (0.1 Hz, wandering 0.09–0.11
Hz; Julien 2006, Cardiovasc Res 70:12), ε white Gaussian noise. This is the sum-of-rhythms RR
model of McSharry et al. 2003 (IEEE Trans Biomed Eng 50:289) sampled at the beats (the
integral pulse frequency model with the modulation read at each beat). The reference is the
set breathing rate; the 64-s spectra are those the live engine and the timeline read
(:func:`spectral.sliding_psds`).

On the HF-band argmax (the code before issue #14) every scenario failed at 9–22/min (median
errors 3–21 breaths/min, 0–6 % within 2/min), as did the band-edge test; 6/min and the flat
series passed. Counting in Schäfer & Kratky's own 0.1–0.5 Hz band failed every scenario at
12–22/min (Mayer waves and alternation counted as breaths), hence the narrower band of
:mod:`monitor.core.breath_count`.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import peak_prominences

from monitor.core import respiration, spectral
from monitor.core.breath_count import breaths_per_min_of_windows

RATES_PER_MIN = (6, 9, 12, 15, 18, 20, 22)
WINDOW_S = 64.0


def modelled_rr(
    breaths_per_min: float,
    *,
    rsa_ms: float,
    mayer_ms: float,
    noise_ms: float,
    alternation_ms: float = 0.0,
    mean_rr_ms: float = 850.0,
    mayer_wanders: bool = True,
    duration_s: float = 600.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Beat times (s) and RR intervals (ms) of the model in the module docstring."""
    rng = np.random.default_rng(seed)
    breathing_phase, mayer_phase = rng.uniform(0, 2 * np.pi, size=2)
    t_s, alternation = 0.0, 1.0
    times, intervals = [], []
    while t_s < duration_s:
        breathing_hz = breaths_per_min / 60.0 * (1 + 0.05 * np.sin(2 * np.pi * t_s / 47.0 + 1.0))
        mayer_hz = 0.1 * (1 + 0.1 * np.sin(2 * np.pi * t_s / 83.0)) if mayer_wanders else 0.1
        rr_ms = (
            mean_rr_ms
            + rsa_ms * np.sin(breathing_phase)
            + mayer_ms * np.sin(mayer_phase)
            + noise_ms * rng.standard_normal()
            + alternation_ms * alternation
        )
        alternation = -alternation
        breathing_phase += 2 * np.pi * breathing_hz * rr_ms / 1000.0
        mayer_phase += 2 * np.pi * mayer_hz * rr_ms / 1000.0
        t_s += rr_ms / 1000.0
        times.append(t_s)
        intervals.append(rr_ms)
    return np.array(times), np.array(intervals)


def rates_per_beat(t_s: np.ndarray, rr_ms: np.ndarray) -> np.ndarray:
    """The estimate after every beat once a 64-s window is filled, as the engine shows it."""
    ends = np.arange(int(t_s.searchsorted(t_s[0] + WINDOW_S)), t_s.size)
    psds = spectral.sliding_psds(t_s, rr_ms, ends, (WINDOW_S,))[:, 0]
    starts = t_s.searchsorted(t_s[ends] - WINDOW_S, side="right")
    counted = breaths_per_min_of_windows(t_s, rr_ms, starts, ends + 1)
    return respiration.respiration_rate_of_rows(spectral.FREQUENCIES_HZ, psds, counted)


SCENARIOS = {
    # A Mayer wave of 30 ms beside 12 ms of RSA: its power leaks across 0.15 Hz.
    "LF leaking across 0.15 Hz": dict(rsa_ms=12.0, mayer_ms=30.0, noise_ms=5.0),
    # A steady, strong 0.1-Hz Mayer wave (coherent enough to pass as paced breathing).
    "strong Mayer wave": dict(rsa_ms=10.0, mayer_ms=40.0, noise_ms=4.0, mayer_wanders=False),
    # 25-ms beat-to-beat alternation at 62 bpm: its power sits just above 0.5 Hz.
    "beat-to-beat alternation": dict(
        rsa_ms=8.0, mayer_ms=10.0, noise_ms=3.0, alternation_ms=25.0, mean_rr_ms=960.0
    ),
    # RMSSD 6–9 ms at 86 bpm: 5 ms of RSA beside a 12-ms Mayer wave.
    "low variability": dict(rsa_ms=5.0, mayer_ms=12.0, noise_ms=3.0, mean_rr_ms=700.0),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("breaths_per_min", RATES_PER_MIN)
def test_rate_within_the_goal_of_issue_14(scenario: str, breaths_per_min: int) -> None:
    """Median |error| ≤ 1.5/min and ≥ 70 % of beats within 2/min (an absent estimate counts
    as a miss). At 6/min the RSA is three times larger, as resonance makes it (Lehrer &
    Gevirtz 2014), and coincides with the Mayer wave."""
    parameters = dict(SCENARIOS[scenario])
    if breaths_per_min == 6:
        parameters["rsa_ms"] *= 3
    t_s, rr_ms = modelled_rr(breaths_per_min, seed=breaths_per_min, **parameters)
    estimates = rates_per_beat(t_s, rr_ms)
    errors = np.where(np.isfinite(estimates), np.abs(estimates - breaths_per_min), np.inf)
    assert np.median(errors) <= 1.5
    assert np.mean(errors <= 2.0) >= 0.70


def test_white_noise_rr_is_often_withheld_but_not_always() -> None:
    """Uncorrelated RR intervals (no rhythm at all), the documented limit of counting
    (monitor.core.breath_count): band-passed noise is a wandering oscillation, irregular enough
    to be withheld at a good share of beats (measured: 48 %) but not at all. The old HF argmax
    gave a number at every beat."""
    rng = np.random.default_rng(1)
    rr_ms = 850 + 30 * rng.standard_normal(800)
    estimates = rates_per_beat(np.cumsum(rr_ms) / 1000, rr_ms)
    assert np.mean(np.isnan(estimates)) >= 0.35


def test_a_flat_series_has_no_breathing_rate() -> None:
    rr_ms = np.full(200, 850.0)
    assert np.isnan(rates_per_beat(np.cumsum(rr_ms) / 1000, rr_ms)).all()


def test_a_maximum_on_the_band_edge_is_not_a_peak() -> None:
    """A spectrum falling steadily from a 0.1-Hz peak through 0.15 Hz, with no other peak and no
    breaths counted: the spontaneous band's largest value is at its lower edge, and that is no
    breathing rate (the old HF argmax read 0.15 Hz, 9/min)."""
    freqs = spectral.FREQUENCIES_HZ
    psd = 1000.0 * np.exp(-(((freqs - 0.1) / 0.03) ** 2)) + 1e-3
    assert np.isnan(respiration.respiration_rate_bpm(freqs, psd, np.nan, coherence=0.5))


def test_prominence_equals_scipys() -> None:
    """The whole-array prominence rule against :func:`scipy.signal.peak_prominences` on real
    spectra: a peak passes the relative-prominence test exactly when scipy's prominence does."""
    rng = np.random.default_rng(7)
    rr_ms = 850 + 20 * rng.standard_normal(600)
    t_s = np.cumsum(rr_ms) / 1000
    ends = np.arange(80, 600, 7)
    psds = spectral.sliding_psds(t_s, rr_ms, ends, (WINDOW_S,))[:, 0]
    rows = np.arange(psds.shape[0])
    for offset in (0, 3, 11):
        # A local maximum per row (the first after ``offset`` bins into the band).
        inner = (psds[:, 1:-1] > psds[:, :-2]) & (psds[:, 1:-1] >= psds[:, 2:])
        inner[:, : 70 + offset] = False
        peak = inner.argmax(axis=1) + 1
        median = np.zeros(rows.size)
        power = np.ones(rows.size)
        ours = respiration._is_clear(psds, peak, median, power)
        scipy_prominence = np.array([peak_prominences(psds[r], [peak[r]])[0][0] for r in rows])
        expected = scipy_prominence >= respiration.MIN_RELATIVE_PROMINENCE * psds[rows, peak]
        np.testing.assert_array_equal(ours, expected)
        assert 0 < expected.sum() < rows.size  # both outcomes are exercised
