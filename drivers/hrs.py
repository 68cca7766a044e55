"""The Bluetooth Heart Rate Service (0x180D) byte formats: parser and encoder.

Pure functions, no I/O and no bleak, so they can be tested with byte literals and reused by the
simulator and by replay (which re-parses stored notification payloads).

Heart Rate Measurement (characteristic 0x2A37), Bluetooth SIG Heart Rate Service 1.0, §3.1:

======  =====================================================================================
byte 0  flags: bit0 HR format (0 = uint8, 1 = uint16 LE); bit1 sensor contact detected;
        bit2 sensor contact feature supported; bit3 energy expended present; bit4 RR present;
        bits 5–7 reserved (ignored, so future flags do not break parsing)
then    heart rate, uint8 or uint16 LE, in beats per minute
then    energy expended, uint16 LE, kJ (only if bit3)
then    RR intervals, uint16 LE each, unit 1/1024 s, as many as fit (only if bit4)
======  =====================================================================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from drivers.events import ContactChanged, HeartRatePacket, SignalGap

HEART_RATE_SERVICE_UUID = "0000180d-0000-1000-8000-00805f9b34fb"
HEART_RATE_MEASUREMENT_UUID = "00002a37-0000-1000-8000-00805f9b34fb"
BODY_SENSOR_LOCATION_UUID = "00002a38-0000-1000-8000-00805f9b34fb"
BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"

FLAG_HR_UINT16 = 0x01
FLAG_CONTACT_DETECTED = 0x02
FLAG_CONTACT_SUPPORTED = 0x04
FLAG_ENERGY_PRESENT = 0x08
FLAG_RR_PRESENT = 0x10

RR_UNITS_PER_S = 1024
"""RR intervals travel in units of 1/1024 s."""

BODY_SENSOR_LOCATIONS = {
    0: "Other",
    1: "Chest",
    2: "Wrist",
    3: "Finger",
    4: "Hand",
    5: "Ear Lobe",
    6: "Foot",
}
"""Body Sensor Location (0x2A38) values, Heart Rate Service 1.0 §3.2."""


class MalformedPacketError(ValueError):
    """A payload does not follow the Heart Rate Service format; the message says how."""


def rr_units_to_ms(rr_units: int) -> float:
    """Convert an RR interval from 1/1024 s to milliseconds, keeping the fraction.

    Parameters
    ----------
    rr_units : int
        RR interval in units of 1/1024 s, as carried in the packet.

    Returns
    -------
    float
        ``rr_units * 1000 / 1024``; not rounded, so 1024 units is exactly 1000.0 ms and
        1 unit is 0.9765625 ms.
    """
    return rr_units * 1000 / RR_UNITS_PER_S


def rr_ms_to_units(rr_ms: float) -> int:
    """Convert an RR interval in ms to the nearest 1/1024-s unit, as a strap would send it.

    Parameters
    ----------
    rr_ms : float
        RR interval in milliseconds.

    Returns
    -------
    int
        ``round(rr_ms * 1024 / 1000)``. Raises ``ValueError`` outside 0..65535 units.
    """
    units = round(rr_ms * RR_UNITS_PER_S / 1000)
    if not 0 <= units <= 0xFFFF:
        raise ValueError(f"RR interval {rr_ms} ms does not fit in 16 bits of 1/1024 s")
    return units


def quantize_rr_ms(rr_ms: float) -> float:
    """Round an RR interval to what survives the trip through a packet (1/1024-s steps).

    Parameters
    ----------
    rr_ms : float
        RR interval in milliseconds.

    Returns
    -------
    float
        The interval the parser will report for it.
    """
    return rr_units_to_ms(rr_ms_to_units(rr_ms))


def _read_uint16(payload: bytes, offset: int, field: str) -> int:
    if offset + 2 > len(payload):
        raise MalformedPacketError(
            f"heart-rate packet truncated: {field} needs bytes {offset}-{offset + 1} "
            f"but the packet has {len(payload)} bytes ({payload.hex()})"
        )
    return payload[offset] | (payload[offset + 1] << 8)


def parse_heart_rate_measurement(
    payload: bytes | bytearray | memoryview, arrival_s: float = 0.0
) -> HeartRatePacket:
    """Parse one Heart Rate Measurement notification into a typed packet.

    Parameters
    ----------
    payload : bytes-like
        The notification value exactly as received.
    arrival_s : float, optional
        Host time the notification arrived (``time.monotonic()`` for live sources).

    Returns
    -------
    HeartRatePacket
        HR in bpm, RR intervals in ms (``rr * 1000 / 1024``, not rounded), contact (``None``
        when the strap does not support contact detection), energy in kJ, and the raw bytes.

    Raises
    ------
    MalformedPacketError
        Empty payload, a field cut short, or an odd number of RR bytes; also anything that is
        not bytes-like, or bytes left over when the flags announce no RR intervals. No other
        exception escapes for any input.
    """
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise MalformedPacketError(f"heart-rate packet must be bytes, not {type(payload).__name__}")
    raw = bytes(payload)
    if not raw:
        raise MalformedPacketError("heart-rate packet is empty (no flags byte)")
    flags = raw[0]
    offset = 1
    if flags & FLAG_HR_UINT16:
        hr_bpm = _read_uint16(raw, offset, "the uint16 heart rate")
        offset += 2
    else:
        if offset >= len(raw):
            raise MalformedPacketError(
                f"heart-rate packet truncated: no heart-rate byte after the flags ({raw.hex()})"
            )
        hr_bpm = raw[offset]
        offset += 1

    contact = bool(flags & FLAG_CONTACT_DETECTED) if flags & FLAG_CONTACT_SUPPORTED else None

    energy_kj = None
    if flags & FLAG_ENERGY_PRESENT:
        energy_kj = _read_uint16(raw, offset, "energy expended")
        offset += 2

    rest = len(raw) - offset
    rr_ms: tuple[float, ...] = ()
    if flags & FLAG_RR_PRESENT:
        if rest % 2:
            raise MalformedPacketError(
                f"heart-rate packet has an odd number of RR bytes ({rest}): {raw.hex()}"
            )
        rr_ms = tuple(
            rr_units_to_ms(raw[i] | (raw[i + 1] << 8)) for i in range(offset, len(raw), 2)
        )
    elif rest:
        raise MalformedPacketError(
            f"heart-rate packet has {rest} unexpected trailing byte(s) and no RR flag: {raw.hex()}"
        )
    return HeartRatePacket(
        arrival_s=arrival_s,
        hr_bpm=hr_bpm,
        rr_ms=rr_ms,
        contact=contact,
        energy_kj=energy_kj,
        raw=raw,
    )


def encode_heart_rate_measurement(
    hr_bpm: int,
    rr_ms: Sequence[float] = (),
    *,
    contact: bool | None = None,
    energy_kj: int | None = None,
    hr_uint16: bool | None = None,
    rr_present: bool | None = None,
) -> bytes:
    """Build a Heart Rate Measurement payload, as a strap would send it.

    The inverse of :func:`parse_heart_rate_measurement`: parsing the result gives back the same
    HR, contact and energy, and each RR interval quantized to 1/1024 s
    (:func:`quantize_rr_ms`).

    Parameters
    ----------
    hr_bpm : int
        Heart rate, 0..65535 bpm.
    rr_ms : sequence of float, optional
        RR intervals in ms, oldest first.
    contact : bool or None, optional
        ``None`` = contact detection not supported; otherwise contact detected or not.
    energy_kj : int or None, optional
        Energy expended in kJ (0..65535), or ``None`` to leave the field out.
    hr_uint16 : bool or None, optional
        Force the HR format; by default uint8 when ``hr_bpm`` fits, else uint16.
    rr_present : bool or None, optional
        Force the RR flag; by default set when ``rr_ms`` is not empty.

    Returns
    -------
    bytes
        The notification payload.

    Raises
    ------
    ValueError
        A value that does not fit its field.
    """
    hr_bpm = int(hr_bpm)
    if not 0 <= hr_bpm <= 0xFFFF:
        raise ValueError(f"heart rate {hr_bpm} bpm does not fit in 16 bits")
    if hr_uint16 is None:
        hr_uint16 = hr_bpm > 0xFF
    if not hr_uint16 and hr_bpm > 0xFF:
        raise ValueError(f"heart rate {hr_bpm} bpm does not fit in the uint8 format")
    if rr_present is None:
        rr_present = len(rr_ms) > 0
    if rr_ms and not rr_present:
        raise ValueError("RR intervals given but rr_present=False")

    flags = 0
    body = bytearray()
    if hr_uint16:
        flags |= FLAG_HR_UINT16
        body += hr_bpm.to_bytes(2, "little")
    else:
        body.append(hr_bpm)
    if contact is not None:
        flags |= FLAG_CONTACT_SUPPORTED
        if contact:
            flags |= FLAG_CONTACT_DETECTED
    if energy_kj is not None:
        if not 0 <= energy_kj <= 0xFFFF:
            raise ValueError(f"energy expended {energy_kj} kJ does not fit in 16 bits")
        flags |= FLAG_ENERGY_PRESENT
        body += int(energy_kj).to_bytes(2, "little")
    if rr_present:
        flags |= FLAG_RR_PRESENT
        for rr in rr_ms:
            body += rr_ms_to_units(rr).to_bytes(2, "little")
    return bytes([flags]) + bytes(body)


MAX_ENCODABLE_RR_MS = 65_535 * 1000 / RR_UNITS_PER_S
"""The longest interval a Heart Rate Measurement can carry (uint16 in 1/1024 s)."""


def rr_packet(rr_ms: float, arrival_s: float) -> HeartRatePacket | None:
    """One RR interval from a source without notifications of its own, as a strap's would be.

    The payload is encoded as a Heart Rate Measurement (:func:`encode_heart_rate_measurement`)
    so the session file stores a notification that replay re-parses like a strap's; the
    interval is therefore quantized to the strap unit of 1/1024 s (at most 0.49 ms off). The
    heart rate is the beat's own, 60000 / RR.

    Parameters
    ----------
    rr_ms : float
        The interval, in ms.
    arrival_s : float
        When the beat that ends it happened (for lab streams, the beat's own time stamp).

    Returns
    -------
    HeartRatePacket or None
        ``None`` for a value that is no interval (NaN, zero, negative, over 64 s).
    """
    if not (math.isfinite(rr_ms) and 0 < rr_ms < MAX_ENCODABLE_RR_MS):
        return None
    hr_bpm = min(255, round(60_000.0 / rr_ms))
    raw = encode_heart_rate_measurement(hr_bpm, (float(rr_ms),), hr_uint16=False)
    return parse_heart_rate_measurement(raw, arrival_s)


def parse_body_sensor_location(payload: bytes | bytearray) -> str:
    """Decode the Body Sensor Location characteristic (0x2A38).

    Parameters
    ----------
    payload : bytes-like
        The value read from the strap.

    Returns
    -------
    str
        "Chest", "Wrist", ..., or ``"Unknown (n)"`` for a reserved value.

    Raises
    ------
    MalformedPacketError
        An empty value.
    """
    if not payload:
        raise MalformedPacketError("body sensor location value is empty")
    code = payload[0]
    return BODY_SENSOR_LOCATIONS.get(code, f"Unknown ({code})")


def parse_battery_level(payload: bytes | bytearray) -> int:
    """Decode the Battery Level characteristic (0x2A19) into percent.

    Parameters
    ----------
    payload : bytes-like
        The value read or notified.

    Returns
    -------
    int
        Battery level, 0..100.

    Raises
    ------
    MalformedPacketError
        An empty value or one above 100 %.
    """
    if not payload:
        raise MalformedPacketError("battery level value is empty")
    percent = payload[0]
    if percent > 100:
        raise MalformedPacketError(f"battery level {percent} % is above 100 %")
    return percent


class ContactTracker:
    """Turn the contact bit of successive packets into ``ContactChanged`` and ``SignalGap``.

    ``ContactChanged`` is sent only when the contact state changes (including the first known
    state); packets from straps without contact detection (``contact is None``) change
    nothing. When contact returns after being lost, a ``SignalGap`` from the first packet
    without contact to the first packet with it comes first, so a beat clock can reset before
    the packet that ends the gap.
    """

    def __init__(self) -> None:
        self.contact: bool | None = None
        self.lost_since_s: float | None = None

    def update(self, packet: HeartRatePacket) -> list[SignalGap | ContactChanged]:
        """Events to send before ``packet``.

        Parameters
        ----------
        packet : HeartRatePacket
            The next packet.

        Returns
        -------
        list
            Empty, ``[ContactChanged]``, or ``[SignalGap, ContactChanged]``.
        """
        if packet.contact is None or packet.contact == self.contact:
            return []
        events: list[SignalGap | ContactChanged] = []
        if packet.contact:
            if self.lost_since_s is not None:
                events.append(SignalGap(self.lost_since_s, packet.arrival_s, "no skin contact"))
                self.lost_since_s = None
        else:
            self.lost_since_s = packet.arrival_s
        self.contact = packet.contact
        events.append(ContactChanged(packet.arrival_s, packet.contact))
        return events

    def take_lost_since(self) -> float | None:
        """When contact was lost, if it still is; clears it (a larger gap now covers it)."""
        lost_since_s, self.lost_since_s = self.lost_since_s, None
        return lost_since_s
