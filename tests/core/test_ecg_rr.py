"""RR intervals from an ECG alone (monitor/core/ecg_rr.py): the true intervals of a real RR series
come back from ECG synthesised to peak exactly at its beats, and lost signal never passes for an
interval."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drivers.simulated_h10 import beat_times_from_rr, synthesize_ecg
from monitor.core.ecg_rr import MAX_RR_MS, EcgInterval, EcgIntervals

DATA = Path(__file__).resolve().parent.parent / "data"
RR_MS = np.loadtxt(DATA / "rest_rri.txt")[:120].astype(float)
BEATS_S = beat_times_from_rr(RR_MS, start_s=1.0)


def feed(
    intervals: EcgIntervals, t_s: np.ndarray, ecg_uv: np.ndarray, hz: float, chunk_n: int
) -> list[EcgInterval]:
    out: list[EcgInterval] = []
    for i in range(0, t_s.size, chunk_n):
        out += intervals.push(float(t_s[i]), hz, ecg_uv[i : i + chunk_n])
    return out


def true_rr_at(found: list[EcgInterval]) -> tuple[np.ndarray, np.ndarray]:
    """(the true beat index nearest each interval's end, the true RR ending there)."""
    t_s = np.array([i.t_s for i in found])
    nearest = np.abs(t_s[:, None] - BEATS_S[None, :]).argmin(axis=1)
    return nearest, RR_MS[nearest - 1]


@pytest.mark.parametrize(("hz", "chunk_n"), [(130.0, 73), (250.0, 25), (1000.0, 130)])
def test_the_intervals_are_the_true_ones(hz: float, chunk_n: int) -> None:
    ecg = synthesize_ecg(BEATS_S, seed=2, sample_hz=hz)
    found = feed(EcgIntervals(), ecg.t_s, ecg.ecg_uv, hz, chunk_n)
    nearest, truth = true_rr_at(found)
    assert len(found) == RR_MS.size  # every beat but the first ends an interval
    assert np.unique(nearest).size == nearest.size
    np.testing.assert_allclose([i.rr_ms for i in found], truth, atol=8.0)
    assert all(i.gap_from_s is None for i in found)


def test_no_interval_spans_samples_that_never_came() -> None:
    hz = 130.0
    ecg = synthesize_ecg(BEATS_S, seed=2, sample_hz=hz)
    lost = (ecg.t_s >= 40.0) & (ecg.t_s < 42.5)  # 2.5 s of samples lost on the way
    intervals = EcgIntervals()
    found = feed(intervals, ecg.t_s[~lost], ecg.ecg_uv[~lost], hz, 65)
    # 40.0 s falls on a chunk edge here (65 samples = 0.5 s), so the runs show the break.
    assert intervals.breaks == 1
    _nearest, truth = true_rr_at(found)
    np.testing.assert_allclose([i.rr_ms for i in found], truth, atol=8.0)
    after = [i for i in found if i.t_s > 42.5]
    before = [i for i in found if i.t_s < 40.0]
    assert after[0].gap_from_s == before[-1].t_s
    assert [i for i in found if i.gap_from_s is not None] == [after[0]]
    # The beat that ends the first interval after the loss is a true beat after 42.5 s, and its
    # interval starts after the loss too (the first R peak after it only starts the count).
    assert after[0].t_s - after[0].rr_ms / 1000.0 > 42.5


def test_a_stretch_without_heartbeats_is_lost_signal_not_a_long_interval() -> None:
    hz = 130.0
    ecg = synthesize_ecg(BEATS_S, seed=2, sample_hz=hz)
    flat = (ecg.t_s >= 50.0) & (ecg.t_s < 55.0)  # an electrode off: 5 s of a flat line
    ecg_uv = np.where(flat, 0.0, ecg.ecg_uv)
    intervals = EcgIntervals()
    found = feed(intervals, ecg.t_s, ecg_uv, hz, 73)
    assert intervals.breaks == 0
    assert max(i.rr_ms for i in found) <= MAX_RR_MS
    gapped = [i for i in found if i.gap_from_s is not None]
    assert len(gapped) == 1
    # The steps onto and off the flat line may pass for a QRS each (the RR artefact filter's
    # business downstream, as is the detector settling after it); the lost stretch itself is
    # marked from the last interval before.
    assert gapped[0].gap_from_s is not None and gapped[0].gap_from_s < 50.0 + 0.1
    assert gapped[0].t_s - gapped[0].rr_ms / 1000.0 >= 55.0 - 0.1
    clear = [i for i in found if not 49.0 < i.t_s < 58.5]
    _nearest, truth = true_rr_at(clear)
    np.testing.assert_allclose([i.rr_ms for i in clear], truth, atol=8.0)
    outside = BEATS_S[1:][~((BEATS_S[1:] > 49.0) & (BEATS_S[1:] < 58.5))]
    assert len(clear) == outside.size


def test_a_small_correction_of_the_time_stamps_is_no_break() -> None:
    hz = 250.0
    ecg = synthesize_ecg(BEATS_S, seed=2, sample_hz=hz)
    # A sender's dejittered stamps settling: each run a few ms off where it was due.
    slip_s = np.random.default_rng(0).uniform(-0.006, 0.006, ecg.t_s.size // 50 + 1)
    intervals = EcgIntervals()
    found: list[EcgInterval] = []
    for k, i in enumerate(range(0, ecg.t_s.size, 50)):
        found += intervals.push(float(ecg.t_s[i] + slip_s[k]), hz, ecg.ecg_uv[i : i + 50])
    assert intervals.breaks == 0
    assert len(found) == RR_MS.size
    # Each R peak is off by at most its run's slip, an interval by at most two of them.
    _nearest, truth = true_rr_at(found)
    np.testing.assert_allclose([i.rr_ms for i in found], truth, atol=12.0 + 8.0)


def test_a_rate_too_low_for_qrs_detection_is_refused() -> None:
    with pytest.raises(ValueError, match="too low"):
        EcgIntervals().push(0.0, 25.0, np.zeros(100))
    assert EcgIntervals().push(0.0, 130.0, np.zeros(0)) == []
