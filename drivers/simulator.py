"""A seeded physiological heart-rate strap: scripted sessions without hardware.

The simulator emits the same typed events as the BLE strap driver (packets about once a second
with 0–3 RR intervals and real Heart Rate Measurement bytes, connection states, contact changes,
signal gaps), so the demo, the tests and the benchmarks drive the whole pipeline without a strap.

The parts
---------
- :mod:`drivers.simulated_heart`: the physiology (a scripted session's true beats);
- :mod:`drivers.simulated_disturbances`: injected artefacts and lost signal;
- :mod:`drivers.simulated_strap`: beats as a strap's notifications and events;
- here: :class:`HeartSimulator`, which puts them together over simulated time, and
  :class:`SimulatedHeartRateSource`, the async source paced by :mod:`drivers.pacing` (the clock
  replay uses too).

The heart model (ECGSYN's sum of sinusoids, IPFM beats, the norms the calm baseline is tuned
to) is described with its sources in :mod:`drivers.simulated_heart`.

The script
----------
A session is a sequence of :class:`Phase` (duration, HR level, RSA amplitude, breathing rate,
LF amplitude, noise), with linear transitions of ``ramp_s`` at each phase start.
:func:`default_session_script` is a scripted imagery-rescripting session; build your own
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
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from drivers.events import ConnectionState, SourceEvent, StateChanged
from drivers.pacing import PacingClock, check_speed
from drivers.simulated_coupling import Coupling, therapist_script
from drivers.simulated_disturbances import Disturbances, InjectedArtefact, detected_beats
from drivers.simulated_heart import (
    RESONANCE_HZ,
    Phase,
    PhaseSpan,
    SimulatedBeat,
    default_session_script,
    heart_beats,
    phase_timeline,
    resonance_gain,
    script_duration_s,
)
from drivers.simulated_strap import strap_events

__all__ = [
    "RESONANCE_HZ",
    "Disturbances",
    "HeartSimulator",
    "InjectedArtefact",
    "Phase",
    "PhaseSpan",
    "SimulatedBeat",
    "SimulatedHeartRateSource",
    "default_session_script",
    "phase_timeline",
    "resonance_gain",
    "script_duration_s",
    "simulated_rr",
]


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
    coupling : Coupling, optional
        This heart follows another's (a therapist in tune with the client; see
        :mod:`drivers.simulated_coupling` and :meth:`therapist_of`).
    vagal_wander_ln : float, optional
        Standard deviation of this heart's slow vagal-tone wander, in log RSA amplitude (0: the
        script's RSA only; :data:`CO_REGULATION_VAGAL_WANDER_LN` in co-regulation sessions).

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
        coupling: Coupling | None = None,
        vagal_wander_ln: float = 0.0,
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
        self.coupling = coupling
        if not 0.0 <= vagal_wander_ln <= 1.0:
            raise ValueError(f"vagal_wander_ln must be within 0-1, got {vagal_wander_ln}")
        self.vagal_wander_ln = float(vagal_wander_ln)
        self.injected: list[InjectedArtefact] = []

    def therapist_of(
        self,
        *,
        strength: float = 0.0,
        lag_s: float = 0.0,
        vagal_strength: float | None = None,
        seed: int | None = None,
        disturbances: Disturbances | None = None,
    ) -> HeartSimulator:
        """A simulated therapist for this (client's) session, coupled to this heart.

        Parameters
        ----------
        strength, lag_s : float
            The coupling (:class:`drivers.simulated_coupling.Coupling`); 0 = independent. The
            therapist's vagal tone wanders as much as this heart's (its own wander, plus the
            coupled share of this heart's).
        vagal_strength : float, optional
            The share of this heart's vagal tone taken on, when it differs from ``strength``.
        seed : int, optional
            The therapist's own seed; by default one derived from this simulator's, so two
            people never share their random fluctuations.
        disturbances : Disturbances, optional
            Artefacts and drop-outs of the therapist's strap.
        """
        return HeartSimulator(
            therapist_script(script_duration_s(self.script)),
            seed=self.seed + 7919 if seed is None else seed,
            disturbances=disturbances,
            notify_interval_s=self.notify_interval_s,
            device_name="Simulated therapist strap",
            coupling=Coupling(self.heart_beats, strength, lag_s, vagal_strength),
            vagal_wander_ln=self.vagal_wander_ln,
        )

    # The heart -----------------------------------------------------------------------------

    def _seeds(self) -> list[np.random.SeedSequence]:
        """The physiology's, the artefacts' and the radio's seeds, from the one seed."""
        return np.random.SeedSequence(self.seed).spawn(3)

    def heart_beats(self) -> Iterator[SimulatedBeat]:
        """True beats of the simulated heart, endless, starting at 0 s (no strap, no artefacts);
        see :func:`drivers.simulated_heart.heart_beats`."""
        physiology_seed, _, _ = self._seeds()
        return self._heart_beats(physiology_seed)

    def _heart_beats(self, physiology_seed: np.random.SeedSequence) -> Iterator[SimulatedBeat]:
        coupling = None if self.coupling is None else self.coupling.term()
        return heart_beats(
            self.script, physiology_seed, self.resonance_hz, coupling, self.vagal_wander_ln
        )

    def true_rr(self, duration_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """This heart's true beat times and RR intervals up to ``duration_s`` (the script's
        duration by default) as arrays; see :func:`simulated_rr`."""
        end_s = script_duration_s(self.script) if duration_s is None else duration_s
        times, intervals = [], []
        for beat in self.heart_beats():
            if beat.t_s > end_s:
                break
            times.append(beat.t_s)
            intervals.append(beat.rr_ms)
        return np.asarray(times), np.asarray(intervals)

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
            What a strap sends, as :func:`drivers.simulated_strap.strap_events` describes.
        """
        end_s = script_duration_s(self.script) if duration_s is None else float(duration_s)
        if not end_s >= 0:
            raise ValueError(f"duration_s must not be negative, got {duration_s}")
        self.injected = []
        physiology_seed, artefact_seed, radio_seed = self._seeds()
        detected = detected_beats(
            self._heart_beats(physiology_seed),
            self.disturbances,
            artefact_seed,
            self.injected,
        )
        return strap_events(
            detected,
            end_s=end_s,
            origin_s=origin_s,
            disturbances=self.disturbances,
            radio_seed=radio_seed,
            notify_interval_s=self.notify_interval_s,
            device_name=self.device_name,
            device_id=str(self.seed),
            resting_hr_bpm=self.script[0].hr_bpm,
        )


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
    return simulator.true_rr(duration_s)


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
    simulator : HeartSimulator, optional
        A simulator built beforehand (a coupled therapist, :meth:`HeartSimulator.therapist_of`);
        ``script``, ``seed``, ``disturbances`` and ``notify_interval_s`` are then ignored.
    """

    script: Sequence[Phase] | None = None
    seed: int = 0
    disturbances: Disturbances | None = None
    notify_interval_s: float = 1.0
    speed: float = 1.0
    duration_s: float | None = None
    clock_origin_s: float | None = None
    simulator: HeartSimulator | None = None
    _stop_requested: asyncio.Event | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        check_speed(self.speed)
        self._heart = self.simulator or HeartSimulator(
            self.script,
            seed=self.seed,
            disturbances=self.disturbances,
            notify_interval_s=self.notify_interval_s,
        )
        # What is paced: the simulator's events (a simulated H10 adds its raw data to them).
        self._events_of: Callable[[float | None, float], Iterator[SourceEvent]] = self._heart.events

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Yield the session's events, sleeping between them according to ``speed``.

        Yields
        ------
        SourceEvent
            The events of :meth:`HeartSimulator.events`; ends with ``StateChanged`` stopped,
            also after :meth:`stop`.
        """
        self._stop_requested = asyncio.Event()
        clock = PacingClock(time.monotonic, self.speed)
        origin_s = time.monotonic() if self.clock_origin_s is None else self.clock_origin_s
        for event in self._events_of(self.duration_s, origin_s):
            if isinstance(event, StateChanged) and event.state is ConnectionState.STOPPED:
                yield event
                return
            delay_s = clock.wait_s(event.arrival_s - origin_s)
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
