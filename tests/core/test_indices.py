"""HRV index functions against independent computations on real recordings.

Oracles: the reference values published with the pyhrv sample series (tests/data/README.md,
computed with several libraries); neurokit2 (a test-only dependency); plain numpy written here
from the textbook definitions; and hand-worked examples.
"""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np
import pytest

from monitor.core import dfa, poincare, spectral, stress_index, time_domain
from monitor.core.breath_count import count_breaths
from monitor.core.respiration import respiration_rate_bpm
from tests.conftest import CLEAN_RECORDINGS, load_rr_ms


def neurokit_peaks(nn_ms: np.ndarray) -> np.ndarray:
    """R-peak sample indices at 1000 Hz; exact for integer-ms recordings."""
    return np.concatenate([[0], np.cumsum(nn_ms)]).astype(np.int64)


def test_time_domain_matches_the_published_pyhrv_reference() -> None:
    nn = load_rr_ms("pyhrv_short_nni.txt")
    # Published to three decimals, so the tolerance is half a unit in the last place.
    assert time_domain.mean_rr_ms(nn) == pytest.approx(888.955, abs=5e-4)
    assert time_domain.sdnn_ms(nn) == pytest.approx(95.690, abs=5e-4)
    assert time_domain.rmssd_ms(nn) == pytest.approx(101.301, abs=5e-4)
    assert time_domain.pnn50_pct(nn) == pytest.approx(48.512, abs=5e-4)
    assert poincare.sd1_ms(nn) == pytest.approx(71.737, abs=5e-4)
    assert poincare.sd2_ms(nn) == pytest.approx(114.748, abs=5e-4)


@pytest.mark.parametrize("name", CLEAN_RECORDINGS)
def test_time_domain_matches_neurokit2_on_real_recordings(name: str) -> None:
    nn = load_rr_ms(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = nk.hrv_time(neurokit_peaks(nn), sampling_rate=1000).iloc[0]
    rel = 1e-6
    assert time_domain.mean_rr_ms(nn) == pytest.approx(reference["HRV_MeanNN"], rel=rel)
    assert time_domain.sdnn_ms(nn) == pytest.approx(reference["HRV_SDNN"], rel=rel)
    assert time_domain.rmssd_ms(nn) == pytest.approx(reference["HRV_RMSSD"], rel=rel)
    assert time_domain.ln_rmssd(nn) == pytest.approx(np.log(reference["HRV_RMSSD"]), rel=rel)
    # pNN50 is counted here, not taken from neurokit2: it divides by N intervals instead of the
    # N − 1 differences, and its float conversion of the peaks pushes some differences of exactly
    # 50 ms over the "> 50 ms" threshold of the Task Force definition.
    differences_ms = np.abs(np.diff(nn))
    expected_pnn50 = 100 * np.count_nonzero(differences_ms > 50) / differences_ms.size
    assert time_domain.pnn50_pct(nn) == pytest.approx(expected_pnn50, rel=rel)
    assert time_domain.mean_hr_bpm(nn) == pytest.approx(60_000 / reference["HRV_MeanNN"], rel=rel)


@pytest.mark.parametrize("name", ["rest_rri.txt", "08012805.txt"])
def test_poincare_matches_the_geometric_definition(name: str) -> None:
    """SD1/SD2 from the rotated-axes definition of the plot itself (Brennan 2001, eq. 2–3).

    The rotated axes use the N − 1 pairs, SDNN all N beats, so the two exact forms differ by end
    effects of order 1/N: 0.18 % for the 337-beat pyhrv series (whose published SD1/SD2 the
    product matches exactly, above), under 0.1 % for these recordings of 900+ beats."""
    nn = load_rr_ms(name)
    x, y = nn[:-1], nn[1:]
    sd1_geometric = np.std((y - x) / np.sqrt(2), ddof=1)
    sd2_geometric = np.std((y + x) / np.sqrt(2), ddof=1)
    assert poincare.sd1_ms(nn) == pytest.approx(sd1_geometric, rel=1e-3)
    assert poincare.sd2_ms(nn) == pytest.approx(sd2_geometric, rel=1e-3)


def test_stress_index_hand_worked() -> None:
    # 10 intervals in the 800–850 bin, 6 in 850–900, 4 in 900–950: Mo = 0.825 s, AMo = 50 %,
    # MxDMn = 0.100 s, SI = 50 / (2 · 0.825 · 0.100) = 303.03, Kubios shows √SI = 17.408.
    nn = np.array([800.0] * 10 + [850.0] * 6 + [900.0] * 4)
    assert stress_index.stress_index(nn) == pytest.approx(
        np.sqrt(50 / (2 * 0.825 * 0.1)), rel=1e-12
    )


@pytest.mark.parametrize("name", CLEAN_RECORDINGS)
def test_stress_index_matches_a_numpy_histogram(name: str) -> None:
    nn = load_rr_ms(name)
    edges = np.arange(np.floor(nn.min() / 50) * 50, nn.max() + 50.0001, 50.0)
    counts, edges = np.histogram(nn, bins=edges)
    modal = np.argmax(counts)
    mo_s = (edges[modal] + 25.0) / 1000
    amo_pct = 100 * counts[modal] / nn.size
    expected = np.sqrt(amo_pct / (2 * mo_s * (nn.max() - nn.min()) / 1000))
    assert stress_index.stress_index(nn) == pytest.approx(expected, rel=1e-12)


def test_stress_index_refuses_too_few_or_identical_beats() -> None:
    assert np.isnan(stress_index.stress_index([900.0] * 5))
    assert np.isnan(stress_index.stress_index([900.0] * 50))


@pytest.mark.parametrize("name", CLEAN_RECORDINGS)
def test_dfa_alpha1_matches_neurokit2(name: str) -> None:
    nn = load_rr_ms(name)
    boxes = list(range(4, 17))
    reference, _ = nk.fractal_dfa(nn, scale=boxes, overlap=False, integrate=True, order=1)
    assert dfa.dfa_alpha1(nn) == pytest.approx(reference, abs=0.02)


def test_dfa_alpha1_separates_white_noise_from_a_random_walk() -> None:
    """Peng 1995: uncorrelated NN give α = 0.5, a random walk 1.5. Over boxes of 4–16 beats DFA
    overestimates α for white noise by ~0.05–0.1 (Kantelhardt et al. 2001, Physica A 295:441),
    hence the asymmetric bounds."""
    rng = np.random.default_rng(7)
    white = 900 + 40 * rng.standard_normal(4000)
    walk = 900 + np.cumsum(rng.standard_normal(4000))
    assert 0.45 < dfa.dfa_alpha1(white) < 0.65
    assert 1.35 < dfa.dfa_alpha1(walk) < 1.6


def lomb_textbook_psd(t_s: np.ndarray, nn_ms: np.ndarray, freqs_hz: np.ndarray) -> np.ndarray:
    """Classic Lomb (1976) periodogram with Scargle's τ, written out from the paper, scaled to a
    one-sided density the same way (2·P·mean Δt). Independent of scipy and of the product."""
    y = nn_ms - nn_ms.mean()
    psd = np.empty_like(freqs_hz)
    for i, f in enumerate(freqs_hz):
        w = 2 * np.pi * f
        tau = np.arctan2(np.sum(np.sin(2 * w * t_s)), np.sum(np.cos(2 * w * t_s))) / (2 * w)
        c = np.cos(w * (t_s - tau))
        s = np.sin(w * (t_s - tau))
        psd[i] = 0.5 * ((y @ c) ** 2 / (c @ c) + (y @ s) ** 2 / (s @ s))
    return 2 * psd * nn_ms.mean() / 1000


@pytest.mark.parametrize("name", CLEAN_RECORDINGS)
def test_band_powers_match_a_textbook_lomb_periodogram(name: str) -> None:
    nn = load_rr_ms(name)[:300]
    t = np.cumsum(nn) / 1000
    freqs = spectral.FREQUENCIES_HZ
    ours = spectral.lf_hf_indices(freqs, spectral.lomb_scargle_psd(t, nn))
    reference = spectral.lf_hf_indices(freqs, lomb_textbook_psd(t, nn, freqs))
    assert ours.lf_ms2 == pytest.approx(reference.lf_ms2, rel=0.10)
    assert ours.hf_ms2 == pytest.approx(reference.hf_ms2, rel=0.10)


def test_a_sinusoid_puts_its_variance_in_its_band() -> None:
    t = np.arange(1, 241, dtype=float)  # one beat a second for 4 minutes
    nn = 1000 + 30 * np.sin(2 * np.pi * 0.1 * t) + 10 * np.sin(2 * np.pi * 0.25 * t)
    psd = spectral.lomb_scargle_psd(t, nn)
    values = spectral.lf_hf_indices(spectral.FREQUENCIES_HZ, psd)
    assert values.lf_ms2 == pytest.approx(30**2 / 2, rel=0.05)
    assert values.hf_ms2 == pytest.approx(10**2 / 2, rel=0.05)
    # The 0.25-Hz peak holds 11 % of the 0.1-Hz one's power: breathing beside a Mayer wave
    # (respiration.MIN_HF_SHARE_OF_LF_PEAK), not read as slow breathing but counted: 15 maxima
    # of the 0.25-Hz wave (at t = 1 + 4k s) fall in the last minute, (180, 240].
    counted = count_breaths(t[t > 240 - 64], nn[t > 240 - 64]).breaths_per_min
    assert respiration_rate_bpm(spectral.FREQUENCIES_HZ, psd, counted) == 15.0


def test_coherence_is_high_for_resonance_breathing_and_low_for_noise() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(1, 65, dtype=float)
    resonant = 950 + 60 * np.sin(2 * np.pi * 0.1 * t) + 5 * rng.standard_normal(t.size)
    noisy = 950 + 30 * rng.standard_normal(t.size)
    freqs = spectral.FREQUENCIES_HZ
    high = spectral.coherence_ratio(freqs, spectral.lomb_scargle_psd(t, resonant))
    low = spectral.coherence_ratio(freqs, spectral.lomb_scargle_psd(t, noisy))
    assert high > 3.0
    assert low < 1.0


@pytest.mark.parametrize("name", CLEAN_RECORDINGS)
def test_sliding_spectrum_equals_a_fresh_periodogram(name: str) -> None:
    nn = load_rr_ms(name)
    t = np.cumsum(nn) / 1000
    windows_s = (180.0, 64.0)
    sliding = spectral.SlidingLombScargle(windows_s, rebuild_every=97)
    for i in range(nn.size):
        sliding.push(t[i], nn[i])
        if i % 37 == 0 and i > 100:
            for window_s, psd in zip(windows_s, sliding.psds(), strict=True):
                in_window = (t > t[i] - window_s) & (t <= t[i])
                assert sliding.beats_in_windows()[windows_s.index(window_s)] == in_window.sum()
                fresh = spectral.lomb_scargle_psd(t[in_window], nn[in_window])
                np.testing.assert_allclose(psd, fresh, rtol=1e-7, atol=1e-9 * fresh.max())


def test_sliding_spectrum_wants_a_grid_of_multiples_of_one_frequency() -> None:
    with pytest.raises(ValueError, match="f, 2f, 3f"):
        spectral.SlidingLombScargle((64.0,), freqs_hz=np.array([0.01, 0.03, 0.04]))


@pytest.mark.parametrize(
    "function",
    [
        time_domain.sdnn_ms,
        time_domain.rmssd_ms,
        time_domain.pnn50_pct,
        poincare.sd1_ms,
        poincare.sd2_ms,
        dfa.dfa_alpha1,
        stress_index.stress_index,
    ],
)
def test_too_few_beats_give_nan_not_zero(function) -> None:
    assert np.isnan(function([900.0]))
    assert np.isnan(function([]))


def test_respiration_counts_breaths_unless_slow_breathing_dominates() -> None:
    """A broad Mayer-wave LF hump with 15/min breathing reads 15/min; one coherent 6/min
    rhythm (paced breathing) reads 6/min. The hump lies below the counting band (0.12 Hz): LF
    power inside it is counted as breathing (monitor.core.breath_count)."""
    rng = np.random.default_rng(11)
    t = np.arange(1, 72, dtype=float) * 0.9
    mayer = sum(25 * np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) for f in (0.06, 0.08, 0.10))
    spontaneous = 900 + mayer + 15 * np.sin(2 * np.pi * 0.25 * t) + 5 * rng.standard_normal(t.size)
    paced = 900 + 70 * np.sin(2 * np.pi * 0.1 * t) + 5 * rng.standard_normal(t.size)
    freqs = spectral.FREQUENCIES_HZ
    spontaneous_count = count_breaths(t, spontaneous).breaths_per_min
    paced_count = count_breaths(t, paced).breaths_per_min
    assert respiration_rate_bpm(
        freqs, spectral.lomb_scargle_psd(t, spontaneous), spontaneous_count
    ) == pytest.approx(15.0, abs=1.0)
    assert respiration_rate_bpm(
        freqs, spectral.lomb_scargle_psd(t, paced), paced_count
    ) == pytest.approx(6.0, abs=0.5)
