"""The readings on real signals (issue #14): breathing rate against a belt, artefact flags against
neurokit2's Kubios method, RMSSD corrected against uncorrected, and the window of tolerance over
every real recording and over the same simulated person breathing faster.

Run: ``.venv/bin/python bench/real_signals.py`` (prints; the README quotes the figures and
docs/window-of-tolerance.md discusses them). neurokit2 is installed with the test extra; the
harness is ``tests/validation/real_recordings.py``, which runs the window the way ``analyze``
does.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "validation"))

from machine import machine
from real_recordings import (
    DATA,
    REAL_RECORDINGS,
    WITH_REFERENCE,
    after_baseline,
    arousal_in_and_out_of_task,
    belt_dominant_per_min,
    breathing_error,
    eda_at,
    on_grid,
    reference_breathing_per_min,
    run_window,
    simulated_breathing_run,
    spearman,
)

from monitor.core.artefacts import StreamingArtefactFilter, classify_beats, correct_beats
from monitor.recording.rr_files import read_rr_file


def rmssd(nn_ms: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.diff(nn_ms) ** 2)))


def neurokit_kubios(rr_ms: np.ndarray) -> tuple[int, int, float]:
    """(flags of one pass, flags its default iterative call reports, RMSSD after one pass)."""
    import neurokit2 as nk

    peaks = np.concatenate(([0], np.round(np.cumsum(rr_ms)).astype(int)))
    keys = ("ectopic", "missed", "extra", "longshort")
    one, fixed = nk.signal_fixpeaks(peaks, sampling_rate=1000, iterative=False, method="kubios")
    default, _ = nk.signal_fixpeaks(peaks, sampling_rate=1000, method="kubios")
    return (
        sum(len(one[k]) for k in keys),
        sum(len(default[k]) for k in keys),
        rmssd(np.diff(np.asarray(fixed, dtype=float))),
    )


def streaming(rr_ms: np.ndarray) -> tuple[int, np.ndarray]:
    filt = StreamingArtefactFilter()
    beats = []
    for t, rr in zip((np.cumsum(rr_ms) / 1000.0).tolist(), rr_ms.tolist(), strict=True):
        beats += filt.push(t, rr)
    beats += filt.flush()
    flags = sum(d.beat_class != 0 for d in filt.take_raw_decisions())
    return flags, np.array([b.nn_ms for b in beats])


def artefact_table() -> None:
    print("\nartefacts: flags (ours batch / streaming, neurokit2 Kubios one pass / default call's")
    print("report) and RMSSD in ms (raw, ours batch / streaming, neurokit2 one pass)")
    for name in REAL_RECORDINGS:
        rr = read_rr_file(DATA / name).rr_ms
        usable = rr[np.isfinite(rr) & (rr > 0)]
        classes = classify_beats(rr)
        batch_nn = correct_beats(rr, classes=classes).nn_ms
        stream_flags, stream_nn = streaming(rr)
        nk_one, nk_default, nk_rmssd = neurokit_kubios(usable)
        raw = rmssd(usable)
        print(
            f"  {name:22s} beats {rr.size:5d}  flags {int(np.count_nonzero(classes)):3d} /"
            f" {stream_flags:3d}  nk {nk_one:3d} / {nk_default:3d}   RMSSD raw {raw:6.1f}"
            f"  ours {rmssd(batch_nn):6.1f} ({rmssd(batch_nn) / raw - 1:+6.1%}) /"
            f" {rmssd(stream_nn):6.1f} ({rmssd(stream_nn) / raw - 1:+6.1%})  nk {nk_rmssd:6.1f}"
        )


def window_table() -> None:
    print("\nwindow of tolerance (as analyze runs it): seconds per zone, alerts")
    for name in REAL_RECORDINGS:
        run = run_window(DATA / name)
        zones = {k: v for k, v in run.zone_seconds().items() if v > 0.5}
        shown = ", ".join(f"{k} {v:.0f}" for k, v in zones.items())
        rate = run.resp_rate_bpm[np.isfinite(run.resp_rate_bpm)]
        breathing = (
            f"breathing shown at {100 * rate.size / max(run.resp_rate_bpm.size, 1):.0f} %"
            f" of beats, median {np.median(rate):.0f}/min"
            if rate.size
            else "breathing never shown"
        )
        print(f"  {name:22s} {shown}; alerts {len(run.summary.alerts)}; {breathing}")


def reference_table() -> None:
    run = run_window(DATA / WITH_REFERENCE)
    error = breathing_error(run)
    print(f"\n{WITH_REFERENCE}: references from the belt, EDA and task triggers")
    print(
        f"  breathing (RSA) against breaths in the trailing 60 s: median |error|"
        f" {error.median_abs_per_min:.2f}/min, {error.within_2_pct:.0f} % within 2/min,"
        f" a number shown at {error.shown_pct:.0f} % of beats"
    )
    belt = belt_dominant_per_min(run.beat_t_s)
    dominant = breathing_error(run, belt)
    print(
        f"  against the belt's dominant frequency over the trailing 64 s: median |error|"
        f" {dominant.median_abs_per_min:.2f}/min, {dominant.within_2_pct:.0f} % within 2/min"
    )
    count = reference_breathing_per_min(run.beat_t_s)
    both = np.isfinite(count) & np.isfinite(belt)
    apart = np.abs(count[both] - belt[both])
    print(
        f"  the two belt references against each other: median |difference|"
        f" {np.median(apart):.2f}/min, {100 * np.mean(apart <= 2.0):.0f} % within 2/min"
    )
    t, arousal = on_grid(run)
    in_task, out_task = arousal_in_and_out_of_task(run)
    print(
        f"  arousal index (every 5 s after baseline): Spearman rho with EDA (10-s mean)"
        f" {spearman(arousal, eda_at(t)):+.2f}, with the belt's breathing rate"
        f" {spearman(arousal, reference_breathing_per_min(t)):+.2f}"
    )
    print(
        f"  median index in the picture blocks {in_task:+.2f} SD, between them {out_task:+.2f} SD"
    )


def breathing_rise_table() -> None:
    print("\nthe same simulated person, 300 s at 12/min then 600 s at another rate (seeds 0-3):")
    print("  median index from 120 s after the change; seconds at the edge / above; alerts")
    with tempfile.TemporaryDirectory() as folder:
        for per_min, hr_rise in ((12, 0), (16, 0), (20, 0), (24, 0), (20, 3), (24, 4)):
            medians, edge, hyper, alerts = [], [], [], 0
            for seed in range(4):
                run = simulated_breathing_run(Path(folder), per_min, hr_rise, seed)
                medians.append(float(np.median(after_baseline(run))))
                zones = run.zone_seconds()
                edge.append(zones["edge"])
                hyper.append(zones["hyper"])
                alerts += len(run.summary.alerts)
            print(
                f"  {per_min:2d}/min, HR {hr_rise:+d} bpm: index {min(medians):+.2f} to"
                f" {max(medians):+.2f} SD, edge {min(edge):.0f}-{max(edge):.0f} s, above"
                f" {max(hyper):.0f} s, alerts {alerts} in 4 runs"
            )


def main() -> None:
    print(f"machine: {machine()}")
    artefact_table()
    reference_table()
    window_table()
    breathing_rise_table()


if __name__ == "__main__":
    main()
