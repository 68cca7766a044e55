"""The simulated heart: a scripted session's physiology as true beats (no strap, no artefacts).

The instantaneous heart period (ms) is a sum of physiological components, after the sum-of-
sinusoids RR model of ECGSYN (McSharry et al. 2003, IEEE Trans Biomed Eng 50:289):

``T(t) = 60000 / HR(t) + RSA(t) + LF(t) + noise(t)``

- ``RSA`` — respiratory sinus arrhythmia, a sinusoid at the breathing rate whose phase is
  integrated from a slowly wandering breathing frequency. Its amplitude is the phase's
  ``rsa_ms`` (defined at 15 breaths/min) times the baroreflex resonance gain, a band-pass peak at
  0.1 Hz (Vaschillo et al. 2002, Appl Psychophysiol Biofeedback 27:1; Lehrer & Gevirtz 2014,
  Front Psychol 5:756): breathing at ~6/min gives a large ~0.1 Hz oscillation with high RMSSD,
  fast breathing a small one.
- ``LF`` — the ~0.1 Hz Mayer-wave oscillation of blood pressure control (ECGSYN's LF
  component; Malliani et al. 1991), with wandering frequency and amplitude.
- ``vagal tone`` (optional, ``vagal_wander_ln``) — the RSA amplitude and the fast noise (its
  1-s and 4-s components) times ``exp(v(t))``, ``v``
  an Ornstein–Uhlenbeck process of time constant :data:`VAGAL_WANDER_TAU_S`: vagal tone drifts
  over minutes at rest as well as between phases. Off by default, so the validated scenarios
  keep their beats; a co-regulation simulation turns it on so that the therapist's vagal tone
  has something to follow (:mod:`drivers.simulated_coupling`).
- ``noise`` — 1/f-like fluctuations, a sum of Ornstein–Uhlenbeck processes with log-spaced time
  constants (1–64 s), which approximates a 1/f spectrum over that band (Kaulakys 1999).

Beats come from integral pulse frequency modulation (IPFM; Mateo & Laguna 2003, IEEE Trans
Biomed Eng 50:334): a beat fires each time the integral of ``1 / T(t)`` reaches one, so the RR
series is the heart period sampled by the heart itself. Each detected beat time then gets a few
ms of R-peak jitter, as a strap's detector would.

Norms the calm baseline is tuned to (Nunan et al. 2010, Pacing Clin Electrophysiol 33:1407):
mean RR 926 ± 90 ms, SDNN 50 ± 16 ms, RMSSD 42 ± 15 ms over 5 minutes at rest.

A session is a sequence of :class:`Phase` (duration, HR level, RSA amplitude, breathing rate,
LF amplitude, noise), with linear transitions of ``ramp_s`` at each phase start;
:func:`phase_timeline` tells when each phase starts and ends.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

REFERENCE_BREATHING_HZ = 0.25
"""Breathing rate at which a phase's ``rsa_ms`` is defined (15 breaths/min)."""
RESONANCE_HZ = 0.1
"""Baroreflex resonance frequency (Vaschillo 2002: 0.075–0.11 Hz across adults)."""
RESONANCE_Q = 1.5
"""Sharpness of the resonance: 6/min breathing gives ~3.3x the RSA of 15/min breathing."""

VAGAL_WANDER_TAU_S = 60.0
"""Time constant of the optional vagal-tone wander (minutes-long drifts, slower than breathing
and the Mayer wave, so that it shows in RMSSD from one 15-s bin to the next)."""

_STEP_S = 0.05  # IPFM integration step; the fastest component (breathing) is < 0.6 Hz
_NOISE_TAUS_S = (1.0, 4.0, 16.0, 64.0)
_FAST_NOISE_COMPONENTS = 2  # the 1-s and 4-s ones: what vagal tone scales
_R_PEAK_JITTER_MS = 1.5


@dataclass(frozen=True, slots=True)
class Phase:
    """One stretch of a scripted session.

    Attributes
    ----------
    name : str
        Label ("baseline", "imagery", ...), reported by :func:`phase_timeline`.
    duration_s : float
        How long the phase lasts.
    hr_bpm : float
        Mean heart rate the phase settles at.
    rsa_ms : float
        Respiratory sinus arrhythmia amplitude (ms of heart period, peak) at 15 breaths/min;
        other breathing rates scale it by the resonance gain (see module docstring).
    breathing_per_min : float
        Breathing rate.
    lf_ms : float
        Amplitude of the ~0.1 Hz Mayer-wave oscillation (ms, peak).
    noise_ms : float
        Standard deviation of the 1/f-like fluctuation of heart period (ms).
    ramp_s : float
        Time over which the parameters move linearly from the previous phase's values to this
        one's (at the phase start). Ignored for the first phase.
    paced : bool
        Breathing follows a pacer: far more regular than spontaneous breathing.
    """

    name: str
    duration_s: float
    hr_bpm: float
    rsa_ms: float
    breathing_per_min: float
    lf_ms: float
    noise_ms: float = 14.0
    ramp_s: float = 20.0
    paced: bool = False

    def __post_init__(self) -> None:
        checks = {
            "duration_s": self.duration_s > 0,
            "hr_bpm": 25 <= self.hr_bpm <= 220,
            "rsa_ms": self.rsa_ms >= 0,
            "breathing_per_min": 2 <= self.breathing_per_min <= 40,
            "lf_ms": self.lf_ms >= 0,
            "noise_ms": self.noise_ms >= 0,
            "ramp_s": self.ramp_s >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"phase {self.name!r}: {name}={getattr(self, name)} is invalid")


@dataclass(frozen=True, slots=True)
class PhaseSpan:
    """When a phase of a script runs, in seconds from the session start."""

    name: str
    start_s: float
    end_s: float


def default_session_script() -> tuple[Phase, ...]:
    """A scripted imagery-rescripting session, about 21 minutes.

    Calm baseline (5 min), activation rising through imagery (+~25 bpm, RSA shrinking), a peak,
    grounding with slower breathing, recovery, and a calm place with paced 6/min breathing.

    Returns
    -------
    tuple of Phase
        The script; see :func:`phase_timeline` for the phase start times.
    """
    return (
        Phase("baseline", 300, hr_bpm=65, rsa_ms=40, breathing_per_min=14, lf_ms=42, noise_ms=22),
        Phase(
            "imagery",
            300,
            hr_bpm=88,
            rsa_ms=11,
            breathing_per_min=18,
            lf_ms=14,
            noise_ms=8,
            ramp_s=240,
        ),
        Phase(
            "peak",
            90,
            hr_bpm=95,
            rsa_ms=8,
            breathing_per_min=20,
            lf_ms=10,
            noise_ms=6,
            ramp_s=30,
        ),
        Phase(
            "grounding",
            120,
            hr_bpm=80,
            rsa_ms=18,
            breathing_per_min=10,
            lf_ms=20,
            noise_ms=10,
            ramp_s=60,
        ),
        Phase(
            "recovery",
            180,
            hr_bpm=70,
            rsa_ms=32,
            breathing_per_min=13,
            lf_ms=28,
            noise_ms=16,
            ramp_s=90,
        ),
        Phase(
            "calm place",
            300,
            hr_bpm=64,
            rsa_ms=40,
            breathing_per_min=6,
            lf_ms=30,
            noise_ms=16,
            ramp_s=60,
            paced=True,
        ),
    )


def phase_timeline(script: Sequence[Phase]) -> tuple[PhaseSpan, ...]:
    """When each phase of a script starts and ends.

    Parameters
    ----------
    script : sequence of Phase
        The session script.

    Returns
    -------
    tuple of PhaseSpan
        One span per phase, back to back from 0 s.
    """
    spans = []
    start_s = 0.0
    for phase in script:
        spans.append(PhaseSpan(phase.name, start_s, start_s + phase.duration_s))
        start_s += phase.duration_s
    return tuple(spans)


def script_duration_s(script: Sequence[Phase]) -> float:
    """Total duration of a script in seconds."""
    return float(sum(phase.duration_s for phase in script))


def resonance_gain(breathing_hz: float, resonance_hz: float = RESONANCE_HZ) -> float:
    """RSA amplitude at a breathing rate, relative to breathing at 15/min.

    A band-pass resonance ``1 / sqrt(1 + Q² (f/f0 − f0/f)²)`` centred on the baroreflex
    resonance ``f0`` (0.1 Hz by default; Vaschillo 2002), normalised to 1 at 0.25 Hz.

    Parameters
    ----------
    breathing_hz : float
        Breathing frequency in Hz.
    resonance_hz : float, optional
        The person's resonance frequency ``f0`` (Vaschillo 2002: 0.075–0.11 Hz in adults).

    Returns
    -------
    float
        The factor applied to a phase's ``rsa_ms``.
    """

    def band_pass(f: float) -> float:
        detune = f / resonance_hz - resonance_hz / f
        return 1.0 / math.sqrt(1.0 + (RESONANCE_Q * detune) ** 2)

    return band_pass(breathing_hz) / band_pass(REFERENCE_BREATHING_HZ)


@dataclass(frozen=True, slots=True)
class SimulatedBeat:
    """A beat of the simulated heart (ground truth, before the strap sees it).

    ``breath_phase_rad`` is the breathing phase (unwrapped, radians) of the RSA at the beat, so
    a simulated chest (:mod:`drivers.simulated_h10_stream`) breathes exactly as this heart's
    rhythm does; NaN for beats not made by :func:`heart_beats`.
    """

    t_s: float
    rr_ms: float
    breath_phase_rad: float = math.nan
    vagal_ln: float = 0.0
    """The heart's vagal tone at this beat: ln of its RSA amplitude over the first phase's
    (the scripted changes and the wander together; what a coupled heart follows)."""


class CouplingTerm(Protocol):
    """What another person's heart adds to this one's, asked at increasing times
    (:class:`drivers.simulated_coupling.LeaderTerm`)."""

    def period_ms(self, t_s: float) -> float:
        """Added to the heart period at ``t_s`` (ms)."""
        ...

    def vagal_ln(self, t_s: float) -> float:
        """Added to the log RSA amplitude at ``t_s``."""
        ...


class _Normals:
    """Standard normal draws in blocks: per-call numpy draws would dominate the runtime."""

    def __init__(self, rng: np.random.Generator, block: int = 4096) -> None:
        self._rng = rng
        self._block = block
        self._values = rng.standard_normal(block)
        self._next = 0

    def draw(self) -> float:
        if self._next == self._block:
            self._values = self._rng.standard_normal(self._block)
            self._next = 0
        value = self._values[self._next]
        self._next += 1
        return float(value)


class _OrnsteinUhlenbeck:
    """Exact discretisation of an OU process with stationary sd ``1`` and time constant tau."""

    def __init__(self, tau_s: float, step_s: float, normals: _Normals) -> None:
        self._decay = math.exp(-step_s / tau_s)
        self._kick = math.sqrt(1.0 - self._decay**2)
        self._normals = normals
        self.value = normals.draw()

    def step(self) -> float:
        self.value = self.value * self._decay + self._kick * self._normals.draw()
        return self.value


def _interpolated(script: Sequence[Phase], t_s: float) -> tuple[Phase, float, Phase]:
    """The phase at ``t_s``, the previous one and how far (0..1) the ramp between them is."""
    start_s = 0.0
    previous = script[0]
    for index, phase in enumerate(script):
        end_s = start_s + phase.duration_s
        if t_s < end_s or index == len(script) - 1:
            if index == 0 or phase.ramp_s == 0:
                return phase, 1.0, phase
            progress = min(1.0, max(0.0, (t_s - start_s) / phase.ramp_s))
            return previous, progress, phase
        previous = phase
        start_s = end_s
    raise AssertionError("unreachable: the last phase holds forever")


def _vagal_tone_ln(rsa_ms: float, first_rsa_ms: float) -> float:
    """ln of the RSA amplitude over the first phase's (0 when either is 0)."""
    return math.log(rsa_ms / first_rsa_ms) if rsa_ms > 0 < first_rsa_ms else 0.0


def _mix(a: float, b: float, weight: float) -> float:
    return a + (b - a) * weight


def heart_beats(
    script: Sequence[Phase],
    seed: np.random.SeedSequence,
    resonance_hz: float = RESONANCE_HZ,
    coupling: CouplingTerm | None = None,
    vagal_wander_ln: float = 0.0,
) -> Iterator[SimulatedBeat]:
    """True beats of the simulated heart, endless, starting at 0 s (no strap, no artefacts).

    Parameters
    ----------
    script : sequence of Phase
        The session script (after its last phase the values hold).
    seed : numpy.random.SeedSequence
        The physiology's own seed (:class:`drivers.simulator.HeartSimulator` spawns it).
    resonance_hz : float, optional
        The person's baroreflex resonance (see :class:`drivers.simulator.HeartSimulator`).
    coupling : CouplingTerm, optional
        What another person's heart adds to the heart period and the RSA amplitude
        (:mod:`drivers.simulated_coupling`, a therapist in tune with the client).
    vagal_wander_ln : float, optional
        Standard deviation of the log vagal-tone wander (0: none). Its own random stream, so
        that turning it on changes nothing else of the heart.

    Yields
    ------
    SimulatedBeat
        Beat time and the RR interval ending at it.
    """
    normals = _Normals(np.random.default_rng(seed))
    noise = [_OrnsteinUhlenbeck(tau, _STEP_S, normals) for tau in _NOISE_TAUS_S]
    breathing_wander = _OrnsteinUhlenbeck(20.0, _STEP_S, normals)
    lf_wander = _OrnsteinUhlenbeck(30.0, _STEP_S, normals)
    lf_amplitude_wander = _OrnsteinUhlenbeck(15.0, _STEP_S, normals)
    breathing_phase = 2 * math.pi * float(normals.draw())
    lf_phase = 2 * math.pi * float(normals.draw())
    noise_scale = 1.0 / math.sqrt(len(noise))
    vagal_wander = None
    if vagal_wander_ln > 0:
        own_stream = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, 1 << 20))
        vagal_wander = _OrnsteinUhlenbeck(
            VAGAL_WANDER_TAU_S, _STEP_S, _Normals(np.random.default_rng(own_stream))
        )

    t_s = 0.0
    integral = 0.5 + 0.1 * normals.draw()  # start mid-cycle, not on a beat
    last_detected_s = 0.0
    started = False
    while True:
        before, weight, after = _interpolated(script, t_s)
        hr_bpm = _mix(before.hr_bpm, after.hr_bpm, weight)
        rsa_ms = _mix(before.rsa_ms, after.rsa_ms, weight)
        breaths_per_min = _mix(before.breathing_per_min, after.breathing_per_min, weight)
        lf_ms = _mix(before.lf_ms, after.lf_ms, weight)
        noise_ms = _mix(before.noise_ms, after.noise_ms, weight)
        paced = after.paced if weight >= 0.5 else before.paced

        wander = 0.01 if paced else 0.08
        breathing_hz = breaths_per_min / 60.0 * (1.0 + wander * breathing_wander.step())
        breathing_hz = max(breathing_hz, 0.02)
        breathing_phase += 2 * math.pi * breathing_hz * _STEP_S
        lf_hz = resonance_hz * (1.0 + 0.08 * lf_wander.step())
        lf_phase += 2 * math.pi * lf_hz * _STEP_S
        lf_gain = max(0.0, 1.0 + 0.3 * lf_amplitude_wander.step())
        steps = [process.step() for process in noise]
        vagal_ln = 0.0 if vagal_wander is None else vagal_wander_ln * vagal_wander.step()
        coupled_ms = 0.0
        if coupling is not None:
            coupled_ms = coupling.period_ms(t_s)
            vagal_ln += coupling.vagal_ln(t_s)
        if vagal_ln == 0.0:
            fluctuation = sum(steps) * noise_scale
        else:
            # Vagal tone scales the fast variability: the RSA and the noise's two fastest
            # components (beat-to-beat changes are vagal; Task Force 1996, Circulation 93:1043).
            vagal_gain = math.exp(vagal_ln)
            rsa_ms *= vagal_gain
            fast = _FAST_NOISE_COMPONENTS
            fluctuation = (vagal_gain * sum(steps[:fast]) + sum(steps[fast:])) * noise_scale

        period_ms = (
            60000.0 / hr_bpm
            + rsa_ms * resonance_gain(breathing_hz, resonance_hz) * math.sin(breathing_phase)
            + lf_ms * lf_gain * math.sin(lf_phase)
            + noise_ms * fluctuation
            + coupled_ms
        )
        period_ms = max(period_ms, 250.0)  # above 240 bpm the model is meaningless
        step_integral = _STEP_S * 1000.0 / period_ms
        if integral + step_integral >= 1.0:
            fraction = (1.0 - integral) / step_integral
            beat_s = t_s + fraction * _STEP_S
            integral = integral + step_integral - 1.0
            detected_s = beat_s + _R_PEAK_JITTER_MS / 1000.0 * normals.draw()
            if started:
                yield SimulatedBeat(
                    detected_s,
                    (detected_s - last_detected_s) * 1000.0,
                    breathing_phase,
                    _vagal_tone_ln(rsa_ms, script[0].rsa_ms),
                )
            started = True
            last_detected_s = detected_s
        else:
            integral += step_integral
        t_s += _STEP_S
