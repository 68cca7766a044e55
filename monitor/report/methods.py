"""The methods footnote: indices, windows, rules and sources, with the settings actually used.

The wording follows the README's science section and ``docs/window-of-tolerance.md``; the numbers
come from the settings objects, so a what-if report states the bounds it was made with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.core.baseline import MAD_TO_SD, BaselineSettings
from monitor.core.judge import MAX_BEAT_SPACING_S, SettingsChange
from monitor.core.settings import HrvWindows
from monitor.core.tolerance import ToleranceSettings
from monitor.report.formatting import clock, sd

WINDOW_FIELDS = ("upper_sd", "edge_sd", "lower_sd", "dwell_s")
"""The window's settings a therapist sets (settings dialog, + / − live); the others stay as the
engine's defaults in every file this program writes."""

AFTER_WINDOW = 5
"""Index in :func:`methods_paragraphs` just after the window-of-tolerance paragraph: where a
report inserts what it says about the window's settings of its session(s)."""

REFERENCES = (
    "Hovsepian K et al. (2015) cStress: towards a gold standard for continuous stress "
    "assessment in the mobile environment. Proc UbiComp 2015: 493–504.",
    "Lehrer PM, Gevirtz R (2014) Heart rate variability biofeedback: how and why does it work? "
    "Front Psychol 5: 756.",
    "Lipponen JA, Tarvainen MP (2019) A robust algorithm for heart rate variability time series "
    "artefact correction using novel beat classification. J Med Eng Technol 43: 173–181.",
    "McCraty R et al. (2009) The coherent heart. Integral Review 5: 10–115.",
    "Munoz ML et al. (2015) Validity of (ultra-)short recordings for heart rate variability "
    "measurements. PLoS ONE 10: e0138921.",
    "Plews DJ et al. (2013) Training adaptation and heart rate variability in elite endurance "
    "athletes: opening the door to effective monitoring. Sports Med 43: 773–781.",
    "Rousseeuw PJ, Croux C (1993) Alternatives to the median absolute deviation. J Am Stat Assoc "
    "88: 1273–1283.",
    "Sarker H et al. (2016) Finding significant stress episodes in a discontinuous time series "
    "of rapidly varying mobile sensor data. Proc CHI 2016: 4489–4501.",
    "Schauer M, Elbert T (2010) Dissociation following traumatic stress. Z Psychol 218: 109–127.",
    "Siegel DJ (1999) The developing mind. New York: Guilford Press.",
    "Task Force of the ESC and NASPE (1996) Heart rate variability: standards of measurement, "
    "physiological interpretation and clinical use. Circulation 93: 1043–1065.",
    "Thayer JF et al. (2012) A meta-analysis of heart rate variability and neuroimaging studies. "
    "Neurosci Biobehav Rev 36: 747–756.",
)


def window_text(settings: ToleranceSettings) -> str:
    """The bounds and dwell of a window, briefly.

    Examples
    --------
    >>> window_text(ToleranceSettings())
    'upper 2.5, edge 1.5, lower −2.5, dwell 20 s'
    """
    s = settings
    return (
        f"upper {sd(s.upper_sd)}, edge {sd(s.edge_sd)}, lower {sd(s.lower_sd)}, "
        f"dwell {sd(s.dwell_s)} s"
    )


def live_changes_text(changes: Sequence[SettingsChange]) -> str:
    """The therapist's live changes of the window, e.g. ``at 7:30 to upper 3.5, ...``."""
    return "; ".join(f"at {clock(c.t_s)} to {window_text(c.settings)}" for c in changes)


@dataclass(frozen=True)
class _WindowTerms:
    """How the methods name the bounds and dwell: as numbers, or in words when they differ
    between the sessions of a report (which then lists each session's numbers)."""

    upper: str
    edge: str
    lower: str
    dwell: str
    recovered: str

    @classmethod
    def of(cls, s: ToleranceSettings, per_session: bool) -> _WindowTerms:
        if per_session:
            return cls(
                upper="the upper bound",
                edge="the edge value",
                lower="the lower bound",
                dwell="the dwell time",
                recovered=f"{sd(s.recovered_margin_sd)} SD under the upper bound",
            )
        return cls(
            upper=sd(s.upper_sd),
            edge=sd(s.edge_sd),
            lower=sd(s.lower_sd),
            dwell=f"{sd(s.dwell_s)} s",
            recovered=sd(s.upper_sd - s.recovered_margin_sd),
        )


def methods_paragraphs(
    settings: ToleranceSettings,
    baseline_settings: BaselineSettings,
    baseline_text: str,
    windows: HrvWindows | None = None,
    *,
    window_per_session: bool = False,
) -> list[str]:
    """The methods footnote as paragraphs.

    Parameters
    ----------
    settings : ToleranceSettings
        The window-of-tolerance settings the report's alerts were computed with.
    baseline_settings : BaselineSettings
    baseline_text : str
        Which span was the baseline, in words (e.g. "the marked baseline phase").
    windows : HrvWindows, optional
        The live windows (the defaults when omitted).
    window_per_session : bool
        The bounds and dwell (:data:`WINDOW_FIELDS`) differ between the report's sessions:
        name them in words instead of stating ``settings``' numbers; the caller lists each
        session's at :data:`AFTER_WINDOW`. The other numbers are still ``settings``'.
    """
    w = windows or HrvWindows()
    b = baseline_settings
    s = settings
    t = _WindowTerms.of(s, window_per_session)
    return [
        "Beats. RR intervals are artefact-corrected with the Lipponen & Tarvainen (2019) "
        "classification (ectopic, long, short, missed and extra beats); the raw values in the "
        "session file are never altered, and values outside 200–3000 ms are never used. Signal "
        "gaps are never bridged: the live windows restart after each gap.",
        f"Live indices, recomputed on every beat as during the session: HR over "
        f"{w.hr_short_s:.0f} s and lnRMSSD (natural log of RMSSD in ms) over "
        f"{w.short_term_s:.0f} s (Task Force 1996; Munoz et al. 2015; Plews et al. 2013). An "
        f"index is shown only once its window is {w.min_coverage:.0%} full since the last gap.",
        f"Baseline: {baseline_text}, cut into {b.subwindow_s:.0f}-s sub-windows; centre = "
        f"median, spread = {MAD_TO_SD} × median absolute deviation (Rousseeuw & Croux 1993), "
        f"with floors of {b.min_hr_spread_bpm:g} bpm and {b.min_ln_rmssd_spread:.2f} ln units. "
        "It is flagged when short, noisy, still settling, not calm, or above the HR the client "
        "later settles at.",
        "Arousal = (z_HR + max(z_vagal, "
        f"{sd(s.vagal_floor_sd)})) / 2, with z_HR = (HR − baseline HR) / spread and z_vagal = "
        "−(lnRMSSD − baseline lnRMSSD) / spread: per-person z-scores (Hovsepian et al. 2015), "
        "vagal withdrawal lowering RMSSD (Thayer et al. 2012), the calm side capped so that "
        "slow paced breathing does not read as hypoarousal (Lehrer & Gevirtz 2014); smoothed "
        f"with a time constant of {s.smoothing_s:g} s. Units: baseline SDs.",
        f"Window of tolerance (Siegel 1999): inside between {t.lower} and {t.upper}, upper edge "
        f"from {t.edge}. A pause-for-grounding alert is raised after {t.dwell} at or above "
        f"{t.upper} and ends after {s.clear_s:g} s back below {t.recovered}: one episode, one "
        "alert (Sarker et al. 2016). An early warning marks the upper edge or a rise of at least "
        f"{s.warning_rise_sd_per_min:g} SD/min toward the bound. Hypoarousal (at or below "
        f"{t.lower} for {t.dwell}; Schauer & Elbert 2010) gives a low-confidence prompt only, "
        "never during slow coherent breathing. "
        f"Readings are suspended when over {s.max_artefact_pct:g} % of the last minute's beats "
        "were corrected, during gaps and while windows refill.",
        f"Recovery: from the grounding marker (or the alert, when none was set) until arousal "
        f"is back below {t.recovered}; ready to resume after {s.ready_s:g} s there. Time in "
        f"the window adds up the time between beats by the zone of the earlier beat; stretches "
        f"over {MAX_BEAT_SPACING_S:g} s without a beat count as not judged.",
        "Whole-session HRV is computed over the batch-corrected NN series: time domain over "
        "the whole series; LF and HF from Lomb–Scargle spectra averaged over 300-s epochs "
        "overlapping by half (Task Force 1996); coherence as the mean over 64-s epochs "
        "(McCraty et al. 2009).",
        "Session Monitor is a therapist's aid, not a medical device. The zones summarise heart "
        "rhythm against the client's own rest; they do not measure distress, and the defaults "
        "have not been clinically validated for trauma therapy.",
    ]
