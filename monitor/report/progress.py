"""Progress across sessions: one client's session files, session by session.

Each session is analysed exactly as for its own report (:func:`~monitor.report.analysis.
analyse_session`) and reduced to one :class:`ProgressRow`: baseline lnRMSSD, time outside the
window, recovery times after grounding, SUDS, data quality. Sessions are analysed in parallel
processes (one file per process) with a progress callback per finished file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from monitor import __version__
from monitor.core.baseline import BaselineSettings
from monitor.core.judge import SettingsChange
from monitor.core.tolerance import AlertKind, ToleranceSettings
from monitor.recording.client_sessions import find_client_sessions  # noqa: F401 (re-export)
from monitor.recording.errors import UnreadableFileError
from monitor.report.analysis import SessionAnalysis, analyse_session
from monitor.report.document import (
    Block,
    Heading,
    KeyValues,
    Paragraph,
    Plot,
    ReportDocument,
    Table,
)
from monitor.report.figures import draw_progress
from monitor.report.formatting import DASH, duration, local_date, number, sd
from monitor.report.methods import (
    AFTER_WINDOW,
    REFERENCES,
    WINDOW_FIELDS,
    live_changes_text,
    methods_paragraphs,
    window_text,
)
from monitor.report.session_report import judged_s

PROGRESS_PLOT_HEIGHT_IN = 5.4

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class ProgressRow:
    """One session of a client, as the progress report shows it.

    Attributes
    ----------
    file_name : str
    start_utc : datetime or None
    duration_s : float
    baseline_hr_bpm, baseline_ln_rmssd, baseline_ln_rmssd_spread : float
        NaN without a usable baseline.
    baseline_warnings : tuple of str
    zones_s : dict
        Whole-session seconds ``inside``, ``above``, ``below``, ``unjudged``.
    alerts : dict
        Count per alert kind (``hyper``, ``hypo``, ``warning``).
    recovery_times_s : tuple of float
        Time back into the window after each grounding marker (after each alert when the
        therapist set no grounding marker).
    recovery_started_by : str
        ``"grounding"``, ``"alert"`` or ``""`` (nothing to recover from).
    unrecovered : int
        Recoveries that never got back inside before the end.
    suds : tuple of int
        SUDS ratings in time order.
    artefact_pct : float
        Share of corrected beats.
    gaps : int
        Signal gaps.
    recorded_settings : ToleranceSettings
        The window the session was recorded with, at its start (even when the row is a
        what-if's: the report compares the two).
    settings_changes : tuple of SettingsChange
        The therapist's live changes of the window, as recorded.
    baseline_source : str
        Where the baseline came from: ``"this session"``, or the earlier session it reused.
    """

    file_name: str
    start_utc: dt.datetime | None
    duration_s: float
    baseline_hr_bpm: float
    baseline_ln_rmssd: float
    baseline_ln_rmssd_spread: float
    baseline_warnings: tuple[str, ...]
    zones_s: dict[str, float]
    alerts: dict[str, int]
    recovery_times_s: tuple[float, ...]
    recovery_started_by: str
    unrecovered: int
    suds: tuple[int, ...]
    artefact_pct: float
    gaps: int = 0
    client_code: str = field(default="", compare=False)
    recorded_settings: ToleranceSettings = field(default_factory=ToleranceSettings)
    settings_changes: tuple[SettingsChange, ...] = ()
    baseline_source: str = "this session"

    @classmethod
    def from_analysis(cls, analysis: SessionAnalysis) -> ProgressRow:
        """Reduce one analysed session to its row."""
        tolerance = analysis.tolerance
        baseline = tolerance.baseline
        usable = baseline if baseline is not None and baseline.is_usable else None
        recoveries = [r for r in tolerance.recoveries if r.started_by == "grounding"]
        started_by = "grounding"
        if not recoveries:
            recoveries = [r for r in tolerance.recoveries if r.started_by == "alert"]
            started_by = "alert" if recoveries else ""
        return cls(
            file_name=analysis.path.name,
            start_utc=analysis.metadata.start_utc,
            duration_s=analysis.duration_s,
            baseline_hr_bpm=usable.hr_bpm if usable is not None else math.nan,
            baseline_ln_rmssd=usable.ln_rmssd if usable is not None else math.nan,
            baseline_ln_rmssd_spread=usable.ln_rmssd_spread if usable is not None else math.nan,
            baseline_warnings=tuple(baseline.warnings) if baseline is not None else (),
            zones_s=dict(tolerance.time_in_zones_s.get("whole session", {})),
            alerts={str(k): sum(a.kind == k for a in tolerance.alerts) for k in AlertKind},
            recovery_times_s=tuple(r.recovery_s for r in recoveries if r.recovery_s is not None),
            recovery_started_by=started_by,
            unrecovered=sum(r.recovery_s is None for r in recoveries),
            suds=tuple(rating for _, rating in analysis.suds),
            artefact_pct=float(analysis.summary.artefacts.get("percent", math.nan)),
            gaps=len(analysis.gaps),
            client_code=analysis.metadata.client_code,
            # From the inputs, not analysis.settings: those are a what-if's when one was asked.
            recorded_settings=analysis.tolerance_inputs.recorded_settings,
            settings_changes=analysis.tolerance_inputs.settings_changes,
            baseline_source=baseline.source if baseline is not None else "this session",
        )

    def _pct_of_judged(self, key: str) -> float:
        judged = judged_s(self.zones_s)
        return 100.0 * self.zones_s.get(key, 0.0) / judged if judged > 0 else math.nan

    @property
    def above_pct(self) -> float:
        """Time above the window, % of judged time."""
        return self._pct_of_judged("above")

    @property
    def below_pct(self) -> float:
        """Time below the window, % of judged time."""
        return self._pct_of_judged("below")

    @property
    def outside_s(self) -> float:
        return self.zones_s.get("above", 0.0) + self.zones_s.get("below", 0.0)

    @property
    def suds_peak(self) -> int | None:
        return max(self.suds) if self.suds else None

    @property
    def suds_last(self) -> int | None:
        return self.suds[-1] if self.suds else None

    @property
    def windows_recorded(self) -> tuple[ToleranceSettings, ...]:
        """Every window the session was recorded with: at the start, then after each change."""
        return (self.recorded_settings, *(c.settings for c in self.settings_changes))

    @property
    def date_label(self) -> str:
        """Short date for plot ticks (``15 Jan``; ``?`` when unknown)."""
        return "?" if self.start_utc is None else f"{self.start_utc.astimezone():%d %b}"


def _row_for(
    path: Path, settings: ToleranceSettings | None, baseline_s: float | None
) -> ProgressRow | str:
    """One file's row, or why it was skipped (runs in a worker process)."""
    try:
        analysis = analyse_session(path, settings=settings, baseline_s=baseline_s,
                                   timeline_workers=1)  # fmt: skip
    except UnreadableFileError as error:
        return str(error)
    return ProgressRow.from_analysis(analysis)


def analyse_client_sessions(
    paths: Sequence[Path],
    *,
    settings: ToleranceSettings | None = None,
    baseline_s: float | None = None,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> tuple[list[ProgressRow], list[str]]:
    """Analyse session files into progress rows, in session order.

    Parameters
    ----------
    paths : sequence of Path
    settings : ToleranceSettings, optional
        Window-of-tolerance settings for every session (what-if across sessions). Omitted:
        each session as recorded (its settings, changed where the therapist changed them).
    baseline_s : float, optional
        As ``analyze --baseline-s``.
    progress : callable, optional
        ``progress(done_files, total_files)``.
    workers : int, optional
        Processes; by default one per core (at most one per file).

    Returns
    -------
    (list of ProgressRow, list of str)
        Rows sorted by start time (unknown dates last), and one line per file skipped.
    """
    total = len(paths)
    workers = min(workers or os.cpu_count() or 1, max(total, 1))
    results: list[ProgressRow | str] = []
    if progress:
        progress(0, total)
    if workers <= 1:
        for done, path in enumerate(paths, start=1):
            results.append(_row_for(path, settings, baseline_s))
            if progress:
                progress(done, total)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_row_for, path, settings, baseline_s) for path in paths]
            for done, future in enumerate(as_completed(futures), start=1):
                results.append(future.result())
                if progress:
                    progress(done, total)
    rows = [r for r in results if isinstance(r, ProgressRow)]
    skipped = sorted(r for r in results if isinstance(r, str))
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (r.start_utc or far_future, r.file_name))
    return rows, skipped


def _recovery_cell(row: ProgressRow) -> str:
    if not row.recovery_times_s and not row.unrecovered:
        return DASH
    parts = [duration(t) for t in row.recovery_times_s]
    parts += ["not back"] * row.unrecovered
    suffix = " (alert)" if row.recovery_started_by == "alert" else ""
    return ", ".join(parts) + suffix


def _alerts_cell(row: ProgressRow) -> str:
    hyper, hypo = row.alerts.get("hyper", 0), row.alerts.get("hypo", 0)
    text = str(hyper)
    return f"{text} (+{hypo} hypo)" if hypo else text


def _suds_cell(row: ProgressRow) -> str:
    if not row.suds:
        return DASH
    return f"{row.suds[0]} / {max(row.suds)} / {row.suds[-1]}"


PROGRESS_COLUMNS = (
    "#", "Date", "Duration", "Baseline lnRMSSD", "Baseline HR", "Outside window",
    "Alerts", "Recovery", "SUDS first / peak / last", "Corrected beats",
)  # fmt: skip


def progress_table_rows(rows: Sequence[ProgressRow]) -> list[list[str]]:
    """The progress table, one row per session."""
    return [
        [
            str(i),
            local_date(row.start_utc),
            duration(row.duration_s),
            f"{number(row.baseline_ln_rmssd, 2)} ± {number(row.baseline_ln_rmssd_spread, 2)}",
            number(row.baseline_hr_bpm, 0, "bpm"),
            f"{duration(row.outside_s)} ({number(row.above_pct + row.below_pct, 0, '%')})",
            _alerts_cell(row),
            _recovery_cell(row),
            _suds_cell(row),
            number(row.artefact_pct, 1, "%"),
        ]
        for i, row in enumerate(rows, start=1)
    ]


def build_progress_report(
    client_code: str,
    rows: Sequence[ProgressRow],
    skipped: Sequence[str] = (),
    settings: ToleranceSettings | None = None,
    baseline_s: float | None = None,
) -> ReportDocument:
    """The progress report of one client over the analysed sessions ``rows``.

    Parameters
    ----------
    client_code : str
    rows : sequence of ProgressRow
        From :func:`analyse_client_sessions`, in session order.
    skipped : sequence of str
        Files that could not be analysed, one line each.
    settings : ToleranceSettings, optional
        The settings the rows were computed with (stated in the methods); ``None``: each
        session as recorded (the methods state the windows the rows were recorded with).
    baseline_s : float, optional
        The baseline length the rows were computed with, if not the default.
    """
    if baseline_s is None:
        baseline_settings = BaselineSettings()
        baseline_text = (
            f"the marked baseline phase, else the first {baseline_settings.duration_s:g} s, "
            "of each session"
        )
    else:
        baseline_settings = BaselineSettings(duration_s=baseline_s)
        baseline_text = f"the first {baseline_s:g} s of each session"
    dates = [r.start_utc for r in rows if r.start_utc is not None]
    period = f"{local_date(min(dates))} to {local_date(max(dates))}" if dates else "dates unknown"
    doc = ReportDocument(
        title="Progress across sessions",
        subtitle=f"Client {client_code} · {len(rows)} session{'s' if len(rows) != 1 else ''} · "
        f"{period}",
        footer=f"Session Monitor {__version__} · client {client_code} · a therapist's aid, "
        "not a medical device",
    )
    doc.add(
        KeyValues([
            ("Client code", client_code),
            ("Sessions", str(len(rows))),
            ("Period", period),
            ("Software", f"Session Monitor {__version__}"),
        ]),
    )  # fmt: skip
    if settings is not None and _windows_recorded(rows) != [settings]:
        doc.add(Paragraph(
            f"What-if: every session judged with upper bound {settings.upper_sd:g}, lower "
            f"{sd(settings.lower_sd)}, edge {settings.edge_sd:g} baseline SD and a dwell of "
            f"{settings.dwell_s:g} s for its whole length, instead of the window it was "
            "recorded with. The session files are unchanged.",
            tone="notice",
        ))  # fmt: skip
    doc.add(
        Plot(
            lambda fig, rect: draw_progress(fig, rect, rows),
            PROGRESS_PLOT_HEIGHT_IN,
            alt="Session by session: baseline lnRMSSD, time outside the window, recovery "
            "times after grounding and SUDS ratings.",
        ),
        Heading("Session by session"),
        Paragraph(
            "Times in min:s. Outside window: time above or below the window (its share of the "
            "time the window judged). Alerts: pause-for-grounding alerts. Recovery: time back "
            "inside the window after each grounding (after each alert, marked so, when no "
            "grounding was marked)."
        ),
        Table(PROGRESS_COLUMNS, progress_table_rows(rows)),
    )
    doc.add(*_notes(rows, skipped))
    doc.add(*_methods_section(rows, settings, baseline_settings, baseline_text))
    return doc


def _windows_recorded(rows: Sequence[ProgressRow]) -> list[ToleranceSettings]:
    """The distinct windows the sessions were recorded with (start and live changes), in the
    order they first appear; the defaults when there are no sessions."""
    windows: list[ToleranceSettings] = []
    for row in rows:
        windows += [w for w in row.windows_recorded if w not in windows]
    return windows or [ToleranceSettings()]


def _methods_section(
    rows: Sequence[ProgressRow],
    settings: ToleranceSettings | None,
    baseline_settings: BaselineSettings,
    baseline_text: str,
) -> list[Block]:
    """The methods, stating the window of tolerance the rows were computed with.

    ``settings`` given (what-if): those, for every session. ``None`` (as recorded): the one
    window every session used, or, when they differ, each session's in a table.
    """
    intro = "Each session is analysed as in its session report, with the baseline taken from "
    intro += "that session"
    window_blocks: list[Block] = []
    if settings is not None:
        intro += (
            " and, for the whole of every session, the window of tolerance below (what-if: "
            "the windows recorded, and their live changes, are not used)."
        )
        stated, per_session = settings, False
    else:
        windows = _windows_recorded(rows)
        # The rules' other numbers (timing, smoothing) are stated once, from the first window.
        stated, per_session = windows[0], len(windows) > 1
        intro += " and the window of tolerance it was recorded with"
        if not per_session:
            intro += ": every session was recorded with the window below, not changed live."
        else:
            intro += (
                ", changed where the therapist changed it live. The windows differ between "
                "sessions: the bounds and dwell of each are listed below."
            )
            window_blocks = _recorded_windows_blocks(rows)
            if _other_settings_differ(windows):
                intro += (
                    " The window's other settings differ too; the numbers below are session "
                    "1's, and each session's own report states its own."
                )
    intro += _reused_baselines_text(rows)
    blocks: list[Block] = [
        Paragraph(p, tone="small")
        for p in methods_paragraphs(
            stated, baseline_settings, baseline_text, window_per_session=per_session
        )
    ]
    blocks[AFTER_WINDOW:AFTER_WINDOW] = window_blocks
    return [
        Heading("Methods"),
        Paragraph(intro, tone="small"),
        *blocks,
        Heading("References", level=2),
        *(Paragraph(r, tone="small") for r in REFERENCES),
    ]


RECORDED_WINDOW_COLUMNS = ("Session", "Date", "Window at the start", "Changed live")


def recorded_windows_rows(rows: Sequence[ProgressRow]) -> list[list[str]]:
    """Each session's recorded window (bounds, dwell) and its live changes, one row each."""
    return [
        [
            str(i),
            local_date(row.start_utc),
            window_text(row.recorded_settings),
            live_changes_text(row.settings_changes) or DASH,
        ]
        for i, row in enumerate(rows, start=1)
    ]


def _recorded_windows_blocks(rows: Sequence[ProgressRow]) -> list[Block]:
    return [
        Paragraph(
            "The window of tolerance of each session, as recorded: bounds in baseline SDs, "
            "times in min:s; each live change applies from the beat it reached live, as during "
            "the session.",
            tone="small",
        ),
        Table(
            RECORDED_WINDOW_COLUMNS,
            recorded_windows_rows(rows),
            numeric=(True, False, False, False),
            wrap=3,
        ),
    ]


def _other_settings_differ(windows: Sequence[ToleranceSettings]) -> bool:
    """Whether the windows differ in more than the bounds and dwell (only a file this program
    did not write can: the therapist sets nothing else)."""
    first = windows[0]
    same_bounds = {f: getattr(first, f) for f in WINDOW_FIELDS}
    return any(dataclasses.replace(w, **same_bounds) != first for w in windows)


def _reused_baselines_text(rows: Sequence[ProgressRow]) -> str:
    reused = [
        f"session {i} ({local_date(row.start_utc)}) from the {row.baseline_source}"
        for i, row in enumerate(rows, start=1)
        if row.baseline_source != "this session"
    ]
    if not reused:
        return ""
    return (
        " Sessions that reused an earlier session's baseline live are judged against it, "
        f"not against their own: {'; '.join(reused)}."
    )


def _notes(rows: Sequence[ProgressRow], skipped: Sequence[str]) -> list[Block]:
    blocks: list[Block] = []
    warnings = [
        f"Session {i} ({local_date(row.start_utc)}): {warning}."
        for i, row in enumerate(rows, start=1)
        for warning in row.baseline_warnings
    ]
    if warnings or skipped:
        blocks.append(Heading("Notes"))
    blocks.extend(Paragraph(w, tone="notice") for w in warnings)
    blocks.extend(Paragraph(f"Skipped: {s}", tone="notice") for s in skipped)
    return blocks
