"""Synthesised Polar H10 raw signals: ECG at 130 Hz around given beat times, and chest ACC.

The ECG is a sum of Gaussian waves per beat (P, Q, R, S, T), after the morphology of ECGSYN
(McSharry et al. 2003, IEEE Trans Biomed Eng 50:289), written directly in time rather than as
ECGSYN's dynamical system so that each R wave peaks *exactly* at the given beat time: the test
truth for an R-peak detector. The T wave moves with the heart period by Bazett's QT scaling
(QT proportional to sqrt(RR); Bazett 1920, Heart 7:353). On top:

- amplitude modulation with breathing (the electrical axis turns as the chest fills; Moody et al.
  1985, Comput Cardiol 12:113 - the basis of ECG-derived respiration), +-``qrs_breath_mod``;
- baseline wander at the breathing rate plus a slow drift (electrode-skin motion);
- mains interference (50 Hz, below the 65 Hz Nyquist frequency of 130 Hz sampling) and EMG, a
  white Gaussian noise;
- ectopic (ventricular) beats where ``ectopic`` is true: no P wave, a wide QRS of different
  shape and a discordant T, as a premature ventricular complex looks (Goldberger's Clinical
  Electrocardiography, ch. 16).

The accelerometer (mg, three axes) is gravity seen by a chest that tilts with each breath: the
sternum's rotation with breathing turns the 1 g vector between the axes (Bates et al. 2010, Proc
IEEE EMBC 2010:6192; Hernandez et al. 2014, "BioGlass"/wearable ACC respiration), plus sensor
noise, a ballistocardiographic kick at each beat and movement bouts of large broadband
acceleration. Everything is seeded and pure numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

ECG_SAMPLE_HZ = 130.0
"""The H10's ECG rate (Polar Measurement Data, ECG at 130 Hz)."""

_NORMAL_WAVES = (
    # (name, amplitude uV, centre s from R, width (sigma) s, scales with QT)
    ("P", 150.0, -0.20, 0.025, False),
    ("Q", -120.0, -0.032, 0.009, False),
    ("R", 1200.0, 0.0, 0.011, False),
    ("S", -300.0, 0.034, 0.010, False),
    ("T", 300.0, 0.25, 0.045, True),
)
_ECTOPIC_WAVES = (
    ("R", 1500.0, 0.0, 0.032, False),
    ("S", -500.0, 0.075, 0.030, False),
    ("T", -400.0, 0.30, 0.060, True),
)


@dataclass(frozen=True)
class SimulatedEcg:
    """An ECG record: sample times (s), the signal (uV) and its rate (Hz)."""

    t_s: np.ndarray
    ecg_uv: np.ndarray
    sample_hz: float


@dataclass(frozen=True)
class SimulatedAcc:
    """An ACC record: sample times (s), acceleration (mg, shape (n, 3)) and its rate (Hz).

    ``breath_phase_rad`` is the true breathing phase per sample (the test truth of the rate).
    """

    t_s: np.ndarray
    acc_mg: np.ndarray
    sample_hz: float
    breath_phase_rad: np.ndarray

    def true_breaths_per_min(self, start_s: float, end_s: float) -> float:
        """The mean breathing rate between two times, from the true phase."""
        lo, hi = np.searchsorted(self.t_s, (start_s, end_s))
        hi = min(hi, self.t_s.size - 1)
        cycles = (self.breath_phase_rad[hi] - self.breath_phase_rad[lo]) / (2 * np.pi)
        return float(60.0 * cycles / (self.t_s[hi] - self.t_s[lo]))


class EcgSynthesizer:
    """ECG synthesis chunk by chunk, for a live simulated H10 (see :func:`synthesize_ecg`).

    Consecutive :meth:`samples` calls continue one noise stream, so a record made in chunks
    equals one made at once when each call gets the same beat list.
    """

    def __init__(
        self,
        *,
        seed: int,
        breathing_hz: float = 0.25,
        qrs_breath_mod: float = 0.15,
        wander_uv: float = 150.0,
        mains_uv: float = 15.0,
        emg_uv: float = 20.0,
    ) -> None:
        self._rng = np.random.default_rng(seed)
        self._drift_phase = self._rng.uniform(0, 2 * np.pi, 2)
        self._mains_phase = float(self._rng.uniform(0, 2 * np.pi))
        self.breathing_hz = breathing_hz
        self.qrs_breath_mod = qrs_breath_mod
        self.wander_uv = wander_uv
        self.mains_uv = mains_uv
        self.emg_uv = emg_uv

    def samples(
        self, t_s: ArrayLike, beat_times_s: ArrayLike, ectopic: ArrayLike | None = None
    ) -> np.ndarray:
        """ECG (uV) at the sample times ``t_s`` (increasing, after the previous call's).

        ``beat_times_s`` must hold every beat from 0.7 s before the first sample to 0.4 s
        after the last, and the beat before the first of those (its RR places the T wave).
        """
        t = np.asarray(t_s, dtype=float)
        beats = np.asarray(beat_times_s, dtype=float)
        kinds = np.zeros(beats.size, bool) if ectopic is None else np.asarray(ectopic, bool)
        ecg = np.zeros_like(t)
        if t.size == 0:
            return ecg
        rr_s = np.diff(beats, prepend=beats[0] - 1.0) if beats.size else beats
        gain = 1.0 + self.qrs_breath_mod * np.sin(2 * np.pi * self.breathing_hz * beats)
        near = (beats > t[0] - 0.7) & (beats < t[-1] + 0.4)
        for beat_s, rr, g, is_ectopic in zip(
            beats[near], rr_s[near], gain[near], kinds[near], strict=True
        ):
            lo, hi = np.searchsorted(t, (beat_s - 0.4, beat_s + 0.7))
            dt = t[lo:hi] - beat_s
            qt_scale = float(np.sqrt(np.clip(rr, 0.3, 2.0)))
            for _, amp, centre, width, scales in _ECTOPIC_WAVES if is_ectopic else _NORMAL_WAVES:
                mu = centre * qt_scale if scales else centre
                ecg[lo:hi] += g * amp * np.exp(-0.5 * ((dt - mu) / width) ** 2)
        ecg += self.wander_uv * np.sin(2 * np.pi * self.breathing_hz * t + self._drift_phase[0])
        ecg += self.wander_uv * np.sin(2 * np.pi * 0.03 * t + self._drift_phase[1])
        ecg += self.mains_uv * np.sin(2 * np.pi * 50.0 * t + self._mains_phase)
        ecg += self.emg_uv * self._rng.standard_normal(t.size)
        return ecg


def beat_times_from_rr(rr_ms: ArrayLike, start_s: float = 1.0) -> np.ndarray:
    """Beat times (s) of an RR series: the first beat at ``start_s``, then cumulative sums."""
    rr_s = np.asarray(rr_ms, dtype=float) / 1000.0
    return start_s + np.concatenate(([0.0], np.cumsum(rr_s)))


def synthesize_ecg(
    beat_times_s: ArrayLike,
    *,
    seed: int,
    ectopic: ArrayLike | None = None,
    sample_hz: float = ECG_SAMPLE_HZ,
    duration_s: float | None = None,
    breathing_hz: float = 0.25,
    qrs_breath_mod: float = 0.15,
    wander_uv: float = 150.0,
    mains_uv: float = 15.0,
    emg_uv: float = 20.0,
) -> SimulatedEcg:
    """ECG (uV) sampled at ``sample_hz`` whose R waves peak at ``beat_times_s``.

    Parameters
    ----------
    beat_times_s
        True R-peak times (s), increasing.
    seed
        Seed of the noise and drift.
    ectopic
        Per beat, true for a ventricular ectopic complex (wide QRS, no P).
    sample_hz, duration_s
        Sampling rate; length (default: last beat + 1 s).
    breathing_hz, qrs_breath_mod, wander_uv, mains_uv, emg_uv
        Breathing rate, its relative modulation of beat amplitude, and the baseline wander,
        mains (50 Hz) and EMG (white) noise amplitudes.

    Returns
    -------
    SimulatedEcg
        Waves after McSharry et al. 2003 (see the module docstring).
    """
    beats = np.asarray(beat_times_s, dtype=float)
    end_s = float(beats[-1] + 1.0) if duration_s is None else duration_s
    t_s = np.arange(0.0, end_s, 1.0 / sample_hz)
    synth = EcgSynthesizer(
        seed=seed,
        breathing_hz=breathing_hz,
        qrs_breath_mod=qrs_breath_mod,
        wander_uv=wander_uv,
        mains_uv=mains_uv,
        emg_uv=emg_uv,
    )
    ecg = synth.samples(t_s, beats, ectopic)
    return SimulatedEcg(t_s=t_s, ecg_uv=ecg, sample_hz=sample_hz)


def synthesize_acc(
    duration_s: float,
    *,
    breaths_per_min: float,
    seed: int,
    sample_hz: float = 50.0,
    tilt_deg: float = 1.0,
    noise_mg: float = 3.0,
    rate_wander: float = 0.05,
    movement_bouts_s: Sequence[tuple[float, float]] = (),
    movement_mg: float = 300.0,
    beat_times_s: ArrayLike = (),
    breath_phase_rad: ArrayLike | None = None,
) -> SimulatedAcc:
    """Chest acceleration (mg) of a breathing wearer, with optional movement bouts.

    Parameters
    ----------
    duration_s
        Length (s).
    breaths_per_min
        Mean breathing rate; the instantaneous rate wanders by +-``rate_wander`` (relative).
    seed
        Seed of orientation, noise, wander and movement.
    sample_hz
        ACC rate (the H10 offers 25-200 Hz).
    tilt_deg
        Peak chest tilt with each breath (Bates et al. 2010 report ~0.5-2 degrees).
    noise_mg
        Sensor noise (white, per axis).
    movement_bouts_s
        (start, end) spans (s) of gross movement: band-limited random acceleration of
        ``movement_mg`` RMS per axis plus posture change.
    beat_times_s
        Beat times for a small ballistocardiographic kick (~5 mg).
    breath_phase_rad
        The breathing phase (radians, unwrapped) per sample, when the breathing is given (a
        simulated heart's, whose RSA it then matches); ``breaths_per_min`` and ``rate_wander``
        are then not used.

    Returns
    -------
    SimulatedAcc
    """
    rng = np.random.default_rng(seed)
    t_s = np.arange(0.0, duration_s, 1.0 / sample_hz)
    # Slowly wandering rate (random walk smoothed over ~20 s), integrated to a phase.
    walk = np.cumsum(rng.standard_normal(t_s.size)) / np.sqrt(sample_hz * 20.0)
    walk = np.clip(walk, -1.0, 1.0)
    rate_hz = breaths_per_min / 60.0 * (1.0 + rate_wander * walk)
    phase = 2 * np.pi * np.cumsum(rate_hz) / sample_hz + rng.uniform(0, 2 * np.pi)
    if breath_phase_rad is not None:
        # Drawn all the same above, so the orientation and noise are the seed's either way.
        phase = np.broadcast_to(np.asarray(breath_phase_rad, dtype=float), t_s.shape).copy()
    # Breathing is not a pure sinusoid: quicker inspiration, slower expiration.
    breath = np.sin(phase) + 0.25 * np.sin(2 * phase + 0.5)
    tilt_rad = np.deg2rad(tilt_deg) * breath / 1.25
    # Rest posture: gravity mostly on one axis, a random lean on the others.
    lean = rng.uniform(-0.3, 0.3, 2)
    axis = rng.standard_normal(3)
    axis /= np.linalg.norm(axis)
    g0 = np.array([-1.0, lean[0], lean[1]])
    g0 = 1000.0 * g0 / np.linalg.norm(g0)
    # Rodrigues rotation of g0 about ``axis`` by tilt_rad (small angles).
    cross = np.cross(axis, g0)
    acc = (
        g0[None, :] * np.cos(tilt_rad)[:, None]
        + cross[None, :] * np.sin(tilt_rad)[:, None]
        + (axis * axis.dot(g0))[None, :] * (1 - np.cos(tilt_rad))[:, None]
    )
    acc += noise_mg * rng.standard_normal(acc.shape)
    for beat_s in np.asarray(beat_times_s, dtype=float):
        lo, hi = np.searchsorted(t_s, (beat_s, beat_s + 0.15))
        dt = t_s[lo:hi] - beat_s
        acc[lo:hi, 0] += 5.0 * np.sin(2 * np.pi * dt / 0.15)
    for start_s, end_s in movement_bouts_s:
        lo, hi = np.searchsorted(t_s, (start_s, end_s))
        n = hi - lo
        if n <= 0:
            continue
        kernel = np.hanning(max(3, int(sample_hz * 0.2)))
        kernel /= np.sqrt(np.sum(kernel**2))
        burst = np.stack(
            [np.convolve(rng.standard_normal(n), kernel, mode="same") for _ in range(3)], axis=1
        )
        acc[lo:hi] += movement_mg * burst * np.hanning(n)[:, None] ** 0.25
    return SimulatedAcc(t_s=t_s, acc_mg=acc, sample_hz=sample_hz, breath_phase_rad=phase)
