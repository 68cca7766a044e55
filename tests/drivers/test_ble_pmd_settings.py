"""The settings the driver asks a PMD strap for, from what the strap offers (no radio).

Expected commands are hand-encoded from the setting layout of Polar's measurement-data
specification (``[type, count, uint16 value]`` after ``[op, measurement]``).
"""

from __future__ import annotations

import pytest
from bluez_testbed import pmd_encoder

from drivers.ble_pmd import choose_start_command, raw_data_label
from drivers.pmd import MeasurementType, PmdError, parse_settings


def test_the_h10s_offer_gives_ecg_at_130_hz_and_acc_at_50_hz_8_g() -> None:
    ecg = parse_settings(pmd_encoder.H10_ECG_SETTINGS)
    acc = parse_settings(pmd_encoder.H10_ACC_SETTINGS)
    assert choose_start_command(MeasurementType.ECG, ecg) == (
        bytes.fromhex("02 00 00 01 82 00 01 01 0e 00"),
        130.0,
    )
    assert choose_start_command(MeasurementType.ACC, acc) == (
        bytes.fromhex("02 02 00 01 32 00 01 01 10 00 02 01 08 00"),
        50.0,
    )


@pytest.mark.parametrize(
    ("measurement", "offer", "named"),
    [
        (MeasurementType.ECG, [(0, [250]), (1, [14])], "not 130 Hz"),
        (MeasurementType.ACC, [(0, [52, 104]), (1, [16]), (2, [8])], "not 50 Hz"),
        (MeasurementType.ACC, [(0, [50]), (1, [16]), (2, [2, 4])], "not ±8 G"),
    ],
)
def test_an_offer_without_the_wanted_setting_is_one_clear_error(
    measurement: MeasurementType, offer: list, named: str
) -> None:
    settings = parse_settings(pmd_encoder.settings_parameters(offer))
    with pytest.raises(PmdError, match=named):
        choose_start_command(measurement, settings)


def test_the_raw_data_label_names_what_was_started() -> None:
    assert raw_data_label([MeasurementType.ECG, MeasurementType.ACC]) == "ecg,acc"
    assert raw_data_label([MeasurementType.ECG]) == "ecg"
    assert raw_data_label([]) == "none"
