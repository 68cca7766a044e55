"""The session report: what one session showed, on one page, with the numbers behind it.

Page 1 holds the header, the session plot and the key findings; the following page(s) the
baseline, time in the window per phase, the alerts with their reasons, recovery after grounding,
SUDS and notes, data quality, the whole-session HRV and the methods footnote.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from monitor import __version__
from monitor.core.co_regulation import SpanSynchrony, synchrony_words
from monitor.core.tolerance import Alert, AlertKind
from monitor.core.tolerance_summary import marked_baseline_span
from monitor.core.what_if import compare_alerts
from monitor.recording.model import EventKind, SourceKind
from monitor.report.analysis import SessionAnalysis
from monitor.report.document import (
    Block,
    Heading,
    KeyValues,
    PageBreak,
    Paragraph,
    Plot,
    ReportDocument,
    Table,
)
from monitor.report.figures import draw_session
from monitor.report.formatting import DASH, clock, duration, local_datetime, number, percent, sd
from monitor.report.methods import (
    AFTER_WINDOW,
    REFERENCES,
    live_changes_text,
    methods_paragraphs,
    window_text,
)

SESSION_PLOT_HEIGHT_IN = 6.5

ALERT_NAMES = {
    AlertKind.HYPER: "Pause for grounding",
    AlertKind.WARNING: "Early warning",
    AlertKind.HYPO: "Check in (low confidence)",
}

ZONE_COLUMNS = ("Phase", "Inside", "Above", "Below", "Not judged", "Outside, % of judged")


def build_session_report(
    analysis: SessionAnalysis, original: SessionAnalysis | None = None
) -> ReportDocument:
    """The report of one session.

    Parameters
    ----------
    analysis : SessionAnalysis
        The session, with the window-of-tolerance settings to report.
    original : SessionAnalysis, optional
        The same session as recorded, when ``analysis`` is a what-if: the report then lists
        which alerts the other settings add or remove.
    """
    meta = analysis.metadata
    code = meta.client_code
    doc = ReportDocument(
        title="Session report",
        subtitle=f"Client {code} · {_date_text(meta.start_utc)} · {duration(analysis.duration_s)}",
        footer=f"Session Monitor {__version__} · client {code} · a therapist's aid, "
        "not a medical device",
    )
    doc.add(KeyValues(_header_rows(analysis)))
    what_if = original is not None and analysis is not original
    if what_if:
        assert original is not None  # what_if says so
        doc.add(Paragraph(_what_if_notice(analysis, original), tone="notice"))
    doc.add(
        Plot(
            lambda fig, rect: draw_session(fig, rect, analysis),
            SESSION_PLOT_HEIGHT_IN - (0.5 if what_if else 0.0),  # room for the notice
            alt="The session over time: phases, alerts and recovery; arousal against the window "
            "of tolerance with SUDS ratings; heart rate and lnRMSSD against the baseline.",
        ),
        KeyValues(_glance_rows(analysis), boxed=True),
        PageBreak(),
    )
    doc.add(*_baseline_section(analysis))
    doc.add(*_zones_section(analysis))
    doc.add(*_alerts_section(analysis))
    if what_if:
        assert original is not None
        doc.add(*_what_if_section(analysis, original))
    doc.add(*_recovery_section(analysis))
    doc.add(*_suds_notes_section(analysis))
    doc.add(*_quality_section(analysis))
    doc.add(*_co_regulation_section(analysis))
    doc.add(*_hrv_section(analysis))
    doc.add(*_methods_section(analysis))
    return doc


# -- header and key findings --------------------------------------------------------------------


def _source_text(analysis: SessionAnalysis) -> tuple[str, str]:
    meta = analysis.metadata
    if meta.source_kind is SourceKind.IMPORT:
        name = meta.original_file_name or "a file"
        return "— (imported)", f"imported from {name}"
    strap = meta.device_name or "unknown strap"
    if meta.device_address:
        strap += f" ({meta.device_address})"
    kind = "simulator (no person)" if meta.source_kind is SourceKind.SIMULATOR else "chest strap"
    return strap, kind


def _date_text(start_utc: dt.datetime | None, long: bool = False) -> str:
    if start_utc is not None:
        return local_datetime(start_utc)
    return "date unknown (the imported file has no start time)" if long else "date unknown"


def _header_rows(analysis: SessionAnalysis) -> list[tuple[str, str]]:
    meta = analysis.metadata
    strap, source = _source_text(analysis)
    ended = "" if meta.end_utc is not None or meta.start_utc is None else " (cut short)"
    return [
        ("Client code", meta.client_code),
        ("Date", _date_text(meta.start_utc, long=True)),
        ("Duration", f"{duration(analysis.duration_s)} (min:s){ended}"),
        ("Strap", strap),
        ("Source", source),
        ("Software", f"recorded with Session Monitor {meta.software_version}; "
                     f"report by {__version__}"),
        ("File", analysis.path.name),
    ]  # fmt: skip


def _zones(analysis: SessionAnalysis, name: str = "whole session") -> dict[str, float]:
    return analysis.tolerance.time_in_zones_s.get(name, {})


def judged_s(zones: dict[str, float]) -> float:
    """Seconds the window of tolerance judged (inside, above or below)."""
    return zones.get("inside", 0.0) + zones.get("above", 0.0) + zones.get("below", 0.0)


def outside_pct(zones: dict[str, float]) -> float:
    """Time above or below the window as a percentage of judged time (NaN if none judged)."""
    judged = judged_s(zones)
    if judged <= 0:
        return math.nan
    return 100.0 * (zones.get("above", 0.0) + zones.get("below", 0.0)) / judged


def _baseline_text(analysis: SessionAnalysis) -> str:
    baseline = analysis.tolerance.baseline
    if baseline is None or not baseline.is_usable:
        return "no usable baseline"
    return (
        f"HR {number(baseline.hr_bpm)} ± {number(baseline.hr_spread_bpm, 1)} bpm, lnRMSSD "
        f"{number(baseline.ln_rmssd, 2)} ± {number(baseline.ln_rmssd_spread, 2)} "
        f"(RMSSD {number(baseline.rmssd_ms)} ms), {clock(max(baseline.start_s, 0.0))}–"
        f"{clock(baseline.end_s)}"
    )


def _zones_text(zones: dict[str, float]) -> str:
    judged = judged_s(zones)
    inside, above, below = (zones.get(k, 0.0) for k in ("inside", "above", "below"))
    return (
        f"inside {duration(inside)} ({percent(inside, judged)} of judged time), above "
        f"{duration(above)} ({percent(above, judged)}), below {duration(below)} "
        f"({percent(below, judged)}); not judged {duration(zones.get('unjudged', 0.0))}"
    )


def _alerts_text(analysis: SessionAnalysis) -> str:
    alerts = analysis.alerts
    if not alerts:
        return "none"
    parts = []
    for kind in (AlertKind.HYPER, AlertKind.HYPO, AlertKind.WARNING):
        of_kind = [a for a in alerts if a.kind == kind]
        if of_kind:
            spans = ", ".join(f"{clock(a.start_s)}–{_end(a)}" for a in of_kind)
            parts.append(f"{len(of_kind)} × {ALERT_NAMES[kind].lower()} ({spans})")
    return "; ".join(parts)


def _end(alert: Alert) -> str:
    return "end (still open)" if alert.end_s is None else clock(alert.end_s)


def _recovery_text(analysis: SessionAnalysis) -> str:
    recoveries = analysis.tolerance.recoveries
    if not recoveries:
        return "no grounding and no alert to recover from"
    parts = []
    for r in recoveries:
        after = "grounding" if r.started_by == "grounding" else "the alert"
        if r.recovery_s is None:
            parts.append(f"not back inside after {after} at {clock(r.start_s)}")
        else:
            parts.append(f"{duration(r.recovery_s)} after {after} at {clock(r.start_s)}")
    return "; ".join(parts)


def _suds_text(analysis: SessionAnalysis) -> str:
    ratings = [r for _, r in analysis.suds]
    if not ratings:
        return "no ratings"
    return f"{len(ratings)} ratings: first {ratings[0]}, peak {max(ratings)}, last {ratings[-1]}"


def _gaps_text(analysis: SessionAnalysis) -> str:
    gaps = analysis.gaps
    if not gaps:
        return "no signal gaps"
    total_s = sum(end - start for start, end in gaps)
    return f"{len(gaps)} signal gap{'s' if len(gaps) > 1 else ''}, {duration(total_s)} in total"


def _glance_rows(analysis: SessionAnalysis) -> list[tuple[str, str]]:
    artefacts = analysis.summary.artefacts
    return [
        ("Baseline", _baseline_text(analysis)),
        ("Time in the window", _zones_text(_zones(analysis))),
        ("Alerts", _alerts_text(analysis)),
        ("Recovery", _recovery_text(analysis)),
        ("SUDS", _suds_text(analysis)),
        ("Data quality", f"{number(artefacts.get('percent'), 1)} % of beats corrected; "
                         f"{_gaps_text(analysis)}"),
    ]  # fmt: skip


# -- detail sections ----------------------------------------------------------------------------


def _baseline_section(analysis: SessionAnalysis) -> list[Block]:
    blocks: list[Block] = [Heading("Baseline")]
    baseline = analysis.tolerance.baseline
    if baseline is None:
        return [*blocks, Paragraph("No baseline: the recording is too short.", tone="notice")]
    blocks.append(
        KeyValues(
            [
                (
                    "Span",
                    f"{clock(max(baseline.start_s, 0.0))}–{clock(baseline.end_s)} "
                    f"({_baseline_span_source(analysis)})",
                ),
                (
                    "Heart rate",
                    f"{number(baseline.hr_bpm, 1)} bpm, spread "
                    f"{number(baseline.hr_spread_bpm, 1)} bpm",
                ),
                (
                    "lnRMSSD",
                    f"{number(baseline.ln_rmssd, 2)}, spread "
                    f"{number(baseline.ln_rmssd_spread, 2)} "
                    f"(RMSSD {number(baseline.rmssd_ms if baseline.is_usable else None)} ms)",
                ),
                (
                    "Usable signal",
                    f"{duration(baseline.usable_s)} in {baseline.subwindows} sub-windows of 30 s",
                ),
                ("Corrected beats", f"{number(baseline.artefact_pct, 1)} %"),
                ("Taken from", baseline.source),
            ]
        )
    )
    if baseline.warnings:
        blocks.extend(Paragraph(f"Warning: {w}.", tone="notice") for w in baseline.warnings)
    else:
        blocks.append(Paragraph("No warnings: the baseline looks like a calm rest."))
    return blocks


def _baseline_span_source(analysis: SessionAnalysis) -> str:
    inputs = analysis.tolerance_inputs
    if inputs.reused_baseline is not None:
        # The span's times are then those of the earlier session it was taken in.
        return f"reused from the {inputs.reused_baseline.source}, as in the live session"
    if inputs.baseline_span_s is not None:
        return f"the first {inputs.baseline_settings.duration_s:g} s, as asked"
    if marked_baseline_span(inputs.phases) is not None:
        return "the marked baseline phase"
    return f"the first {inputs.baseline_settings.duration_s:g} s"


def _phase_order(analysis: SessionAnalysis) -> list[str]:
    names: list[str] = []
    for phase in analysis.phases:
        if phase.name not in names:
            names.append(phase.name)
    return [n for n in names if n in analysis.tolerance.time_in_zones_s]


def _zone_row(label: str, zones: dict[str, float]) -> list[str]:
    return [
        label,
        duration(zones.get("inside", 0.0)),
        duration(zones.get("above", 0.0)),
        duration(zones.get("below", 0.0)),
        duration(zones.get("unjudged", 0.0)),
        number(outside_pct(zones), 0, "%"),
    ]


def _zones_section(analysis: SessionAnalysis) -> list[Block]:
    rows = [_zone_row(name, _zones(analysis, name)) for name in _phase_order(analysis)]
    rows.append(_zone_row("Whole session", _zones(analysis)))
    return [
        Heading("Time in the window"),
        Paragraph("Times in min:s. Inside includes the upper edge. Not judged: the baseline "
                  "being taken, signal gaps, windows refilling after a gap, noisy signal."),
        Table(ZONE_COLUMNS, rows),
    ]  # fmt: skip


def _alert_rows(alerts: Sequence[Alert]) -> list[list[str]]:
    return [
        [
            ALERT_NAMES[a.kind],
            clock(a.start_s),
            _end(a),
            DASH if a.end_s is None else duration(a.end_s - a.start_s),
            a.reason,
        ]
        for a in alerts
    ]


def _alerts_section(analysis: SessionAnalysis) -> list[Block]:
    recorded = analysis.recorded_alerts
    same = len(recorded) == len(analysis.alerts) and all(
        e.data.get("alert_kind") == str(a.kind) and abs(e.t_s - a.start_s) < 1.0
        for e, a in zip(recorded, sorted(analysis.alerts, key=lambda a: a.start_s), strict=True)
    )
    if not recorded:
        live = "The session file holds no alerts shown live."
    elif same:
        live = f"They are the {len(recorded)} alerts shown live during the session."
    else:
        live = (
            f"The session file holds {len(recorded)} alerts shown live; they differ from these "
            "(other settings, or another baseline)."
        )
    return [
        Heading("Alerts"),
        Paragraph("Alerts with their reasons, recomputed from the recorded beats with the "
                  f"settings in the methods below. {live}"),
        Table(("Alert", "From", "To", "Duration", "Reason"), _alert_rows(analysis.alerts),
              numeric=(False, True, True, True, False), wrap=4, empty="No alerts."),
    ]  # fmt: skip


def _what_if_notice(analysis: SessionAnalysis, original: SessionAnalysis) -> str:
    """What the what-if changed: the numbers, and the therapist's live changes it leaves out
    (a what-if holds for the whole session, even at the starting window)."""
    settings, recorded = analysis.settings, original.settings
    changed = [
        f"{name.removesuffix('_sd').removesuffix('_s').replace('_', ' ')} "
        f"{sd(getattr(settings, name))} (recorded {sd(getattr(recorded, name))})"
        for name in ("upper_sd", "edge_sd", "lower_sd", "dwell_s")
        if getattr(settings, name) != getattr(recorded, name)
    ]
    live = original.settings_changes
    if changed:
        what = ", ".join(changed)
    elif live:
        what = f"the starting window ({window_text(recorded)}) kept throughout"
    else:
        what = "timing changes"
    ignored = (
        f" The live change{'s' if len(live) > 1 else ''} of the window "
        f"({live_changes_text(live)}) {'are' if len(live) > 1 else 'is'} not applied."
        if live
        else ""
    )
    return (
        "What-if: zones, alerts and recovery are recomputed with other window-of-tolerance "
        f"settings for the whole session: {what}.{ignored} The session file is unchanged."
    )


def _what_if_section(analysis: SessionAnalysis, original: SessionAnalysis) -> list[Block]:
    changes = compare_alerts(original.alerts, analysis.alerts, analysis.duration_s)
    rows = [["Removed", ALERT_NAMES[a.kind], f"{clock(a.start_s)}–{_end(a)}", DASH]
            for a in changes.removed]  # fmt: skip
    rows += [["Added", ALERT_NAMES[a.kind], DASH, f"{clock(a.start_s)}–{_end(a)}"]
             for a in changes.added]  # fmt: skip
    rows += [
        ["Moved", ALERT_NAMES[b.kind], f"{clock(a.start_s)}–{_end(a)}",
         f"{clock(b.start_s)}–{_end(b)}"]
        for a, b in changes.kept
        if (a.start_s, a.end_s) != (b.start_s, b.end_s)
    ]  # fmt: skip
    before, after = _zones(original), _zones(analysis)
    return [
        Heading("What-if against the recorded window"),
        Table(("Change", "Alert", "Recorded settings", "These settings"), rows,
              numeric=(False, False, True, True), empty="The alerts are the same."),
        Paragraph(
            f"Time outside the window: {number(outside_pct(after), 0, '%')} of judged time "
            f"(recorded settings: {number(outside_pct(before), 0, '%')})."
        ),
    ]  # fmt: skip


def _recovery_section(analysis: SessionAnalysis) -> list[Block]:
    rows = [
        [
            "grounding" if r.started_by == "grounding" else "alert (no grounding marker)",
            clock(r.start_s),
            clock(r.inside_s),
            duration(r.recovery_s),
            clock(r.ready_s),
        ]
        for r in analysis.tolerance.recoveries
    ]
    return [
        Heading("Recovery after grounding"),
        Table(("Started by", "At", "Back inside", "Recovery time", "Ready to resume"), rows,
              empty="No grounding and no alert: nothing to recover from."),
    ]  # fmt: skip


_EVENT_LABELS = {EventKind.NOTE: "note", EventKind.TOLERANCE: "window"}


def _suds_notes_section(analysis: SessionAnalysis) -> list[Block]:
    kinds = (EventKind.SUDS, EventKind.NOTE, EventKind.TOLERANCE)
    events = [e for e in analysis.beats.events if e.kind in kinds]
    rows = [
        [clock(e.t_s),
         f"SUDS {int(e.value or 0)}" if e.kind == EventKind.SUDS else _EVENT_LABELS[e.kind],
         e.text]
        for e in events
    ]  # fmt: skip
    return [
        Heading("SUDS ratings and notes"),
        Table(("Time", "What", "Text"), rows, numeric=(True, False, False), wrap=2,
              empty="No SUDS ratings or notes were recorded."),
    ]  # fmt: skip


def _quality_section(analysis: SessionAnalysis) -> list[Block]:
    artefacts = analysis.summary.artefacts
    classes = ", ".join(
        f"{int(count)} {name}"
        for name, count in artefacts.items()
        if name not in ("total", "percent") and count
    )
    gap_list = "; ".join(
        f"{clock(start)}–{clock(end)} ({duration(end - start)})" for start, end in analysis.gaps
    )
    return [
        Heading("Data quality"),
        KeyValues([
            ("Corrected beats", f"{int(artefacts.get('total', 0))} of {analysis.summary.beats} "
                                f"({number(artefacts.get('percent'), 1)} %)"
                                + (f": {classes}" if classes else "")),
            ("Signal gaps", _gaps_text(analysis) + (f": {gap_list}" if gap_list else "")),
            ("Not judged", f"{duration(_zones(analysis).get('unjudged', 0.0))}"),
        ]),
    ]  # fmt: skip


SYNCHRONY_COLUMNS = ("Span", "From", "To", "Synchrony", "Relation", "Effect size", "Segments")
RMSSD_SYNCHRONY_COLUMNS = ("Span", "From", "To", "Synchrony", "Relation", "Effect size", "Bins")


def _synchrony_row(name: str, span: SpanSynchrony) -> list[str]:
    r = span.result
    when = [clock(span.start_s), clock(span.end_s)]
    verdict, relation = synchrony_words(span)
    if r is None:
        return [name, *when, DASH, relation, DASH, DASH]
    return [name, *when, verdict, relation or DASH, number(r.effect_size, 1), str(r.segments)]


def _co_regulation_section(analysis: SessionAnalysis) -> list[Block]:
    """The therapist's own strap and the synchrony of the two, for a co-regulation session."""
    co = analysis.co_regulation
    if co is None:
        return []
    hrv = co.therapist_hrv
    zones = co.therapist_tolerance.time_in_zones_s["whole session"]
    rows = [_synchrony_row(name.capitalize(), span) for name, span in co.synchrony.items()]
    rmssd_rows = [
        _synchrony_row(name.capitalize(), span.rmssd)
        for name, span in co.synchrony.items()
        if span.rmssd is not None
    ]
    return [
        Heading("Co-regulation: the therapist's strap and synchrony"),
        KeyValues([
            ("Therapist's strap", f"{hrv.beats} beats, mean HR {number(hrv.mean_hr_bpm, 0)} bpm, "
                                  f"RMSSD {number(hrv.rmssd_ms, 0)} ms"),
            ("Therapist in own window", _zones_text(zones)),
        ]),
        Paragraph("Synchrony: how much the two 10-s heart rates move together in 15-s "
                  "stretches at lags up to ±5 s, against surrogate sessions that pair each "
                  "stretch of the client with another of the therapist (Tschacher & Meier "
                  "2020). \"Above chance\" only when fewer than 1 % of 500 surrogates reach it; "
                  "the effect size is in the surrogates' standard deviations."),
        Table(SYNCHRONY_COLUMNS, rows, wrap=4),
        Paragraph("Vagal synchrony: how much the two RMSSDs, each taken in 15-s bins, move "
                  "together at lags up to ±30 s, against 500 surrogates of the therapist's "
                  "series with its rhythm kept and its timing randomised (Theiler et al. "
                  "1992). Vagal tone changes over minutes, so it is read over whole spans "
                  "and needs at least 4 minutes of both straps."),
        Table(RMSSD_SYNCHRONY_COLUMNS, rmssd_rows, wrap=4),
    ]  # fmt: skip


HRV_LINES = (
    ("Mean HR", "mean_hr_bpm", 1, "bpm"),
    ("Mean RR", "mean_rr_ms", 1, "ms"),
    ("SDNN", "sdnn_ms", 1, "ms"),
    ("RMSSD", "rmssd_ms", 1, "ms"),
    ("lnRMSSD", "ln_rmssd", 2, ""),
    ("pNN50", "pnn50_pct", 1, "%"),
    ("SD1 / SD2", ("sd1_ms", "sd2_ms"), 1, "ms"),
    ("Stress index (√SI)", "stress_index", 1, ""),
    ("LF / HF power", ("lf_ms2", "hf_ms2"), 0, "ms²"),
    ("LF/HF", "lf_hf", 2, ""),
    ("Coherence (64 s, mean)", "coherence", 2, ""),
    ("DFA α1", "dfa_a1", 2, ""),
    ("Respiration (RSA)", "resp_rate_bpm", 1, "/min"),
)
"""The whole-session HRV values shown, as ``analyze`` prints them."""


BREATHING_SOURCE_TEXT = {
    "accelerometer": "chest accelerometer",
    "rr": "RSA of the heart rhythm",
}
"""How the report names where the breathing rate came from (``breathing_source``)."""


def _hrv_section(analysis: SessionAnalysis) -> list[Block]:
    """The whole-session values; an absent one is "—" with a numbered note saying why."""
    absent = analysis.summary.absent
    notes: list[str] = []  # each distinct reason once, numbered in order of first use
    rows = []
    for label, keys, digits, unit in HRV_LINES:
        names = keys if isinstance(keys, tuple) else (keys,)
        # Every name in HRV_LINES is a float field of RecordingSummary, NaN where absent.
        values: list[float] = [getattr(analysis.summary, name) for name in names]
        text = " / ".join(number(v, digits) for v in values)
        if DASH not in text:
            rows.append([label, f"{text} {unit}".strip()])
            continue
        marks = []
        for reason in dict.fromkeys(absent[name] for name in names if name in absent):
            if reason not in notes:
                notes.append(reason)
            marks.append(f"({notes.index(reason) + 1})")
        rows.append([label, " ".join([DASH, *marks])])
    breathing = analysis.breathing
    if breathing is not None and breathing.source != "rr":
        # Without ACC the "Respiration (RSA)" row above is the breathing rate, and says so.
        source = BREATHING_SOURCE_TEXT.get(breathing.source, breathing.source)
        rate = breathing.breaths_per_min
        rows.append([f"Breathing rate ({source})", number(rate, 1, "/min")])
    return [
        Heading("Whole-session HRV"),
        Paragraph(f"Over {analysis.summary.beats} beats after artefact correction."),
        Table(("Index", "Value"), rows),
        *(
            Paragraph(f"({number}) Not shown: {reason}.", tone="small")
            for number, reason in enumerate(notes, start=1)
        ),
    ]


def _methods_section(analysis: SessionAnalysis) -> list[Block]:
    inputs = analysis.tolerance_inputs
    paragraphs = methods_paragraphs(
        analysis.settings, inputs.baseline_settings, _baseline_span_source(analysis)
    )
    if analysis.settings_changes:
        paragraphs.insert(
            AFTER_WINDOW,
            "The therapist changed the window during the session: "
            f"{live_changes_text(analysis.settings_changes)}. Each change applies from the beat "
            "it reached live, as during the session; the values above are those at the start.",
        )
    return [
        Heading("Methods"),
        *(Paragraph(p, tone="small") for p in paragraphs),
        Heading("References", level=2),
        *(Paragraph(r, tone="small") for r in REFERENCES),
    ]
