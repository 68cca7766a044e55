"""Reading another program's LSL stream header (drivers/lsl_stream_layout.py): which kind, which
channel, which unit; nothing guessed, one line for what is missing."""

from __future__ import annotations

import pytest

from drivers.lsl_stream_layout import (
    InletKind,
    LslChannelChoiceError,
    LslStreamLayoutError,
    ecg_layout,
    inlet_kind,
    uv_per_unit,
)


def test_the_kind_comes_from_the_type_unless_chosen() -> None:
    assert inlet_kind("ECG") is InletKind.ECG
    assert inlet_kind(" ecg ") is InletKind.ECG
    assert inlet_kind("RR") is InletKind.RR
    assert inlet_kind("") is InletKind.RR  # a bare one-channel bridge, as before
    assert inlet_kind("EXG", InletKind.ECG) is InletKind.ECG
    assert inlet_kind("ECG", InletKind.RR) is InletKind.RR


@pytest.mark.parametrize(
    ("unit", "uv"),
    [("µV", 1.0), ("μV", 1.0), ("uV", 1.0), ("microvolts", 1.0), ("Microvolt", 1.0),
     ("mV", 1000.0), ("millivolts", 1000.0), ("V", 1e6), ("volts", 1e6), (" mV ", 1000.0)],
)  # fmt: skip
def test_voltage_units(unit: str, uv: float) -> None:
    assert uv_per_unit(unit) == uv


@pytest.mark.parametrize("unit", ["", "MV", "mv", "a.u.", "counts", "furlongs", "nV"])
def test_what_is_not_a_stated_voltage(unit: str) -> None:
    # "MV" (megavolts) and "mv" are not millivolts: a symbol's case is its meaning.
    assert uv_per_unit(unit) is None


def test_a_one_channel_stream_needs_no_choice() -> None:
    layout = ecg_layout("S", 130.0, False, [("", "mV")])
    assert (layout.index, layout.label, layout.uv_per_unit, layout.sample_hz) == (
        0, "channel 1", 1000.0, 130.0
    )  # fmt: skip
    assert layout.describe() == "channel 1 in mV, 130 Hz"


def test_a_channel_is_chosen_by_label_or_number() -> None:
    channels = [("Resp", "a.u."), ("ECG II", "uV"), ("ECG III", "mV")]
    assert ecg_layout("S", 500.0, False, channels, "ecg iii").index == 2
    assert ecg_layout("S", 500.0, False, channels, "2").index == 1
    with pytest.raises(LslChannelChoiceError, match=r"has 3 channels \(Resp, ECG II, ECG III\)"):
        ecg_layout("S", 500.0, False, channels)
    with pytest.raises(LslChannelChoiceError, match="has no channel '4'"):
        ecg_layout("S", 500.0, False, channels, "4")
    with pytest.raises(LslStreamLayoutError, match=r"Resp: gives its unit as 'a.u.'"):
        ecg_layout("S", 500.0, False, channels, "Resp")


def test_a_header_that_does_not_say_enough_is_refused() -> None:
    with pytest.raises(LslStreamLayoutError, match="'S', channel 1: states no unit"):
        ecg_layout("S", 130.0, False, [("", "")])
    with pytest.raises(LslStreamLayoutError, match="no regular sampling rate"):
        ecg_layout("S", 0.0, False, [("ECG", "uV")])
    with pytest.raises(LslStreamLayoutError, match="sends strings"):
        ecg_layout("S", 130.0, True, [("ECG", "uV")])
