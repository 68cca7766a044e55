"""The window of tolerance over real recordings, and the references to judge it by (issue #14).

Used by ``tests/validation/`` (what must hold) and ``bench/real_signals.py`` (what it measures).
The window is run the way ``session-monitor analyze`` runs it, through the same public calls
(:func:`monitor.recording.beat_input.read_beat_input`, :func:`monitor.timeline.parallel_timeline`
and :func:`monitor.recording.beat_input.tolerance_inputs_for`), so that a change inside the
session engine cannot leave this harness measuring something ``analyze`` no longer does.

References (see tests/data/README.md for where each comes from):

* breathing rate: the breaths a respiration belt counts in the trailing 60 s (the systole
  recording), and the belt's dominant frequency over the trailing 64 s;
* sympathetic arousal: skin conductance (EDA) of the same recording, and its task markers
  (picture-rating blocks against the rest between them);
* a rise in breathing rate in the same simulated person (drivers/simulator.py), which raises
  HR and lowers RMSSD without any distress.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy import signal, stats

from drivers.simulator import Phase, simulated_rr
from monitor.core.analysis import TIMELINE_COLUMNS
from monitor.core.judge import ToleranceSummary
from monitor.core.tolerance import Zone
from monitor.recording.beat_input import read_beat_input, tolerance_inputs_for
from monitor.timeline import parallel_timeline

DATA = Path(__file__).resolve().parents[1] / "data"

# Every real recording in tests/data (the shared ones and the ECG-derived one).
REAL_RECORDINGS = (
    "rest_rri.txt",
    "real_rri.txt",
    "08012805.txt",
    "pyhrv_short_nni.txt",
    "noisy_rri.hrm",
    "exercise_rri.hrm",
    "systole_task1_rr.txt",
)
WITH_REFERENCE = "systole_task1_rr.txt"
TRAILING_BREATH_WINDOW_S = 60.0
# A block of the picture task: triggers less than this apart belong to one block.
TASK_BLOCK_JOIN_S = 30.0


@dataclass(frozen=True)
class WindowRun:
    """What the window of tolerance made of one recording, as ``analyze`` computes it."""

    name: str
    beat_t_s: np.ndarray  # time of each timeline row (beat), s from the recording's start
    resp_rate_bpm: np.ndarray  # the monitor's breathing rate per beat (NaN: "—")
    summary: ToleranceSummary

    @property
    def reading_t_s(self) -> np.ndarray:
        return np.array([r.t_s for r in self.summary.readings])

    @property
    def arousal(self) -> np.ndarray:
        """The smoothed arousal index per reading, in baseline SDs (NaN while not judged)."""
        return np.array([r.arousal for r in self.summary.readings])

    def zone_seconds(self) -> dict[str, float]:
        """Seconds spent in each zone (from one reading to the next, over the whole run)."""
        out = {str(z): 0.0 for z in Zone}
        readings = self.summary.readings
        for current, following in pairwise(readings):
            out[str(current.zone)] += max(0.0, following.t_s - current.t_s)
        return out


def run_window(path: Path, name: str | None = None) -> WindowRun:
    """Run HRV and the window of tolerance over one file exactly as ``analyze`` does."""
    beats = read_beat_input(path)
    table = parallel_timeline(beats.t_s, beats.rr_ms, gap_after=beats.gap_after, workers=1)
    summary = tolerance_inputs_for(beats, table, None).evaluate()
    columns = list(TIMELINE_COLUMNS)
    return WindowRun(
        name=name or path.name,
        beat_t_s=table[:, columns.index("t_s")].astype(float),
        resp_rate_bpm=table[:, columns.index("resp_rate_bpm")].astype(float),
        summary=summary,
    )


# ---------------------------------------------------------------------------------------------
# the systole recording's references
# ---------------------------------------------------------------------------------------------


def _first_peak_s() -> float:
    """The RR file's time 0 (its first R peak) in the recording's time, from its header."""
    header = (DATA / "systole_task1_rr.txt").read_text(encoding="utf-8").splitlines()[0]
    match = re.search(r"first R peak at ([0-9.]+) s", header)
    if match is None:
        raise ValueError("systole_task1_rr.txt has lost its header line")
    return float(match.group(1))


def _numbers(name: str) -> np.ndarray:
    return np.loadtxt(DATA / name, comments="#", delimiter=",", skiprows=0, ndmin=1)


def breath_times_s() -> np.ndarray:
    """Inspiration peaks of the respiration belt, in the RR file's time base (s)."""
    return _numbers("systole_task1_breaths.txt") - _first_peak_s()


def reference_breathing_per_min(at_t_s: np.ndarray) -> np.ndarray:
    """Breaths counted in the trailing 60 s at each time (NaN before 60 s of belt signal).

    A count over a 60-s window is the reference issue #14 names; it is the rate to within one
    breath per minute (a breath straddling the window edge counts or not).
    """
    breaths = np.sort(breath_times_s())
    t = np.asarray(at_t_s, dtype=float)
    count = np.searchsorted(breaths, t, side="right") - np.searchsorted(
        breaths, t - TRAILING_BREATH_WINDOW_S, side="right"
    )
    out = count.astype(float) * 60.0 / TRAILING_BREATH_WINDOW_S
    out[t + _first_peak_s() < TRAILING_BREATH_WINDOW_S] = math.nan
    return out


def belt_dominant_per_min(at_t_s: np.ndarray, window_s: float = 64.0) -> np.ndarray:
    """The belt's dominant breathing frequency over the trailing ``window_s`` (breaths/min).

    A second reading of the same belt, in the estimator's own terms: the highest peak of the
    periodogram (Hann window, linear trend removed, zero-padded to 0.0024 Hz) of the 10-Hz
    respiration signal between 0.1 and 0.7 Hz (6-42/min), over the same 64 s as the RSA
    spectrum. Counting breaths and taking the dominant frequency disagree when breathing is
    irregular (pauses, sighs, shallow breaths); both are given.
    """
    table = np.loadtxt(DATA / "systole_task1_signals.csv", delimiter=",", skiprows=1)
    t_s = table[:, 0] - _first_peak_s()
    belt = table[:, 1]
    fs_hz = 1.0 / float(np.median(np.diff(t_s)))
    out = np.full(np.asarray(at_t_s).shape, math.nan)
    for i, t in enumerate(np.asarray(at_t_s, dtype=float).tolist()):
        if t + _first_peak_s() < window_s:
            continue
        part = belt[(t_s > t - window_s) & (t_s <= t)]
        freqs, power = signal.periodogram(signal.detrend(part), fs=fs_hz, window="hann", nfft=4096)
        band = (freqs >= 0.1) & (freqs <= 0.7)
        out[i] = 60.0 * float(freqs[band][np.argmax(power[band])])
    return out


def eda_at(at_t_s: np.ndarray, smooth_s: float = 10.0) -> np.ndarray:
    """Skin conductance (recording units), mean over the trailing ``smooth_s``, at each time."""
    table = np.loadtxt(DATA / "systole_task1_signals.csv", delimiter=",", skiprows=1)
    t_s = table[:, 0] - _first_peak_s()
    eda = table[:, 2]
    step_s = float(np.median(np.diff(t_s)))
    width = max(1, round(smooth_s / step_s))
    trailing = np.convolve(eda, np.ones(width) / width, mode="full")[: eda.size]
    trailing[: width + 50] = math.nan  # the decimation filter's start-up and a partial window
    return np.interp(at_t_s, t_s, trailing, left=math.nan, right=math.nan)


def task_blocks_s() -> list[tuple[float, float]]:
    """(start, end) of each block of picture triggers, in the RR file's time base."""
    events = np.loadtxt(DATA / "systole_task1_events.csv", delimiter=",", skiprows=1, ndmin=2)
    onsets = np.sort(events[:, 0]) - _first_peak_s()
    blocks: list[list[float]] = []
    for t in onsets.tolist():
        if blocks and t - blocks[-1][1] < TASK_BLOCK_JOIN_S:
            blocks[-1][1] = t
        else:
            blocks.append([t, t])
    # A trigger opens a ~10 s trial: the block lasts until the last trial ends.
    trial_s = float(np.median(np.diff(onsets)))
    return [(start, end + trial_s) for start, end in blocks]


# ---------------------------------------------------------------------------------------------
# measures
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreathingError:
    median_abs_per_min: float
    within_2_pct: float  # of the beats where both the monitor and the reference have a value
    shown_pct: float  # of the beats with a reference, where the monitor shows a number


def breathing_error(run: WindowRun, reference: np.ndarray | None = None) -> BreathingError:
    """The monitor's breathing rate against the belt, beat by beat.

    ``reference`` per beat; default: breaths counted in the trailing 60 s (issue #14's measure).
    """
    if reference is None:
        reference = reference_breathing_per_min(run.beat_t_s)
    has_ref = np.isfinite(reference)
    both = has_ref & np.isfinite(run.resp_rate_bpm)
    error = np.abs(run.resp_rate_bpm[both] - reference[both])
    return BreathingError(
        median_abs_per_min=float(np.median(error)) if error.size else math.nan,
        within_2_pct=100.0 * float(np.mean(error <= 2.0)) if error.size else math.nan,
        shown_pct=100.0 * float(np.count_nonzero(both)) / max(1, int(np.count_nonzero(has_ref))),
    )


def on_grid(run: WindowRun, step_s: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """(times, arousal) every ``step_s`` where the index has a value (last reading before)."""
    t_r, arousal = run.reading_t_s, run.arousal
    grid = np.arange(t_r[0], t_r[-1], step_s)
    at = np.searchsorted(t_r, grid, side="right") - 1
    values = arousal[at]
    keep = np.isfinite(values)
    return grid[keep], values[keep]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho over the pairs where both are finite (NaN with fewer than 10 pairs).

    No p-value: samples 5 s apart of indices smoothed over 60 s are far from independent.
    """
    keep = np.isfinite(a) & np.isfinite(b)
    if np.count_nonzero(keep) < 10:
        return math.nan
    return float(stats.spearmanr(a[keep], b[keep]).statistic)


def arousal_in_and_out_of_task(run: WindowRun) -> tuple[float, float]:
    """Median arousal index during the picture-task blocks and outside them (after baseline)."""
    t, arousal = on_grid(run)
    in_task = np.zeros(t.size, dtype=bool)
    for start, end in task_blocks_s():
        in_task |= (t >= start) & (t < end)
    return float(np.median(arousal[in_task])), float(np.median(arousal[~in_task]))


# ---------------------------------------------------------------------------------------------
# the same simulated person breathing faster
# ---------------------------------------------------------------------------------------------

BASELINE_S = 300.0
BREATHING_S = 600.0


def breathing_script(breathing_per_min: float, hr_rise_bpm: float) -> tuple[Phase, ...]:
    """A calm person: 300 s of baseline at 12 breaths/min, then 600 s at another rate.

    Nothing else changes but HR by ``hr_rise_bpm``: the simulator lowers the RSA of faster
    breathing by its resonance gain (Vaschillo et al. 2002), as the same person breathing
    faster would show.
    """
    calm = {"rsa_ms": 30.0, "lf_ms": 25.0, "noise_ms": 14.0}
    return (
        Phase("baseline", BASELINE_S, hr_bpm=68.0, breathing_per_min=12.0, **calm),
        Phase(
            "breathing",
            BREATHING_S,
            hr_bpm=68.0 + hr_rise_bpm,
            breathing_per_min=breathing_per_min,
            ramp_s=30.0,
            **calm,
        ),
    )


def simulated_breathing_run(
    folder: Path, breathing_per_min: float, hr_rise_bpm: float, seed: int
) -> WindowRun:
    """Simulate the script, write its RR as a text file, and run ``analyze``'s path over it."""
    _, rr_ms = simulated_rr(breathing_script(breathing_per_min, hr_rise_bpm), seed=seed)
    path = folder / f"breathing_{breathing_per_min:g}_hr{hr_rise_bpm:+g}_seed{seed}.txt"
    path.write_text("".join(f"{v:.1f}\n" for v in rr_ms.tolist()), encoding="utf-8")
    return run_window(path, name=path.stem)


def after_baseline(run: WindowRun, settle_s: float = 120.0) -> np.ndarray:
    """Arousal values from ``settle_s`` after the breathing change to the end."""
    t, arousal = on_grid(run)
    return arousal[t >= BASELINE_S + settle_s]
