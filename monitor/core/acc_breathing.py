"""Breathing rate from a chest accelerometer (Polar H10 ACC), with a rule for when to say "—".

Breathing tilts the chest, so gravity moves between the sensor's axes by a few mg at the
breathing rate (Bates et al. 2010, Proc IEEE EMBC 2010:6192; Hernandez et al. 2014, Proc
MobiHealth, on respiration from wearable accelerometers). Over a trailing window:

1. decimate to ~10 Hz (anti-aliased, scipy ``decimate``) - breathing lives below 1 Hz;
2. band-pass 0.05-0.8 Hz (3-48 breaths/min; Butterworth, zero-phase) each axis, which removes
   gravity's constant part and the ballistocardiographic kicks;
3. the chest-movement axis is the first principal component of the three band-passed axes
   (the direction of the tilt varies with strap position, so no fixed axis is assumed);
4. breaths are the peaks of that component (at least 1.25 s apart, prominence against its
   spread), timed below the sample by a parabola through the peak and its neighbours; the
   rate is 60 / the mean breath-to-breath interval, leaving out intervals more than 30 % from
   the median (a missed or doubled peak).

Quality rule (the rate is ``None``, shown "—", when unclear): movement in the window
(:mod:`monitor.core.movement`), fewer than 3 breaths, breath intervals too irregular
(coefficient of variation over 0.35), or a spectrum with less than 40 % of its band power near
the peak-count rate (so peaks are not being counted in noise). The spectral check follows the
peak-power-ratio quality index of Charlton et al. 2016 (Physiol Meas 37:610).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, decimate, find_peaks, sosfiltfilt, welch

from monitor.core.movement import movement_windows

BAND_HZ = (0.05, 0.8)
TARGET_HZ = 10.0
MIN_BREATH_INTERVAL_S = 1.25
MIN_BREATHS = 3
MAX_INTERVAL_CV = 0.35
MIN_PEAK_POWER_RATIO = 0.4


@dataclass(frozen=True)
class AccBreathing:
    """A breathing estimate: rate (breaths/min) or ``None`` and why, breath times (s)."""

    breaths_per_min: float | None
    reason: str
    breath_times_s: np.ndarray


def chest_movement_signal(acc_mg: np.ndarray, sample_hz: float) -> tuple[np.ndarray, float]:
    """The band-passed first principal component of the ACC and its sample rate (Hz)."""
    acc = np.asarray(acc_mg, dtype=float)
    factor = max(1, int(sample_hz // TARGET_HZ))
    if factor > 1:
        acc = decimate(acc, factor, axis=0, zero_phase=True)
    fs = sample_hz / factor
    sos = butter(2, BAND_HZ, btype="bandpass", fs=fs, output="sos")
    band = sosfiltfilt(sos, acc - acc.mean(axis=0), axis=0)
    # PCA via SVD of the centred samples: the direction of most breathing-band variance.
    _, _, vt = np.linalg.svd(band - band.mean(axis=0), full_matrices=False)
    return band @ vt[0], fs


def breathing_from_acc(t_s: np.ndarray, acc_mg: np.ndarray, sample_hz: float) -> AccBreathing:
    """Breathing rate over the given window of ACC (use the trailing 60 s live).

    Parameters
    ----------
    t_s
        Sample times (s).
    acc_mg
        Acceleration, shape (n, 3), mg.
    sample_hz
        ACC rate (25-200 Hz on the H10).

    Returns
    -------
    AccBreathing
        See the module docstring for the method (Bates et al. 2010) and the quality rule.
    """
    t = np.asarray(t_s, dtype=float)
    acc_mg = np.asarray(acc_mg, dtype=float)
    if acc_mg.ndim != 2 or acc_mg.shape[1] != 3 or acc_mg.shape[0] != t.size:
        raise ValueError(f"ACC must be (n, 3) with n = {t.size} sample times")
    none = np.empty(0)
    if not np.all(np.isfinite(acc_mg)):
        return AccBreathing(None, "ACC samples missing", none)
    if t.size < 20 * sample_hz:
        return AccBreathing(None, "window shorter than 20 s", none)
    if np.any(movement_windows(t, acc_mg, sample_hz).moving):
        return AccBreathing(None, "client moving", none)
    signal, fs = chest_movement_signal(acc_mg, sample_hz)
    spread = float(np.subtract(*np.percentile(signal, [90, 10])))
    peaks, _ = find_peaks(
        signal, distance=max(1, round(MIN_BREATH_INTERVAL_S * fs)), prominence=0.3 * spread
    )
    times = t[0] + _refine(signal, peaks) / fs
    if peaks.size < MIN_BREATHS:
        return AccBreathing(None, "fewer than 3 breaths", times)
    intervals = np.diff(times)
    if np.std(intervals) / np.mean(intervals) > MAX_INTERVAL_CV:
        return AccBreathing(None, "breathing irregular", times)
    typical = np.abs(intervals - np.median(intervals)) <= 0.3 * np.median(intervals)
    rate_hz = 1.0 / float(np.mean(intervals[typical]))
    freqs, power = welch(signal, fs=fs, nperseg=min(signal.size, round(60 * fs)), nfft=4096)
    in_band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    near = in_band & (np.abs(freqs - rate_hz) <= 0.05)
    ratio = float(power[near].sum() / power[in_band].sum())
    if ratio < MIN_PEAK_POWER_RATIO:
        return AccBreathing(None, "no clear breathing rhythm", times)
    return AccBreathing(60.0 * rate_hz, "ok", times)


def _refine(signal: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Peak positions (fractional samples) from a parabola through each peak's three samples."""
    inner = peaks[(peaks > 0) & (peaks < signal.size - 1)]
    left, mid, right = signal[inner - 1], signal[inner], signal[inner + 1]
    denom = left - 2 * mid + right
    shift = np.where(denom < 0, 0.5 * (left - right) / np.where(denom < 0, denom, -1.0), 0.0)
    out = peaks.astype(float)
    out[(peaks > 0) & (peaks < signal.size - 1)] = inner + shift
    return out


SESSION_WINDOW_S = 60.0
"""Window of each whole-session breathing estimate (the live view's, :mod:`acc_live`)."""

SESSION_STEP_S = 30.0
"""Start-to-start spacing of those windows."""


@dataclass(frozen=True)
class BreathingWindow:
    """One window of a whole-session breathing estimate (session times, s)."""

    start_s: float
    end_s: float
    breaths_per_min: float | None
    reason: str


@dataclass(frozen=True)
class SessionBreathing:
    """A session's breathing rate and where it came from.

    Attributes
    ----------
    source : str
        ``"accelerometer"`` when the session has chest ACC, else ``"rr"`` (the RSA estimate).
    breaths_per_min : float or None
        The median of the windows' rates (ACC), or the RSA estimate; ``None`` when neither
        could say.
    windows : tuple of BreathingWindow
        The ACC windows (empty for ``"rr"``).
    """

    source: str
    breaths_per_min: float | None
    windows: tuple[BreathingWindow, ...] = ()


def session_breathing(
    t_s: np.ndarray | None,
    acc_mg: np.ndarray | None,
    sample_hz: float | None,
    rsa_breaths_per_min: float | None,
) -> SessionBreathing:
    """Breathing over a whole session: from the chest ACC when there is any, else the RSA's.

    The ACC is cut into windows of :data:`SESSION_WINDOW_S` every :data:`SESSION_STEP_S`, each
    estimated by :func:`breathing_from_acc` as the live view does (Bates et al. 2010), with its
    quality rule; a window with samples missing (a drop-out) says so. The session's rate is the
    median of the windows that have one, robust to a few poor windows.

    Parameters
    ----------
    t_s, acc_mg, sample_hz
        The ACC's sample times (s), samples ((n, 3), mg) and rate; ``None`` without ACC.
    rsa_breaths_per_min
        The respiration rate from the RR spectrum (:mod:`monitor.core.analysis`), used without
        ACC; NaN or ``None`` when unknown.

    Returns
    -------
    SessionBreathing
    """
    if t_s is None or acc_mg is None or sample_hz is None or len(t_s) == 0:
        rsa = rsa_breaths_per_min
        known = rsa is not None and bool(np.isfinite(rsa))
        return SessionBreathing("rr", float(rsa) if known and rsa is not None else None)
    t = np.asarray(t_s, dtype=float)
    acc = np.asarray(acc_mg, dtype=float)
    windows = []
    start_s = float(t[0])
    expected_n = SESSION_WINDOW_S * sample_hz
    while start_s + SESSION_WINDOW_S <= t[-1] + 1.0 / sample_hz:
        end_s = start_s + SESSION_WINDOW_S
        lo, hi = np.searchsorted(t, (start_s, end_s))
        if hi - lo < 0.98 * expected_n or np.any(np.diff(t[lo:hi]) > 2.5 / sample_hz):
            windows.append(BreathingWindow(start_s, end_s, None, "ACC samples missing"))
        else:
            estimate = breathing_from_acc(t[lo:hi], acc[lo:hi], sample_hz)
            windows.append(
                BreathingWindow(start_s, end_s, estimate.breaths_per_min, estimate.reason)
            )
        start_s += SESSION_STEP_S
    rates = [w.breaths_per_min for w in windows if w.breaths_per_min is not None]
    rate = float(np.median(rates)) if rates else None
    return SessionBreathing("accelerometer", rate, tuple(windows))
