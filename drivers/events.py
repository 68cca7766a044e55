"""The typed events every heart-rate source emits.

Times named ``*_s`` are seconds on the host's monotonic clock (``time.monotonic()``) for live
sources, or on the simulated/replayed clock for the simulator and replay. Arrival time is when the
host received a notification; it is *not* a beat time (see :mod:`drivers.beat_clock`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class HeartRatePacket:
    """One Heart Rate Measurement notification (characteristic 0x2A37), parsed.

    Attributes
    ----------
    arrival_s : float
        Host time the notification arrived.
    hr_bpm : int
        Heart rate the strap reports (its own averaging; not used for HRV).
    rr_ms : tuple of float
        RR intervals carried by this packet, oldest first, converted from 1/1024 s without
        rounding. Zero to nine of them.
    contact : bool or None
        Sensor contact detected; ``None`` when the strap does not support contact detection.
    energy_kj : int or None
        Cumulative energy expended, when present.
    raw : bytes
        The notification payload exactly as received (stored so a replay can re-parse it).
    """

    arrival_s: float
    hr_bpm: int
    rr_ms: tuple[float, ...] = ()
    contact: bool | None = None
    energy_kj: int | None = None
    raw: bytes = b""


@dataclass(frozen=True, slots=True)
class Beat:
    """One heartbeat with its reconstructed time (see :class:`drivers.beat_clock.BeatClock`).

    Attributes
    ----------
    t_s : float
        Reconstructed time of the beat (the R wave that ends ``rr_ms``), on the same clock as
        arrival times. Never later than ``arrival_s``.
    rr_ms : float
        The RR interval that ends at this beat, in ms, exactly as the strap reported it.
    arrival_s : float
        Arrival time of the notification that carried this RR interval.
    reanchored : bool
        True when ``t_s`` was set from the arrival time rather than from the previous beat plus
        ``rr_ms`` (first beat, after a gap, or after a drift correction): the time from the
        previous beat to this one is then *not* ``rr_ms``.
    """

    t_s: float
    rr_ms: float
    arrival_s: float
    reanchored: bool = False


class ConnectionState(StrEnum):
    """Where a source's link to its device stands."""

    SCANNING = "scanning"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    LOST = "lost"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The source's connection state changed; ``detail`` says why in plain words."""

    arrival_s: float
    state: ConnectionState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BatteryLevel:
    """Battery level read or notified by the device, in percent."""

    arrival_s: float
    percent: int


@dataclass(frozen=True, slots=True)
class ContactChanged:
    """Skin contact appeared or went away (only sent on change)."""

    arrival_s: float
    contact: bool


@dataclass(frozen=True, slots=True)
class SignalGap:
    """No beats could be received between ``start_s`` and ``end_s`` (a drop-out).

    Sent when the signal returns. Consumers must treat the span as missing data, never bridge
    it by interpolation.
    """

    start_s: float
    end_s: float
    reason: str = ""

    @property
    def arrival_s(self) -> float:
        return self.end_s


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What is known about the connected device."""

    arrival_s: float
    name: str
    address: str
    body_sensor_location: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EcgSamples:
    """A run of ECG samples from the strap's raw-data stream (Polar Measurement Data, PMD).

    Attributes
    ----------
    arrival_s : float
        Host time the data frame arrived.
    start_s : float
        Time of the first sample on the same clock as ``arrival_s``, mapped from the strap's
        sample clock (:class:`drivers.pmd.StrapClock`); sample ``i`` is at
        ``start_s + i / sample_hz``.
    sample_hz : float
        Sampling rate (130 Hz on the Polar H10).
    ecg_uv : tuple of int
        The samples in microvolts, oldest first.
    raw : bytes
        The PMD data frame exactly as received, when it came from a strap.
    """

    arrival_s: float
    start_s: float
    sample_hz: float
    ecg_uv: tuple[int, ...]
    raw: bytes = b""

    def times_s(self) -> tuple[float, ...]:
        """Each sample's time, on the clock of ``start_s``."""
        return tuple(self.start_s + i / self.sample_hz for i in range(len(self.ecg_uv)))


@dataclass(frozen=True, slots=True)
class AccSamples:
    """A run of three-axis acceleration samples from the strap's raw-data stream (PMD).

    Attributes
    ----------
    arrival_s : float
        Host time the data frame arrived.
    start_s : float
        Time of the first sample (as for :class:`EcgSamples`).
    sample_hz : float
        Sampling rate (25, 50, 100 or 200 Hz on the Polar H10).
    acc_mg : tuple of (int, int, int)
        X, Y, Z acceleration per sample in milli-g, oldest first.
    raw : bytes
        The PMD data frame exactly as received, when it came from a strap.
    """

    arrival_s: float
    start_s: float
    sample_hz: float
    acc_mg: tuple[tuple[int, int, int], ...]
    raw: bytes = b""

    def times_s(self) -> tuple[float, ...]:
        """Each sample's time, on the clock of ``start_s``."""
        return tuple(self.start_s + i / self.sample_hz for i in range(len(self.acc_mg)))


SourceEvent = (
    HeartRatePacket
    | StateChanged
    | BatteryLevel
    | ContactChanged
    | SignalGap
    | DeviceInfo
    | EcgSamples
    | AccSamples
)
"""Anything a source can emit."""
