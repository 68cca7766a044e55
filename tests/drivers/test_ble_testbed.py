"""The BLE driver through real bleak, against BlueZ mocked by bluezoo on a private D-Bus.

Only the radio is simulated: bleak talks D-Bus to a BlueZ mock (bluezoo, its own process),
which links it to a virtual strap (a dbus-fast GATT application, its own process) sending
real-format Heart Rate Measurement packets.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from bluez_testbed.harness import (
    CENTRAL_ADAPTER,
    CENTRAL_ADDRESS,
    SPARE_ADAPTER,
    STRAP_ADDRESS,
    STRAP_NAME,
    TestBed,
    bluez_call,
)
from bluez_testbed.virtual_strap import packet_for_sequence
from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from drivers.ble import BleHeartRateSource, ReconnectPolicy, StrapError, scan_straps
from drivers.events import (
    BatteryLevel,
    ConnectionState,
    ContactChanged,
    DeviceInfo,
    HeartRatePacket,
    SignalGap,
    StateChanged,
)

FAST_RECONNECT = ReconnectPolicy(first_delay_s=0.2, max_delay_s=1.0, scan_window_s=3.0)
HEART_RATE_MEASUREMENT = "00002a37-0000-1000-8000-00805f9b34fb"


def make_source(device: str = STRAP_NAME, **options) -> BleHeartRateSource:
    settings = {
        "adapter": CENTRAL_ADAPTER,
        "find_timeout_s": 5.0,
        "connect_timeout_s": 5.0,
        # The product's default: shorter, a loaded CI machine's pauses in the mock BlueZ read as
        # a wedged strap and a reconnection, which the tests that are not about that must not see.
        "stall_timeout_s": 5.0,
        "reconnect": FAST_RECONNECT,
        **options,
    }
    return BleHeartRateSource(device, **settings)


class Recorder:
    """Consumes a source in a task and lets the test wait for what it needs."""

    def __init__(self, source: BleHeartRateSource) -> None:
        self.source = source
        self.events: list = []
        self.error: BaseException | None = None
        self._changed = asyncio.Event()
        self.task = asyncio.create_task(self._consume())

    async def _consume(self) -> None:
        try:
            async for event in self.source.events():
                self.events.append(event)
                self._changed.set()
        except BaseException as error:
            self.error = error
        finally:
            self._changed.set()

    def packets(self) -> list[HeartRatePacket]:
        return [e for e in self.events if isinstance(e, HeartRatePacket)]

    def states(self) -> list[ConnectionState]:
        return [e.state for e in self.events if isinstance(e, StateChanged)]

    async def wait_until(self, condition, timeout_s: float, what: str):
        deadline = time.monotonic() + timeout_s
        while True:
            result = condition()
            if result:
                return result
            if self.task.done():
                pytest.fail(f"source ended while waiting for {what}: {self.error!r}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"timed out after {timeout_s} s waiting for {what}: {self.states()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def stop(self) -> None:
        await self.source.stop()
        await asyncio.wait_for(self.task, 10)


def packet_sequence(packet: HeartRatePacket) -> int:
    """Which strap notification this is, from the schedule of the virtual strap."""
    for seq in range(packet.energy_kj - 2 if packet.energy_kj else 0, 5000):
        if packet_for_sequence(seq) == packet.raw:
            return seq
    raise AssertionError(f"packet {packet.raw.hex()} is not in the strap's schedule")


async def device_connected(bus_address: str, adapter: str, address: str) -> bool:
    body = await bluez_call(
        bus_address, f"/org/bluez/{adapter}/dev_{address.replace(':', '_')}", "Get", "ss",
        ["org.bluez.Device1", "Connected"],
    )  # fmt: skip
    return bool(body[0].value)


async def test_scan_finds_the_strap(strap) -> None:
    straps = await scan_straps(CENTRAL_ADAPTER, timeout_s=1.5)
    assert [(s.name, s.address) for s in straps] == [(STRAP_NAME, STRAP_ADDRESS)]
    assert -100 < straps[0].rssi < 0


async def test_scan_with_no_strap_in_range_finds_nothing(system_bus) -> None:
    assert await scan_straps(CENTRAL_ADAPTER, timeout_s=1.0) == []


async def test_stream_arrives_intact_and_in_order(strap) -> None:
    recorder = Recorder(make_source(STRAP_NAME))
    await recorder.wait_until(lambda: len(recorder.packets()) >= 40, 15, "40 packets")
    await recorder.stop()

    packets = recorder.packets()
    sequences = [packet_sequence(p) for p in packets]
    assert sequences == list(range(sequences[0], sequences[0] + len(packets)))
    sent = {e["seq"]: bytes.fromhex(e["hex"]) for e in strap.find("sent")}
    assert all(sent[seq] == p.raw for seq, p in zip(sequences, packets, strict=True))
    arrivals = [p.arrival_s for p in packets]
    assert arrivals == sorted(arrivals) and arrivals[-1] <= time.monotonic()
    # The strap's schedule mixes formats: uint8 and uint16 HR, energy, 1–3 RR per packet.
    # flags 0x16 uint8+contact, 0x1f uint16+contact+energy, 0x10 uint8, 0x19 uint16+energy
    assert {p.raw[0] for p in packets} == {0x16, 0x1F, 0x10, 0x19}
    assert any(p.energy_kj is not None for p in packets)
    assert {len(p.rr_ms) for p in packets} == {1, 2, 3}
    assert all(700 * 1000 / 1024 <= rr < 1100 * 1000 / 1024 for p in packets for rr in p.rr_ms)

    (info,) = [e for e in recorder.events if isinstance(e, DeviceInfo)]
    assert (info.name, info.address, info.body_sensor_location) == (
        STRAP_NAME,
        STRAP_ADDRESS,
        "Chest",
    )
    assert [e.percent for e in recorder.events if isinstance(e, BatteryLevel)] == [87]
    # Contact is reported once (only on change), though every other packet carries it.
    assert [e.contact for e in recorder.events if isinstance(e, ContactChanged)] == [True]
    assert recorder.states() == [
        ConnectionState.SCANNING,
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.STOPPED,
    ]
    connected = next(e for e in recorder.events if getattr(e, "state", None) == "connected")
    assert recorder.events.index(connected) < recorder.events.index(packets[0])


async def test_connects_by_address_too(strap) -> None:
    recorder = Recorder(make_source(STRAP_ADDRESS.lower()))
    await recorder.wait_until(lambda: len(recorder.packets()) >= 3, 10, "3 packets")
    await recorder.stop()
    assert recorder.error is None


async def test_shutdown_stops_notifications_then_disconnects(strap, system_bus: TestBed) -> None:
    recorder = Recorder(make_source())
    await recorder.wait_until(lambda: len(recorder.packets()) >= 5, 10, "5 packets")
    assert await device_connected(system_bus.bus_address, CENTRAL_ADAPTER, STRAP_ADDRESS)
    await recorder.stop()

    assert recorder.events[-1].state is ConnectionState.STOPPED
    stops = [e for e in strap.find("stop_notify") if e["uuid"] == HEART_RATE_MEASUREMENT]
    assert stops, "the driver never stopped notifications"
    # The driver stopped them itself while still connected, not the link teardown after.
    assert stops[0]["central_connected"] is True
    assert not await device_connected(system_bus.bus_address, CENTRAL_ADAPTER, STRAP_ADDRESS)
    count = len(strap.find("sent"))
    await asyncio.sleep(0.3)
    assert len(strap.find("sent")) == count, "the strap still sends after shutdown"


async def test_reconnects_by_itself_when_the_strap_walks_off_and_returns(start_strap) -> None:
    first = start_strap(first_seq=0)
    recorder = Recorder(make_source())
    await recorder.wait_until(lambda: len(recorder.packets()) >= 20, 10, "20 packets")
    first.kill(wait_gone=False)  # out of range: no goodbye
    gone_s = time.monotonic()
    await recorder.wait_until(
        lambda: ConnectionState.LOST in recorder.states(), 5, "the loss to be noticed"
    )
    lost_after_s = time.monotonic() - gone_s
    await asyncio.sleep(2.0)  # away for a while; the driver keeps looking
    second = start_strap(first_seq=1000)
    back = await recorder.wait_until(
        lambda: [p for p in recorder.packets() if packet_sequence(p) >= 1000],
        10,
        "packets from the returning strap",
    )
    await recorder.stop()
    reconnect_s = back[0].arrival_s - second.ready_s
    connected_s = [
        e.arrival_s
        for e in recorder.events
        if isinstance(e, StateChanged) and e.state is ConnectionState.CONNECTED
    ][-1] - second.ready_s
    print(
        f"\nloss noticed after {lost_after_s:.3f} s; reconnected {connected_s:.3f} s and first "
        f"packet {reconnect_s:.3f} s after the strap returned"
    )

    # How fast the loss is noticed and the strap found again is printed above, not asserted:
    # on a loaded machine the same code takes longer (the product's figures are in the README).
    # That it reconnected at all, by itself, is what ``wait_until`` above held.
    assert lost_after_s >= 0.0 and reconnect_s > 0.0
    events = recorder.events
    (gap,) = [e for e in events if isinstance(e, SignalGap)]
    old = [p for p in recorder.packets() if packet_sequence(p) < 1000]
    assert gap.start_s == old[-1].arrival_s
    assert gap.end_s == back[0].arrival_s
    assert gap.end_s - gap.start_s > 2.0
    assert "disconnected" in gap.reason
    assert events.index(gap) < events.index(back[0])  # the gap is announced before the data
    states = recorder.states()
    assert states[:3] == [
        ConnectionState.SCANNING,
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
    ]
    lost_at = states.index(ConnectionState.LOST)
    assert states[lost_at + 1] is ConnectionState.RECONNECTING
    assert states[-2:] == [ConnectionState.CONNECTED, ConnectionState.STOPPED]
    assert len([e for e in events if isinstance(e, DeviceInfo)]) == 2


async def test_a_silent_link_is_treated_as_lost_and_reconnected(strap) -> None:
    recorder = Recorder(make_source(stall_timeout_s=1.0))
    await recorder.wait_until(lambda: len(recorder.packets()) >= 10, 10, "10 packets")
    strap.pause_notifications()  # link up, no data: a wedged strap
    await recorder.wait_until(
        lambda: ConnectionState.LOST in recorder.states(), 5, "the silence to count as lost"
    )
    lost = next(
        e
        for e in recorder.events
        if isinstance(e, StateChanged) and e.state is ConnectionState.LOST
    )
    count = len(recorder.packets())
    await recorder.wait_until(lambda: len(recorder.packets()) >= count + 5, 10, "data again")
    await recorder.stop()

    assert "no heart-rate notification for 1 s" in lost.detail
    # The first gap is this silence (a loaded machine may pause again after the reconnection).
    gap = next(e for e in recorder.events if isinstance(e, SignalGap))
    assert gap.reason == lost.detail
    # Never before the stall timeout (a lower bound no load can break); how long after it the
    # check runs depends on the machine's load, so only a wedged check (10 s) fails.
    assert 1.0 <= lost.arrival_s - gap.start_s < 10.0


async def test_contact_changes_are_reported_once_with_a_gap(strap) -> None:
    recorder = Recorder(make_source())
    await recorder.wait_until(lambda: len(recorder.packets()) >= 8, 10, "8 packets")
    strap.toggle_contact()
    await recorder.wait_until(
        lambda: [e for e in recorder.events if isinstance(e, ContactChanged) and not e.contact],
        5,
        "contact lost",
    )
    await asyncio.sleep(0.3)
    strap.toggle_contact()
    await recorder.wait_until(
        lambda: [e for e in recorder.events if isinstance(e, SignalGap)], 5, "contact back"
    )
    await recorder.stop()

    changes = [e for e in recorder.events if isinstance(e, ContactChanged)]
    assert [c.contact for c in changes] == [True, False, True]
    (gap,) = [e for e in recorder.events if isinstance(e, SignalGap)]
    assert (gap.start_s, gap.end_s, gap.reason) == (
        changes[1].arrival_s,
        changes[2].arrival_s,
        "no skin contact",
    )
    between = [
        p for p in recorder.packets() if changes[1].arrival_s <= p.arrival_s < changes[2].arrival_s
    ]
    off_skin = [p for p in between if p.contact is False]
    assert len(off_skin) >= 3 and all(p.rr_ms == () and p.hr_bpm == 0 for p in off_skin)
    # Packets without contact bits (this strap's schedule has some) change nothing.
    assert not [p for p in between if p.contact is True]


async def test_a_missing_strap_gives_a_clear_error(system_bus) -> None:
    recorder = Recorder(make_source("Nobody's Strap", find_timeout_s=1.5))
    await asyncio.wait_for(recorder.task, 10)
    assert isinstance(recorder.error, StrapError)
    message = str(recorder.error)
    assert message.startswith("no heart-rate strap 'Nobody's Strap' found on hci0 within 1.5 s")
    assert "\n" not in message
    assert recorder.states() == [ConnectionState.SCANNING, ConnectionState.STOPPED]


async def test_a_missing_adapter_gives_a_clear_error(system_bus) -> None:
    with pytest.raises(
        StrapError,
        match=r"^Bluetooth adapter hci7 not found \(adapters here: "
        r"hci0, hci1, hci2\)$",
    ):
        await scan_straps("hci7", timeout_s=1.0)
    recorder = Recorder(make_source(adapter="hci7"))
    await asyncio.wait_for(recorder.task, 10)
    assert "Bluetooth adapter hci7 not found" in str(recorder.error)


async def test_an_adapter_that_is_off_gives_a_clear_error(system_bus) -> None:
    await set_powered(system_bus.bus_address, SPARE_ADAPTER, False)
    try:
        with pytest.raises(StrapError, match=r"^Bluetooth adapter hci2 is off: turn it on"):
            await scan_straps(SPARE_ADAPTER, timeout_s=1.0)
    finally:
        await set_powered(system_bus.bus_address, SPARE_ADAPTER, True)


async def test_no_bluetooth_service_gives_a_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    with pytest.raises(StrapError, match="cannot reach the system D-Bus"):
        await scan_straps(CENTRAL_ADAPTER, timeout_s=1.0)
    with pytest.raises(StrapError, match="cannot reach the system D-Bus"):
        await scan_straps(None, timeout_s=1.0)


async def set_powered(bus_address: str, adapter: str, powered: bool) -> None:
    await bluez_call(
        bus_address, f"/org/bluez/{adapter}", "Set", "ssv",
        ["org.bluez.Adapter1", "Powered", Variant("b", powered)],
    )  # fmt: skip


async def bluezoo_adapter(bus_address: str, member: str, *body) -> None:
    """Add or remove a mock adapter, like plugging or unplugging a USB dongle."""
    bus = await MessageBus(bus_address=bus_address).connect()
    try:
        reply = await bus.call(
            Message(
                destination="org.bluez",
                path="/org/bluezoo",
                interface="org.bluezoo.Manager1",
                member=member,
                signature="ys"[: len(body)],
                body=list(body),
            )
        )
        assert reply.message_type == MessageType.METHOD_RETURN, reply.body
    finally:
        bus.disconnect()


async def test_keeps_trying_while_the_adapter_is_unplugged(strap, system_bus: TestBed) -> None:
    recorder = Recorder(make_source())
    await recorder.wait_until(lambda: len(recorder.packets()) >= 5, 10, "5 packets")
    await bluezoo_adapter(system_bus.bus_address, "RemoveAdapter", 0)
    try:
        await recorder.wait_until(
            lambda: [
                e
                for e in recorder.events
                if isinstance(e, StateChanged) and "adapter hci0 not found" in e.detail
            ],
            10,
            "the missing adapter to be reported while reconnecting",
        )
    finally:
        await bluezoo_adapter(system_bus.bus_address, "AddAdapter", 0, CENTRAL_ADDRESS)
    count = len(recorder.packets())
    await recorder.wait_until(lambda: len(recorder.packets()) >= count + 5, 10, "data again")
    await recorder.stop()
    assert recorder.error is None
    assert [e.reason for e in recorder.events if isinstance(e, SignalGap)] == [
        "the strap disconnected (out of range, battery, or switched off)"
    ]
