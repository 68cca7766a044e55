"""The client's own resting baseline: robust centre and spread of the arousal features.

The window of tolerance has no validated physiological definition (Siegel 1999). What the
literature supports is a *per-person* reference: z-scores against the person's own baseline
(Hovsepian et al. 2015, "cStress", UbiComp: 346–357) and an individual band of baseline mean ± k·SD
of lnRMSSD (Plews et al. 2013, Int J Sports Physiol Perform 8:688–691). The baseline here is the
calm phase at the start of a session (default: its first 5 minutes, or the span the therapist
marks as baseline).

Statistics are robust: the baseline is cut into 30-s sub-windows, each sub-window gives the mean of
each live feature, and the centre is the median and the spread 1.4826 × the median absolute
deviation of those sub-window values (a consistent SD estimate for normal data; Rousseeuw & Croux
1993, J Am Stat Assoc 88:1273), so a cough or one noisy minute cannot shift it. The spread has a
floor: with a very steady baseline a tiny spread would make ordinary fluctuation look extreme.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from numpy.typing import ArrayLike

MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class BaselineSettings:
    """How the baseline is taken and judged.

    Attributes
    ----------
    duration_s : float
        Default baseline span from the first beat, when the therapist marks none: 5 minutes,
        the standard short-term HRV recording (Task Force 1996).
    subwindow_s : float
        Sub-window length for the robust statistics.
    min_duration_s : float
        Shorter usable baselines get a warning (fewer than ~4 sub-windows of full windows).
    max_artefact_pct : float
        A baseline with more corrected beats than this gets a warning.
    min_hr_spread_bpm, min_ln_rmssd_spread : float
        Floors of the spreads: 3 bpm, and 0.20 in ln units (±22 % RMSSD), about the
        minute-to-minute variation of a person at rest (Munoz et al. 2015; Plews 2013 gives
        0.5 × SD of lnRMSSD as the smallest worthwhile change).
    settle_limit_spreads : float
        A baseline whose HR falls by more than this many floor spreads (``min_hr_spread_bpm``)
        from its first to its second half was not at rest yet (the client was still settling).
        The floor, not the measured spread, is the unit: a steady fall inflates the spread.
    max_hr_spread_bpm : float
        A baseline whose HR varies more than this (robust SD of 30-s means) was not calm: at rest
        minute-to-minute HR varies by a few bpm.
    """

    duration_s: float = 300.0
    subwindow_s: float = 30.0
    min_duration_s: float = 180.0
    max_artefact_pct: float = 10.0
    min_hr_spread_bpm: float = 3.0
    min_ln_rmssd_spread: float = 0.20
    settle_limit_spreads: float = 2.0
    max_hr_spread_bpm: float = 6.0


@dataclass(frozen=True)
class Baseline:
    """A client's resting reference for the arousal index.

    Attributes
    ----------
    hr_bpm, hr_spread_bpm : float
        Centre and spread of heart rate (the 10-s live HR).
    ln_rmssd, ln_rmssd_spread : float
        Centre and spread of lnRMSSD (the 60-s live value, RMSSD in ms).
    start_s, end_s : float
        The span it was taken from.
    usable_s : float
        Seconds of that span with every feature available.
    artefact_pct : float
        Share of corrected beats over the span.
    subwindows : int
        Sub-windows the statistics came from.
    warnings : tuple of str
        Plain-language reasons to distrust it (empty when it is fine).
    source : str
        ``"this session"`` or where it was reused from.
    """

    hr_bpm: float
    hr_spread_bpm: float
    ln_rmssd: float
    ln_rmssd_spread: float
    start_s: float
    end_s: float
    usable_s: float
    artefact_pct: float
    subwindows: int
    warnings: tuple[str, ...] = field(default_factory=tuple)
    source: str = "this session"

    @property
    def rmssd_ms(self) -> float:
        return math.exp(self.ln_rmssd)

    @property
    def is_usable(self) -> bool:
        return all(
            math.isfinite(v)
            for v in (self.hr_bpm, self.hr_spread_bpm, self.ln_rmssd, self.ln_rmssd_spread)
        )

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["warnings"] = list(self.warnings)
        out["rmssd_ms"] = self.rmssd_ms if self.is_usable else None
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in out.items()}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, object], source: str | None = None) -> Baseline:
        """Rebuild a stored baseline (e.g. an earlier session's), optionally naming its source."""
        names = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in names}
        values = {k: (float("nan") if v is None else v) for k, v in values.items()}
        values["warnings"] = tuple(data.get("warnings") or ())  # type: ignore[arg-type]
        if source is not None:
            values["source"] = source
        return cls(**values)  # type: ignore[arg-type]


def _robust_centre_spread(values: np.ndarray, floor: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    centre = float(np.median(values))
    spread = MAD_TO_SD * float(np.median(np.abs(values - centre)))
    return centre, max(spread, floor)


def compute_baseline(
    t_s: ArrayLike,
    hr_bpm: ArrayLike,
    ln_rmssd: ArrayLike,
    corrected: ArrayLike,
    start_s: float,
    end_s: float,
    settings: BaselineSettings | None = None,
) -> Baseline:
    """Baseline statistics from the live per-beat values within ``[start_s, end_s]``.

    Parameters
    ----------
    t_s : array_like
        Beat times of the snapshots.
    hr_bpm, ln_rmssd : array_like
        The live HR (10 s) and lnRMSSD (60 s) at those beats; NaN where not available.
    corrected : array_like of bool
        Whether each beat's NN interval was corrected.
    start_s, end_s : float
        The baseline span.
    settings : BaselineSettings, optional

    Returns
    -------
    Baseline
        With ``warnings`` saying in plain words what makes it doubtful.
    """
    settings = settings or BaselineSettings()
    t = np.asarray(t_s, dtype=float)
    hr = np.asarray(hr_bpm, dtype=float)
    ln_v = np.asarray(ln_rmssd, dtype=float)
    fixed = np.asarray(corrected, dtype=bool)
    in_span = (t >= start_s) & (t <= end_s)
    t, hr, ln_v, fixed = t[in_span], hr[in_span], ln_v[in_span], fixed[in_span]
    usable = np.isfinite(hr) & np.isfinite(ln_v)

    sub_hr, sub_ln = [], []
    for sub_start in np.arange(start_s, end_s, settings.subwindow_s):
        inside = usable & (t >= sub_start) & (t < sub_start + settings.subwindow_s)
        if np.count_nonzero(inside) >= 5:
            sub_hr.append(float(hr[inside].mean()))
            sub_ln.append(float(ln_v[inside].mean()))
    hr_centre, hr_spread = _robust_centre_spread(np.array(sub_hr), settings.min_hr_spread_bpm)
    ln_centre, ln_spread = _robust_centre_spread(np.array(sub_ln), settings.min_ln_rmssd_spread)

    usable_s = float(t[usable][-1] - t[usable][0]) if np.count_nonzero(usable) > 1 else 0.0
    artefact_pct = 100.0 * np.count_nonzero(fixed) / fixed.size if fixed.size else float("nan")
    warnings = []
    if len(sub_hr) == 0:
        warnings.append("no usable baseline: too few clean beats in the baseline span")
    elif usable_s < settings.min_duration_s:
        warnings.append(
            f"baseline only {usable_s:.0f} s of usable signal "
            f"({settings.min_duration_s / 60:.0f} min or more recommended)"
        )
    if math.isfinite(artefact_pct) and artefact_pct > settings.max_artefact_pct:
        warnings.append(
            f"baseline has {artefact_pct:.0f} % corrected beats "
            f"(more than {settings.max_artefact_pct:.0f} %): check the strap's contact"
        )
    if math.isfinite(hr_spread) and hr_spread > settings.max_hr_spread_bpm:
        warnings.append(
            f"HR varied by ±{hr_spread:.0f} bpm during the baseline: it was not a calm rest, "
            "so the window will be too wide"
        )
    if len(sub_hr) >= 4:
        half = len(sub_hr) // 2
        drop_bpm = float(np.median(sub_hr[:half]) - np.median(sub_hr[half:]))
        if drop_bpm > settings.settle_limit_spreads * settings.min_hr_spread_bpm:
            warnings.append(
                f"HR fell by {drop_bpm:.0f} bpm during the baseline: the client may not have "
                "been settled; consider a longer or later baseline"
            )
    return Baseline(
        hr_bpm=hr_centre,
        hr_spread_bpm=hr_spread,
        ln_rmssd=ln_centre,
        ln_rmssd_spread=ln_spread,
        start_s=float(start_s),
        end_s=float(end_s),
        usable_s=usable_s,
        artefact_pct=artefact_pct,
        subwindows=len(sub_hr),
        warnings=tuple(warnings),
    )


def not_at_rest_warning(
    baseline: Baseline, session_hr_bpm: ArrayLike, settings: BaselineSettings | None = None
) -> str | None:
    """A warning when the session later settles well below the baseline's heart rate.

    If the calmest stretch of the session (its 10th percentile of HR) lies more than
    ``settle_limit_spreads`` spreads and 5 bpm below the baseline centre, the baseline was taken
    while the client was not at rest, and every arousal reading is biased toward calm.
    """
    settings = settings or BaselineSettings()
    hr = np.asarray(session_hr_bpm, dtype=float)
    hr = hr[np.isfinite(hr)]
    if hr.size < 100 or not baseline.is_usable:
        return None
    calm_bpm = float(np.percentile(hr, 10))
    below_bpm = baseline.hr_bpm - calm_bpm
    if below_bpm > max(5.0, settings.settle_limit_spreads * baseline.hr_spread_bpm):
        return (
            f"baseline may not have been at rest: HR later settled at {calm_bpm:.0f} bpm, "
            f"{below_bpm:.0f} bpm below the baseline's {baseline.hr_bpm:.0f} bpm"
        )
    return None
