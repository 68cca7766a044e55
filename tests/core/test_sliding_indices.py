"""The all-windows-at-once forms of the timeline equal the single-window index functions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from monitor.core.analysis import TIMELINE_COLUMNS, default_beat_times_s, hrv_timeline
from monitor.core.artefacts import correct_beats
from monitor.core.dfa import dfa_alpha1, dfa_alpha1_of_windows
from monitor.core.engine import stretch_start_s
from monitor.core.indices import WindowIndices, indices_at
from monitor.core.stress_index import stress_index, stress_index_of_windows
from tests.conftest import load_rr_ms
from tests.core.test_engine import assert_same_indices, rr_series

RECORDINGS = ["rest_rri.txt", "noisy_rri.hrm", "exercise_rri.hrm", "08012805.txt"]


def windows_over(nn_ms: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sliding 120-s windows ending at every beat, plus random windows from 1 beat to 600."""
    t_s = np.cumsum(nn_ms) / 1000.0
    sliding_starts = t_s.searchsorted(t_s - 120.0, side="right")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, min(600, nn_ms.size), size=500)
    random_starts = rng.integers(0, nn_ms.size - lengths)
    starts = np.concatenate([sliding_starts, random_starts])
    stops = np.concatenate([np.arange(nn_ms.size) + 1, random_starts + lengths])
    return starts, stops


def direct_dfa_alpha1(nn_ms: np.ndarray) -> float:
    """Peng 1995 step by step in long double: profile, the least-squares line of each box
    (slope Σ(j − j̄)(y − ȳ) / Σ(j − j̄)²), F(n), the slope of log F on log n."""
    x = nn_ms.astype(np.longdouble)
    profile = np.cumsum(x - x.mean())
    sizes = np.arange(4, 17)
    log_f = []
    for n in sizes:
        j = np.arange(n, dtype=np.longdouble) - (n - 1) / 2
        residuals = np.longdouble(0)
        boxes = profile.size // n
        for b in range(boxes):
            y = profile[b * n : (b + 1) * n]
            y = y - y.mean()
            residuals += ((y - (j @ y) / (j @ j) * j) ** 2).sum()
        log_f.append(0.5 * np.log(residuals / (boxes * n)))
    return float(np.polyfit(np.log(sizes), np.array(log_f, dtype=float), 1)[0])


@pytest.mark.parametrize(("name", "window"), [("exercise_rri.hrm", 4177), ("08012805.txt", 2470)])
def test_both_dfa_forms_equal_a_direct_computation(name: str, window: int) -> None:
    """Wide-ranging windows of 500+ beats where an earlier single-window form, which summed
    squares of the whole profile and subtracted the fits, lost 5e-8 and 2.6e-7."""
    nn_ms = correct_beats(load_rr_ms(name)).nn_ms
    starts, stops = windows_over(nn_ms, seed=1)
    first, stop = starts[window], stops[window]
    expected = direct_dfa_alpha1(nn_ms[first:stop])
    assert dfa_alpha1(nn_ms[first:stop]) == pytest.approx(expected, abs=1e-12)
    actual = dfa_alpha1_of_windows(nn_ms, starts[window : window + 1], stops[window : window + 1])
    assert actual[0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("name", RECORDINGS)
@pytest.mark.parametrize(
    ("of_windows", "of_one_window", "rtol", "atol"),
    [
        (stress_index_of_windows, stress_index, 1e-12, 0.0),
        (dfa_alpha1_of_windows, dfa_alpha1, 0.0, 1e-9),
    ],
    ids=["stress_index", "dfa_alpha1"],
)
def test_window_form_equals_the_function_of_each_window(
    name: str, of_windows, of_one_window, rtol: float, atol: float
) -> None:
    nn_ms = correct_beats(load_rr_ms(name)).nn_ms
    starts, stops = windows_over(nn_ms, seed=1)
    expected = np.array([of_one_window(nn_ms[s:e]) for s, e in zip(starts, stops, strict=True)])
    assert np.isfinite(expected).sum() > 0.8 * expected.size
    np.testing.assert_allclose(of_windows(nn_ms, starts, stops), expected, rtol=rtol, atol=atol)


def test_window_forms_keep_the_single_window_rules_for_ties_flat_and_short_windows() -> None:
    # Bins 750–800 and 800–850 ms hold 15 intervals each: the shorter bin is the mode. Then a
    # flat stretch (no range: no stress index, no fluctuation: no α1) and windows too short.
    tied = np.tile([760.0, 810.0, 770.0, 820.0, 790.0, 840.0], 5)
    nn_ms = np.concatenate([tied, np.full(40, 800.0), 700 + 90 * np.sin(np.arange(60))])
    starts = np.array([0, 30, 30, 0, 0, 70])
    stops = np.array([30, 70, 49, 19, 31, 130])
    stress = stress_index_of_windows(nn_ms, starts, stops)
    alpha = dfa_alpha1_of_windows(nn_ms, starts, stops)
    for k, (s, e) in enumerate(zip(starts, stops, strict=True)):
        np.testing.assert_equal(stress[k], stress_index(nn_ms[s:e]))
        np.testing.assert_allclose(alpha[k], dfa_alpha1(nn_ms[s:e]), atol=1e-9)
    assert stress[0] == pytest.approx(np.sqrt(50.0 / (2 * 0.775 * 0.08)))  # hand-worked
    assert np.isnan(stress[1]) and np.isnan(alpha[1])  # flat
    assert np.isnan(stress[3]) and np.isnan(alpha[4])  # 19 < 20 beats, 31 < 32 beats
    assert np.isfinite(alpha[5])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(rr=rr_series())
def test_timeline_equals_the_batch_form_on_the_same_windows(rr: np.ndarray) -> None:
    """Every row of the timeline equals :func:`indices_at` (the single-window functions, spectra
    from scipy) on the same NN beats: the property the engine is held to, for the fast form."""
    t = default_beat_times_s(rr)
    table = hrv_timeline(t, rr)
    names = WindowIndices.names()
    data_start_s = stretch_start_s(float(t[0]), float(rr[0]))
    nn_t, nn, corrected = table[:, 0], table[:, 1], table[:, 4].astype(bool)
    for k in range(0, table.shape[0], 7):
        row = dict(zip(names, table[k, len(TIMELINE_COLUMNS) - len(names) :], strict=True))
        batch = indices_at(nn_t, nn, corrected, k, data_start_s=data_start_s)
        assert_same_indices(WindowIndices(**row), batch)
