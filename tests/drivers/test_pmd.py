"""The Polar Measurement Data protocol (drivers/pmd.py): byte literals, round trips, a fuzzer.

The byte literals and their values are worked out by hand from Polar's measurement-data
specification (layout in the docstring of drivers/pmd.py); the round trips go through the
test-only encoder (tests/drivers/bluez_testbed/pmd_encoder.py, plain integers, written from the
spec independently of the numpy parser).
"""

from __future__ import annotations

import numpy as np
import pytest
from bluez_testbed import pmd_encoder as enc
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.pmd import (
    ControlOp,
    MeasurementType,
    PmdError,
    PmdFrame,
    SettingType,
    StrapClock,
    check_response,
    get_settings_command,
    parse_control_response,
    parse_data_frame,
    parse_features,
    parse_settings,
    start_acc_command,
    start_ecg_command,
    start_factor,
    stop_command,
)

HEADER_TS = bytes.fromhex("0807060504030201")  # uint64 LE 0x0102030405060708


def test_ecg_frame_type_0_three_byte_signed_microvolts() -> None:
    """64 00 00 = 100; FF FF FF = -1; 00 00 80 = -2^23; FF FF 7F = 2^23 - 1; 9C FF FF = -100."""
    data = b"\x00" + HEADER_TS + b"\x00" + bytes.fromhex("640000 ffffff 000080 ffff7f 9cffff")
    frame = parse_data_frame(data)
    assert frame.measurement is MeasurementType.ECG
    assert frame.timestamp_ns == 0x0102030405060708
    assert not frame.compressed
    assert frame.samples.tolist() == [100.0, -1.0, -8388608.0, 8388607.0, -100.0]


def test_acc_raw_frame_type_1_sixteen_bit_axes() -> None:
    """E8 03 = 1000, 18 FC = -1000, 01 00 = 1; FF 7F = 32767, 00 80 = -32768, 00 00 = 0 (mG);
    timestamp 10 27 00.. = 10000 ns."""
    data = bytes.fromhex("02 1027000000000000 01 e80318fc0100 ff7f00800000")
    frame = parse_data_frame(data)
    assert frame.measurement is MeasurementType.ACC
    assert frame.timestamp_ns == 10_000
    assert frame.samples.tolist() == [[1000, -1000, 1], [32767, -32768, 0]]


def test_acc_raw_frame_types_0_and_2() -> None:
    """Type 0: one byte per axis, 7F 80 FF = 127, -128, -1. Type 2: three bytes per axis,
    01 00 00 = 1, FF FF FF = -1, 00 00 80 = -2^23."""
    one = parse_data_frame(bytes.fromhex("02 0100000000000000 00 7f80ff"))
    assert one.samples.tolist() == [[127, -128, -1]]
    three = parse_data_frame(bytes.fromhex("02 0100000000000000 02 010000ffffff000080"))
    assert three.samples.tolist() == [[1, -1, -8388608]]


# Reference (100, -2, 1000) = 64 00, FE FF, E8 03. Block 1: 3-bit deltas, 2 samples,
# (+1, -1, +3) then (-4, 0, +2) = 001 111 011 100 000 010, least significant bit first:
# 1 | 7<<3 | 3<<6 | 4<<9 | 0<<12 | 2<<15 = 0x108F9 -> F9 08 01. Block 2: 1-bit deltas, 1 sample,
# (0, -1, 0) = 0 | 1<<1 | 0<<2 = 02. Samples: (100, -2, 1000), (101, -3, 1003), (97, -3, 1005),
# (97, -4, 1005).
DELTA_BODY = bytes.fromhex("6400 feff e803 0302 f90801 0101 02")
DELTA_SAMPLES = [[100, -2, 1000], [101, -3, 1003], [97, -3, 1005], [97, -4, 1005]]


def test_acc_delta_frame_0x81_reference_then_bit_packed_deltas() -> None:
    frame = parse_data_frame(b"\x02" + HEADER_TS + b"\x81" + DELTA_BODY)
    assert frame.compressed
    assert frame.samples.tolist() == DELTA_SAMPLES
    # The encoder, written separately from the spec, produces the same bytes.
    assert enc.delta_body(DELTA_SAMPLES, block_samples=2)[:12] == DELTA_BODY[:12]


def test_acc_delta_frame_0x80_is_in_g_units_times_the_factor() -> None:
    """0x80 samples x FACTOR are G (Polar's SDK): FACTOR 0.25 gives 250 mG per unit."""
    frame = parse_data_frame(b"\x02" + HEADER_TS + b"\x80" + DELTA_BODY, acc_factor=0.25)
    assert frame.samples.tolist() == [[v * 250.0 for v in s] for s in DELTA_SAMPLES]
    with pytest.raises(PmdError, match="FACTOR"):
        parse_data_frame(b"\x02" + HEADER_TS + b"\x80" + DELTA_BODY)


def test_acc_delta_frame_0x81_scaled_by_factor_when_given() -> None:
    frame = parse_data_frame(b"\x02" + HEADER_TS + b"\x81" + DELTA_BODY, acc_factor=2.0)
    assert frame.samples[1].tolist() == [202.0, -6.0, 2006.0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02", "shorter than its 10-byte header"),
        (b"\x00" + HEADER_TS + b"\x00" + b"\x01\x02", "not whole samples"),
        (b"\x00" + HEADER_TS + b"\x00", "without samples"),
        (b"\x00" + HEADER_TS + b"\x01" + b"\x00\x00\x00", "ECG frame type 0x01"),
        (b"\x02" + HEADER_TS + b"\x03" + b"\x00" * 12, "ACC frame type 0x03"),
        (b"\x01" + HEADER_TS + b"\x00" + b"\x00" * 3, "PPG"),
        (b"\x02" + HEADER_TS + b"\x81" + b"\x00\x00", "reference sample"),
        (b"\x02" + HEADER_TS + b"\x81" + DELTA_BODY[:7], "header is cut short"),
        (b"\x02" + HEADER_TS + b"\x81" + DELTA_BODY[:9], "block is cut short"),
        (b"\x02" + HEADER_TS + b"\x81" + DELTA_BODY[:6] + b"\x00\x01", "deltas of 0 bits"),
    ],
)
def test_malformed_frames_raise_the_one_documented_error(data: bytes, message: str) -> None:
    with pytest.raises(PmdError, match=message) as caught:
        parse_data_frame(data)
    assert "\n" not in str(caught.value)


def test_commands_are_the_bytes_of_the_specification() -> None:
    """Start ECG: op 02, type 00, sample rate (00) x1 = 130 (82 00), resolution (01) x1 = 14.
    Start ACC: type 02, 200 Hz (C8 00), 16 bits (10 00), range (02) x1 = 8 G (08 00)."""
    assert start_ecg_command() == bytes.fromhex("02 00 0001 8200 0101 0e00")
    assert start_acc_command(200, 8) == bytes.fromhex("02 02 0001 c800 0101 1000 0201 0800")
    assert start_acc_command(25, 2) == bytes.fromhex("02 02 0001 1900 0101 1000 0201 0200")
    assert get_settings_command(MeasurementType.ACC) == b"\x01\x02"
    assert stop_command(MeasurementType.ECG) == b"\x03\x00"
    with pytest.raises(PmdError, match="30 Hz"):
        start_acc_command(30)
    with pytest.raises(PmdError, match="16"):
        start_acc_command(200, 16)


def test_control_responses_and_settings() -> None:
    """F0 01 00 00 00 | 00 01 82 00 | 01 01 0E 00: ECG allows 130 Hz and 14 bits. 05 01 then
    00 00 80 3E is FACTOR 0.25 (float32 LE)."""
    answer = parse_control_response(bytes.fromhex("f0 01 00 00 00 0001 8200 0101 0e00"))
    check_response(answer, ControlOp.GET_SETTINGS, MeasurementType.ECG)
    assert parse_settings(answer.parameters) == {
        SettingType.SAMPLE_RATE: (130,),
        SettingType.RESOLUTION: (14,),
    }
    acc = parse_settings(enc.H10_ACC_SETTINGS)
    assert acc[SettingType.SAMPLE_RATE] == (25, 50, 100, 200)
    assert acc[SettingType.RANGE] == (2, 4, 8)
    started = parse_control_response(bytes.fromhex("f0 02 02 00 00 0501 0000803e"))
    assert start_factor(parse_settings(started.parameters)) == 0.25
    assert start_factor({}) is None


def test_a_refusal_is_one_line_with_the_reason() -> None:
    refused = parse_control_response(bytes.fromhex("f0 02 02 08"))
    assert not refused.ok
    with pytest.raises(PmdError) as caught:
        check_response(refused, ControlOp.START, MeasurementType.ACC)
    assert str(caught.value) == (
        "the strap refused to start accelerometer: invalid sample rate (PMD status 8)"
    )
    with pytest.raises(PmdError, match="another PMD request"):
        check_response(
            parse_control_response(b"\xf0\x02\x00\x00\x00"), ControlOp.START, MeasurementType.ACC
        )
    with pytest.raises(PmdError, match="not a PMD control-point response"):
        parse_control_response(b"\x0f\x05")
    with pytest.raises(PmdError, match="unknown PMD setting type 9"):
        parse_settings(b"\x09\x01\x00\x00")
    with pytest.raises(PmdError, match="cut short"):
        parse_settings(b"\x00\x02\x82\x00")


def test_features_read() -> None:
    """0F 05: bits 0 and 2, ECG and ACC (what an H10 answers)."""
    assert parse_features(b"\x0f\x05\x00") == {MeasurementType.ECG, MeasurementType.ACC}
    assert parse_features(b"\x0f\x00") == frozenset()
    with pytest.raises(PmdError):
        parse_features(b"\xf0\x05")


# -- round trips and fuzzing ------------------------------------------------------------------

int24 = st.integers(-(2**23), 2**23 - 1)
int16 = st.integers(-(2**15), 2**15 - 1)


@given(st.integers(0, 2**64 - 1), st.lists(int24, min_size=1, max_size=80))
def test_ecg_round_trip(timestamp_ns: int, samples: list[int]) -> None:
    frame = parse_data_frame(enc.ecg_frame(timestamp_ns, samples))
    assert frame.timestamp_ns == timestamp_ns
    assert frame.samples.tolist() == samples


@given(
    st.lists(st.tuples(int16, int16, int16), min_size=1, max_size=60),
    st.sampled_from([0x80, 0x81]),
    st.integers(1, 40),
)
def test_acc_delta_round_trip(samples: list[tuple[int, int, int]], kind: int, block: int) -> None:
    """Any 16-bit samples, any block length: the deltas (up to 17 bits) decode exactly."""
    data = enc.acc_delta_frame(5, samples, frame_type=kind, block_samples=block)
    frame = parse_data_frame(data, acc_factor=0.001 if kind == 0x80 else None)
    np.testing.assert_allclose(frame.samples, np.array(samples, dtype=float), rtol=1e-12)


@given(st.lists(st.tuples(int16, int16, int16), min_size=1, max_size=40))
def test_acc_raw_round_trip(samples: list[tuple[int, int, int]]) -> None:
    frame = parse_data_frame(enc.acc_raw_frame(7, samples, 0x01))
    assert frame.samples.tolist() == [list(s) for s in samples]


@settings(max_examples=400)
@given(st.binary(max_size=300))
def test_fuzzed_bytes_raise_only_the_documented_error(data: bytes) -> None:
    for parse in (parse_data_frame, parse_control_response, parse_features, parse_settings):
        try:
            parse(data)
        except PmdError as error:
            assert "\n" not in str(error)


@settings(max_examples=400)
@given(
    st.sampled_from([0, 2]),
    st.sampled_from([0x00, 0x01, 0x02, 0x80, 0x81, 0x82, 0x7F]),
    st.binary(max_size=200),
    st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
)
def test_fuzzed_frames_with_valid_headers(
    kind: int, frame_type: int, body: bytes, factor: float | None
) -> None:
    """Headers that pass the first checks, bodies of any bytes: parsed, or PmdError."""
    data = bytes([kind]) + HEADER_TS + bytes([frame_type]) + body
    try:
        frame = parse_data_frame(data, acc_factor=factor)
    except PmdError as error:
        assert "\n" not in str(error)
    else:
        assert frame.samples.shape[0] >= 1


# -- the strap's clock on the host's ----------------------------------------------------------


def _ecg(timestamp_ns: int, n: int = 3) -> PmdFrame:
    return PmdFrame(MeasurementType.ECG, timestamp_ns, 0, np.zeros(n))


def test_clock_anchors_then_follows_the_strap_timestamps() -> None:
    """100 Hz (10 ms). Frame 1 (ts 1.00 s) arrives at 100.0: samples 99.98, 99.99, 100.00.
    Frame 2 (ts 1.03 s, 30 ms later = 3 x 10 ms) arrives at 100.05: offset kept, samples
    100.01, 100.02, 100.03 (the 20 ms transmission delay is not added)."""
    clock = StrapClock()
    np.testing.assert_allclose(
        clock.sample_times_s(_ecg(1_000_000_000), 100, 100.0), [99.98, 99.99, 100.0], atol=1e-9
    )
    np.testing.assert_allclose(
        clock.sample_times_s(_ecg(1_030_000_000), 100, 100.05), [100.01, 100.02, 100.03], atol=1e-9
    )


def test_clock_never_maps_a_sample_after_its_arrival() -> None:
    """Frame 3 (ts 1.06) arrives at 100.055, before 100.06 the offset would give: its last
    sample goes to 100.055, the others 10 ms apart before it (100.035 > 100.03, no overlap).
    Frame 4 (ts 1.09) arriving at 100.06 maps 30 ms earlier than the 100.09 the offset would
    give: its last sample to 100.06, and its first (100.04) would come before frame 3's last
    (100.055), so the frame is spread over (100.055, 100.06] to keep the times increasing."""
    clock = StrapClock()
    clock.sample_times_s(_ecg(1_000_000_000), 100, 100.0)
    clock.sample_times_s(_ecg(1_030_000_000), 100, 100.05)
    np.testing.assert_allclose(
        clock.sample_times_s(_ecg(1_060_000_000), 100, 100.055),
        [100.035, 100.045, 100.055],
        atol=1e-9,
    )
    np.testing.assert_allclose(
        clock.sample_times_s(_ecg(1_090_000_000), 100, 100.06),
        [100.055 + 0.005 / 3, 100.055 + 0.010 / 3, 100.06],
        atol=1e-9,
    )


def test_clock_reanchors_when_far_behind_or_when_the_strap_clock_restarts() -> None:
    clock = StrapClock(max_lag_s=2.0)
    clock.sample_times_s(_ecg(1_000_000_000), 100, 100.0)
    # 30 ms of strap time but 5 s of host time: frames were lost; the last sample is at arrival.
    times = clock.sample_times_s(_ecg(1_030_000_000), 100, 105.0)
    assert times[-1] == pytest.approx(105.0) and clock.reanchored == 1
    times = clock.sample_times_s(_ecg(500_000_000), 100, 105.5)  # the strap's clock went back
    assert times[-1] == pytest.approx(105.5) and clock.reanchored == 2
    clock.reset()
    assert clock.sample_times_s(_ecg(7), 100, 3.0)[-1] == pytest.approx(3.0)


def test_clock_spaces_samples_at_the_strap_rate_within_ten_percent() -> None:
    """Frames of 4 samples 41 ms apart (a 97.6 Hz strap asked for 100 Hz): spaced 10.25 ms;
    after a lost frame (82 ms for 4 samples, 20.5 ms each) the nominal 10 ms is used."""
    clock = StrapClock()
    clock.sample_times_s(_ecg(1_000_000_000, 4), 100, 50.0)
    times = clock.sample_times_s(_ecg(1_041_000_000, 4), 100, 50.1)
    np.testing.assert_allclose(np.diff(times), 0.01025, atol=1e-9)
    times = clock.sample_times_s(_ecg(1_123_000_000, 4), 100, 50.2)
    np.testing.assert_allclose(np.diff(times), 0.01, atol=1e-9)


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.integers(1, 80), st.floats(0.0, 0.3), st.integers(-3, 3)),
        min_size=1,
        max_size=40,
    )
)
def test_clock_times_always_increase_and_never_pass_arrival(frames) -> None:
    """Random frame sizes, delays and strap-rate wobble: within a stream times strictly
    increase; the last sample is at or before its arrival unless order had to win."""
    clock = StrapClock()
    strap_ns = 10**9
    host_s = 1000.0
    previous_last = -np.inf
    for n, delay_s, wobble in frames:
        strap_ns += n * (10_000_000 + wobble * 100_000)
        host_s += n * 0.01
        times = clock.sample_times_s(_ecg(strap_ns, n), 100, host_s + delay_s)
        assert times.shape == (n,)
        assert np.all(np.diff(times) > 0) and times[0] > previous_last
        previous_last = times[-1]
