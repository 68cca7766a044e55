"""The simulated H10 signals (drivers/simulated_h10.py): seeded, chunkable, physically placed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from drivers.simulated_h10 import (
    EcgSynthesizer,
    beat_times_from_rr,
    synthesize_acc,
    synthesize_ecg,
)

DATA = Path(__file__).resolve().parent.parent / "data"


def test_ecg_in_chunks_equals_ecg_at_once() -> None:
    beats_s = beat_times_from_rr(np.loadtxt(DATA / "rest_rri.txt")[:60])
    whole = synthesize_ecg(beats_s, seed=3)
    synth = EcgSynthesizer(seed=3)
    parts = [synth.samples(whole.t_s[i : i + 73], beats_s) for i in range(0, whole.t_s.size, 73)]
    np.testing.assert_allclose(np.concatenate(parts), whole.ecg_uv, atol=1e-9)


def test_r_wave_peaks_at_the_beat_time_and_ectopics_are_wide() -> None:
    """Without noise, on a 1000 Hz grid, the maximum is at the beat (to 1 ms); a ventricular
    beat's R wave is more than twice as wide at half height."""
    beats_s = np.array([1.0, 2.0, 3.0])
    quiet = {"wander_uv": 0.0, "mains_uv": 0.0, "emg_uv": 0.0, "sample_hz": 1000.0}
    ecg = synthesize_ecg(beats_s, seed=0, ectopic=[False, True, False], **quiet)
    for beat_s in beats_s:
        lo, hi = np.searchsorted(ecg.t_s, (beat_s - 0.05, beat_s + 0.05))
        assert abs(ecg.t_s[lo + np.argmax(ecg.ecg_uv[lo:hi])] - beat_s) <= 0.001

    def half_width_s(beat_s: float) -> float:
        lo, hi = np.searchsorted(ecg.t_s, (beat_s - 0.1, beat_s + 0.1))
        seg = ecg.ecg_uv[lo:hi]
        return float(np.sum(seg > seg.max() / 2) / ecg.sample_hz)

    assert half_width_s(2.0) > 2 * half_width_s(1.0)


def test_acc_is_one_g_at_rest_and_seeded() -> None:
    a = synthesize_acc(30.0, breaths_per_min=12.0, seed=4)
    b = synthesize_acc(30.0, breaths_per_min=12.0, seed=4)
    np.testing.assert_array_equal(a.acc_mg, b.acc_mg)
    assert abs(np.median(np.linalg.norm(a.acc_mg, axis=1)) - 1000.0) < 5.0
    assert abs(a.true_breaths_per_min(0.0, 30.0) - 12.0) < 1.0
