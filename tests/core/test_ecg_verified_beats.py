"""ECG-verified beats (monitor/core/ecg_verified_beats.py) against the RR-only correction.

The truth is a REAL RR series (tests/data/rest_rri.txt) with a few real-looking sinus events
(a sudden 35 % longer beat, as a vagal pause; normal QRS) and true ventricular ectopics (wide
QRS, premature with a compensatory pause). The ECG is synthesised around the true beats
(drivers/simulated_h10.py); the strap's RR stream gets missed and extra detections on top. The
truth NN at every normal beat is its true RR, known by construction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from drivers.simulated_h10 import synthesize_ecg
from monitor.core.artefacts import correct_beats
from monitor.core.ecg_peaks import detect_r_peaks
from monitor.core.ecg_verified_beats import verify_beats

DATA = Path(__file__).resolve().parent.parent / "data"
STRAP_OFFSET_S = 0.3


def scenario(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    rr_ms = np.loadtxt(DATA / "rest_rri.txt")[:600].copy()
    ectopic = np.zeros(rr_ms.size + 1, dtype=bool)
    pauses = np.arange(40, 560, 61)
    rr_ms[pauses] *= 1.35  # a real long sinus beat: the ECG shows a normal QRS
    pvcs = np.arange(70, 560, 97)
    for k in pvcs:  # premature ventricular beat ending rr[k], compensatory pause after
        early = 0.35 * rr_ms[k]
        rr_ms[k] -= early
        rr_ms[k + 1] += early
        ectopic[k + 1] = True
    beats_s = 1.0 + np.concatenate(([0.0], np.cumsum(rr_ms) / 1000.0))
    strap_s = beats_s + rng.normal(0.0, 0.001, beats_s.size) - STRAP_OFFSET_S
    missed = np.arange(25, 580, 83)
    extra = np.arange(55, 580, 89)
    keep = np.ones(strap_s.size, dtype=bool)
    keep[missed] = False
    halfway = 0.5 * (strap_s[extra] + strap_s[extra + 1])
    strap_s = np.sort(np.concatenate((strap_s[keep], halfway)))
    # Truth NN: each normal beat's true RR; the intervals around a PVC have none.
    judged = np.ones(rr_ms.size, dtype=bool)
    for k in pvcs:
        judged[[k, k + 1]] = False
    return {
        "beats_s": beats_s,
        "rr_ms": rr_ms,
        "judged": judged,
        "strap_s": strap_s,
        "ectopic": ectopic,
        "n_missed": np.array(missed.size),
        "n_extra": np.array(extra.size),
        "n_pvc": np.array(pvcs.size),
    }


def rmssd_ms(nn_ms: np.ndarray) -> float:
    """RMSSD by its definition (Task Force 1996), computed here independently of the core."""
    return float(np.sqrt(np.mean(np.diff(nn_ms) ** 2)))


def errors_vs_truth(nn_ms: np.ndarray, nn_t_s: np.ndarray, sc: dict[str, np.ndarray]) -> dict:
    """Per judged true beat: the NN value at it (within 40 ms), its error, and beats lost."""
    truth_t = sc["beats_s"][1:] - STRAP_OFFSET_S
    j = np.clip(np.searchsorted(nn_t_s, truth_t), 1, len(nn_t_s) - 1)
    nearest = np.where(np.abs(nn_t_s[j - 1] - truth_t) < np.abs(nn_t_s[j] - truth_t), j - 1, j)
    found = np.abs(nn_t_s[nearest] - truth_t) <= 0.04
    use = sc["judged"] & found
    err = np.abs(nn_ms[nearest[use]] - sc["rr_ms"][use])
    return {
        "mae_ms": float(np.mean(err)),
        "beats_off_20ms": int(np.sum(err > 20.0)),
        "lost": int(np.sum(sc["judged"] & ~found)),
    }


def test_ecg_verified_series_is_closer_to_the_truth_than_rr_only() -> None:
    for seed in (1, 2, 3):
        sc = scenario(seed)
        ecg = synthesize_ecg(sc["beats_s"], seed=seed, ectopic=sc["ectopic"])
        peaks_s = detect_r_peaks(ecg.t_s, ecg.ecg_uv, ecg.sample_hz)
        verified = verify_beats(sc["strap_s"], peaks_s, ecg.t_s, ecg.ecg_uv, ecg.sample_hz)
        assert abs(verified.offset_s - STRAP_OFFSET_S) < 0.005
        assert verified.extra_count == sc["n_extra"]
        assert verified.missed_count == sc["n_missed"]
        assert verified.ectopic_qrs_count == sc["n_pvc"]

        strap_rr_ms = np.diff(sc["strap_s"]) * 1000.0
        rr_only = correct_beats(strap_rr_ms, t_s=sc["strap_s"][1:])
        ours = errors_vs_truth(verified.series.nn_ms, verified.series.t_s, sc)
        theirs = errors_vs_truth(rr_only.nn_ms, rr_only.t_s, sc)
        assert ours["lost"] == 0
        assert ours["beats_off_20ms"] == 0  # every sinus pause kept, every artefact repaired
        assert ours["mae_ms"] < 1.0
        assert ours["mae_ms"] < theirs["mae_ms"]
        assert ours["beats_off_20ms"] < theirs["beats_off_20ms"]
        # RMSSD against the truth (the PVC's two intervals interpolated, as any NN series does).
        truth_nn = sc["rr_ms"].copy()
        k, ok = np.arange(truth_nn.size), sc["judged"]
        truth_nn[~ok] = np.interp(k[~ok], k[ok], truth_nn[ok])
        truth_rmssd = rmssd_ms(truth_nn)
        ours_gap = abs(rmssd_ms(verified.series.nn_ms) - truth_rmssd)
        assert ours_gap < 0.01 * truth_rmssd
        assert ours_gap < abs(rmssd_ms(rr_only.nn_ms) - truth_rmssd)
