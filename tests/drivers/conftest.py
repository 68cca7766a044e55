"""Fixtures for the driver tests: the mock-BlueZ test bed, and the hardware-test switch.

Hardware tests (``@pytest.mark.hardware``) need a real strap and adapter; they are skipped
unless ``SESSION_MONITOR_HARDWARE=1`` is set (or a ``--hardware`` option exists and is given).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from bluez_testbed.harness import StrapProcess, TestBed, TestBedError, dbus_daemon_path


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("hardware") is None:
        return
    enabled = os.environ.get("SESSION_MONITOR_HARDWARE") == "1" or item.config.getoption(
        "--hardware", default=False
    )
    if not enabled:
        pytest.skip("needs a real strap: set SESSION_MONITOR_HARDWARE=1 to run")


@pytest.fixture(scope="session")
def bluez_testbed() -> Iterator[TestBed]:
    """A private dbus-daemon with the bluezoo mock on it (hci0 central, hci1 strap, hci2)."""
    if dbus_daemon_path() is None and not os.environ.get("CI"):
        pytest.skip("dbus-daemon not installed (Debian package 'dbus'; scripts/setup.sh)")
    testbed = TestBed()
    try:
        testbed.start()
    except TestBedError as error:
        testbed.stop()
        pytest.fail(f"mock BlueZ test bed did not start: {error}")
    try:
        yield testbed
    finally:
        testbed.stop()


@pytest.fixture
def system_bus(bluez_testbed: TestBed, monkeypatch: pytest.MonkeyPatch) -> TestBed:
    """Point bleak (which always uses the system bus) at the test bed, for one test."""
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", bluez_testbed.bus_address)
    return bluez_testbed


@pytest.fixture
def start_strap(system_bus: TestBed) -> Iterator:
    """Start virtual straps for one test; all are killed in teardown."""
    started: list[StrapProcess] = []

    def start(**options) -> StrapProcess:
        strap = system_bus.start_strap(**options)
        started.append(strap)
        return strap

    try:
        yield start
    finally:
        for strap in started:
            strap.kill(wait_gone=False)
        system_bus.wait_until_no_strap()


@pytest.fixture
def strap(start_strap) -> StrapProcess:
    """One virtual strap advertising on hci1, notifying every 50 ms while subscribed."""
    return start_strap()
