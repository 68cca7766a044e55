"""``session-monitor analyze FILE``: offline HRV of a session file, RR text or Polar HRM file."""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

from monitor.commands import CliError
from monitor.commands.progress import progress_bar
from monitor.core.analysis import TIMELINE_COLUMNS, summarize, timeline_rows
from monitor.recording.beat_input import BeatInput, read_beat_input
from monitor.recording.errors import UnreadableFileError
from monitor.timeline import parallel_timeline

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
        help="offline HRV analysis of a session, RR text or Polar HRM file",
        description="Whole-recording HRV over artefact-corrected NN intervals, and optionally "
        "the per-beat values of the live indices.",
    )
    parser.add_argument("file", type=Path, help="session file (.sqlite), RR text or Polar .hrm")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--timeline", type=Path, metavar="OUT.csv", help="write the per-beat live indices as CSV"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        beats = read_beat_input(args.file)
    except UnreadableFileError as error:
        raise CliError(str(error)) from None
    summary = summarize(beats.rr_ms, beats.t_s)
    if args.timeline is not None:
        _write_timeline(args.timeline, beats)
    if args.json:
        print(json.dumps(summary.as_dict(), allow_nan=False))
    else:
        _print_text(args.file, summary.as_dict())
    return 0


def _write_timeline(path: Path, beats: BeatInput) -> None:
    table = parallel_timeline(
        beats.t_s, beats.rr_ms, gap_after=beats.gap_after, progress=progress_bar("timeline")
    )
    try:
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(TIMELINE_COLUMNS)
            for row in timeline_rows(table):
                writer.writerow("" if isinstance(v, float) and math.isnan(v) else v for v in row)
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from None


def _print_text(path: Path, summary: dict[str, object]) -> None:
    print(f"{path.name}: whole-recording HRV over artefact-corrected NN intervals")
    for label, keys, fmt in _TEXT_LINES:
        names = keys if isinstance(keys, tuple) else (keys,)
        values = [summary[name] for name in names]
        text = "—" if any(v is None for v in values) else fmt.format(*values)
        print(f"  {label:<24}{text}")
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
