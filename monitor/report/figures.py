"""The report's plots, drawn with matplotlib into a given rectangle of a figure.

Each ``draw_*`` function takes a :class:`matplotlib.figure.Figure` and a rectangle in figure
fractions, so the same code draws onto an A4 PDF page and into a figure of its own that the HTML
report inlines as SVG. Only the object-oriented API is used (no ``pyplot``): no GUI backend, no
global figure state, safe in a worker thread.

The look is meant to be calm and clinical: pale phase bands, the window of tolerance as a pale
green band with a sand-coloured upper edge, muted colours for alerts and no red.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

from monitor.core.analysis import TIMELINE_COLUMNS
from monitor.core.protocol import Phase, phase_of
from monitor.core.tolerance import AlertKind
from monitor.report.document import Rect
from monitor.report.formatting import clock, sd

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType
    from numpy.typing import ArrayLike

    from monitor.report.analysis import SessionAnalysis
    from monitor.report.progress import ProgressRow

INK = "#2b2f33"
MUTED = "#6b7278"
RULE = "#c9ced3"
AROUSAL = "#2f4858"
HR = "#7d4e57"
VAGAL = "#3b6e8c"
WINDOW = "#e3eee2"
EDGE = "#f6ecd3"
BASELINE_BAND = "#eceef0"
GAP = "#9aa1a8"
SUDS = "#4a4458"
ALERT_COLOURS = {
    AlertKind.HYPER: "#c98a74",
    AlertKind.WARNING: "#dcc07e",
    AlertKind.HYPO: "#8aa7c9",
}
ALERT_LABELS = {
    AlertKind.HYPER: "pause for grounding",
    AlertKind.WARNING: "early warning",
    AlertKind.HYPO: "check in (low confidence)",
}
PHASE_COLOURS: dict[Phase, str] = {
    Phase.BASELINE: "#dbe6f0",
    Phase.PREPARATION: "#e6e1ee",
    Phase.IMAGERY: "#f2e0cf",
    Phase.RESCRIPTING: "#dfece0",
    Phase.GROUNDING: "#efe6c6",
    Phase.CALM_PLACE: "#d8ecea",
    Phase.DEBRIEF: "#e8e8e8",
}
_SPARE_PHASE_COLOURS = ("#e9dde6", "#dde3ea", "#e6eadb", "#ece2d8")

STYLE: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 7.5,
    "axes.edgecolor": RULE,
    "axes.labelcolor": INK,
    "axes.labelsize": 7.5,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "xtick.major.width": 0.5,
    "ytick.major.width": 0.5,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "text.color": INK,
    "hatch.color": GAP,
    "hatch.linewidth": 0.5,
    "pdf.fonttype": 42,  # TrueType: the PDF's text can be selected, searched and extracted
    "svg.fonttype": "none",  # text stays text in the HTML's inline SVG
    "svg.hashsalt": "session-monitor",  # the same report gives the same SVG ids
}


@contextmanager
def report_style() -> Iterator[None]:
    """The report's matplotlib settings, only while drawing (global rcParams stay as they are)."""
    with matplotlib.rc_context(STYLE):
        yield


def phase_colour(name: str, index: int) -> str:
    """The band colour of a phase (pale; unknown names take spare colours in turn)."""
    phase = phase_of(name)
    if phase is not None:
        return PHASE_COLOURS[phase]
    return _SPARE_PHASE_COLOURS[index % len(_SPARE_PHASE_COLOURS)]


def _minutes_axis(ax: Axes, end_min: float, labels: bool) -> None:
    step = next((s for s, limit in ((1, 12), (2, 30), (5, 75), (10, 150)) if end_min <= limit), 30)
    ax.set_xlim(0.0, end_min)
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))
    ax.tick_params(axis="x", labelbottom=labels)


def _rmssd_ms(ln_rmssd: ArrayLike) -> np.ndarray:
    return np.exp(ln_rmssd)


def _safe_log(values: ArrayLike) -> np.ndarray:
    return np.log(np.clip(values, 1e-9, None))


def _with_breaks(
    t_s: np.ndarray, values: np.ndarray, max_step_s: float = 5.0
) -> tuple[np.ndarray, np.ndarray]:
    """Insert NaN where beats are further apart than ``max_step_s``: a gap is never bridged."""
    if t_s.size < 2:
        return t_s, values
    breaks = np.flatnonzero(np.diff(t_s) > max_step_s) + 1
    return np.insert(t_s, breaks, np.nan), np.insert(values, breaks, np.nan)


def _sub_rect(rect: Rect, fig: Figure, top_in: float, height_in: float, left_in: float,
              right_in: float) -> Rect:  # fmt: skip
    """A rectangle ``top_in`` below the top of ``rect``, in figure fractions."""
    width_in, fig_height_in = fig.get_size_inches()
    left, bottom, width, height = rect
    top = bottom + height
    return (
        left + left_in / width_in,
        top - (top_in + height_in) / fig_height_in,
        width - (left_in + right_in) / width_in,
        height_in / fig_height_in,
    )


def _label_min(ax: Axes, text: str, size_pt: float) -> float:
    """About how many minutes of ``ax``'s x axis a label takes."""
    x0, x1 = ax.get_xlim()
    fig = ax.get_figure(root=True)
    assert fig is not None  # the report's axes are all made by fig.add_axes
    width_in = ax.get_position().width * fig.get_size_inches()[0]
    return (0.55 * size_pt / 72.0 * len(text) + 0.06) / width_in * (x1 - x0)


def _text_fits(ax: Axes, text: str, span_min: float, size_pt: float) -> bool:
    return span_min > _label_min(ax, text, size_pt)


def draw_session(fig: Figure, rect: Rect, analysis: SessionAnalysis) -> None:
    """The session on one figure: lanes for phases, alerts and recovery; arousal against the
    window with SUDS; HR and lnRMSSD against the baseline.

    Parameters
    ----------
    fig : Figure
    rect : (left, bottom, width, height)
        Where to draw, in figure fractions.
    analysis : SessionAnalysis
    """
    height_in = rect[3] * fig.get_size_inches()[1]
    left_in, right_in = 0.62, 0.5
    recoveries = max(len(analysis.tolerance.recoveries), 1)
    lanes_in = 0.42 + _RECOVERY_ROW_IN * recoveries
    gap_in, legend_in, axis_in = 0.1, 0.42, 0.3
    plots_in = height_in - lanes_in - 3 * gap_in - legend_in - axis_in
    arousal_in, hr_in = 0.48 * plots_in, 0.26 * plots_in
    vagal_in = plots_in - arousal_in - hr_in

    end_min = max(analysis.duration_s, 60.0) / 60.0
    top = 0.0
    lanes = fig.add_axes(_sub_rect(rect, fig, top, lanes_in, left_in, right_in))
    top += lanes_in + gap_in
    arousal = fig.add_axes(_sub_rect(rect, fig, top, arousal_in, left_in, right_in))
    top += arousal_in + gap_in
    hr = fig.add_axes(_sub_rect(rect, fig, top, hr_in, left_in, right_in), sharex=arousal)
    top += hr_in + gap_in
    vagal = fig.add_axes(_sub_rect(rect, fig, top, vagal_in, left_in, right_in), sharex=arousal)
    for ax in (lanes, arousal, hr, vagal):
        _minutes_axis(ax, end_min, labels=ax is vagal)
    vagal.set_xlabel("Session time (min)")

    _draw_lanes(lanes, analysis, end_min)
    _draw_arousal(arousal, analysis, end_min)
    _draw_vital(hr, analysis, "hr_10s_bpm", "HR (bpm)", HR)
    _draw_vital(vagal, analysis, "ln_rmssd", "lnRMSSD", VAGAL)
    rmssd_axis = vagal.secondary_yaxis("right", functions=(_rmssd_ms, _safe_log))
    rmssd_axis.set_ylabel("RMSSD (ms)", color=MUTED)
    rmssd_axis.yaxis.set_major_locator(MaxNLocator(4))
    rmssd_axis.tick_params(colors=MUTED)
    rmssd_axis.spines["right"].set_color(RULE)
    for ax in (arousal, hr, vagal):
        _shade_gaps(ax, analysis)

    legend_rect = _sub_rect(rect, fig, height_in - legend_in, legend_in, left_in, right_in)
    _draw_legend(fig, legend_rect, analysis)


_RECOVERY_ROW_IN = 0.13
"""Height of one recovery's row in the lanes (each recovery gets its own, so none overlap)."""
_RECOVERY_ROW = 0.55
"""The same in lane units (the phase and alert lanes are 1 unit apart)."""


def _draw_lanes(ax: Axes, analysis: SessionAnalysis, end_min: float) -> None:
    recoveries = analysis.tolerance.recoveries
    rows_y = [0.15 - _RECOVERY_ROW * i for i in range(max(len(recoveries), 1))]
    ax.set_ylim(rows_y[-1] - 0.4, 2.45)
    ax.set_yticks([2, 1, (rows_y[0] + rows_y[-1]) / 2], ["Phase", "Alerts", "Recovery"])
    ax.tick_params(axis="y", length=0)
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.tick_params(axis="x", length=0)
    phases = analysis.phases
    for i, phase in enumerate(phases):
        start_min = phase.t_s / 60.0
        stop_min = phases[i + 1].t_s / 60.0 if i + 1 < len(phases) else end_min
        ax.broken_barh(
            [(start_min, stop_min - start_min)], (1.6, 0.8), facecolors=phase_colour(phase.name, i)
        )
        if _text_fits(ax, phase.name, stop_min - start_min, 6.5):
            ax.text((start_min + stop_min) / 2, 2.0, phase.name, ha="center", va="center",
                    fontsize=6.5, color=INK)  # fmt: skip
    if not phases:
        ax.text(0.5 * end_min, 2.0, "no phases marked", ha="center", va="center", fontsize=6.5,
                color=MUTED)  # fmt: skip
    for start_s, end_s in analysis.gaps:
        ax.broken_barh([(start_s / 60.0, max(end_s - start_s, 1.0) / 60.0)], (1.6, 0.8),
                       facecolors="white", edgecolor=GAP, hatch="////", linewidth=0)  # fmt: skip

    alerts = sorted(analysis.alerts, key=lambda a: a.kind != AlertKind.WARNING)
    for alert in alerts:
        start_min = alert.start_s / 60.0
        stop_min = (analysis.duration_s if alert.end_s is None else alert.end_s) / 60.0
        thick = 0.36 if alert.kind == AlertKind.WARNING else 0.7
        ax.broken_barh([(start_min, max(stop_min - start_min, 0.05))], (1 - thick / 2, thick),
                       facecolors=ALERT_COLOURS[alert.kind])  # fmt: skip
        label = ALERT_LABELS[alert.kind]
        if alert.kind != AlertKind.WARNING and _text_fits(ax, label, stop_min - start_min, 6.5):
            ax.text((start_min + stop_min) / 2, 1.0, label, ha="center", va="center",
                    fontsize=6.5, color=INK)  # fmt: skip
    if not analysis.alerts:
        ax.text(0.5 * end_min, 1.0, "no alerts", ha="center", va="center", fontsize=6.5,
                color=MUTED)  # fmt: skip

    for recovery, y in zip(recoveries, rows_y, strict=False):
        start_min = recovery.start_s / 60.0
        done = recovery.inside_s is not None
        stop_s = recovery.inside_s if recovery.inside_s is not None else analysis.duration_s
        stop_min = stop_s / 60.0
        ax.plot([start_min, stop_min], [y, y], color=MUTED, linewidth=1.2,
                linestyle="-" if done else ":", solid_capstyle="butt")  # fmt: skip
        ax.plot([start_min], [y], marker="o", markersize=3, color=MUTED)
        if done:
            ax.plot([stop_min], [y], marker="|", markersize=5, color=MUTED)
        after = "grounding" if recovery.started_by == "grounding" else "alert"
        label = f"{clock(recovery.recovery_s) if done else 'not back inside'} after {after}"
        if stop_min + 0.15 + _label_min(ax, label, 6.0) <= end_min:
            ax.text(stop_min + 0.15, y, label, ha="left", va="center", fontsize=6, color=MUTED)
        else:
            ax.text(start_min - 0.15, y, label, ha="right", va="center", fontsize=6, color=MUTED)
    if not recoveries:
        ax.text(0.5 * end_min, rows_y[0], "no grounding, no alert", ha="center", va="center",
                fontsize=6.5, color=MUTED)  # fmt: skip


def _draw_arousal(ax: Axes, analysis: SessionAnalysis, end_min: float) -> None:
    s = analysis.settings
    readings = analysis.tolerance.readings
    t_s = np.array([r.t_s for r in readings], dtype=float)
    arousal = np.array([r.arousal for r in readings], dtype=float)
    finite = arousal[np.isfinite(arousal)]
    low = min(s.lower_sd - 1.0, float(finite.min()) - 0.5) if finite.size else s.lower_sd - 1
    high = max(s.upper_sd + 1.5, float(finite.max()) + 0.5) if finite.size else s.upper_sd + 1.5
    ax.set_ylim(max(low, -12.0), min(high, 15.0))
    ax.axhspan(s.lower_sd, s.edge_sd, color=WINDOW, linewidth=0, zorder=0)
    ax.axhspan(s.edge_sd, s.upper_sd, color=EDGE, linewidth=0, zorder=0)
    for bound in (s.upper_sd, s.lower_sd):
        ax.axhline(bound, color=MUTED, linewidth=0.6, linestyle=(0, (4, 3)), zorder=1)
    ax.axhline(0.0, color=RULE, linewidth=0.5, zorder=1)
    for phase in analysis.phases[1:]:
        ax.axvline(phase.t_s / 60.0, color=RULE, linewidth=0.5, zorder=1)

    baseline = analysis.tolerance.baseline
    if baseline is not None:
        judged = t_s[np.isfinite(arousal)]
        first_judged_s = float(judged[0]) if judged.size else analysis.duration_s
        start_s = max(baseline.start_s, 0.0)
        if first_judged_s > start_s:
            ax.axvspan(start_s / 60.0, first_judged_s / 60.0, color=BASELINE_BAND, linewidth=0,
                       zorder=0.5)  # fmt: skip
            middle_min = (start_s + first_judged_s) / 120.0
            ax.text(middle_min, 0.0, "calibrating\nthe baseline", ha="center", va="center",
                    fontsize=6.5, color=MUTED, zorder=2)  # fmt: skip

    x, y = _with_breaks(t_s, arousal)
    ax.plot(x / 60.0, y, color=AROUSAL, linewidth=1.0, zorder=3)
    ax.set_ylabel("Arousal (baseline SD)")
    ax.yaxis.set_major_locator(MaxNLocator(6, integer=True))

    suds = analysis.suds
    if not suds:
        return
    twin = ax.twinx()
    twin.set_ylim(-0.6, 10.8)
    twin.set_yticks([0, 5, 10])
    twin.spines["right"].set_visible(True)
    twin.spines["right"].set_color(RULE)
    twin.set_ylabel("SUDS (0–10)", color=SUDS)
    twin.tick_params(axis="y", colors=SUDS)
    if suds:
        times_min = [t / 60.0 for t, _ in suds]
        ratings = [r for _, r in suds]
        twin.plot(times_min, ratings, linestyle="none", marker="D", markersize=3.5, color=SUDS,
                  zorder=4)  # fmt: skip
        for t_min, rating in zip(times_min, ratings, strict=True):
            twin.annotate(str(rating), (t_min, rating), xytext=(0, 4), textcoords="offset points",
                          ha="center", va="bottom", fontsize=6.5, color=SUDS)  # fmt: skip


def _draw_vital(ax: Axes, analysis: SessionAnalysis, column: str, label: str, colour: str) -> None:
    table = analysis.timeline
    index = TIMELINE_COLUMNS.index(column)
    t_s = table[:, 0] if table.size else np.empty(0)
    values = table[:, index] if table.size else np.empty(0)
    baseline = analysis.tolerance.baseline
    if baseline is not None and baseline.is_usable:
        centre, spread = (
            (baseline.hr_bpm, baseline.hr_spread_bpm)
            if column == "hr_10s_bpm"
            else (baseline.ln_rmssd, baseline.ln_rmssd_spread)
        )
        ax.axhspan(centre - spread, centre + spread, color=BASELINE_BAND, linewidth=0, zorder=0)
        ax.axhline(centre, color=MUTED, linewidth=0.6, linestyle=(0, (4, 3)), zorder=1)
    for phase in analysis.phases[1:]:
        ax.axvline(phase.t_s / 60.0, color=RULE, linewidth=0.5, zorder=1)
    x, y = _with_breaks(t_s, values)
    ax.plot(x / 60.0, y, color=colour, linewidth=0.9, zorder=3)
    ax.set_ylabel(label)
    ax.yaxis.set_major_locator(MaxNLocator(4))


def _shade_gaps(ax: Axes, analysis: SessionAnalysis) -> None:
    for start_s, end_s in analysis.gaps:
        ax.axvspan(start_s / 60.0, max(end_s, start_s + 1.0) / 60.0, facecolor="white",
                   edgecolor=GAP, hatch="////", linewidth=0, zorder=2)  # fmt: skip


def _draw_legend(fig: Figure, rect: Rect, analysis: SessionAnalysis) -> None:
    s = analysis.settings
    handles = [
        Patch(facecolor=WINDOW, label=f"window of tolerance ({sd(s.lower_sd)} to {s.upper_sd:g})"),
        Patch(facecolor=EDGE, label=f"upper edge (from {s.edge_sd:g})"),
        Line2D([], [], color=AROUSAL, linewidth=1.0, label="arousal"),
        Line2D([], [], color=SUDS, marker="D", markersize=3.5, linestyle="none", label="SUDS"),
        Patch(facecolor=ALERT_COLOURS[AlertKind.HYPER], label="alert"),
        Patch(facecolor=ALERT_COLOURS[AlertKind.WARNING], label="early warning"),
        Patch(facecolor=BASELINE_BAND, edgecolor=MUTED, linewidth=0.4, label="baseline ± spread"),
        Patch(facecolor="white", edgecolor=GAP, hatch="////", linewidth=0, label="signal gap"),
    ]
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    ax.legend(handles=handles, loc="center", ncol=4, handlelength=1.6, columnspacing=1.4,
              borderaxespad=0)  # fmt: skip


def draw_progress(fig: Figure, rect: Rect, rows: Sequence[ProgressRow]) -> None:
    """Progress across sessions: baseline lnRMSSD, time outside the window, recovery times and
    SUDS, one point (or bar) per session.

    Parameters
    ----------
    fig : Figure
    rect : (left, bottom, width, height)
        Where to draw, in figure fractions.
    rows : sequence of ProgressRow
        One per session, in session order.
    """
    width_in, fig_height_in = fig.get_size_inches()
    height_in = rect[3] * fig_height_in
    left_in, right_in, col_gap_in, row_gap_in, bottom_in = 0.55, 0.1, 0.75, 0.55, 0.45
    panel_w_in = (rect[2] * width_in - left_in - right_in - col_gap_in) / 2
    panel_h_in = (height_in - row_gap_in - bottom_in - 0.25) / 2
    numbers = np.arange(1, len(rows) + 1)
    labels = [f"{i}\n{row.date_label}" for i, row in zip(numbers, rows, strict=True)]
    axes: list[Axes] = []
    for r in range(2):
        for c in range(2):
            top_in = 0.25 + r * (panel_h_in + row_gap_in)
            axes.append(fig.add_axes(_sub_rect(
                rect, fig, top_in, panel_h_in, left_in + c * (panel_w_in + col_gap_in),
                rect[2] * width_in - left_in - (c + 1) * panel_w_in - c * col_gap_in,
            )))  # fmt: skip
    for ax in axes:
        ax.set_xlim(0.4, len(rows) + 0.6)
        step = max(1, math.ceil(len(rows) / 12))
        ax.set_xticks(numbers[::step], labels[::step], fontsize=6)
        ax.grid(axis="y", color=RULE, linewidth=0.4)
        ax.set_axisbelow(True)

    baseline, outside, recovery, suds = axes
    ln = np.array([row.baseline_ln_rmssd for row in rows], dtype=float)
    spread = np.array([row.baseline_ln_rmssd_spread for row in rows], dtype=float)
    baseline.errorbar(numbers, ln, yerr=spread, fmt="o", color=VAGAL, markersize=4, capsize=2,
                      elinewidth=0.8)  # fmt: skip
    baseline.set_title("Baseline lnRMSSD (± spread)", fontsize=8, loc="left", color=INK)
    baseline.yaxis.set_major_locator(MaxNLocator(5))

    above = np.array([row.above_pct for row in rows], dtype=float)
    below = np.array([row.below_pct for row in rows], dtype=float)
    outside.bar(numbers, np.nan_to_num(above), width=0.6, color=ALERT_COLOURS[AlertKind.HYPER],
                label="above")  # fmt: skip
    outside.bar(numbers, np.nan_to_num(below), width=0.6, bottom=np.nan_to_num(above),
                color=ALERT_COLOURS[AlertKind.HYPO], label="below")  # fmt: skip
    outside.set_title("Time outside the window (% of judged time)", fontsize=8, loc="left",
                      color=INK)  # fmt: skip
    top_pct = np.nanmax(np.nan_to_num(above + below)) if rows else 0.0
    outside.set_ylim(0, max(10.0, 1.15 * top_pct))
    outside.legend(loc="upper right", ncol=2)

    for number, row in zip(numbers, rows, strict=True):
        times_min = [r / 60.0 for r in row.recovery_times_s]
        recovery.plot([number] * len(times_min), times_min, linestyle="none", marker="o",
                      markersize=4, color=MUTED, alpha=0.8)  # fmt: skip
    medians = [np.median(r.recovery_times_s) / 60.0 if r.recovery_times_s else np.nan
               for r in rows]  # fmt: skip
    recovery.plot(numbers, medians, linestyle="none", marker="_", markersize=12, color=INK)
    recovery.set_title("Recovery after grounding (min; — median)", fontsize=8, loc="left",
                       color=INK)  # fmt: skip
    longest_min = max((max(r.recovery_times_s) / 60.0 for r in rows if r.recovery_times_s),
                      default=1.0)  # fmt: skip
    recovery.set_ylim(0, 1.2 * longest_min)
    recovery.yaxis.set_major_locator(MaxNLocator(5))

    peak = np.array([np.nan if row.suds_peak is None else row.suds_peak for row in rows])
    last = np.array([np.nan if row.suds_last is None else row.suds_last for row in rows])
    suds.plot(numbers, peak, marker="D", markersize=3.5, linewidth=0.8, color=SUDS, label="peak")
    suds.plot(numbers, last, marker="o", markersize=3.5, linewidth=0.8, color=MUTED,
              linestyle=(0, (3, 2)), label="last")  # fmt: skip
    suds.set_ylim(-0.5, 10.5)
    suds.set_yticks([0, 2, 4, 6, 8, 10])
    suds.set_title("SUDS (0–10)", fontsize=8, loc="left", color=INK)
    suds.legend(loc="upper right", ncol=2)
    for ax in (recovery, suds):
        ax.set_xlabel("Session", fontsize=7)
