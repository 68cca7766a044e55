"""A simulated Polar H10: the simulator's heart-rate packets plus the strap's raw ECG and ACC.

:class:`SimulatedH10` wraps a :class:`drivers.simulator.HeartSimulator`. Besides its Heart Rate
Measurement packets it emits what an H10 streams over Polar Measurement Data
(:mod:`drivers.ble_pmd`):

- :class:`~drivers.events.EcgSamples`, 130 Hz in frames of :data:`ECG_FRAME_SAMPLES` samples
  (the frame size an H10 sends at the default MTU), synthesised around the heart's *true* beats
  by :class:`drivers.simulated_h10.EcgSynthesizer`. An injected ectopic beat is in the ECG as a
  ventricular complex at its premature time (the strap's RR shows it too); a missed or extra
  detection is the strap's error only, so the ECG shows the true beat there, as a real one
  would, and the ECG-verified beats can repair it;
- :class:`~drivers.events.AccSamples`, :data:`ACC_SAMPLE_HZ` in frames of
  :data:`ACC_FRAME_SAMPLES`, a chest tilting with the breathing of the same heart (the RSA's own
  breathing phase, :attr:`drivers.simulated_heart.SimulatedBeat.breath_phase_rad`) plus
  movement bouts (:func:`drivers.simulated_h10.synthesize_acc`).

Frames arrive a few ms after their last sample, on the clock of the packets; during a drop-out
nothing arrives, and without skin contact no ECG either (the electrodes see no heart), while the
accelerometer goes on. :class:`SimulatedH10Source` paces it all with the simulator's clock
(:class:`drivers.simulator.SimulatedHeartRateSource`).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from drivers.events import AccSamples, ConnectionState, EcgSamples, SourceEvent, StateChanged
from drivers.simulated_h10 import ECG_SAMPLE_HZ, EcgSynthesizer, SimulatedAcc, synthesize_acc
from drivers.simulated_heart import script_duration_s
from drivers.simulator import HeartSimulator, SimulatedHeartRateSource

ECG_FRAME_SAMPLES = 73
"""ECG samples per PMD frame of a Polar H10 (at its default MTU: 73 samples, ~0.56 s)."""

ACC_SAMPLE_HZ = 50.0
"""The simulated strap's ACC rate (the H10 offers 25, 50, 100 and 200 Hz)."""

ACC_FRAME_SAMPLES = 25
"""ACC samples per simulated frame (half a second at 50 Hz)."""

DEFAULT_MOVEMENT_BOUTS_S: tuple[tuple[float, float], ...] = (
    (150.0, 160.0),
    (455.0, 467.0),
    (1010.0, 1018.0),
)
"""Spans (s) the simulated client moves in the default session: settling in the chair late in
the baseline, a shift during the imagery, and one in the recovery."""

DEVICE_NAME = "Polar H10 (sim)"

_FRAME_DELAY_S = (0.004, 0.030)  # radio delay after a frame's last sample, as for packets


@dataclass(frozen=True)
class H10Truth:
    """What the simulated H10's raw data was made from (the tests' and benches' truth).

    Attributes
    ----------
    ecg_beat_times_s : numpy.ndarray
        Session times of the R waves in the ECG.
    ecg_ectopic : numpy.ndarray of bool
        Which of them are ventricular ectopic complexes.
    acc : SimulatedAcc
        The whole ACC record, with its true breathing phase
        (:meth:`~drivers.simulated_h10.SimulatedAcc.true_breaths_per_min`).
    """

    ecg_beat_times_s: np.ndarray
    ecg_ectopic: np.ndarray
    acc: SimulatedAcc


class SimulatedH10:
    """A simulated heart seen by a Polar H10 with its raw data on, over simulated time.

    Parameters
    ----------
    simulator : HeartSimulator
        The heart and strap (its packets, artefacts and drop-outs are this strap's).
    movement_bouts_s : sequence of (start_s, end_s), optional
        When the client moves; :data:`DEFAULT_MOVEMENT_BOUTS_S` by default.
    acc_hz : float, optional
        The ACC rate.

    Attributes
    ----------
    truth : H10Truth or None
        Set when :meth:`events` starts.
    """

    def __init__(
        self,
        simulator: HeartSimulator,
        *,
        movement_bouts_s: Sequence[tuple[float, float]] = DEFAULT_MOVEMENT_BOUTS_S,
        acc_hz: float = ACC_SAMPLE_HZ,
    ) -> None:
        self.simulator = simulator
        self.movement_bouts_s = tuple(movement_bouts_s)
        self.acc_hz = float(acc_hz)
        self.truth: H10Truth | None = None

    def events(
        self, duration_s: float | None = None, origin_s: float = 0.0
    ) -> Iterator[SourceEvent]:
        """The session's packets, ECG and ACC frames in arrival order (no sleeping).

        Parameters
        ----------
        duration_s : float, optional
            Simulated seconds; the script's duration by default.
        origin_s : float, optional
            Added to every time (as for :meth:`HeartSimulator.events`).

        Yields
        ------
        SourceEvent
            The simulator's events with ``EcgSamples`` and ``AccSamples`` between them, ending
            with ``StateChanged`` stopped.
        """
        simulator = self.simulator
        end_s = script_duration_s(simulator.script) if duration_s is None else float(duration_s)
        # The strap's events first, whole: they also tell which beats were made ectopic.
        strap = list(simulator.events(end_s, origin_s))
        stopped = strap.pop() if _is_stopped(strap[-1]) else None
        beat_t_s, beat_phase, ectopic = self._ecg_beats(end_s)
        acc = synthesize_acc(
            end_s,
            breaths_per_min=15.0,  # not used: the heart's own breathing phase is given
            seed=simulator.seed + 104729,
            sample_hz=self.acc_hz,
            movement_bouts_s=self.movement_bouts_s,
            beat_times_s=beat_t_s,
            breath_phase_rad=np.interp(
                np.arange(0.0, end_s, 1.0 / self.acc_hz), beat_t_s, beat_phase
            ),
        )
        self.truth = H10Truth(beat_t_s, ectopic, acc)
        radio = np.random.default_rng(simulator.seed + 15485863)
        frames: Iterator[SourceEvent] = heapq.merge(
            self._ecg_frames(end_s, origin_s, beat_t_s, ectopic, radio),
            self._acc_frames(acc, end_s, origin_s, radio),
            key=_arrival_s,
        )
        merged: Iterator[SourceEvent] = heapq.merge(strap, frames, key=_arrival_s)
        yield from merged
        if stopped is not None:
            yield stopped

    def _ecg_beats(self, end_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The R waves of the ECG: the true beats, an injected ectopic in place of the beat it
        came early for."""
        times, phases = [], []
        for beat in self.simulator.heart_beats():
            times.append(beat.t_s)
            phases.append(beat.breath_phase_rad)
            if beat.t_s > end_s + 2.0:
                break
        t_s = np.asarray(times)
        ectopic = np.zeros(t_s.size, bool)
        for artefact in self.simulator.injected:
            if artefact.kind != "ectopic":
                continue
            replaced = int(np.searchsorted(t_s, artefact.t_s))
            if replaced < t_s.size:
                t_s[replaced] = artefact.t_s
                ectopic[replaced] = True
        return t_s, np.asarray(phases), ectopic

    def _lost(self, start_s: float, end_s: float, *, contact_too: bool) -> bool:
        disturbances = self.simulator.disturbances
        windows = list(disturbances.dropouts)
        if contact_too:
            windows += list(disturbances.contact_loss)
        return any(a < end_s and start_s < b for a, b in windows)

    def _ecg_frames(
        self,
        end_s: float,
        origin_s: float,
        beat_t_s: np.ndarray,
        ectopic: np.ndarray,
        radio: np.random.Generator,
    ) -> Iterator[EcgSamples]:
        synthesizer = EcgSynthesizer(seed=self.simulator.seed + 7)
        period_s = ECG_FRAME_SAMPLES / ECG_SAMPLE_HZ
        first = 0
        while (first + ECG_FRAME_SAMPLES) / ECG_SAMPLE_HZ <= end_s:
            t_s = (first + np.arange(ECG_FRAME_SAMPLES)) / ECG_SAMPLE_HZ
            # Synthesised even when not sent, so the noise stream does not depend on the gaps.
            ecg_uv = synthesizer.samples(t_s, beat_t_s, ectopic)
            first += ECG_FRAME_SAMPLES
            if self._lost(t_s[0], t_s[0] + period_s, contact_too=True):
                continue
            yield EcgSamples(
                arrival_s=origin_s + float(t_s[-1] + radio.uniform(*_FRAME_DELAY_S)),
                start_s=origin_s + float(t_s[0]),
                sample_hz=ECG_SAMPLE_HZ,
                ecg_uv=tuple(int(v) for v in np.rint(ecg_uv)),
            )

    def _acc_frames(
        self, acc: SimulatedAcc, end_s: float, origin_s: float, radio: np.random.Generator
    ) -> Iterator[AccSamples]:
        mg = np.rint(acc.acc_mg).astype(int)
        for first in range(0, acc.t_s.size - ACC_FRAME_SAMPLES + 1, ACC_FRAME_SAMPLES):
            t_s = acc.t_s[first : first + ACC_FRAME_SAMPLES]
            if t_s[-1] > end_s or self._lost(t_s[0], t_s[-1], contact_too=False):
                continue
            yield AccSamples(
                arrival_s=origin_s + float(t_s[-1] + radio.uniform(*_FRAME_DELAY_S)),
                start_s=origin_s + float(t_s[0]),
                sample_hz=acc.sample_hz,
                acc_mg=tuple(
                    (int(x), int(y), int(z)) for x, y, z in mg[first : first + ACC_FRAME_SAMPLES]
                ),
            )


def _arrival_s(event: SourceEvent) -> float:
    return event.arrival_s


def _is_stopped(event: SourceEvent) -> bool:
    return isinstance(event, StateChanged) and event.state is ConnectionState.STOPPED


@dataclass
class SimulatedH10Source(SimulatedHeartRateSource):
    """The simulated H10 as an async source, paced like :class:`SimulatedHeartRateSource`.

    Parameters
    ----------
    script, seed, disturbances, notify_interval_s, speed, duration_s, clock_origin_s
        As for :class:`~drivers.simulator.SimulatedHeartRateSource`.
    movement_bouts_s
        As for :class:`SimulatedH10`.
    """

    movement_bouts_s: tuple[tuple[float, float], ...] = DEFAULT_MOVEMENT_BOUTS_S

    def __post_init__(self) -> None:
        heart = self.simulator or HeartSimulator(
            self.script,
            seed=self.seed,
            disturbances=self.disturbances,
            notify_interval_s=self.notify_interval_s,
            device_name=DEVICE_NAME,
        )
        self.simulator = heart
        super().__post_init__()
        self.h10 = SimulatedH10(heart, movement_bouts_s=self.movement_bouts_s)
        self._events_of = self.h10.events
