"""The BLE driver's pure helpers: error messages, back-off, address recognition."""

from __future__ import annotations

import itertools

import pytest
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
    BleakError,
)

from drivers.ble import (
    BleHeartRateSource,
    ReconnectPolicy,
    StrapError,
    explain_bluetooth_error,
    is_bluetooth_address,
)

Reason = BleakBluetoothNotAvailableReason


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (BleakBluetoothNotAvailableError("x", Reason.NO_BLUETOOTH), "no Bluetooth adapter found"),
        (BleakBluetoothNotAvailableError("x", Reason.POWERED_OFF), "Bluetooth is off"),
        (BleakBluetoothNotAvailableError("x", Reason.DENIED_BY_SYSTEM), "permission"),
        (BleakBluetoothNotAvailableError("x", Reason.DENIED_BY_USER), "permission"),
        (BleakDBusError("org.freedesktop.DBus.Error.AccessDenied", []), "permission"),
        (BleakDBusError("org.bluez.Error.NotPermitted", []), "permission"),
        (BleakDBusError("org.bluez.Error.NotReady", []), "Bluetooth adapter hci0 is off"),
        (
            BleakDBusError("org.freedesktop.DBus.Error.ServiceUnknown", []),
            "Bluetooth service (BlueZ, bluetoothd) is not running",
        ),
        (BleakError("adapter 'hci3' not found"), "Bluetooth adapter hci3 not found"),
        (PermissionError(13, "Permission denied"), "permission"),
        (FileNotFoundError(2, "No such file"), "cannot reach the system D-Bus"),
        (TimeoutError(), "timed out"),
        (BleakError("something\nodd  happened"), "Bluetooth error: something odd happened"),
    ],
)
def test_errors_are_explained_in_one_plain_line(error: BaseException, expected: str) -> None:
    message = explain_bluetooth_error(error, "hci0")
    assert expected in message
    assert "\n" not in message


def test_back_off_grows_and_is_bounded() -> None:
    delays = list(itertools.islice(ReconnectPolicy(0.5, 2.0, 2.0).delays(), 6))
    assert delays == [0.5, 1.0, 2.0, 2.0, 2.0, 2.0]


def test_addresses_and_names_are_told_apart() -> None:
    assert is_bluetooth_address("A0:9E:1A:12:34:56")
    assert is_bluetooth_address(" a0-9e-1a-12-34-56 ")
    assert not is_bluetooth_address("Polar H10 12345678")


def test_a_source_needs_a_device() -> None:
    with pytest.raises(StrapError, match="no strap given"):
        BleHeartRateSource("  ")
    with pytest.raises(ValueError, match="positive"):
        BleHeartRateSource("X", stall_timeout_s=0)


async def test_stop_before_events_is_harmless() -> None:
    await BleHeartRateSource("X").stop()
