"""``session-monitor analyze FILE``: offline HRV and window of tolerance of a session file, an RR
text file or a Polar HRM file.

Every time it prints (``--json``'s ``baseline.start_s``/``end_s``, ``alerts[].start_s``/``end_s``,
``recoveries[].start_s``/``inside_s``/``ready_s``, and the ``--timeline`` CSV's ``t_s``) is in
seconds from the session start the file records, the time base of the session file, the events
CSV, the dashboard, the replay and the reports; an RR or HRM file starts at the start of its
first interval. The text output writes them as the dashboard does
(:func:`monitor.core.clock_format.clock_text`).

An index the recording holds too little data for (:data:`monitor.core.data_minimums.MINIMUMS`)
is ``null`` in ``--json`` and "—" in the text, and ``--json``'s ``absent`` object maps each
``null`` index to the reason, e.g. ``"absent": {"lf_ms2": "needs 120 s of beats (Task Force
1996: about 2 min for LF); the recording has 29 s"}`` (an empty object when every index has a
value).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.commands import CliError
from monitor.commands.progress import progress_bar

if TYPE_CHECKING:  # the analysis stack (scipy) loads only when the command runs
    import numpy as np

    from monitor.core.acc_breathing import SessionBreathing
    from monitor.core.judge import ToleranceSummary
    from monitor.recording.beat_input import BeatInput

# Label, key and format of each line of the human-readable summary.
_TEXT_LINES = (
    ("Beats", "beats", "{:.0f}"),
    ("Duration", "duration_s", "{:.0f} s"),
    ("Mean RR", "mean_rr_ms", "{:.1f} ms"),
    ("Mean HR", "mean_hr_bpm", "{:.1f} bpm"),
    ("SDNN", "sdnn_ms", "{:.1f} ms"),
    ("RMSSD", "rmssd_ms", "{:.1f} ms"),
    ("lnRMSSD", "ln_rmssd", "{:.2f}"),
    ("pNN50", "pnn50_pct", "{:.1f} %"),
    ("SD1 / SD2", ("sd1_ms", "sd2_ms"), "{:.1f} / {:.1f} ms"),
    ("Stress index (√SI)", "stress_index", "{:.1f}"),
    ("LF / HF power", ("lf_ms2", "hf_ms2"), "{:.0f} / {:.0f} ms²"),
    ("LF/HF", "lf_hf", "{:.2f}"),
    ("Coherence (64 s, mean)", "coherence", "{:.2f}"),
    ("DFA α1", "dfa_a1", "{:.2f}"),
    ("Respiration (RSA)", "resp_rate_bpm", "{:.1f} /min"),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="offline HRV and window-of-tolerance analysis of a session, RR or Polar HRM file",
        description="Whole-recording HRV over artefact-corrected NN intervals, the baseline, "
        "the window-of-tolerance alerts and time in each zone, and optionally the per-beat "
        "values of the live indices. Times are seconds from the session start the file records.",
    )
    parser.add_argument("file", type=Path, help="session file (.sqlite), RR text or Polar .hrm")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--timeline",
        type=Path,
        metavar="OUT.csv",
        help="write the per-beat live indices as CSV (owner-only; never onto the input)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing --timeline file")
    parser.add_argument(
        "--baseline-s",
        type=float,
        metavar="S",
        help="baseline = the first S seconds, recalibrated even if the session reused an earlier "
        "baseline (default: the reused baseline the session was judged against live, else the "
        "marked baseline phase, else 300 s)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from monitor.recording.beat_input import read_beat_input, tolerance_inputs_for
    from monitor.recording.errors import UnreadableFileError
    from monitor.report.co_regulation import co_regulation_of
    from monitor.timeline import parallel_timeline

    if args.baseline_s is not None and not (math.isfinite(args.baseline_s) and args.baseline_s > 0):
        raise CliError(f"--baseline-s must be a positive number of seconds, got {args.baseline_s}")
    if args.timeline is not None:
        _check_timeline_out(args)
    try:
        beats = read_beat_input(args.file)
    except UnreadableFileError as error:
        raise CliError(str(error)) from None
    table = parallel_timeline(
        beats.t_s, beats.rr_ms, gap_after=beats.gap_after, progress=progress_bar("analysis")
    )
    if args.timeline is not None:
        _write_timeline(args.timeline, table, overwrite=args.force)
    tolerance = tolerance_inputs_for(beats, table, args.baseline_s).evaluate()
    summary = analysis_keys(beats, tolerance)
    co_regulation = co_regulation_of(beats, table)
    if co_regulation is not None:
        # A co-regulation session: the therapist's own strap and the synchrony of the two.
        summary.update(co_regulation.as_json())
    if args.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        print_text(args.file, summary)
    return 0


def analysis_keys(beats: BeatInput, tolerance: ToleranceSummary) -> dict[str, object]:
    """What ``analyze --json`` prints: the whole recording's HRV, the window of tolerance's
    verdict (``tolerance``) and how an RR file was read. ``replay --headless --json`` prints the
    same keys, with the live engine's ``tolerance``."""
    from monitor.core.analysis import summarize
    from monitor.recording.beat_input import breathing_of

    summary = summarize(beats.rr_ms, beats.t_s).as_dict()
    summary.update(_breathing_json(breathing_of(beats, summary.get("resp_rate_bpm"))))  # type: ignore[arg-type]
    summary.update(_tolerance_json(tolerance, beats=beats))
    if beats.layout:
        # How an RR file's numbers were read (unit, layout): stated, never assumed quietly.
        summary["read_as"] = beats.layout
    return summary


def _breathing_json(breathing: SessionBreathing) -> dict[str, object]:
    """``breathing_source`` (``"accelerometer"`` with chest ACC, else ``"rr"``), the session's
    ``breathing_rate_bpm`` and, from ACC, ``breathing_windows`` (60 s each, every 30 s)."""
    return {
        "breathing_source": breathing.source,
        "breathing_rate_bpm": _rounded(breathing.breaths_per_min),
        "breathing_windows": [
            {
                "start_s": _rounded(w.start_s),
                "end_s": _rounded(w.end_s),
                "breaths_per_min": _rounded(w.breaths_per_min),
                "reason": w.reason,
            }
            for w in breathing.windows
        ],
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _tolerance_json(tolerance: ToleranceSummary, beats: BeatInput) -> dict[str, object]:
    """The window-of-tolerance keys of ``--json``.

    Every time is *session time*: seconds from the session start the file records, as in the
    session file, the events CSV, the dashboard, the replay and the reports (an RR or HRM file
    starts at the start of its first interval). (Earlier versions counted these from the first
    analysed beat.) The baseline's start is given from the session start on (its
    first interval may have begun a fraction of a second before it), as the report gives it.
    """
    from monitor.recording.model import EventKind

    baseline = tolerance.baseline.as_dict() if tolerance.baseline is not None else None
    if baseline is not None:
        baseline["start_s"] = _rounded(max(baseline["start_s"], 0.0))  # type: ignore[call-overload]
        baseline["end_s"] = _rounded(baseline["end_s"])  # type: ignore[arg-type]
    alerts = [
        {**a.as_dict(), "start_s": _rounded(a.start_s), "end_s": _rounded(a.end_s)}
        for a in tolerance.alerts
    ]
    recoveries = [
        {**r.as_dict(), "start_s": _rounded(r.start_s), "inside_s": _rounded(r.inside_s),
         "ready_s": _rounded(r.ready_s)}
        for r in tolerance.recoveries
    ]  # fmt: skip
    zones = {
        name: {f"{k}_s": round(v, 1) for k, v in times.items()}
        for name, times in tolerance.time_in_zones_s.items()
    }
    has_phases = any(e.kind == EventKind.PHASE for e in beats.events)
    return {
        "baseline": baseline,
        "alerts": alerts,
        "recoveries": recoveries,
        "time_in_window": zones["whole session"],
        "phases": {k: v for k, v in zones.items() if k != "whole session"} if has_phases else {},
    }


def _check_timeline_out(args: argparse.Namespace) -> None:
    """Refuse a ``--timeline`` that is the input, a live session, a link or (without
    ``--force``) an existing file, before the analysis takes its time."""
    from monitor.recording.output_guard import OutputRefusedError, check_output

    try:
        check_output(args.timeline, inputs=[args.file], overwrite=args.force)
    except OutputRefusedError as error:
        raise CliError(str(error)) from None


def _write_timeline(path: Path, table: np.ndarray, *, overwrite: bool) -> None:
    from monitor.core.analysis import TIMELINE_COLUMNS, timeline_rows
    from monitor.recording.output_guard import OutputRefusedError
    from monitor.recording.paths import atomic_outputs

    try:
        with (
            atomic_outputs([path], overwrite=overwrite) as (partial,),
            partial.open("w", newline="", encoding="utf-8") as file,
        ):
            writer = csv.writer(file)
            writer.writerow(TIMELINE_COLUMNS)
            for row in timeline_rows(table):
                writer.writerow("" if isinstance(v, float) and math.isnan(v) else v for v in row)
    except OutputRefusedError as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror or error}") from None


def print_text(path: Path, summary: dict[str, object]) -> None:
    """The summary of ``analyze`` (and ``replay --headless``) as lines for a person."""
    print(f"{path.name}: whole-recording HRV over artefact-corrected NN intervals")
    if "read_as" in summary:
        print(f"  read as: {summary['read_as']}")
    absent = summary["absent"]
    assert isinstance(absent, dict)
    for label, keys, fmt in _TEXT_LINES:
        names = keys if isinstance(keys, tuple) else (keys,)
        values = [summary[name] for name in names]
        text = "—" if any(v is None for v in values) else fmt.format(*values)
        reasons = dict.fromkeys(absent[name] for name in names if name in absent)
        print(f"  {label:<24}{text}" + (f"  ({'; '.join(reasons)})" if reasons else ""))
    artefacts = summary["artefacts"]
    assert isinstance(artefacts, dict)
    detail = ", ".join(
        f"{count} {name}"
        for name, count in artefacts.items()
        if name not in ("total", "percent") and count
    )
    print(
        f"  {'Artefacts':<24}{artefacts['total']} ({artefacts['percent']:.1f} %)"
        + (f": {detail}" if detail else "")
    )
    baseline = summary.get("baseline")
    print("Window of tolerance")
    if isinstance(baseline, dict) and baseline.get("hr_bpm") is not None:
        print(
            f"  {'Baseline':<24}HR {baseline['hr_bpm']:.0f} ± {baseline['hr_spread_bpm']:.1f} bpm, "
            f"RMSSD {baseline['rmssd_ms']:.0f} ms"
        )
        for warning in baseline.get("warnings") or []:
            print(f"  {'':<24}warning: {warning}")
    zones = summary["time_in_window"]
    assert isinstance(zones, dict)
    print(
        f"  {'Time in window':<24}{zones['inside_s']:.0f} s inside, {zones['above_s']:.0f} s "
        f"above, {zones['below_s']:.0f} s below, {zones['unjudged_s']:.0f} s not judged"
    )
    alerts = summary["alerts"]
    assert isinstance(alerts, list)
    if not alerts:
        print(f"  {'Alerts':<24}none")
    for alert in alerts:
        print(f"  {alert['kind']:<10}{_clock_and_seconds(alert['start_s'])} – "
              f"{_clock_and_seconds(alert['end_s'])}: {alert['reason']}")  # fmt: skip


def _clock_and_seconds(t_s: float | None) -> str:
    """A session time as the dashboard and the report show it, with its seconds."""
    from monitor.core.clock_format import clock_text

    return "open" if t_s is None else f"{clock_text(t_s)} ({t_s:.2f} s)"
