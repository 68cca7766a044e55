"""Polar Measurement Data (PMD): the Polar H10's raw ECG and accelerometer stream, as bytes.

Pure protocol code: commands to write on the PMD control point, parsers for its responses and
for the frames of the data characteristic, and the mapping of the strap's sample clock onto the
host's clock. No bleak, no I/O; :mod:`drivers.ble` does the talking.

Sources (read, not copied): Polar's "Polar Measurement Data Specification for 3rd Party"
(polar-ble-sdk, ``technical_documentation/Polar_Measurement_Data_Specification.pdf``); Polar's
SDK sources (polarofficial/polar-ble-sdk, Android ``BlePMDClient.kt``, ``PmdDataFrame.kt``,
``PmdSetting.kt``, ``PmdControlPointResponse.kt``, ``model/EcgData.kt``, ``model/AccData.kt``,
``model/PmdTimeStampUtils.kt``); bleakheart (fsmeraldi/bleakheart, ``PolarMeasurementData``,
MPL-2.0).

The protocol
------------
Service ``FB005C80-02E7-F387-1CAD-8ACD2D8DF0C8`` has a control point (``...5C81``: read, write,
indicate) and a data characteristic (``...5C82``: notify). All integers are little-endian.

- **Features**: reading the control point gives ``0x0F`` then a bit mask of the measurement
  types the device offers (bit 0 ECG, 1 PPG, 2 ACC, 3 PPI, 5 gyroscope, 6 magnetometer).
- **Commands** (written on the control point): ``[op, type, settings...]`` with op ``0x01``
  get settings, ``0x02`` start, ``0x03`` stop. A setting is ``[setting type, count, value]``:
  sample rate (type 0, uint16, Hz), resolution (1, uint16, bits), range (2, uint16, ±G),
  range in milli-units (3, uint32), channels (4, uint8), factor (5, float32: only in answers).
- **Responses** (indicated on the control point): ``0xF0, op, type, status, more,
  parameters...``; status 0 is success, 1–14 are the errors in :data:`STATUS_MESSAGES`. The
  parameters of a get-settings answer are settings with all allowed values; a start answer
  may carry the FACTOR that scales compressed samples.
- **Data frames** (notified on the data characteristic): ``type (1 byte), timestamp (uint64,
  ns), frame type (1 byte), samples``. Bit 7 of the frame type marks a delta-compressed frame;
  bits 0–6 are the frame type proper. The timestamp is the time of the **last** sample of the
  frame, in ns since 2000-01-01T00:00:00 (the Polar epoch) when the strap's clock was set, else
  since an arbitrary point: only its differences are used here.

  - ECG, frame type 0: samples of 3 bytes, signed, µV (the H10: 130 Hz).
  - ACC raw, frame types 0, 1, 2: x, y, z of 1, 2 or 3 bytes each, signed, mG.
  - ACC delta-compressed, frame types 0x80 and 0x81: one reference sample (x, y, z as 16-bit
    signed), then blocks of ``[delta bits, sample count]`` followed by ``count`` samples of
    bit-packed signed deltas (``delta bits`` per axis, x y z per sample, least significant bit
    first, the block padded to whole bytes); each sample is the previous one plus its deltas.
    The values are multiplied by the start answer's FACTOR: to mG for 0x81, and to G (hence
    × 1000 for mG) for 0x80, as Polar's SDK does.

Anything that does not follow this raises :class:`PmdError` with one line saying what; no other
exception escapes the parsers (``tests/drivers/test_pmd.py`` fuzzes them).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

PMD_SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_POINT_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

POLAR_EPOCH_UNIX_S = 946_684_800
"""2000-01-01T00:00:00 UTC in Unix seconds: the zero of a set PMD timestamp."""

ECG_SAMPLE_HZ = 130
"""The H10's only ECG rate."""
ECG_RESOLUTION_BITS = 14
ACC_RESOLUTION_BITS = 16
ACC_SAMPLE_RATES_HZ = (25, 50, 100, 200)
"""The H10's accelerometer rates."""
ACC_RANGES_G = (2, 4, 8)

_FEATURES_READ = 0x0F
_RESPONSE = 0xF0
_HEADER_BYTES = 10
_COMPRESSED_BIT = 0x80
_ACC_AXES = 3


class PmdError(ValueError):
    """A PMD message that does not follow the protocol, or a refusal: one line, plain words."""


class MeasurementType(IntEnum):
    """PMD measurement types (the first byte of commands and frames)."""

    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAG = 6


class ControlOp(IntEnum):
    """Control-point operations."""

    GET_SETTINGS = 1
    START = 2
    STOP = 3


class SettingType(IntEnum):
    """Setting types in commands and answers."""

    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5


_SETTING_BYTES = {
    SettingType.SAMPLE_RATE: 2,
    SettingType.RESOLUTION: 2,
    SettingType.RANGE: 2,
    SettingType.RANGE_MILLIUNIT: 4,
    SettingType.CHANNELS: 1,
    SettingType.FACTOR: 4,
}

STATUS_MESSAGES = {
    1: "invalid op code",
    2: "invalid measurement type",
    3: "not supported",
    4: "invalid length",
    5: "invalid parameter",
    6: "already in that state",
    7: "invalid resolution",
    8: "invalid sample rate",
    9: "invalid range",
    10: "invalid MTU",
    11: "invalid number of channels",
    12: "invalid state",
    13: "the strap is in its charger",
    14: "disk full",
}
"""Control-point status codes (PmdControlPointResponse.kt; bleakheart ``error_msgs``)."""

_MEASUREMENT_NAMES = {
    MeasurementType.ECG: "ECG",
    MeasurementType.PPG: "PPG",
    MeasurementType.ACC: "accelerometer",
    MeasurementType.PPI: "PPI",
    MeasurementType.GYRO: "gyroscope",
    MeasurementType.MAG: "magnetometer",
}
_OP_NAMES = {
    ControlOp.GET_SETTINGS: "read settings",
    ControlOp.START: "start",
    ControlOp.STOP: "stop",
}


def measurement_name(measurement: int) -> str:
    """Plain name of a measurement type (``"ECG"``, ``"accelerometer"``, ``"type 9"``)."""
    try:
        return _MEASUREMENT_NAMES[MeasurementType(measurement)]
    except ValueError:
        return f"type {measurement}"


# -- features and commands --------------------------------------------------------------------


def parse_features(data: bytes | bytearray) -> frozenset[MeasurementType]:
    """The measurement types a device offers, from a read of the control point.

    Parameters
    ----------
    data : bytes
        The value read: ``0x0F`` then the feature bit mask (bit n = measurement type n).

    Returns
    -------
    frozenset of MeasurementType

    Raises
    ------
    PmdError
        Too short, or not a feature read.
    """
    if len(data) < 2 or data[0] != _FEATURES_READ:
        raise PmdError(f"the PMD feature read is not 0x0F + mask: {bytes(data[:8]).hex()}")
    mask = data[1]
    return frozenset(m for m in MeasurementType if mask & (1 << m.value))


def get_settings_command(measurement: MeasurementType) -> bytes:
    """Ask which settings (rates, resolutions, ranges) a measurement allows."""
    return bytes([ControlOp.GET_SETTINGS, measurement])


def stop_command(measurement: MeasurementType) -> bytes:
    """Stop streaming one measurement."""
    return bytes([ControlOp.STOP, measurement])


def _setting(kind: SettingType, value: int) -> bytes:
    size = _SETTING_BYTES[kind]
    if not 0 <= value < 1 << (8 * size):
        raise PmdError(f"{kind.name.lower()} {value} does not fit the PMD setting")
    return bytes([kind, 1]) + value.to_bytes(size, "little")


def start_ecg_command(
    sample_hz: int = ECG_SAMPLE_HZ, resolution_bits: int = ECG_RESOLUTION_BITS
) -> bytes:
    """Start ECG streaming: ``02 00 00 01 82 00 01 01 0E 00`` for the H10's 130 Hz, 14 bits."""
    return (
        bytes([ControlOp.START, MeasurementType.ECG])
        + _setting(SettingType.SAMPLE_RATE, sample_hz)
        + _setting(SettingType.RESOLUTION, resolution_bits)
    )


def start_acc_command(
    sample_hz: int = 200, range_g: int = 8, resolution_bits: int = ACC_RESOLUTION_BITS
) -> bytes:
    """Start accelerometer streaming at ``sample_hz`` (25–200 Hz) and ±``range_g`` G.

    Raises
    ------
    PmdError
        A rate or range the H10 does not offer.
    """
    if sample_hz not in ACC_SAMPLE_RATES_HZ:
        raise PmdError(f"accelerometer rate {sample_hz} Hz: the H10 offers {ACC_SAMPLE_RATES_HZ}")
    if range_g not in ACC_RANGES_G:
        raise PmdError(f"accelerometer range ±{range_g} G: the H10 offers {ACC_RANGES_G}")
    return (
        bytes([ControlOp.START, MeasurementType.ACC])
        + _setting(SettingType.SAMPLE_RATE, sample_hz)
        + _setting(SettingType.RESOLUTION, resolution_bits)
        + _setting(SettingType.RANGE, range_g)
    )


# -- control-point responses ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ControlResponse:
    """One control-point response (``F0 op type status more parameters...``)."""

    op: int
    measurement: int
    status: int
    more: bool
    parameters: bytes

    @property
    def ok(self) -> bool:
        return self.status == 0

    def describe(self) -> str:
        """One line: what was asked, and the answer."""
        op = _OP_NAMES[ControlOp(self.op)] if self.op in (1, 2, 3) else f"op {self.op}"
        what = f"{op} {measurement_name(self.measurement)}"
        if self.ok:
            return f"{what}: done"
        reason = STATUS_MESSAGES.get(self.status, "unknown error")
        return f"the strap refused to {what}: {reason} (PMD status {self.status})"


def parse_control_response(data: bytes | bytearray) -> ControlResponse:
    """Parse a control-point indication.

    Raises
    ------
    PmdError
        Not a response (first byte not ``0xF0``) or shorter than its four fixed bytes.
    """
    if len(data) < 4 or data[0] != _RESPONSE:
        raise PmdError(f"not a PMD control-point response: {bytes(data[:8]).hex()}")
    ok = data[3] == 0
    more = ok and len(data) > 4 and data[4] != 0
    parameters = bytes(data[5:]) if ok else b""
    return ControlResponse(data[1], data[2], data[3], more, parameters)


def check_response(
    response: ControlResponse, op: ControlOp, measurement: MeasurementType
) -> ControlResponse:
    """The response, if it answers ``op`` on ``measurement`` with success.

    Raises
    ------
    PmdError
        A refusal (one line naming the reason), or an answer to another request.
    """
    if response.op != op or response.measurement != measurement:
        raise PmdError(
            f"the strap answered another PMD request (op {response.op}, "
            f"{measurement_name(response.measurement)}) than {_OP_NAMES[op]} "
            f"{measurement_name(measurement)}"
        )
    if not response.ok:
        raise PmdError(response.describe())
    return response


def parse_settings(parameters: bytes | bytearray) -> dict[SettingType, tuple[float, ...]]:
    """The settings in a get-settings or start answer: each type with its values.

    Integers for all types but FACTOR (a float32).

    Raises
    ------
    PmdError
        An unknown setting type, or values cut short.
    """
    settings: dict[SettingType, tuple[float, ...]] = {}
    offset = 0
    while offset < len(parameters):
        if offset + 2 > len(parameters):
            raise PmdError("a PMD setting is cut short")
        try:
            kind = SettingType(parameters[offset])
        except ValueError:
            raise PmdError(f"unknown PMD setting type {parameters[offset]}") from None
        count = parameters[offset + 1]
        size = _SETTING_BYTES[kind]
        offset += 2
        end = offset + count * size
        if end > len(parameters):
            raise PmdError(f"the PMD {kind.name.lower()} values are cut short")
        chunk = bytes(parameters[offset:end])
        if kind is SettingType.FACTOR:
            values: tuple[float, ...] = struct.unpack(f"<{count}f", chunk)
        else:
            values = tuple(
                int.from_bytes(chunk[i : i + size], "little") for i in range(0, len(chunk), size)
            )
        settings[kind] = settings.get(kind, ()) + values
        offset = end
    return settings


def start_factor(settings: Mapping[SettingType, tuple[float, ...]]) -> float | None:
    """The FACTOR of a start answer (scale of compressed samples), if it gave a finite one."""
    values = settings.get(SettingType.FACTOR, ())
    if not values or not math.isfinite(values[0]) or values[0] <= 0:
        return None
    return float(values[0])


# -- data frames ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class PmdFrame:
    """One data notification, parsed.

    Attributes
    ----------
    measurement : MeasurementType
    timestamp_ns : int
        Strap time of the frame's **last** sample, ns.
    frame_type : int
        The frame type byte as sent (bit 7: delta-compressed).
    samples : numpy.ndarray
        float64; ECG: shape ``(n,)`` in µV; ACC: shape ``(n, 3)`` (x, y, z) in mG. Never empty.
    """

    measurement: MeasurementType
    timestamp_ns: int
    frame_type: int
    samples: np.ndarray

    @property
    def compressed(self) -> bool:
        return bool(self.frame_type & _COMPRESSED_BIT)


def parse_data_frame(data: bytes | bytearray, *, acc_factor: float | None = None) -> PmdFrame:
    """Parse one notification of the PMD data characteristic (ECG or ACC).

    Parameters
    ----------
    data : bytes
        The notification payload.
    acc_factor : float, optional
        The FACTOR of the accelerometer's start answer (:func:`start_factor`), which scales
        delta-compressed ACC frames; 1.0 is assumed for frame type 0x81 without one.

    Returns
    -------
    PmdFrame

    Raises
    ------
    PmdError
        A frame shorter than its header, another measurement, an unsupported frame type, a
        length that is not whole samples, a malformed delta block, or no sample at all.
    """
    if len(data) < _HEADER_BYTES:
        raise PmdError(f"PMD frame of {len(data)} bytes, shorter than its 10-byte header")
    kind = data[0]
    timestamp_ns = int.from_bytes(data[1:9], "little")
    frame_type = data[9]
    payload = bytes(data[_HEADER_BYTES:])
    if kind == MeasurementType.ECG:
        samples = _ecg_samples(frame_type, payload)
        measurement = MeasurementType.ECG
    elif kind == MeasurementType.ACC:
        samples = _acc_samples(frame_type, payload, acc_factor)
        measurement = MeasurementType.ACC
    else:
        raise PmdError(f"PMD frame of {measurement_name(kind)}: only ECG and ACC are read")
    if samples.shape[0] == 0:
        raise PmdError(f"PMD {measurement_name(kind)} frame without samples")
    return PmdFrame(measurement, timestamp_ns, frame_type, samples)


def _signed_le(payload: bytes, width: int, columns: int) -> np.ndarray:
    """Signed little-endian integers of ``width`` bytes, ``columns`` per row, as float64."""
    row_bytes = width * columns
    if len(payload) % row_bytes:
        raise PmdError(
            f"PMD frame body of {len(payload)} bytes is not whole samples of {row_bytes} bytes"
        )
    raw = np.frombuffer(payload, dtype=np.uint8).reshape(-1, width).astype(np.int64)
    weights = np.int64(1) << (8 * np.arange(width, dtype=np.int64))
    values = raw @ weights
    sign = np.int64(1) << (8 * width - 1)
    values = np.where(values >= sign, values - 2 * sign, values)
    return values.reshape(-1, columns).astype(np.float64)


def _ecg_samples(frame_type: int, payload: bytes) -> np.ndarray:
    if frame_type != 0x00:
        raise PmdError(f"ECG frame type 0x{frame_type:02x}: only type 0x00 (3-byte µV) is read")
    return _signed_le(payload, 3, 1)[:, 0]


def _acc_samples(frame_type: int, payload: bytes, factor: float | None) -> np.ndarray:
    if frame_type in (0x00, 0x01, 0x02):
        return _signed_le(payload, frame_type + 1, _ACC_AXES)
    if frame_type == 0x80:
        if factor is None:
            raise PmdError("compressed ACC frame 0x80 without a FACTOR from the start answer")
        return _delta_decode(payload, _ACC_AXES, ACC_RESOLUTION_BITS) * (factor * 1000.0)
    if frame_type == 0x81:
        return _delta_decode(payload, _ACC_AXES, ACC_RESOLUTION_BITS) * (factor or 1.0)
    raise PmdError(f"ACC frame type 0x{frame_type:02x} is not one the H10 sends")


def _delta_decode(payload: bytes, channels: int, reference_bits: int) -> np.ndarray:
    """Reference sample then blocks of bit-packed deltas (see the module docstring)."""
    reference_bytes = (reference_bits + 7) // 8
    head = reference_bytes * channels
    if len(payload) < head:
        raise PmdError("compressed PMD frame shorter than its reference sample")
    rows = [_signed_le(payload[:head], reference_bytes, channels)[0].astype(np.int64)]
    offset = head
    while offset < len(payload):
        if offset + 2 > len(payload):
            raise PmdError("compressed PMD frame: a delta block header is cut short")
        delta_bits, count = payload[offset], payload[offset + 1]
        offset += 2
        if not 1 <= delta_bits <= 32:
            raise PmdError(f"compressed PMD frame: deltas of {delta_bits} bits")
        block_bytes = (delta_bits * count * channels + 7) // 8
        if offset + block_bytes > len(payload):
            raise PmdError("compressed PMD frame: a delta block is cut short")
        if count:
            block = np.frombuffer(payload, np.uint8, block_bytes, offset)
            bits = np.unpackbits(block, bitorder="little")[: delta_bits * count * channels]
            weights = np.int64(1) << np.arange(delta_bits, dtype=np.int64)
            deltas = bits.reshape(-1, delta_bits).astype(np.int64) @ weights
            sign = np.int64(1) << (delta_bits - 1)
            deltas = np.where(deltas >= sign, deltas - 2 * sign, deltas)
            last = rows[-1].reshape(-1, channels)[-1]
            rows.append(last + np.cumsum(deltas.reshape(count, channels), axis=0))
        offset += block_bytes
    stacked = [row.reshape(-1, channels) for row in rows]
    return np.concatenate(stacked).astype(np.float64)


# -- the strap's clock on the host's ----------------------------------------------------------

DEFAULT_MAX_LAG_S = 2.0
"""How far mapped sample times may fall behind arrival before the mapping re-anchors."""
_RATE_TOLERANCE = 0.1


class StrapClock:
    """Map PMD sample times (the strap's clock) onto the host's clock, in seconds.

    Follows :class:`drivers.beat_clock.BeatClock`: the strap's timestamps give the spacing,
    arrival times give the anchor. One clock serves every PMD stream of a connection (ECG and
    ACC share the strap's clock, so they stay aligned with each other).

    The rule
    --------
    1. **Anchor.** At the first frame (and after :meth:`reset`, at every new connection), the
       frame's last sample is placed at its arrival: ``offset = arrival - timestamp``.
    2. **Spacing.** Samples of a frame are back-computed from its timestamp (the last sample's
       time). Their interval is the strap's own, ``(timestamp - previous timestamp) / n``, when
       that is within 10 % of ``1 / sample_hz`` (so the strap's rate, not its nominal one, spaces
       them and consecutive frames join without overlap); otherwise (first frame, a lost frame)
       it is ``1 / sample_hz``.
    3. **Never after arrival.** A sample cannot be received before it happened: a frame whose
       last sample would map after its arrival moves the offset earlier to put it there. As
       the first anchor assumes no transmission delay, this ratchets the offset towards the
       smallest delay seen, and absorbs a strap clock that runs fast against the host's. The
       frame that moves it is spread over the time since the stream's previous sample, so that
       sample times always increase (as BeatClock spreads beats).
    4. **Drift and restarts.** A strap clock that runs slow lets mapped times fall behind
       arrival; beyond ``max_lag_s`` (about 11 h at 50 ppm), or when the strap's timestamps go
       backwards (its clock restarted), the frame re-anchors as in 1 and ``reanchored`` says so.

    Parameters
    ----------
    max_lag_s : float, optional
        Largest plausible delay between a frame's last sample and its arrival.
    """

    def __init__(self, max_lag_s: float = DEFAULT_MAX_LAG_S) -> None:
        if not max_lag_s > 0:
            raise ValueError(f"max_lag_s must be positive, got {max_lag_s}")
        self.max_lag_s = max_lag_s
        self._offset_s: float | None = None
        self._previous_ns: dict[MeasurementType, int] = {}
        self._previous_last_s: dict[MeasurementType, float] = {}
        self.reanchored = 0

    def reset(self) -> None:
        """Forget the anchor and the previous frames (call at every new connection)."""
        self._offset_s = None
        self._previous_ns.clear()
        self._previous_last_s.clear()

    def sample_times_s(self, frame: PmdFrame, sample_hz: float, arrival_s: float) -> np.ndarray:
        """Host times of the frame's samples, oldest first.

        Parameters
        ----------
        frame : PmdFrame
        sample_hz : float
            The stream's nominal rate (the one its start command asked for).
        arrival_s : float
            Host time the notification arrived.

        Returns
        -------
        numpy.ndarray
            One time per sample, increasing, the last at or before ``arrival_s``.
        """
        n = frame.samples.shape[0]
        last_strap_s = frame.timestamp_ns / 1e9
        nominal_s = 1.0 / sample_hz
        interval_s = nominal_s
        previous_ns = self._previous_ns.get(frame.measurement)
        if previous_ns is not None and frame.timestamp_ns > previous_ns:
            measured_s = (frame.timestamp_ns - previous_ns) / 1e9 / n
            if abs(measured_s - nominal_s) <= _RATE_TOLERANCE * nominal_s:
                interval_s = measured_s
        went_back = previous_ns is not None and frame.timestamp_ns <= previous_ns
        self._previous_ns[frame.measurement] = frame.timestamp_ns
        if self._offset_s is None:
            self._offset_s = arrival_s - last_strap_s
        elif went_back or arrival_s - (last_strap_s + self._offset_s) > self.max_lag_s:
            self._offset_s = arrival_s - last_strap_s
            self.reanchored += 1
        elif last_strap_s + self._offset_s > arrival_s:
            self._offset_s = arrival_s - last_strap_s
        last_s = last_strap_s + self._offset_s
        times = last_s - interval_s * np.arange(n - 1, -1, -1, dtype=np.float64)
        previous_last_s = self._previous_last_s.get(frame.measurement)
        if previous_last_s is not None and times[0] <= previous_last_s:
            # Rule 3 moved the offset earlier than the previous frame's placement: spread this
            # frame over the time since that frame so times keep increasing (or, should even
            # its last sample come first, continue at the interval: order wins over arrival).
            steps = np.arange(1, n + 1, dtype=np.float64)
            if times[-1] > previous_last_s:
                times = previous_last_s + (times[-1] - previous_last_s) * steps / n
            else:
                times = previous_last_s + interval_s * steps
        self._previous_last_s[frame.measurement] = float(times[-1])
        return times
