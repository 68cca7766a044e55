"""The Heart Rate Measurement parser and encoder, with byte literals and a fuzzer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.hrs import (
    MalformedPacketError,
    encode_heart_rate_measurement,
    parse_battery_level,
    parse_body_sensor_location,
    parse_heart_rate_measurement,
    quantize_rr_ms,
    rr_units_to_ms,
)

# (payload, hr_bpm, contact, energy_kj, rr_ms) for every combination of the five flag bits,
# written out by hand from the Heart Rate Service specification, not by the encoder.
# Fields: HR 0x48 = 72 (uint8) or 0x0148 = 328 (uint16 LE); energy 0x0102 = 258 kJ;
# RR 0x0400 = 1024/1024 s = 1000 ms and 0x0333 = 819/1024 s = 799.8046875 ms.
BYTE_LITERALS = [
    (b"\x00\x48", 72, None, None, ()),
    (b"\x01\x48\x01", 328, None, None, ()),
    (b"\x02\x48", 72, None, None, ()),  # "detected" without "supported" means unsupported
    (b"\x03\x48\x01", 328, None, None, ()),
    (b"\x04\x48", 72, False, None, ()),
    (b"\x05\x48\x01", 328, False, None, ()),
    (b"\x06\x48", 72, True, None, ()),
    (b"\x07\x48\x01", 328, True, None, ()),
    (b"\x08\x48\x02\x01", 72, None, 258, ()),
    (b"\x09\x48\x01\x02\x01", 328, None, 258, ()),
    (b"\x0a\x48\x02\x01", 72, None, 258, ()),
    (b"\x0b\x48\x01\x02\x01", 328, None, 258, ()),
    (b"\x0c\x48\x02\x01", 72, False, 258, ()),
    (b"\x0d\x48\x01\x02\x01", 328, False, 258, ()),
    (b"\x0e\x48\x02\x01", 72, True, 258, ()),
    (b"\x0f\x48\x01\x02\x01", 328, True, 258, ()),
    (b"\x10\x48\x00\x04", 72, None, None, (1000.0,)),
    (b"\x11\x48\x01\x00\x04\x33\x03", 328, None, None, (1000.0, 799.8046875)),
    (b"\x12\x48\x00\x04", 72, None, None, (1000.0,)),
    (b"\x13\x48\x01\x00\x04", 328, None, None, (1000.0,)),
    (b"\x14\x48\x33\x03\x00\x04\x33\x03", 72, False, None, (799.8046875, 1000.0, 799.8046875)),
    (b"\x15\x48\x01\x00\x04", 328, False, None, (1000.0,)),
    (b"\x16\x48\x00\x04\x33\x03", 72, True, None, (1000.0, 799.8046875)),
    (b"\x17\x48\x01\x00\x04", 328, True, None, (1000.0,)),
    (b"\x18\x48\x02\x01\x00\x04", 72, None, 258, (1000.0,)),
    (b"\x19\x48\x01\x02\x01\x00\x04", 328, None, 258, (1000.0,)),
    (b"\x1a\x48\x02\x01\x00\x04", 72, None, 258, (1000.0,)),
    (b"\x1b\x48\x01\x02\x01\x00\x04", 328, None, 258, (1000.0,)),
    (b"\x1c\x48\x02\x01\x00\x04", 72, False, 258, (1000.0,)),
    (b"\x1d\x48\x01\x02\x01\x00\x04", 328, False, 258, (1000.0,)),
    (b"\x1e\x48\x02\x01\x00\x04\x33\x03", 72, True, 258, (1000.0, 799.8046875)),
    (b"\x1f\x48\x01\x02\x01\x00\x04", 328, True, 258, (1000.0,)),
]


def test_the_literals_cover_every_flag_combination() -> None:
    assert sorted(payload[0] for payload, *_ in BYTE_LITERALS) == list(range(32))


@pytest.mark.parametrize(("payload", "hr_bpm", "contact", "energy_kj", "rr_ms"), BYTE_LITERALS)
def test_parses_every_flag_combination(payload, hr_bpm, contact, energy_kj, rr_ms) -> None:
    packet = parse_heart_rate_measurement(payload, arrival_s=12.5)
    assert packet.hr_bpm == hr_bpm
    assert packet.contact == contact
    assert packet.energy_kj == energy_kj
    assert packet.rr_ms == rr_ms
    assert packet.arrival_s == 12.5
    assert packet.raw == payload


def test_rr_conversion_keeps_the_fraction() -> None:
    assert rr_units_to_ms(1) == 0.9765625
    assert rr_units_to_ms(819) == 799.8046875
    packet = parse_heart_rate_measurement(b"\x10\x3c\x01\x00\xff\xff")
    assert packet.rr_ms == (0.9765625, 65535 * 1000 / 1024)


def test_nine_rr_intervals_in_one_packet() -> None:
    payload = b"\x10\x50" + b"\x00\x04" * 9
    assert parse_heart_rate_measurement(payload).rr_ms == (1000.0,) * 9


def test_rr_flag_without_values_is_an_empty_rr_list() -> None:
    assert parse_heart_rate_measurement(b"\x10\x50").rr_ms == ()


def test_reserved_flag_bits_are_ignored() -> None:
    packet = parse_heart_rate_measurement(b"\xe6\x48")
    assert (packet.hr_bpm, packet.contact) == (72, True)


def test_accepts_bytearray_and_memoryview() -> None:
    payload = b"\x16\x48\x00\x04"
    for value in (bytearray(payload), memoryview(payload)):
        packet = parse_heart_rate_measurement(value)
        assert packet.rr_ms == (1000.0,)
        assert isinstance(packet.raw, bytes)


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"", "empty"),
        (b"\x00", "no heart-rate byte"),
        (b"\x01\x48", "uint16 heart rate"),
        (b"\x08\x48\x02", "energy expended"),
        (b"\x09\x48\x01", "energy expended"),
        (b"\x10\x48\x00", "odd number of RR bytes"),
        (b"\x18\x48\x02\x01\x00\x04\x33", "odd number of RR bytes"),
        (b"\x00\x48\x00", "trailing"),
    ],
)
def test_malformed_payloads_raise_one_clear_error(payload: bytes, words: str) -> None:
    with pytest.raises(MalformedPacketError, match=words) as caught:
        parse_heart_rate_measurement(payload)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in str(caught.value)


def test_non_bytes_input_is_a_malformed_packet() -> None:
    with pytest.raises(MalformedPacketError, match="must be bytes"):
        parse_heart_rate_measurement("\x06\x48")  # type: ignore[arg-type]


@settings(max_examples=3000, deadline=None)
@given(st.binary(max_size=40))
def test_fuzz_only_malformed_packet_error_escapes(payload: bytes) -> None:
    try:
        packet = parse_heart_rate_measurement(payload, arrival_s=1.0)
    except MalformedPacketError:
        return
    assert packet.raw == payload
    assert 0 <= packet.hr_bpm <= 0xFFFF
    assert all(0 <= rr <= 65535 * 1000 / 1024 for rr in packet.rr_ms)


@settings(max_examples=500, deadline=None)
@given(
    hr_bpm=st.integers(0, 0xFFFF),
    rr_ms=st.lists(st.floats(0, 63999, allow_nan=False), max_size=9),
    contact=st.sampled_from([None, False, True]),
    energy_kj=st.one_of(st.none(), st.integers(0, 0xFFFF)),
)
def test_encoder_round_trips_through_the_parser(hr_bpm, rr_ms, contact, energy_kj) -> None:
    payload = encode_heart_rate_measurement(hr_bpm, rr_ms, contact=contact, energy_kj=energy_kj)
    packet = parse_heart_rate_measurement(payload)
    assert packet.hr_bpm == hr_bpm
    assert packet.contact == contact
    assert packet.energy_kj == energy_kj
    assert packet.rr_ms == tuple(quantize_rr_ms(rr) for rr in rr_ms)
    half_step_ms = 1000 / 1024 / 2 + 1e-9
    assert all(abs(a - b) <= half_step_ms for a, b in zip(packet.rr_ms, rr_ms, strict=True))


@pytest.mark.parametrize(
    ("payload", "hr_bpm", "contact", "energy_kj", "rr_ms"),
    # "Detected" without "supported" (bit1 without bit2) is not something the encoder writes.
    [row for row in BYTE_LITERALS if row[0][0] & 0x06 != 0x02],
)
def test_encoder_reproduces_the_literals(payload, hr_bpm, contact, energy_kj, rr_ms) -> None:
    encoded = encode_heart_rate_measurement(
        hr_bpm,
        rr_ms,
        contact=contact,
        energy_kj=energy_kj,
        hr_uint16=bool(payload[0] & 0x01),
        rr_present=bool(payload[0] & 0x10),
    )
    assert encoded == payload


def test_encoder_forces_uint16_and_rejects_what_does_not_fit() -> None:
    assert encode_heart_rate_measurement(72, hr_uint16=True) == b"\x01\x48\x00"
    with pytest.raises(ValueError, match="uint8"):
        encode_heart_rate_measurement(300, hr_uint16=False)
    with pytest.raises(ValueError, match="16 bits"):
        encode_heart_rate_measurement(72, [70000.0])


def test_body_sensor_location_and_battery_level() -> None:
    assert parse_body_sensor_location(b"\x01") == "Chest"
    assert parse_body_sensor_location(b"\x09") == "Unknown (9)"
    assert parse_battery_level(b"\x57") == 87
    with pytest.raises(MalformedPacketError):
        parse_battery_level(b"")
    with pytest.raises(MalformedPacketError, match="above 100"):
        parse_battery_level(b"\xc8")
