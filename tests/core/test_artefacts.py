"""Tests for monitor.core.artefacts (Lipponen & Tarvainen 2019 artefact detection/correction).

Where the reference values come from, so that none is a recorded output of the module itself:

* real recordings from tests/data (see the README there), read with ``read_rr_file``;
* neurokit2's ``signal_fixpeaks(method="kubios")``, an independent implementation of the same
  paper, used here only (never by the product);
* artefacts injected by this file into real recordings, so their positions are known;
* RMSSD computed here with numpy from the definition;
* hand-made series whose correct correction follows from the rules (e.g. 300 + 500 ms → 800 ms).
"""

from __future__ import annotations

import ast
import functools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.artefacts import (
    RR_MAX_MS,
    RR_MIN_MS,
    BeatClass,
    NNBeat,
    StreamingArtefactFilter,
    artefact_counts,
    artefact_percent,
    classify_beats,
    correct_beats,
)
from monitor.recording.rr_files import read_rr_file

DATA = Path(__file__).resolve().parents[1] / "data"
CLEAN_FILES = ("rest_rri.txt", "08012805.txt", "pyhrv_short_nni.txt", "systole_task1_rr.txt")
# RR between the R peaks of a clean 1 kHz ECG (see tests/data/README.md): low variability
# (RMSSD 26 ms). The beats the paper's rule flags are alternation and vagal lengthenings with a
# gradual return; the R waves around them keep their height and the longest interval (1041 ms)
# holds no hidden R wave: sinus rhythm as far as the RR and the ECG tell.
ECG_DERIVED = "systole_task1_rr.txt"
SEEDS = range(5)
FORMS = ("batch", "streaming")


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def rr_of(name: str) -> np.ndarray:
    return read_rr_file(DATA / name).rr_ms


def rmssd(nn_ms: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.diff(nn_ms) ** 2)))


def times_of(rr_ms: np.ndarray) -> np.ndarray:
    # The module's default beat times (values without a usable duration add no time).
    with np.errstate(over="ignore"):
        return np.cumsum(np.where(np.isfinite(rr_ms) & (rr_ms > 0), rr_ms, 0.0)) / 1000.0


def run_stream(rr_ms: np.ndarray) -> tuple[list[NNBeat], np.ndarray]:
    """Push a whole series through a fresh filter; return the NN beats and the raw classes."""
    filt = StreamingArtefactFilter()
    beats: list[NNBeat] = []
    decisions = []
    for t, rr in zip(times_of(rr_ms).tolist(), rr_ms.tolist(), strict=True):
        beats += filt.push(t, rr)
        decisions += filt.take_raw_decisions()
    beats += filt.flush()
    decisions += filt.take_raw_decisions()
    assert [d.index for d in decisions] == list(range(rr_ms.size))
    return beats, np.array([d.beat_class for d in decisions], dtype=int)


def classify_and_correct(rr_ms: np.ndarray, form: str) -> tuple[np.ndarray, np.ndarray]:
    """(raw classes, NN values) from the batch or the streaming form."""
    if form == "batch":
        classes = classify_beats(rr_ms)
        return classes.astype(int), correct_beats(rr_ms, classes=classes).nn_ms
    beats, classes = run_stream(rr_ms)
    return classes, np.array([b.nn_ms for b in beats])


@functools.cache
def neurokit_flags(name: str) -> np.ndarray:
    """Indices (into our RR array) that neurokit2's Kubios method flags in one pass.

    neurokit2 works on peak positions: peaks = [0, cumsum(RR)] in samples at 1000 Hz, so its
    interval i ends at peak i and is our RR index i - 1. ``iterative=False`` gives the detection
    on the raw series (with ``True`` the returned lists come from a later pass over an already
    corrected series). Its four lists (ectopic, missed, extra, longshort) together are the
    detections.
    """
    import neurokit2 as nk  # test-only oracle

    rr = rr_of(name)
    rr = rr[np.isfinite(rr) & (rr > 0)]
    peaks = np.concatenate(([0], np.round(np.cumsum(rr)).astype(int)))
    info, _ = nk.signal_fixpeaks(peaks, sampling_rate=1000, iterative=False, method="kubios")
    flagged = [j - 1 for key in ("ectopic", "missed", "extra", "longshort") for j in info[key]]
    return np.array(sorted(i for i in flagged if 0 <= i < rr.size), dtype=int)


@functools.cache
def oracle_clean(name: str) -> np.ndarray:
    """A shared "clean" recording with the beats neurokit2 flags replaced by linear interpolation.

    The shared clean files still hold 1-2 % beats that both neurokit2 and this module flag (the
    start of 08012805.txt is an unsettled high-variability stretch). Injected artefacts must be
    judged against a truth that does not depend on how this module treats those beats, so the
    truth is built with the independent oracle and numpy only.
    """
    rr = rr_of(name).copy()
    bad = np.zeros(rr.size, dtype=bool)
    bad[neurokit_flags(name)] = True
    beat = np.arange(rr.size)
    rr[bad] = np.interp(beat[bad], beat[~bad], rr[~bad])
    return rr


def inject(
    clean_ms: np.ndarray, kinds: tuple[str, ...], fraction: float, seed: int
) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Inject artefacts into a clean RR series (seeded); return it and (kind, index) per event.

    ``fraction`` of the beats get an artefact, shared equally between ``kinds``:

    * ectopic: a premature beat with a full compensatory pause: RR[i] shortened by 25-40 %, the
      time moved into RR[i + 1] (their sum is unchanged). Index = the short interval.
    * missed: RR[i] and RR[i + 1] merged into one interval. Index = the merged interval.
    * extra: RR[i] split into two unequal parts, the first 25-45 % of it (a false detection on
      the T wave or on noise). Index = the first part.

    Events are at least 8 beats apart and 6 beats from either end, so each has one right place.
    """
    rng = np.random.default_rng(seed)
    n_events = max(len(kinds), round(fraction * clean_ms.size))
    chosen: list[int] = []
    for pos in rng.permutation(np.arange(6, clean_ms.size - 6)).tolist():
        if all(abs(pos - c) >= 8 for c in chosen):
            chosen.append(pos)
        if len(chosen) == n_events:
            break
    kind_at = dict(zip(sorted(chosen), rng.permutation(np.resize(kinds, len(chosen))), strict=True))
    out: list[float] = []
    events: list[tuple[str, int]] = []
    j = 0
    while j < clean_ms.size:
        kind = kind_at.get(j)
        if kind == "ectopic":
            shift = rng.uniform(0.25, 0.40) * clean_ms[j]
            events.append((kind, len(out)))
            out += [clean_ms[j] - shift, clean_ms[j + 1] + shift]
            j += 2
        elif kind == "missed":
            events.append((kind, len(out)))
            out.append(clean_ms[j] + clean_ms[j + 1])
            j += 2
        elif kind == "extra":
            part = rng.uniform(0.25, 0.45)
            events.append((kind, len(out)))
            out += [part * clean_ms[j], (1.0 - part) * clean_ms[j]]
            j += 1
        else:
            out.append(clean_ms[j])
            j += 1
    return np.asarray(out), events


MIXED = ("ectopic", "missed", "extra")
SCENARIOS = {"ectopic": ("ectopic",), "missed": ("missed",), "extra": ("extra",), "mixed": MIXED}


@functools.cache
def injected_run(name: str, scenario: str, seed: int, form: str):
    bad, events = inject(oracle_clean(name), SCENARIOS[scenario], 0.02, seed)
    classes, nn = classify_and_correct(bad, form)
    return bad, events, classes, nn


def detected_fraction(events: list[tuple[str, int]], classes: np.ndarray) -> float:
    hits = [np.any(classes[max(0, i - 1) : i + 2] != BeatClass.NORMAL) for _, i in events]
    return float(np.mean(hits))


# ---------------------------------------------------------------------------------------------
# injected artefacts in real recordings
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("name", CLEAN_FILES)
def test_injected_artefacts_are_detected_at_the_right_place(name, scenario, form):
    """2 % injected artefacts (each kind alone, and mixed): >= 90 % flagged within ±1 beat."""
    fractions = []
    n_events = 0
    for seed in SEEDS:
        _, events, classes, _ = injected_run(name, scenario, seed, form)
        fractions.append(detected_fraction(events, classes) * len(events))
        n_events += len(events)
    assert sum(fractions) / n_events >= 0.90


def _rmssd_errors(name: str, form: str) -> list[float]:
    truth = rmssd(oracle_clean(name))
    return [rmssd(injected_run(name, "mixed", seed, form)[3]) / truth - 1.0 for seed in SEEDS]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", CLEAN_FILES)
def test_rmssd_after_correction_within_5_percent_of_clean(name, form):
    """2 % mixed artefacts injected, corrected: RMSSD within 5 % of the clean recording's.

    Clean value = RMSSD (numpy) of the recording cleaned by the oracle (see ``oracle_clean``).
    """
    errors = _rmssd_errors(name, form)
    assert max(abs(e) for e in errors) <= 0.05, errors


def test_injection_really_corrupts_rmssd():
    """Without correction the same injection moves RMSSD far beyond 5 %: the test has teeth."""
    truth = rmssd(oracle_clean("rest_rri.txt"))
    bad, *_ = injected_run("rest_rri.txt", "mixed", 0, "batch")
    assert rmssd(bad) / truth - 1.0 > 0.5


# ---------------------------------------------------------------------------------------------
# noisy recording against the oracle; clean recordings; the zero in real_rri.txt
# ---------------------------------------------------------------------------------------------


@functools.cache
def neurokit_corrected_rmssd(name: str) -> float:
    """RMSSD (numpy) of the series neurokit2's one-pass Kubios correction gives."""
    import neurokit2 as nk  # test-only oracle

    rr = rr_of(name)
    rr = rr[np.isfinite(rr) & (rr > 0)]
    peaks = np.concatenate(([0], np.round(np.cumsum(rr)).astype(int)))
    _, fixed = nk.signal_fixpeaks(peaks, sampling_rate=1000, iterative=False, method="kubios")
    return rmssd(np.diff(np.asarray(fixed, dtype=float)))


@pytest.mark.parametrize("form", FORMS)
def test_noisy_recording_corrected_like_neurokit_with_fewer_flags(form):
    """noisy_rri.hrm: RMSSD after correction within 3 % of neurokit2's one-pass Kubios
    correction (40.1 ms; raw 58.7 ms, 46 % above it, so the test has teeth), with no more flags
    than neurokit2 (54) + 50 %.

    Measured: 16 flags (batch), 13 (streaming), RMSSD 39.9 / 40.0 ms. The beats neurokit2 flags
    and this module no longer does are of the kinds issue #14 names as healthy sinus rhythm:
    two-beat lengthenings with a gradual return (e.g. 649, 827, 784, 657 ms) and changes within
    12 % of the local median; leaving them costs 0.5 % of RMSSD against neurokit2. (Until issue
    #14 the count was required within 15 % of neurokit2's.)
    """
    oracle_count = neurokit_flags("noisy_rri.hrm").size
    classes, nn = classify_and_correct(rr_of("noisy_rri.hrm"), form)
    ours = int(np.count_nonzero(classes != BeatClass.NORMAL))
    assert ours <= 1.5 * oracle_count, (ours, oracle_count)
    reference = neurokit_corrected_rmssd("noisy_rri.hrm")
    assert rmssd(rr_of("noisy_rri.hrm")) / reference - 1.0 > 0.3
    assert abs(rmssd(nn) / reference - 1.0) <= 0.03, (rmssd(nn), reference)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", CLEAN_FILES)
def test_clean_recordings_flag_no_more_than_neurokit_plus_half(name, form):
    """Issue #14: on the shared clean recordings no more flags than neurokit2's Kubios method
    (one pass: 11, 31, 5 and 18 flags) + 50 %. Measured: 5/3, 8/3, 3/3 and 0/0 (batch/streaming);
    before issue #14 the ECG-derived recording had 18."""
    classes, _ = classify_and_correct(rr_of(name), form)
    ours = int(np.count_nonzero(classes != BeatClass.NORMAL))
    assert ours <= 1.5 * neurokit_flags(name).size


def test_ecg_derived_recording_fewer_flags_than_neurokit_default_reports():
    """The ECG-derived recording against neurokit2's default call (iterative): its returned
    lists, from its last pass, hold 4 beats (the figure quoted in issue #14; its first pass
    flagged 18 and moved 17 peaks). No more than 4 + 50 % here, in either form."""
    import neurokit2 as nk  # test-only oracle

    rr = rr_of(ECG_DERIVED)
    peaks = np.concatenate(([0], np.cumsum(rr).astype(int)))
    info, _ = nk.signal_fixpeaks(peaks, sampling_rate=1000, method="kubios")
    reported = sum(len(info[k]) for k in ("ectopic", "missed", "extra", "longshort"))
    assert reported == 4
    for form in FORMS:
        classes, _ = classify_and_correct(rr, form)
        assert np.count_nonzero(classes != BeatClass.NORMAL) <= 1.5 * reported


@pytest.mark.parametrize("form", FORMS)
def test_ecg_derived_recording_rmssd_kept_within_2_percent(form):
    """Issue #14: on clean data RMSSD after correction within 2 % of the uncorrected value
    (RMSSD from numpy). Measured: 0.0 % in both forms; the paper's rule lost 4.3 %."""
    rr = rr_of(ECG_DERIVED)
    _, nn = classify_and_correct(rr, form)
    assert abs(rmssd(nn) / rmssd(rr) - 1.0) <= 0.02


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", CLEAN_FILES)
def test_few_false_positives_on_clean_recordings(name, form):
    """On the oracle-cleaned recordings (no artefacts left), at most 1.5 % of beats are flagged
    (worst measured: 1.2 %, streaming on the high-HRV pyhrv series; 0-0.2 % on the others).
    Before issue #14 the bounds were 2.5 % (batch) and 3.5 % (streaming)."""
    classes, _ = classify_and_correct(oracle_clean(name), form)
    assert np.mean(classes != BeatClass.NORMAL) <= 0.015


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", CLEAN_FILES)
def test_false_positives_on_clean_recordings_cost_little_rmssd(name, form):
    """The beats flagged on the clean recordings are mostly healthy ones: correcting them must
    not flatten the variability. Issue #14: within 2 % of RMSSD. Measured: at most 1.7 % (batch,
    08012805.txt); it was 5.4 % (batch) and 7.0 % (streaming) on pyhrv when every flagged beat
    was interpolated."""
    clean = oracle_clean(name)
    _, nn = classify_and_correct(clean, form)
    assert abs(rmssd(nn) / rmssd(clean) - 1.0) <= 0.02


@pytest.mark.parametrize("name", [*CLEAN_FILES, "noisy_rri.hrm", "exercise_rri.hrm"])
def test_streaming_agrees_with_batch_on_real_recordings(name):
    rr = rr_of(name)
    _, streamed = run_stream(rr)
    assert np.mean(streamed == classify_beats(rr)) >= 0.95


def test_zero_in_real_recording_is_invalid_and_never_an_nn_value():
    rr = rr_of("real_rri.txt")
    zero_at = int(np.flatnonzero(rr == 0)[0])
    classes = classify_beats(rr)
    assert classes[zero_at] == BeatClass.INVALID
    assert artefact_counts(classes)["invalid"] == 1
    series = correct_beats(rr)
    assert zero_at not in series.source_index
    assert series.nn_ms.min() >= RR_MIN_MS
    beats, streamed = run_stream(rr)
    assert streamed[zero_at] == BeatClass.INVALID
    assert min(b.nn_ms for b in beats) >= RR_MIN_MS


# ---------------------------------------------------------------------------------------------
# correction rules on hand-made series
# ---------------------------------------------------------------------------------------------


def _steady(n: int = 80, seed: int = 1) -> np.ndarray:
    # A quiet resting series: 800 ms, breathing swing of ±30 ms, 5 ms of beat noise. (White
    # noise alone is no model of RR: it makes premature-looking pairs by chance.)
    beat = np.arange(n)
    noise = np.random.default_rng(seed).normal(0.0, 5.0, n)
    return 800.0 + 30.0 * np.sin(2 * np.pi * beat / 4.7 + seed) + noise


def test_missed_beat_is_split_in_two_with_the_inserted_beat_between_its_neighbours():
    rr = _steady()
    rr[40] = rr[40] + rr[41]
    rr = np.delete(rr, 41)
    t = times_of(rr)
    series = correct_beats(rr, t)
    assert classify_beats(rr)[40] == BeatClass.MISSED
    halves = np.flatnonzero(series.source_index == 40)
    assert series.nn_ms[halves] == pytest.approx([rr[40] / 2] * 2)
    assert t[39] < series.t_s[halves[0]] < t[40] == series.t_s[halves[1]]
    assert series.corrected[halves].all()


def test_extra_beat_is_merged_with_the_following_interval():
    rr = list(_steady())
    rr[40:41] = [300.0, rr[40] - 300.0]
    rr = np.array(rr)
    t = times_of(rr)
    series = correct_beats(rr, t)
    assert classify_beats(rr)[40] == BeatClass.EXTRA
    at = np.flatnonzero(series.source_index == 40)
    assert series.nn_ms[at] == pytest.approx([rr[40] + rr[41]])
    assert series.t_s[at] == pytest.approx([t[41]])
    assert 41 not in series.source_index


def test_premature_beat_is_moved_back_halfway_between_its_neighbours():
    clean = _steady()
    rr = clean.copy()
    shift = 0.3 * rr[40]
    rr[40] -= shift
    rr[41] += shift
    classes = classify_beats(rr)
    assert classes[40] == classes[41] == BeatClass.ECTOPIC
    series = correct_beats(rr, classes=classes)
    fixed = series.nn_ms[np.isin(series.source_index, [40, 41])]
    # Both intervals become their mean: the time from beat 39 to beat 41 is kept, and the
    # moved beat lies halfway between them.
    assert fixed == pytest.approx([(clean[40] + clean[41]) / 2] * 2)
    assert series.corrected[np.isin(series.source_index, [40, 41])].all()
    t = times_of(rr)
    assert series.t_s[np.isin(series.source_index, [40, 41])] == pytest.approx(
        [(t[39] + t[41]) / 2, t[41]]
    )
    beats, streamed = run_stream(rr)
    assert streamed[40] == streamed[41] == BeatClass.ECTOPIC
    assert [b.nn_ms for b in beats[40:42]] == pytest.approx(fixed)
    assert [b.t_s for b in beats[40:42]] == pytest.approx([(t[39] + t[41]) / 2, t[41]])


def test_long_beat_that_is_no_displacement_is_interpolated_from_neighbouring_normal_beats():
    # A pause: the beat after it is back to normal, and the two together last far longer than
    # two typical beats, so no displaced beat explains it.
    rr = _steady()
    rr[40] += 500.0
    classes = classify_beats(rr)
    assert classes[40] == BeatClass.LONG
    assert classes[39] == classes[41] == BeatClass.NORMAL
    series = correct_beats(rr, classes=classes)
    at = np.flatnonzero(series.source_index == 40)
    assert series.nn_ms[at] == pytest.approx([(rr[39] + rr[41]) / 2])
    assert series.nn_ms[series.source_index == 41] == pytest.approx([rr[41]])
    beats, streamed = run_stream(rr)
    assert streamed[40] == BeatClass.LONG
    assert beats[40].nn_ms == pytest.approx((rr[39] + rr[41]) / 2)


def test_a_burst_of_double_detections_is_merged_throughout():
    # A minute in which every other beat is split by a false detection: the fragments soon
    # widen the thresholds and drag the 11-beat median down to them, yet each must still merge.
    clean = _steady(300, seed=2)
    rr: list[float] = []
    firsts = []
    for i, value in enumerate(clean):
        if 100 <= i < 170 and i % 2 == 0:
            firsts.append(len(rr))
            rr += [0.35 * value, 0.65 * value]
        else:
            rr.append(value)
    rr = np.array(rr)
    classes = classify_beats(rr)
    assert np.all(classes[firsts] == BeatClass.EXTRA)
    nn = correct_beats(rr, classes=classes).nn_ms
    beats, streamed = run_stream(rr)
    assert np.all(streamed[firsts] == BeatClass.EXTRA)
    burst = slice(95, 175)
    assert nn[burst] == pytest.approx(clean[burst])
    assert np.array([b.nn_ms for b in beats])[burst] == pytest.approx(clean[burst])


def test_invalid_values_are_dropped_and_a_fragment_is_merged():
    rr = list(_steady())
    rr[20:20] = [0.0]
    rr[30:30] = [math.nan]
    rr[40:40] = [-5.0]
    rr[50:50] = [math.inf]
    rr[60:61] = [150.0, rr[60] - 150.0]  # under-range fragment + the rest of the beat
    rr = np.array(rr)
    classes = classify_beats(rr)
    invalid = np.flatnonzero(classes == BeatClass.INVALID)
    assert invalid.tolist() == [20, 30, 40, 50, 60]
    series = correct_beats(rr, classes=classes)
    assert not np.isin(series.source_index, invalid).any()
    merged = np.flatnonzero(series.source_index == 61)
    assert series.nn_ms[merged] == pytest.approx([rr[60] + rr[61]])
    assert np.all((series.nn_ms >= RR_MIN_MS) & (series.nn_ms <= RR_MAX_MS))
    assert series.nn_ms.size == rr.size - 5


def test_over_range_value_is_a_gap_that_splits_the_history():
    # 10 s without beats, then a heart period 250 ms shorter: a new run, not an artefact.
    rr = np.concatenate([_steady(60), [10_000.0], _steady(60, seed=4) - 250.0])
    around = np.r_[55:60, 61:66]
    classes = classify_beats(rr)
    assert classes[60] == BeatClass.INVALID
    assert np.all(classes[around] == BeatClass.NORMAL)
    _, streamed = run_stream(rr)
    assert streamed[60] == BeatClass.INVALID
    assert np.all(streamed[around] == BeatClass.NORMAL)

    # The streaming filter restarts by itself at the gap: the beats waiting before it come out
    # at once, then it warms up again from scratch.
    filt = StreamingArtefactFilter()
    t = times_of(rr)
    for i in range(60):
        filt.push(t[i], rr[i])
    assert len(filt.push(t[60], rr[60])) == StreamingArtefactFilter.LOOKAHEAD_BEATS
    warmup = StreamingArtefactFilter.WARMUP_BEATS
    assert all(filt.push(t[i], rr[i]) == [] for i in range(61, 60 + warmup))
    assert len(filt.push(t[60 + warmup], rr[60 + warmup])) == warmup - filt.LOOKAHEAD_BEATS


def test_correct_beats_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        correct_beats([800.0, 810.0], t_s=[0.8])
    with pytest.raises(ValueError):
        correct_beats([800.0, 810.0], classes=np.zeros(3, dtype=np.int8))


def test_artefact_counts_and_percent():
    classes = np.array([0, 0, 1, 2, 3, 4, 5, 6, 0, 0], dtype=np.int8)
    counts = artefact_counts(classes)
    assert counts == {
        "normal": 4,
        "ectopic": 1,
        "long": 1,
        "short": 1,
        "missed": 1,
        "extra": 1,
        "invalid": 1,
        "artefacts": 6,
        "total": 10,
    }
    assert artefact_percent(classes) == pytest.approx(60.0)
    assert artefact_percent([]) == 0.0


# ---------------------------------------------------------------------------------------------
# healthy sinus rhythm that is no artefact (issue #14)
# ---------------------------------------------------------------------------------------------


def _low_variability(n: int, seed: int) -> np.ndarray:
    # A quiet person breathing fast: 780 ms, RSA of ±14 ms at 3.7 beats per breath (~20/min),
    # 12 ms of beat noise and a slow drift; RMSSD ~22 ms before any event is added.
    rng = np.random.default_rng(seed)
    beat = np.arange(n)
    return (
        780.0
        + 14.0 * np.sin(2 * np.pi * beat / 3.7 + seed)
        + rng.normal(0.0, 12.0, n)
        + np.cumsum(rng.normal(0.0, 1.0, n))
    )


def _with_alternation(seed: int) -> np.ndarray:
    """Every 40 beats one beat 50-85 ms shorter than the one before, the next back up by 60-90 %
    of that: the alternation issue #14 measured in a real recording with RMSSD ~25 ms."""
    rng = np.random.default_rng(seed)
    rr = _low_variability(1200, seed)
    for i in range(20, 1180, 40):
        jump_ms = rng.uniform(50.0, 85.0)
        rr[i] = rr[i - 1] - jump_ms
        rr[i + 1] = rr[i] + rng.uniform(0.6, 0.9) * jump_ms
    return rr


def _with_vagal_lengthenings(seed: int) -> np.ndarray:
    """Every 40 beats the heart slows for two beats and recovers over a third: +12-30 % of RR,
    then 60-90 % and 20-40 % of that (as after a sigh; a real one in systole_task1_rr.txt is 797,
    1041, 917, 911, 877 ms)."""
    rng = np.random.default_rng(seed)
    rr = _low_variability(1200, seed)
    for i in range(20, 1180, 40):
        extra_ms = rng.uniform(0.12, 0.30) * 780.0
        rr[i] += extra_ms
        rr[i + 1] += rng.uniform(0.6, 0.9) * extra_ms
        rr[i + 2] += rng.uniform(0.2, 0.4) * extra_ms
    return rr


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("make", [_with_alternation, _with_vagal_lengthenings])
def test_alternation_and_vagal_lengthenings_are_not_artefacts(make, form):
    """29 events in each of 3 seeded series: at most 1 % of beats flagged, RMSSD after
    correction within 2 % of the raw value (numpy). Before issue #14: 30-37 flags per series and
    18-28 % of RMSSD lost; measured now: at most 1 flag, 1.6 %."""
    for seed in range(3):
        rr = make(seed)
        classes, nn = classify_and_correct(rr, form)
        assert np.mean(classes != BeatClass.NORMAL) <= 0.01, seed
        assert abs(rmssd(nn) / rmssd(rr) - 1.0) <= 0.02, seed


@pytest.mark.parametrize("form", FORMS)
def test_premature_beats_in_a_low_variability_series_are_still_found(form):
    """The 12 % floor on Th1 must not hide real premature beats where it binds: in the same
    low-variability series with alternation, 25 premature beats (25-40 % early, full
    compensatory pause) are all flagged within ±1 beat and RMSSD after correction is within 5 %
    of the series without them."""
    rng = np.random.default_rng(7)
    clean = _with_alternation(1)
    rr = clean.copy()
    at = list(range(40, 1160, 45))
    for i in at:
        shift = rng.uniform(0.25, 0.40) * rr[i]
        rr[i] -= shift
        rr[i + 1] += shift
    classes, nn = classify_and_correct(rr, form)
    assert detected_fraction([("ectopic", i) for i in at], classes) == 1.0
    assert abs(rmssd(nn) / rmssd(clean) - 1.0) <= 0.05


# ---------------------------------------------------------------------------------------------
# streaming behaviour
# ---------------------------------------------------------------------------------------------


def test_streaming_decides_each_beat_after_a_bounded_look_ahead():
    filt = StreamingArtefactFilter()
    rr = _steady(60)
    t = times_of(rr)
    returned_after = {}
    for i in range(rr.size):
        for beat in filt.push(t[i], rr[i]):
            returned_after[round(beat.t_s, 6)] = i
        filt.take_raw_decisions()
    for i in range(StreamingArtefactFilter.WARMUP_BEATS, rr.size - 2):
        assert returned_after[round(t[i], 6)] - i == StreamingArtefactFilter.LOOKAHEAD_BEATS
    assert StreamingArtefactFilter.LOOKAHEAD_BEATS <= 3
    # The rest comes out at the end.
    assert len(filt.flush()) == StreamingArtefactFilter.LOOKAHEAD_BEATS


def test_reset_loses_no_beat_and_forgets_history():
    filt = StreamingArtefactFilter()
    first, second = _steady(40), _steady(40, seed=9) - 300.0  # a different heart rate
    beats = []
    for t, rr in zip(times_of(first), first, strict=True):
        beats += filt.push(t, rr)
    filt.reset()
    for t, rr in zip(times_of(second) + 100.0, second, strict=True):
        beats += filt.push(t, rr)
    beats += filt.flush()
    decisions = filt.take_raw_decisions()
    assert len(beats) == len(decisions) == 80
    # Had the history survived, the jump of 300 ms would have been flagged.
    assert all(d.beat_class == BeatClass.NORMAL for d in decisions)


def test_raw_decisions_keep_raw_values_in_order():
    rr = np.array([*_steady(30), math.nan, 0.0, 950.0, *_steady(30)])
    filt = StreamingArtefactFilter()
    for t, value in zip(times_of(rr), rr, strict=True):
        filt.push(t, value)
    filt.flush()
    decisions = filt.take_raw_decisions()
    assert [d.index for d in decisions] == list(range(rr.size))
    assert np.array_equal([d.rr_ms for d in decisions], rr, equal_nan=True)
    assert decisions[30].beat_class == decisions[31].beat_class == BeatClass.INVALID
    assert filt.take_raw_decisions() == []


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------

_any_rr = st.lists(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, -1.0, -800.0, 10_000.0, 199.9, 200.0, 3000.0, 3000.1, 150.0]),
        st.floats(min_value=300.0, max_value=1500.0),
    ),
    max_size=250,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_any_rr)
def test_any_input_is_handled_without_error_and_gives_only_physiological_nn(values):
    rr = np.array(values, dtype=float)
    classes = classify_beats(rr)
    assert classes.shape == rr.shape
    assert set(np.unique(classes).tolist()) <= {int(c) for c in BeatClass}
    bad = ~((rr >= RR_MIN_MS) & (rr <= RR_MAX_MS))
    assert np.all(classes[bad] == BeatClass.INVALID)

    series = correct_beats(rr, classes=classes)
    n = series.nn_ms.size
    assert series.t_s.size == series.source_index.size == series.corrected.size == n
    assert np.all((series.nn_ms >= RR_MIN_MS) & (series.nn_ms <= RR_MAX_MS))
    assert not np.isin(series.source_index, np.flatnonzero(classes == BeatClass.INVALID)).any()
    assert np.all(np.diff(series.source_index) >= 0)

    beats, streamed = run_stream(rr)
    assert streamed.shape == rr.shape
    assert np.all(streamed[bad] == BeatClass.INVALID)
    assert all(RR_MIN_MS <= b.nn_ms <= RR_MAX_MS for b in beats)


@st.composite
def _clean_ish(draw) -> np.ndarray:
    """Sinus-like RR: a heart period, breathing (RSA) of any period and depth, a slow drift,
    beat noise, and up to 2 % artefacts."""
    n = draw(st.integers(100, 500))
    seed = draw(st.integers(0, 2**32 - 1))
    base = draw(st.floats(450.0, 1200.0))
    depth = draw(st.floats(0.0, 0.10)) * base
    period = draw(st.floats(3.0, 14.0))
    noise = draw(st.floats(0.002, 0.04)) * base
    rng = np.random.default_rng(seed)
    beat = np.arange(n)
    rr = (
        base
        + depth * np.sin(2 * np.pi * beat / period + rng.uniform(0, 2 * np.pi))
        + rng.normal(0.0, noise, n)
        + np.cumsum(rng.normal(0.0, 0.002 * base, n))
    )
    for _ in range(draw(st.integers(0, n // 50))):
        rr[rng.integers(1, n - 1)] *= rng.choice([0.4, 0.6, 1.5, 2.0])
    return np.clip(rr, 250.0, 2500.0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_clean_ish())
def test_streaming_classes_agree_with_batch_on_clean_ish_data(rr):
    """On clean-ish series of >= 100 beats at least 90 % of beats get the same class from
    streaming and batch (worst of 1500 random series, hypothesis seed 1: 92.0 %)."""
    _, streamed = run_stream(rr)
    assert np.mean(streamed == classify_beats(rr)) >= 0.90


# ---------------------------------------------------------------------------------------------
# purity of the core
# ---------------------------------------------------------------------------------------------


def test_module_imports_only_numpy_and_the_standard_library():
    source = Path(__file__).resolve().parents[2] / "monitor" / "core" / "artefacts.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {
        "__future__",
        "bisect",
        "collections",
        "dataclasses",
        "enum",
        "math",
        "numpy",
    }
