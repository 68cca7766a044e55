"""The window of tolerance: an arousal index against the client's own baseline, zones, and the
pause-for-grounding alerts.

What the index is
-----------------
Two features of the live HRV, each as a z-score against the client's baseline
(:mod:`monitor.core.baseline`):

* ``z_hr = (HR − baseline HR) / HR spread`` — sympathetic activation raises heart rate;
* ``z_vagal = −(lnRMSSD − baseline lnRMSSD) / lnRMSSD spread`` — arousal withdraws vagal tone
  and lowers RMSSD (Task Force 1996; Thayer et al. 2012, Neurosci Biobehav Rev 36:747).

``arousal = (z_hr + max(z_vagal, vagal_floor_sd)) / 2``, smoothed with an exponential time
constant of ``smoothing_s`` (10 s) on top of the 10-s HR and 60-s RMSSD windows. Per-person
z-scores follow cStress (Hovsepian et al. 2015); the individual band of baseline ± k·SD of lnRMSSD
follows Plews et al. (2013). The vagal term is capped on the calm side: slow paced breathing
(calm place, resonance breathing) raises RMSSD far above baseline (Lehrer & Gevirtz 2014), which
must not read as hypoarousal, so RMSSD above baseline counts toward "calm" only up to one spread.

Zones and alerts
----------------
The window's bounds are in baseline-SD units of the index: *hyperarousal* at or above
``upper_sd``, the *upper edge* from ``edge_sd``, *hypoarousal* at or below ``lower_sd``. Episode
rules follow Sarker et al. (2016, CHI: 4489–4501): a *pause for grounding* alert is raised only
when arousal stays beyond the upper bound for ``dwell_s``, with hysteresis (it must come back
below the upper edge, ``upper_sd − recovered_margin_sd``, for ``clear_s`` to end), so one episode
gives one alert, however long the client hovers near the bound. Arousal rising
during re-experiencing is expected and can be therapeutic (Uhl et al. 2025): the alert is for
*sustained extremes*, not for any rise. An early *warning* marks arousal in the upper edge or
rising fast toward the bound. Hypoarousal ("flag/faint", Schauer & Elbert 2010, Z Psychol 218:109)
has an inconsistent cardiac signature: it gives a low-confidence prompt, never an alarm, and not
during slow breathing.

While the signal cannot be trusted (contact lost, a gap, too many corrected beats, windows still
refilling) the tracker is *suspended* and says why; a gap never reads as calm, and an open alert
stays open through it.

This is a therapist's aid, not a diagnostic device: the zones summarise physiology against the
client's own rest, they do not measure distress.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace
from enum import StrEnum

from monitor.core.baseline import Baseline, BaselineSettings, compute_baseline
from monitor.core.indices import WindowIndices


class Zone(StrEnum):
    """Where the client is against their window of tolerance."""

    CALIBRATING = "calibrating"
    SUSPENDED = "suspended"
    HYPO = "hypo"
    INSIDE = "inside"
    EDGE = "edge"
    HYPER = "hyper"


class AlertKind(StrEnum):
    HYPER = "hyper"
    HYPO = "hypo"
    WARNING = "warning"


@dataclass(frozen=True)
class ToleranceSettings:
    """Bounds and timing of the window of tolerance (index units are baseline SDs).

    Attributes
    ----------
    upper_sd : float
        Hyperarousal bound: 2.5 SD keeps a client at rest inside with a wide margin (resting
        fluctuation of the smoothed index stays within about ±1.5) while a rise of ~+10 bpm
        with RMSSD −30 % reaches it.
    edge_sd : float
        Start of the upper edge (early warning zone).
    lower_sd : float
        Hypoarousal bound.
    hysteresis_sd : float
        How far back across a bound arousal must come to leave a zone (keeps the gauge from
        flickering between zones).
    recovered_margin_sd : float
        How far inside the window arousal must be for an alert episode to end and for the
        client to count as recovered: by default back below the upper edge (upper − 1 SD), so
        a client hovering near the bound stays in one episode instead of re-alerting.
    dwell_s : float
        How long arousal must stay beyond a bound before an alert (default ~20 s).
    clear_s : float
        How long it must stay back inside before the alert ends.
    ready_s : float
        How long back inside before "ready to resume".
    smoothing_s : float
        Time constant of the index's exponential smoothing.
    vagal_floor_sd : float
        The calm-side cap of the vagal term (see the module notes).
    warning_rise_sd_per_min : float
        Early warning when arousal rises at least this fast ...
    warning_horizon_s : float
        ... and would reach the upper bound within this time at that rate ...
    warning_min_sd : float
        ... from at least this high (resting fluctuation near 0 is not a rise toward the edge).
    warning_dwell_s : float
        The warning condition must hold this long before a warning episode is recorded.
    slope_window_s : float
        Time span of the rise-rate estimate.
    max_artefact_pct : float
        Above this share of corrected beats in the 60-s window, readings are suspended.
    slow_breathing_max_per_min, slow_breathing_min_coherence : float
        Breathing this slow with this coherent a rhythm is paced breathing: no hypo prompt.
    """

    upper_sd: float = 2.5
    edge_sd: float = 1.5
    lower_sd: float = -2.5
    hysteresis_sd: float = 0.3
    recovered_margin_sd: float = 1.0
    dwell_s: float = 20.0
    clear_s: float = 20.0
    ready_s: float = 30.0
    smoothing_s: float = 10.0
    vagal_floor_sd: float = -1.0
    warning_rise_sd_per_min: float = 3.0
    warning_horizon_s: float = 30.0
    warning_min_sd: float = 1.0
    warning_dwell_s: float = 5.0
    slope_window_s: float = 20.0
    max_artefact_pct: float = 20.0
    slow_breathing_max_per_min: float = 8.0
    slow_breathing_min_coherence: float = 1.0

    def __post_init__(self) -> None:
        if not self.lower_sd < 0 < self.edge_sd < self.upper_sd:
            raise ValueError(
                "window bounds must satisfy lower < 0 < edge < upper "
                f"(got {self.lower_sd}, {self.edge_sd}, {self.upper_sd})"
            )

    def widened(self, by_sd: float) -> ToleranceSettings:
        """The window made wider (positive ``by_sd``) or narrower (negative) on both sides."""
        return replace(
            self,
            upper_sd=self.upper_sd + by_sd,
            edge_sd=max(0.5, self.edge_sd + by_sd),
            lower_sd=min(-0.5, self.lower_sd - by_sd),
        )

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


@dataclass
class Alert:
    """One alert episode. ``end_s`` is None while it is open."""

    kind: AlertKind
    start_s: float
    reason: str
    end_s: float | None = None
    peak_arousal: float = float("nan")

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": str(self.kind),
            "start_s": self.start_s,
            "end_s": self.end_s,
            "reason": self.reason,
        }


@dataclass
class Recovery:
    """How long the client took to come back inside the window after grounding began.

    Attributes
    ----------
    start_s : float
        The grounding marker, or the alert's start when no marker was set.
    started_by : str
        ``"grounding"`` or ``"alert"``.
    inside_s : float or None
        When arousal was back inside the window (``recovered_margin_sd`` below the upper bound).
    ready_s : float or None
        When it had stayed inside for ``ready_s`` ("ready to resume").
    """

    start_s: float
    started_by: str
    inside_s: float | None = None
    ready_s: float | None = None

    @property
    def recovery_s(self) -> float | None:
        return None if self.inside_s is None else self.inside_s - self.start_s

    def as_dict(self) -> dict[str, object]:
        return {
            "start_s": self.start_s,
            "started_by": self.started_by,
            "inside_s": self.inside_s,
            "ready_s": self.ready_s,
            "recovery_s": self.recovery_s,
        }


@dataclass(frozen=True)
class ArousalReading:
    """The window-of-tolerance state after one beat (or one suspension).

    Attributes
    ----------
    t_s : float
    zone : Zone
    arousal : float
        The smoothed index (baseline SDs); NaN while calibrating or suspended.
    z_hr, z_vagal : float
        The two terms before smoothing.
    reason : str
        Plain words with numbers, for the therapist.
    warning : bool
        The early-warning state (upper edge or rising fast).
    ready_to_resume : bool
        Back inside for ``ready_s`` since grounding or an alert.
    started, ended : tuple of Alert
        Alerts that began or ended at this reading (for the recorder).
    """

    t_s: float
    zone: Zone
    arousal: float = float("nan")
    z_hr: float = float("nan")
    z_vagal: float = float("nan")
    reason: str = ""
    warning: bool = False
    ready_to_resume: bool = False
    started: tuple[Alert, ...] = ()
    ended: tuple[Alert, ...] = ()


@dataclass
class _Episode:
    """Dwell/hysteresis bookkeeping of one kind of excursion."""

    beyond_since_s: float | None = None
    back_since_s: float | None = None
    alert: Alert | None = None

    def reset_timers(self) -> None:
        self.beyond_since_s = None
        self.back_since_s = None


def _signed(value: float, unit: str, digits: int = 0) -> str:
    """``+5``, ``−12``; a value that rounds to zero is ``±0`` (never ``−0``)."""
    rounded = round(value, digits)
    if rounded == 0:
        return f"±{0:.{digits}f}{unit}"
    return f"{rounded:+.{digits}f}{unit}".replace("-", "−")


class ToleranceTracker:
    """Per-beat arousal, zones and alerts against a fixed baseline.

    Parameters
    ----------
    baseline : Baseline
    settings : ToleranceSettings, optional
    """

    def __init__(self, baseline: Baseline, settings: ToleranceSettings | None = None) -> None:
        self.baseline = baseline
        self.settings = settings or ToleranceSettings()
        self.alerts: list[Alert] = []
        self.recoveries: list[Recovery] = []
        self._arousal: float | None = None
        self._last_t_s: float | None = None
        self._history: deque[tuple[float, float]] = deque()
        self._hyper = _Episode()
        self._hypo = _Episode()
        self._warning = _Episode()
        self._zone = Zone.INSIDE
        self._suspended_reason: str | None = None
        self._inside_since_s: float | None = None

    # -- therapist and session input ------------------------------------------------------------

    def set_settings(self, settings: ToleranceSettings) -> None:
        """Change bounds or timing live (the therapist widens or narrows the window)."""
        self.settings = settings

    def mark_grounding(self, t_s: float) -> None:
        """The therapist started grounding: measure the time back into the window from here."""
        self.recoveries.append(Recovery(start_s=t_s, started_by="grounding"))

    def suspend(self, t_s: float, reason: str) -> ArousalReading:
        """The signal cannot be trusted from ``t_s`` (contact lost, strap gone): stop judging."""
        self._enter_suspension(reason)
        return ArousalReading(t_s=t_s, zone=Zone.SUSPENDED, reason=reason)

    # -- per beat -------------------------------------------------------------------------------

    def update(self, t_s: float, indices: WindowIndices) -> ArousalReading:
        """Judge the newest beat's indices."""
        s = self.settings
        untrusted = self._untrusted_reason(indices)
        if untrusted is not None:
            self._enter_suspension(untrusted)
            return ArousalReading(t_s=t_s, zone=Zone.SUSPENDED, reason=untrusted)
        self._suspended_reason = None

        b = self.baseline
        z_hr = (indices.hr_10s_bpm - b.hr_bpm) / b.hr_spread_bpm
        z_vagal = -(indices.ln_rmssd - b.ln_rmssd) / b.ln_rmssd_spread
        raw = 0.5 * (z_hr + max(z_vagal, s.vagal_floor_sd))
        arousal = self._smooth(t_s, raw)
        slope_sd_per_min = self._slope(t_s, arousal)
        slow_breathing = (
            indices.resp_rate_bpm <= s.slow_breathing_max_per_min
            and indices.coherence >= s.slow_breathing_min_coherence
        )

        zone = self._zone_of(arousal, slow_breathing)
        self._zone = zone
        started: list[Alert] = []
        ended: list[Alert] = []
        above = zone == Zone.HYPER
        below = zone == Zone.HYPO
        rising = (
            arousal >= s.warning_min_sd
            and slope_sd_per_min >= s.warning_rise_sd_per_min
            and arousal + slope_sd_per_min / 60.0 * s.warning_horizon_s >= s.upper_sd
        )
        warning = not above and (zone == Zone.EDGE or rising)

        hyper_reason = self._reason_hyper(indices, t_s)
        self._step_episode(
            self._hyper, AlertKind.HYPER, above, arousal < s.upper_sd - s.recovered_margin_sd,
            t_s, s.dwell_s, hyper_reason, arousal, started, ended,
        )  # fmt: skip
        self._step_episode(
            self._hypo, AlertKind.HYPO, below, arousal > s.lower_sd + s.recovered_margin_sd,
            t_s, s.dwell_s, self._reason_hypo(indices, t_s), arousal, started, ended,
        )  # fmt: skip
        warning_condition = warning and self._hyper.alert is None
        self._step_episode(
            self._warning, AlertKind.WARNING, warning_condition, not warning_condition,
            t_s, s.warning_dwell_s, self._reason_warning(indices, slope_sd_per_min), arousal,
            started, ended, clear_s=s.warning_dwell_s,
        )  # fmt: skip

        ready = self._track_recovery(t_s, arousal, started)
        reason = self._reason_for_zone(zone, indices, t_s, slow_breathing, slope_sd_per_min)
        return ArousalReading(
            t_s=t_s,
            zone=zone,
            arousal=arousal,
            z_hr=z_hr,
            z_vagal=z_vagal,
            reason=reason,
            warning=warning,
            ready_to_resume=ready,
            started=tuple(started),
            ended=tuple(ended),
        )

    # -- the parts ------------------------------------------------------------------------------

    def _untrusted_reason(self, indices: WindowIndices) -> str | None:
        if not self.baseline.is_usable:
            return "no usable baseline"
        if math.isnan(indices.hr_10s_bpm) or math.isnan(indices.ln_rmssd):
            return self._suspended_reason or "waiting for a full minute of clean signal"
        if indices.short_artefact_pct > self.settings.max_artefact_pct:
            return (
                f"{indices.short_artefact_pct:.0f} % of the last minute's beats were corrected: "
                "check the strap's contact"
            )
        return None

    def _enter_suspension(self, reason: str) -> None:
        # Judgement restarts from scratch afterwards; an open alert stays open (a gap never
        # reads as calm), its timers do not run.
        self._suspended_reason = reason
        self._arousal = None
        self._last_t_s = None
        self._history.clear()
        self._inside_since_s = None
        for episode in (self._hyper, self._hypo, self._warning):
            episode.reset_timers()

    def _smooth(self, t_s: float, raw: float) -> float:
        if self._arousal is None or self._last_t_s is None:
            self._arousal = raw
        else:
            weight = 1.0 - math.exp(-max(t_s - self._last_t_s, 0.0) / self.settings.smoothing_s)
            self._arousal += weight * (raw - self._arousal)
        self._last_t_s = t_s
        return self._arousal

    def _slope(self, t_s: float, arousal: float) -> float:
        """Rise rate (SD/min) over the last ``slope_window_s``; 0 until the span is covered."""
        self._history.append((t_s, arousal))
        while self._history and self._history[0][0] < t_s - self.settings.slope_window_s:
            self._history.popleft()
        first_t_s, first_arousal = self._history[0]
        span_s = t_s - first_t_s
        if span_s < 0.75 * self.settings.slope_window_s:
            return 0.0
        return (arousal - first_arousal) / span_s * 60.0

    def _zone_of(self, arousal: float, slow_breathing: bool) -> Zone:
        """Zone with hysteresis: leaving a zone needs ``hysteresis_sd`` of way back."""
        s, h = self.settings, self.settings.hysteresis_sd
        previous = self._zone
        if arousal >= s.upper_sd or (previous == Zone.HYPER and arousal > s.upper_sd - h):
            return Zone.HYPER
        if not slow_breathing and (
            arousal <= s.lower_sd or (previous == Zone.HYPO and arousal < s.lower_sd + h)
        ):
            return Zone.HYPO
        if arousal >= s.edge_sd or (
            previous in (Zone.EDGE, Zone.HYPER) and arousal > s.edge_sd - h
        ):
            return Zone.EDGE
        return Zone.INSIDE

    def _step_episode(
        self,
        episode: _Episode,
        kind: AlertKind,
        beyond: bool,
        recovered: bool,
        t_s: float,
        dwell_s: float,
        reason: str,
        arousal: float,
        started: list[Alert],
        ended: list[Alert],
        clear_s: float | None = None,
    ) -> None:
        clear_s = self.settings.clear_s if clear_s is None else clear_s
        if beyond:
            episode.back_since_s = None
            if episode.beyond_since_s is None:
                episode.beyond_since_s = t_s
            if episode.alert is None and t_s - episode.beyond_since_s >= dwell_s:
                episode.alert = Alert(kind=kind, start_s=t_s, reason=reason, peak_arousal=arousal)
                self.alerts.append(episode.alert)
                started.append(episode.alert)
            elif episode.alert is not None:
                episode.alert.peak_arousal = max(episode.alert.peak_arousal, arousal)
            return
        episode.beyond_since_s = None
        if episode.alert is None:
            return
        if not recovered:
            episode.back_since_s = None
            return
        if episode.back_since_s is None:
            episode.back_since_s = t_s
        if t_s - episode.back_since_s >= clear_s:
            episode.alert.end_s = episode.back_since_s
            ended.append(episode.alert)
            episode.alert = None
            episode.back_since_s = None

    def _track_recovery(self, t_s: float, arousal: float, started: list[Alert]) -> bool:
        s = self.settings
        for alert in started:
            if alert.kind == AlertKind.HYPER and not self._open_recovery_since(alert.start_s):
                self.recoveries.append(Recovery(start_s=alert.start_s, started_by="alert"))
        inside = arousal < s.upper_sd - s.recovered_margin_sd and self._zone != Zone.HYPO
        if not inside:
            self._inside_since_s = None
            return False
        if self._inside_since_s is None:
            self._inside_since_s = t_s
        ready = t_s - self._inside_since_s >= s.ready_s
        for recovery in self.recoveries:
            if recovery.ready_s is not None or t_s < recovery.start_s:
                continue
            if recovery.inside_s is None:
                recovery.inside_s = max(self._inside_since_s, recovery.start_s)
            if ready and t_s - recovery.inside_s >= s.ready_s:
                recovery.ready_s = t_s
        return ready and any(r.ready_s == t_s for r in self.recoveries)

    def _open_recovery_since(self, t_s: float) -> bool:
        return any(r.ready_s is None and r.start_s <= t_s for r in self.recoveries)

    # -- reasons in plain words -------------------------------------------------------------------

    def _vitals(self, indices: WindowIndices, hr_label: str = "over baseline") -> str:
        b = self.baseline
        rmssd_ms = math.exp(indices.ln_rmssd)
        rmssd_change_pct = 100.0 * (rmssd_ms / b.rmssd_ms - 1.0)
        return (
            f"HR {indices.hr_10s_bpm:.0f} bpm ({_signed(indices.hr_10s_bpm - b.hr_bpm, '')} "
            f"{hr_label}), RMSSD {rmssd_ms:.0f} ms ({_signed(rmssd_change_pct, ' %')})"
        )

    def _reason_hyper(self, indices: WindowIndices, t_s: float) -> str:
        since = self._hyper.beyond_since_s
        duration_s = 0.0 if since is None else t_s - since
        return f"{self._vitals(indices)} for {duration_s:.0f} s"

    def _reason_hypo(self, indices: WindowIndices, t_s: float) -> str:
        since = self._hypo.beyond_since_s
        duration_s = 0.0 if since is None else t_s - since
        return (
            f"{self._vitals(indices, 'from baseline')} for {duration_s:.0f} s: possibly "
            "shutting down; check in with the client (low confidence)"
        )

    def _reason_warning(self, indices: WindowIndices, slope_sd_per_min: float) -> str:
        rising = f", rising {slope_sd_per_min:.1f} SD/min" if slope_sd_per_min > 0.5 else ""
        return f"Arousal near the upper edge: {self._vitals(indices)}{rising}"

    def _reason_for_zone(
        self,
        zone: Zone,
        indices: WindowIndices,
        t_s: float,
        slow_breathing: bool,
        slope_sd_per_min: float,
    ) -> str:
        if zone == Zone.HYPER:
            return self._reason_hyper(indices, t_s)
        if zone == Zone.HYPO:
            return self._reason_hypo(indices, t_s)
        if zone == Zone.EDGE or self._warning.beyond_since_s is not None:
            return self._reason_warning(indices, slope_sd_per_min)
        suffix = f"; slow breathing ({indices.resp_rate_bpm:.1f}/min)" if slow_breathing else ""
        return f"Within the window: {self._vitals(indices)}{suffix}"


@dataclass
class _BaselineHistory:
    t_s: list[float] = field(default_factory=list)
    hr_bpm: list[float] = field(default_factory=list)
    ln_rmssd: list[float] = field(default_factory=list)
    corrected: list[bool] = field(default_factory=list)


class WindowOfTolerance:
    """Baseline calibration followed by tracking: what the session engine drives per beat.

    Until the baseline span ends (by default the first ``BaselineSettings.duration_s`` seconds
    from the first beat; or the span the therapist marks) readings are ``CALIBRATING``; then the
    baseline is computed and a :class:`ToleranceTracker` judges every beat. A baseline reused from
    an earlier session of the same client starts tracking at once.

    Parameters
    ----------
    settings : ToleranceSettings, optional
    baseline_settings : BaselineSettings, optional
    reused_baseline : Baseline, optional
        Start with this baseline instead of calibrating.
    """

    def __init__(
        self,
        settings: ToleranceSettings | None = None,
        baseline_settings: BaselineSettings | None = None,
        reused_baseline: Baseline | None = None,
    ) -> None:
        self.settings = settings or ToleranceSettings()
        self.baseline_settings = baseline_settings or BaselineSettings()
        self._history = _BaselineHistory()
        self._first_t_s: float | None = None
        self._span: tuple[float, float] | None = None
        self.tracker: ToleranceTracker | None = None
        if reused_baseline is not None:
            self.tracker = ToleranceTracker(reused_baseline, self.settings)

    @property
    def baseline(self) -> Baseline | None:
        return None if self.tracker is None else self.tracker.baseline

    @property
    def alerts(self) -> list[Alert]:
        return [] if self.tracker is None else self.tracker.alerts

    @property
    def recoveries(self) -> list[Recovery]:
        return [] if self.tracker is None else self.tracker.recoveries

    def baseline_so_far(self) -> Baseline | None:
        """The baseline, or for a recording that ended before its baseline span did, the one its
        beats so far give (with a warning that it is short); None before any beat."""
        if self.tracker is not None:
            return self.tracker.baseline
        if not self._history.t_s:
            return None
        start_s, end_s = self._baseline_span()
        h = self._history
        return compute_baseline(
            h.t_s, h.hr_bpm, h.ln_rmssd, h.corrected, start_s, end_s, self.baseline_settings
        )

    def set_settings(self, settings: ToleranceSettings) -> None:
        self.settings = settings
        if self.tracker is not None:
            self.tracker.set_settings(settings)

    def mark_baseline(self, start_s: float, end_s: float) -> None:
        """Use ``[start_s, end_s]`` as the baseline (the therapist's marked calm phase). Takes
        effect at ``end_s``, or now if that has passed."""
        self._span = (start_s, end_s)
        if self._history.t_s and self._history.t_s[-1] >= end_s:
            self._calibrate()

    def mark_grounding(self, t_s: float) -> None:
        if self.tracker is not None:
            self.tracker.mark_grounding(t_s)

    def suspend(self, t_s: float, reason: str) -> ArousalReading:
        if self.tracker is None:
            return ArousalReading(t_s=t_s, zone=Zone.CALIBRATING, reason=reason)
        return self.tracker.suspend(t_s, reason)

    def update(self, t_s: float, indices: WindowIndices, corrected: bool) -> ArousalReading:
        """Feed one beat's indices."""
        if self._first_t_s is None:
            self._first_t_s = t_s
        history = self._history
        history.t_s.append(t_s)
        history.hr_bpm.append(indices.hr_10s_bpm)
        history.ln_rmssd.append(indices.ln_rmssd)
        history.corrected.append(corrected)
        if self.tracker is None:
            _, end_s = self._baseline_span()
            if t_s < end_s:
                remaining_s = end_s - t_s
                return ArousalReading(
                    t_s=t_s,
                    zone=Zone.CALIBRATING,
                    reason=f"Calibrating the baseline: {remaining_s:.0f} s to go",
                )
            self._calibrate()
        assert self.tracker is not None
        return self.tracker.update(t_s, indices)

    def _baseline_span(self) -> tuple[float, float]:
        if self._span is not None:
            return self._span
        first = self._first_t_s or 0.0
        return first, first + self.baseline_settings.duration_s

    def _calibrate(self) -> None:
        start_s, end_s = self._baseline_span()
        h = self._history
        baseline = compute_baseline(
            h.t_s, h.hr_bpm, h.ln_rmssd, h.corrected, start_s, end_s, self.baseline_settings
        )
        if self.tracker is None:
            self.tracker = ToleranceTracker(baseline, self.settings)
        else:
            self.tracker.baseline = baseline
