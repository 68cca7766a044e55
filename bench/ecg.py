"""Benchmark of the H10 signal path (issue #16): CPU per second of live ECG and ACC.

Synthesises 15 minutes of 130 Hz ECG around a real RR series (tests/data/rest_rri.txt) and
50 Hz chest ACC, then, as a live session would:

* feeds the ECG to the streaming R-peak detector in 73-sample chunks (one H10 PMD frame);
* once a second, verifies the strap's beats of the trailing 60 s against the R peaks;
* once a second, estimates breathing from the trailing 60 s of ACC.

Prints process CPU time per second of signal (median and p99 over the chunks or calls), and the
share of one core in real time. Run: ``PYTHONPATH=. .venv/bin/python bench/ecg.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.simulated_h10 import beat_times_from_rr, synthesize_acc, synthesize_ecg
from monitor.core.acc_breathing import breathing_from_acc
from monitor.core.ecg_peaks import StreamingRPeakDetector
from monitor.core.ecg_verified_beats import verify_beats

ROOT = Path(__file__).resolve().parent.parent
CHUNK_N = 73
WINDOW_S = 60.0


def main() -> None:
    rr_ms = np.loadtxt(ROOT / "tests" / "data" / "rest_rri.txt")
    beats_s = beat_times_from_rr(rr_ms)
    ecg = synthesize_ecg(beats_s, seed=1)
    acc = synthesize_acc(float(ecg.t_s[-1]), breaths_per_min=12.0, seed=1)
    duration_s = float(ecg.t_s[-1])

    detector = StreamingRPeakDetector(ecg.sample_hz)
    chunk_cpu: list[float] = []
    peaks: list[float] = []
    for i in range(0, ecg.t_s.size, CHUNK_N):
        start = time.process_time()
        peaks.extend(detector.push(ecg.t_s[i : i + CHUNK_N], ecg.ecg_uv[i : i + CHUNK_N]))
        chunk_cpu.append(time.process_time() - start)
    peaks_s = np.asarray(peaks)
    chunk_s = CHUNK_N / ecg.sample_hz

    verify_cpu: list[float] = []
    breath_cpu: list[float] = []
    for end_s in np.arange(WINDOW_S, duration_s, 1.0):
        lo_s = end_s - WINDOW_S
        strap = beats_s[(beats_s >= lo_s) & (beats_s < end_s)]
        win_peaks = peaks_s[(peaks_s >= lo_s) & (peaks_s < end_s)]
        e_lo, e_hi = np.searchsorted(ecg.t_s, (lo_s, end_s))
        start = time.process_time()
        verify_beats(strap, win_peaks, ecg.t_s[e_lo:e_hi], ecg.ecg_uv[e_lo:e_hi], ecg.sample_hz)
        verify_cpu.append(time.process_time() - start)
        a_lo, a_hi = np.searchsorted(acc.t_s, (lo_s, end_s))
        start = time.process_time()
        breathing_from_acc(acc.t_s[a_lo:a_hi], acc.acc_mg[a_lo:a_hi], acc.sample_hz)
        breath_cpu.append(time.process_time() - start)

    def line(name: str, cpu_s: list[float], per_signal_s: float) -> None:
        ms = np.asarray(cpu_s) * 1000.0 / per_signal_s
        share = 100.0 * float(np.sum(cpu_s)) / (len(cpu_s) * per_signal_s)
        print(
            f"{name}: median {np.median(ms):.3f} ms, p99 {np.percentile(ms, 99):.3f} ms "
            f"CPU per second of signal; {share:.3f} % of one core"
        )

    print(f"{duration_s:.0f} s of ECG at {ecg.sample_hz:.0f} Hz, {peaks_s.size} R peaks")
    line("R peaks (73-sample chunks)", chunk_cpu, chunk_s)
    line("verification of the trailing 60 s, once a second", verify_cpu, 1.0)
    line("ACC breathing (50 Hz, trailing 60 s), once a second", breath_cpu, 1.0)
    accuracy()


def accuracy() -> None:
    """Issue #16's accuracy figures, on ECG synthesised around real RR series: R peaks against
    the true beats, and the ECG-verified series against the RR-only correction with artefacts
    injected (the scenarios of tests/core/test_ecg_verified_beats.py)."""
    sys.path.insert(0, str(ROOT / "tests" / "core"))
    from test_ecg_verified_beats import errors_vs_truth, rmssd_ms, scenario

    from monitor.core.artefacts import correct_beats
    from monitor.core.ecg_peaks import detect_r_peaks

    for name, seed in (("rest_rri.txt", 1), ("08012805.txt", 2), ("systole_task1_rr.txt", 3)):
        truth_s = beat_times_from_rr(np.loadtxt(ROOT / "tests" / "data" / name))
        ecg = synthesize_ecg(truth_s, seed=seed)
        found_s = detect_r_peaks(ecg.t_s, ecg.ecg_uv, ecg.sample_hz)
        at = np.clip(np.searchsorted(found_s, truth_s), 1, found_s.size - 1)
        error_ms = 1000.0 * np.minimum(
            np.abs(found_s[at - 1] - truth_s), np.abs(found_s[at] - truth_s)
        )
        print(
            f"R peaks on ECG around {name} ({truth_s.size} beats): "
            f"{100 * np.mean(error_ms <= 8.0):.2f} % within 8 ms, median {np.median(error_ms):.2f}"
            f" ms, {found_s.size - truth_s.size:+d} peaks against the beats"
        )
    for seed in (1, 2, 3):
        sc = scenario(seed)
        ecg = synthesize_ecg(sc["beats_s"], seed=seed, ectopic=sc["ectopic"])
        peaks_s = detect_r_peaks(ecg.t_s, ecg.ecg_uv, ecg.sample_hz)
        verified = verify_beats(sc["strap_s"], peaks_s, ecg.t_s, ecg.ecg_uv, ecg.sample_hz)
        strap_rr_ms = np.diff(sc["strap_s"]) * 1000.0
        rr_only = correct_beats(strap_rr_ms, t_s=sc["strap_s"][1:])
        ours = errors_vs_truth(verified.series.nn_ms, verified.series.t_s, sc)
        theirs = errors_vs_truth(rr_only.nn_ms, rr_only.t_s, sc)
        truth_nn = sc["rr_ms"].copy()
        k, ok = np.arange(truth_nn.size), sc["judged"]
        truth_nn[~ok] = np.interp(k[~ok], k[ok], truth_nn[ok])
        truth = rmssd_ms(truth_nn)
        print(
            f"artefacts injected (seed {seed}: {int(sc['n_missed'])} missed, {int(sc['n_extra'])}"
            f" extra, {int(sc['n_pvc'])} ectopic, sinus pauses): NN error ECG-verified"
            f" {ours['mae_ms']:.2f} ms ({ours['beats_off_20ms']} beats off > 20 ms), RR-only"
            f" {theirs['mae_ms']:.2f} ms ({theirs['beats_off_20ms']}); RMSSD truth {truth:.1f},"
            f" ECG-verified {rmssd_ms(verified.series.nn_ms):.1f},"
            f" RR-only {rmssd_ms(rr_only.nn_ms):.1f} ms"
        )


if __name__ == "__main__":
    main()
