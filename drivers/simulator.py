"""A seeded physiological heart-rate strap: scripted sessions without hardware.

The simulator emits the same typed events as the BLE strap driver (packets about once a second
with 0–3 RR intervals and real Heart Rate Measurement bytes, connection states, contact changes,
signal gaps), so the demo, the tests and the benchmarks drive the whole pipeline without a strap.

The heart model
---------------
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
- ``noise`` — 1/f-like fluctuations, a sum of Ornstein–Uhlenbeck processes with log-spaced time
  constants (1–64 s), which approximates a 1/f spectrum over that band (Kaulakys 1999).

Beats come from integral pulse frequency modulation (IPFM; Mateo & Laguna 2003, IEEE Trans
Biomed Eng 50:334): a beat fires each time the integral of ``1 / T(t)`` reaches one, so the RR
series is the heart period sampled by the heart itself. Each detected beat time then gets a few
ms of R-peak jitter, as a strap's detector would.

Norms the calm baseline is tuned to (Nunan et al. 2010, Pacing Clin Electrophysiol 33:1407):
mean RR 926 ± 90 ms, SDNN 50 ± 16 ms, RMSSD 42 ± 15 ms over 5 minutes at rest.

The script
----------
A session is a sequence of :class:`Phase` (duration, HR level, RSA amplitude, breathing rate,
LF amplitude, noise), with linear transitions of ``ramp_s`` at each phase start.
:func:`default_session_script` is the imagery-rescripting session of DESIGN.md; build your own
the same way::

    edge = [
        Phase("baseline", 120, hr_bpm=66, rsa_ms=32, breathing_per_min=14, lf_ms=28),
        Phase("edge", 300, hr_bpm=84, rsa_ms=16, breathing_per_min=17, lf_ms=18, ramp_s=60),
        Phase("paced", 180, hr_bpm=66, rsa_ms=32, breathing_per_min=6, lf_ms=28, paced=True),
    ]
    for event in HeartSimulator(edge, seed=3).events():
        ...

:func:`phase_timeline` tells when each phase starts and ends.

Disturbances
------------
:class:`Disturbances` injects ectopic, missed and extra beats (rates per beat), contact loss and
drop-outs (time windows). Both forms, :meth:`HeartSimulator.events` (synchronous, simulated
time, no sleeping) and :class:`SimulatedHeartRateSource` (async, paced by ``speed``), use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from drivers.events import (
    BatteryLevel,
    ConnectionState,
    DeviceInfo,
    SignalGap,
    SourceEvent,
    StateChanged,
)
from drivers.hrs import (
    ContactTracker,
    encode_heart_rate_measurement,
    parse_heart_rate_measurement,
)

REFERENCE_BREATHING_HZ = 0.25
"""Breathing rate at which a phase's ``rsa_ms`` is defined (15 breaths/min)."""
RESONANCE_HZ = 0.1
"""Baroreflex resonance frequency (Vaschillo 2002: 0.075–0.11 Hz across adults)."""
RESONANCE_Q = 1.5
"""Sharpness of the resonance: 6/min breathing gives ~3.3x the RSA of 15/min breathing."""

_STEP_S = 0.05  # IPFM integration step; the fastest component (breathing) is < 0.6 Hz
_NOISE_TAUS_S = (1.0, 4.0, 16.0, 64.0)
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
    """The imagery-rescripting session of DESIGN.md, about 21 minutes.

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
class Disturbances:
    """Artefacts and signal problems to inject into a simulated session.

    Attributes
    ----------
    ectopic_rate : float
        Fraction of beats replaced by a premature beat plus compensatory pause (short RR, then
        long RR, same sum).
    missed_rate : float
        Fraction of beats the detector misses (two RR merged into one long RR).
    extra_rate : float
        Fraction of RR intervals split in two by a spurious detection.
    contact_loss : tuple of (start_s, end_s)
        Windows (seconds from session start) without skin contact: packets say "no contact",
        carry HR 0 and no RR.
    dropouts : tuple of (start_s, end_s)
        Windows during which the link is down: no packets at all, then a ``SignalGap``.
    """

    ectopic_rate: float = 0.0
    missed_rate: float = 0.0
    extra_rate: float = 0.0
    contact_loss: tuple[tuple[float, float], ...] = ()
    dropouts: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        for name in ("ectopic_rate", "missed_rate", "extra_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 0.5:
                raise ValueError(f"{name} must be between 0 and 0.5, got {rate}")
        for name in ("contact_loss", "dropouts"):
            for window in getattr(self, name):
                if len(window) != 2 or not 0 <= window[0] < window[1]:
                    raise ValueError(f"{name} window {window} must be (start_s, end_s), start<end")


@dataclass(frozen=True, slots=True)
class InjectedArtefact:
    """Ground truth of one injected artefact: the detected beat it affects and its kind."""

    t_s: float
    kind: str  # "ectopic", "missed" or "extra"


@dataclass(frozen=True, slots=True)
class SimulatedBeat:
    """A beat of the simulated heart (ground truth, before the strap sees it)."""

    t_s: float
    rr_ms: float


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


def _mix(a: float, b: float, weight: float) -> float:
    return a + (b - a) * weight


class HeartSimulator:
    """A seeded simulated heart and strap; see the module docstring for the model.

    Parameters
    ----------
    script : sequence of Phase, optional
        The session script; :func:`default_session_script` by default. After the last phase
        the simulation holds its values.
    seed : int, optional
        Seed of every random choice: same seed, same session, event for event.
    disturbances : Disturbances, optional
        Artefacts, contact loss and drop-outs to inject.
    notify_interval_s : float, optional
        Time between notifications (straps send about one per second).
    device_name : str, optional
        Name reported in ``DeviceInfo``.
    resonance_hz : float, optional
        This person's baroreflex resonance frequency (default :data:`RESONANCE_HZ`, 0.1 Hz =
        6 breaths/min). It centres the resonance gain of the RSA and sets the Mayer-wave (LF)
        frequency, which is the same baroreflex loop (Vaschillo et al. 2002). Adults range over
        about 0.075–0.11 Hz (4.5–6.5 breaths/min).

    Attributes
    ----------
    injected : list of InjectedArtefact
        Filled while :meth:`events` runs: the artefacts injected so far (ground truth).
    """

    def __init__(
        self,
        script: Sequence[Phase] | None = None,
        *,
        seed: int = 0,
        disturbances: Disturbances | None = None,
        notify_interval_s: float = 1.0,
        device_name: str = "Simulated strap",
        resonance_hz: float = RESONANCE_HZ,
    ) -> None:
        if not 0.03 <= resonance_hz <= 0.2:
            raise ValueError(f"resonance_hz must be within 0.03-0.2 Hz, got {resonance_hz}")
        self.resonance_hz = float(resonance_hz)
        self.script = tuple(script) if script is not None else default_session_script()
        if not self.script:
            raise ValueError("a script needs at least one phase")
        if not notify_interval_s > 0:
            raise ValueError(f"notify_interval_s must be positive, got {notify_interval_s}")
        self.seed = int(seed)
        self.disturbances = disturbances if disturbances is not None else Disturbances()
        self.notify_interval_s = float(notify_interval_s)
        self.device_name = device_name
        self.injected: list[InjectedArtefact] = []

    # The heart -----------------------------------------------------------------------------

    def heart_beats(self) -> Iterator[SimulatedBeat]:
        """True beats of the simulated heart, endless, starting at 0 s (no strap, no artefacts).

        Yields
        ------
        SimulatedBeat
            Beat time and the RR interval ending at it.
        """
        physiology_seed, _, _ = np.random.SeedSequence(self.seed).spawn(3)
        normals = _Normals(np.random.default_rng(physiology_seed))
        noise = [_OrnsteinUhlenbeck(tau, _STEP_S, normals) for tau in _NOISE_TAUS_S]
        breathing_wander = _OrnsteinUhlenbeck(20.0, _STEP_S, normals)
        lf_wander = _OrnsteinUhlenbeck(30.0, _STEP_S, normals)
        lf_amplitude_wander = _OrnsteinUhlenbeck(15.0, _STEP_S, normals)
        breathing_phase = 2 * math.pi * float(normals.draw())
        lf_phase = 2 * math.pi * float(normals.draw())
        noise_scale = 1.0 / math.sqrt(len(noise))

        t_s = 0.0
        integral = 0.5 + 0.1 * normals.draw()  # start mid-cycle, not on a beat
        last_detected_s = 0.0
        started = False
        while True:
            before, weight, after = _interpolated(self.script, t_s)
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
            lf_hz = self.resonance_hz * (1.0 + 0.08 * lf_wander.step())
            lf_phase += 2 * math.pi * lf_hz * _STEP_S
            lf_gain = max(0.0, 1.0 + 0.3 * lf_amplitude_wander.step())
            fluctuation = sum(process.step() for process in noise) * noise_scale

            period_ms = (
                60000.0 / hr_bpm
                + rsa_ms
                * resonance_gain(breathing_hz, self.resonance_hz)
                * math.sin(breathing_phase)
                + lf_ms * lf_gain * math.sin(lf_phase)
                + noise_ms * fluctuation
            )
            period_ms = max(period_ms, 250.0)  # above 240 bpm the model is meaningless
            step_integral = _STEP_S * 1000.0 / period_ms
            if integral + step_integral >= 1.0:
                fraction = (1.0 - integral) / step_integral
                beat_s = t_s + fraction * _STEP_S
                integral = integral + step_integral - 1.0
                detected_s = beat_s + _R_PEAK_JITTER_MS / 1000.0 * normals.draw()
                if started:
                    yield SimulatedBeat(detected_s, (detected_s - last_detected_s) * 1000.0)
                started = True
                last_detected_s = detected_s
            else:
                integral += step_integral
            t_s += _STEP_S

    def _detected_beats(self) -> Iterator[SimulatedBeat]:
        """Beats as the strap's detector reports them: heart beats plus injected artefacts."""
        _, artefact_seed, _ = np.random.SeedSequence(self.seed).spawn(3)
        rng = np.random.default_rng(artefact_seed)
        rates = self.disturbances
        carry_ms = 0.0  # time added to the next RR by an ectopic or a missed beat
        for beat in self.heart_beats():
            rr_ms = beat.rr_ms + carry_ms
            carry_ms = 0.0
            roll = rng.random()
            if roll < rates.missed_rate:
                # Beat not detected: its RR is folded into the next one.
                carry_ms = rr_ms
                self.injected.append(InjectedArtefact(beat.t_s, "missed"))
                continue
            roll -= rates.missed_rate
            if roll < rates.ectopic_rate:
                # Premature beat at 55–75 % of the RR, then the compensatory pause.
                prematurity = rng.uniform(0.55, 0.75)
                early_ms = rr_ms * prematurity
                early_s = beat.t_s - (rr_ms - early_ms) / 1000.0
                self.injected.append(InjectedArtefact(early_s, "ectopic"))
                yield SimulatedBeat(early_s, early_ms)
                carry_ms = rr_ms - early_ms
                continue
            roll -= rates.ectopic_rate
            if roll < rates.extra_rate:
                split = rng.uniform(0.3, 0.7)
                first_ms = rr_ms * split
                extra_s = beat.t_s - (rr_ms - first_ms) / 1000.0
                self.injected.append(InjectedArtefact(extra_s, "extra"))
                yield SimulatedBeat(extra_s, first_ms)
                yield SimulatedBeat(beat.t_s, rr_ms - first_ms)
                continue
            yield SimulatedBeat(beat.t_s, rr_ms)

    # The strap -----------------------------------------------------------------------------

    def events(
        self, duration_s: float | None = None, origin_s: float = 0.0
    ) -> Iterator[SourceEvent]:
        """The session as source events, over simulated time (no sleeping).

        Parameters
        ----------
        duration_s : float, optional
            Simulated seconds to run; the script's duration by default.
        origin_s : float, optional
            Added to every time, so the session can start at any clock value.

        Yields
        ------
        SourceEvent
            ``StateChanged`` connecting/connected, ``DeviceInfo``, ``BatteryLevel``, then packets
            about once per ``notify_interval_s`` with ``ContactChanged``, ``SignalGap`` and
            lost/reconnecting/connected states where disturbances ask for them, and finally
            ``StateChanged`` stopped.
        """
        end_s = script_duration_s(self.script) if duration_s is None else float(duration_s)
        if not end_s >= 0:
            raise ValueError(f"duration_s must not be negative, got {duration_s}")
        self.injected = []
        _, _, radio_seed = np.random.SeedSequence(self.seed).spawn(3)
        radio = np.random.default_rng(radio_seed)
        contact_loss = sorted(self.disturbances.contact_loss)
        dropouts = sorted(self.disturbances.dropouts)

        def within(windows: list[tuple[float, float]], t_s: float) -> tuple[float, float] | None:
            for window in windows:
                if window[0] <= t_s < window[1]:
                    return window
            return None

        yield StateChanged(origin_s, ConnectionState.CONNECTING, "simulated strap")
        yield DeviceInfo(
            origin_s,
            name=self.device_name,
            address=f"SIM-{self.seed}",
            body_sensor_location="Chest",
            extra={"simulated": "true", "seed": str(self.seed)},
        )
        yield BatteryLevel(origin_s, 100)
        yield StateChanged(origin_s, ConnectionState.CONNECTED, "simulated strap")

        beats = self._detected_beats()
        pending = next(beats)
        recent_rr_ms: list[float] = []
        contact_tracker = ContactTracker()
        link_down: tuple[float, float] | None = None
        gap_start_s: float | None = None
        last_arrival_s: float | None = None
        notify_s = self.notify_interval_s
        while notify_s <= end_s:
            dropout = within(dropouts, notify_s)
            if dropout is not None:
                if link_down is None:
                    link_down = dropout
                    gap_start_s = last_arrival_s if last_arrival_s is not None else dropout[0]
                    yield StateChanged(
                        origin_s + dropout[0], ConnectionState.LOST, "simulated drop-out"
                    )
                    yield StateChanged(
                        origin_s + dropout[0], ConnectionState.RECONNECTING, "attempt 1"
                    )
            elif link_down is not None:
                yield StateChanged(
                    origin_s + link_down[1], ConnectionState.CONNECTED, "simulated strap back"
                )

            # Beats up to this notification, dropped when the strap could not see or send them.
            rr_ms: list[float] = []
            while pending.t_s <= notify_s:
                started_s = pending.t_s - pending.rr_ms / 1000.0
                lost = (
                    dropout is not None
                    or within(contact_loss, pending.t_s) is not None
                    or within(contact_loss, started_s) is not None
                    or (link_down is not None and started_s < link_down[1])
                )
                if not lost:
                    rr_ms.append(pending.rr_ms)
                recent_rr_ms = [*recent_rr_ms, pending.rr_ms][-4:]
                pending = next(beats)
            if dropout is not None:
                notify_s += self.notify_interval_s
                continue
            link_down = None

            arrival_s = origin_s + notify_s + float(radio.uniform(0.004, 0.030))
            touching = within(contact_loss, notify_s) is None
            if touching:
                # The strap's own HR: an average over its last few detections.
                hr_bpm = (
                    round(60000.0 / (sum(recent_rr_ms) / len(recent_rr_ms)))
                    if recent_rr_ms
                    else round(self.script[0].hr_bpm)
                )
                raw = encode_heart_rate_measurement(min(hr_bpm, 255), rr_ms, contact=True)
            else:
                raw = encode_heart_rate_measurement(0, (), contact=False)
            packet = parse_heart_rate_measurement(raw, arrival_s)

            if gap_start_s is not None:
                lost_since_s = contact_tracker.take_lost_since()
                if lost_since_s is not None:
                    gap_start_s = min(gap_start_s, lost_since_s)
                yield SignalGap(gap_start_s, arrival_s, "simulated drop-out")
                gap_start_s = None
            yield from contact_tracker.update(packet)
            yield packet
            last_arrival_s = arrival_s
            notify_s += self.notify_interval_s
        stopped_s = max(origin_s + end_s, last_arrival_s or origin_s)
        yield StateChanged(stopped_s, ConnectionState.STOPPED, "end of simulated session")


def simulated_rr(
    script: Sequence[Phase] | None = None,
    *,
    seed: int = 0,
    duration_s: float | None = None,
    resonance_hz: float = RESONANCE_HZ,
) -> tuple[np.ndarray, np.ndarray]:
    """The simulated heart's beat times and RR intervals as arrays (no strap, no artefacts).

    Parameters
    ----------
    script : sequence of Phase, optional
        The session script; :func:`default_session_script` by default.
    seed : int, optional
        Random seed.
    duration_s : float, optional
        Simulated seconds; the script's duration by default.
    resonance_hz : float, optional
        The simulated person's baroreflex resonance (see :class:`HeartSimulator`).

    Returns
    -------
    (t_s, rr_ms) : tuple of numpy arrays
        Beat times in seconds from the session start and the RR intervals ending at them.
    """
    simulator = HeartSimulator(script, seed=seed, resonance_hz=resonance_hz)
    end_s = script_duration_s(simulator.script) if duration_s is None else duration_s
    times, intervals = [], []
    for beat in simulator.heart_beats():
        if beat.t_s > end_s:
            break
        times.append(beat.t_s)
        intervals.append(beat.rr_ms)
    return np.asarray(times), np.asarray(intervals)


@dataclass
class SimulatedHeartRateSource:
    """The simulator as an async source, same shape as :class:`drivers.ble.BleHeartRateSource`.

    Parameters
    ----------
    script, seed, disturbances, notify_interval_s
        As for :class:`HeartSimulator`.
    speed : float, optional
        Simulated seconds per wall-clock second; ``math.inf`` runs as fast as possible.
    duration_s : float, optional
        Simulated seconds to run; the script's duration by default.
    clock_origin_s : float, optional
        Clock value of the session start. By default ``time.monotonic()`` when
        :meth:`events` starts, so at ``speed=1`` event times are host monotonic times like the
        BLE source's; at other speeds they are simulated time from that origin.
    """

    script: Sequence[Phase] | None = None
    seed: int = 0
    disturbances: Disturbances | None = None
    notify_interval_s: float = 1.0
    speed: float = 1.0
    duration_s: float | None = None
    clock_origin_s: float | None = None
    _stop_requested: asyncio.Event | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError(f"speed must be positive, got {self.speed}")
        self.simulator = HeartSimulator(
            self.script,
            seed=self.seed,
            disturbances=self.disturbances,
            notify_interval_s=self.notify_interval_s,
        )

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Yield the session's events, sleeping between them according to ``speed``.

        Yields
        ------
        SourceEvent
            The events of :meth:`HeartSimulator.events`; ends with ``StateChanged`` stopped,
            also after :meth:`stop`.
        """
        self._stop_requested = asyncio.Event()
        wall_origin_s = time.monotonic()
        origin_s = wall_origin_s if self.clock_origin_s is None else self.clock_origin_s
        for event in self.simulator.events(self.duration_s, origin_s):
            if isinstance(event, StateChanged) and event.state is ConnectionState.STOPPED:
                yield event
                return
            due_s = wall_origin_s + (event.arrival_s - origin_s) / self.speed
            delay_s = due_s - time.monotonic()
            if delay_s > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop_requested.wait(), timeout=delay_s)
            else:
                await asyncio.sleep(0)  # stay cooperative at speed=inf
            if self._stop_requested.is_set():
                yield StateChanged(event.arrival_s, ConnectionState.STOPPED, "stopped")
                return
            yield event

    async def stop(self) -> None:
        """Ask :meth:`events` to finish; it yields ``StateChanged`` stopped and ends."""
        if self._stop_requested is not None:
            self._stop_requested.set()
