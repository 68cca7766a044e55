"""A virtual heart-rate strap: a BlueZ GATT peripheral application written with dbus-fast.

Run as its own process (so a test can make the strap "walk off" by killing it) on the bus in
``DBUS_SYSTEM_BUS_ADDRESS``, against the mock BlueZ of ``bluezoo_launcher.py``. It registers a
GATT application (Heart Rate Service 0x180D with Heart Rate Measurement 0x2A37 and Body Sensor
Location 0x2A38; Battery Service 0x180F with Battery Level 0x2A19) and an LE advertisement for
0x180D on its adapter, then notifies real-format packets while a central listens.

The packets are built here by hand from the Bluetooth specification, independently of the
product's encoder, and follow a fixed schedule (:func:`packet_for_sequence`) so a test knows
exactly what must arrive: uint8 and uint16 heart rates, contact bits, energy expended and one
to three RR intervals per packet.

With ``--pmd`` it is a virtual Polar H10: it also exposes the Polar Measurement Data service
(control point: read gives the features, writes are answered by indications as the spec says;
data characteristic: notifies ECG and ACC frames made by ``pmd_encoder.py`` from the ECG and ACC
of :func:`pmd_signals`, on a strap clock that is ``time.monotonic_ns()`` plus
:data:`STRAP_CLOCK_OFFSET_NS` (or ``--pmd-clock-offset-ns``). ECG frames carry 13 samples
(0.1 s); ACC frames 5 samples, alternately raw 16-bit (0x01) and delta-compressed (0x81,
FACTOR 1.0). ``--pmd-features 0`` offers ECG only; ``--pmd-refuse TYPE:STATUS`` answers the
start of that measurement with that error status; ``--pmd-malformed-after N`` sends, after N
ECG frames, one ECG frame whose body is not whole 3-byte samples.

Control: SIGUSR1 pauses notifications until the next StartNotify (a link that stays up but goes
silent); SIGUSR2 toggles skin contact. SIGTERM unregisters cleanly; SIGKILL just vanishes.

Every event is printed to stdout as one JSON line with ``t`` = ``time.monotonic()`` (the same
clock as the test process on Linux): ``ready``, ``start_notify``, ``stop_notify`` (with
``central_connected``: whether the central was still connected when notifications stopped),
``read``, ``sent`` (with ``seq`` and ``hex``); with ``--pmd`` also ``pmd_write`` (``hex``),
``pmd_started``/``pmd_stopped`` (``measurement``) and ``pmd_sent`` (``measurement``, ``first``:
index of the frame's first sample in its signal, ``count``, ``hex``).
"""

import argparse
import asyncio
import contextlib
import json
import signal
import struct
import sys
import time
from pathlib import Path
from typing import Annotated

from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import (
    DBusBool,
    DBusBytes,
    DBusDict,
    DBusObjectPath,
    DBusSignature,
    DBusStr,
)
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[3])]
import pmd_encoder  # noqa: E402  (run as a script: its neighbour and the project's drivers)

Strings = Annotated[list[str], DBusSignature("as")]
ObjectPaths = Annotated[list[str], DBusSignature("ao")]

HEART_RATE_SERVICE = "0000180d-0000-1000-8000-00805f9b34fb"
HEART_RATE_MEASUREMENT = "00002a37-0000-1000-8000-00805f9b34fb"
BODY_SENSOR_LOCATION = "00002a38-0000-1000-8000-00805f9b34fb"
BATTERY_SERVICE = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL = "00002a19-0000-1000-8000-00805f9b34fb"
APP_PATH = "/org/sessionmonitor/strap"
ADVERTISEMENT_PATH = "/org/sessionmonitor/advertisement0"


def rr_units_for_sequence(seq: int) -> list[int]:
    """RR intervals (1/1024 s) carried by packet ``seq``: 1–3 values, 683–1073 ms."""
    count = 1 + seq % 3
    return [700 + (seq * 37 + 131 * k) % 400 for k in range(count)]


def packet_for_sequence(seq: int) -> bytes:
    """The Heart Rate Measurement payload the strap sends as its ``seq``-th notification.

    Cycles through four formats: uint8 HR with contact detected; uint16 HR with contact and
    energy expended; uint8 HR without contact support; uint16 HR with energy, no contact bits.
    """
    rr_units = rr_units_for_sequence(seq)
    hr_bpm = round(60 * 1024 / rr_units[-1])
    kind = seq % 4
    flags = 0x10  # RR present
    if kind in (1, 3):
        flags |= 0x01  # uint16 heart rate
    if kind in (0, 1):
        flags |= 0x06  # contact supported and detected
    if kind in (1, 3):
        flags |= 0x08  # energy expended present
    body = bytes([flags])
    body += struct.pack("<H", hr_bpm) if flags & 0x01 else struct.pack("<B", hr_bpm)
    if flags & 0x08:
        body += struct.pack("<H", seq & 0xFFFF)
    body += b"".join(struct.pack("<H", rr) for rr in rr_units)
    return body


PMD_SERVICE = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_POINT = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
PMD_SIGNAL_S = 600.0
ECG_HZ = 130
ACC_HZ = 50
ECG_FRAME_SAMPLES = 13
ACC_FRAME_SAMPLES = 5
STRAP_CLOCK_OFFSET_NS = 7_000_000_000_000
"""The strap's clock runs from another zero than the host's (its own boot)."""


def pmd_signals() -> tuple[list[int], list[tuple[int, int, int]]]:
    """The virtual H10's ECG (µV, 130 Hz) and ACC (mG, 50 Hz): the same in every process.

    Synthesised around beats every 0.8 s with breathing at 12/min, rounded to integers; frame
    ``k`` of a stream carries samples ``k * n`` to ``k * n + n - 1`` of its signal.
    """
    import numpy as np  # only a virtual H10 needs them: plain straps start faster

    from drivers.simulated_h10 import synthesize_acc, synthesize_ecg

    beats_s = np.arange(0.5, PMD_SIGNAL_S + 1.0, 0.8)
    ecg = synthesize_ecg(beats_s, seed=16, duration_s=PMD_SIGNAL_S).ecg_uv
    acc = synthesize_acc(PMD_SIGNAL_S, breaths_per_min=12.0, seed=16, sample_hz=ACC_HZ).acc_mg
    return (
        [int(v) for v in np.rint(ecg)],
        [(int(x), int(y), int(z)) for x, y, z in np.rint(acc)],
    )


NO_CONTACT_PACKET = bytes([0x04, 0x00])
"""Contact supported but not detected, HR 0, no RR: what a strap sends off the skin."""


def log(event: str, **fields) -> None:
    print(json.dumps({"event": event, "t": time.monotonic(), **fields}), flush=True)


class Strap:
    """State shared by the GATT objects: who listens, what to send next."""

    def __init__(self, bus: MessageBus, adapter: str, central: str, first_seq: int) -> None:
        self.bus = bus
        self.adapter_path = f"/org/bluez/{adapter}"
        self.central_path = f"{self.adapter_path}/dev_{central.replace(':', '_')}"
        self.seq = first_seq
        self.paused = False
        self.contact = True

    async def central_connected(self) -> bool:
        reply = await self.bus.call(
            Message(
                destination="org.bluez",
                path=self.central_path,
                interface="org.freedesktop.DBus.Properties",
                member="Get",
                signature="ss",
                body=["org.bluez.Device1", "Connected"],
            )
        )
        return reply.message_type == MessageType.METHOD_RETURN and bool(reply.body[0].value)


class GattService(ServiceInterface):
    def __init__(self, uuid: str) -> None:
        super().__init__("org.bluez.GattService1")
        self._uuid = uuid

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> DBusStr:
        return self._uuid

    @dbus_property(access=PropertyAccess.READ)
    def Primary(self) -> DBusBool:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Includes(self) -> ObjectPaths:
        return []


class GattCharacteristic(ServiceInterface):
    def __init__(
        self, strap: Strap, uuid: str, service_path: str, flags: list[str], value: bytes
    ) -> None:
        super().__init__("org.bluez.GattCharacteristic1")
        self.strap = strap
        self._uuid = uuid
        self._service_path = service_path
        self._flags = flags
        self._value = value
        self.notifying = False
        self.on_write = None
        self.read_value: bytes | None = None

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> DBusStr:
        return self._uuid

    @dbus_property(access=PropertyAccess.READ)
    def Service(self) -> DBusObjectPath:
        return self._service_path

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> Strings:
        return self._flags

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> DBusBytes:
        return self._value

    @dbus_property(access=PropertyAccess.READ)
    def Notifying(self) -> DBusBool:
        return self.notifying

    @method()
    def ReadValue(self, options: DBusDict) -> DBusBytes:
        log("read", uuid=self._uuid)
        return self.read_value if self.read_value is not None else self._value

    @method()
    def WriteValue(self, value: DBusBytes, options: DBusDict) -> None:
        self._value = bytes(value)
        if self.on_write is not None:
            self.on_write(bytes(value))

    @method()
    def StartNotify(self) -> None:
        self.notifying = True
        self.strap.paused = False
        self.emit_properties_changed({"Notifying": True})
        log("start_notify", uuid=self._uuid)

    @method()
    async def StopNotify(self) -> None:
        self.notifying = False
        self.emit_properties_changed({"Notifying": False})
        log(
            "stop_notify",
            uuid=self._uuid,
            central_connected=await self.strap.central_connected(),
        )

    @method()
    def Confirm(self) -> None:
        pass

    def notify(self, value: bytes) -> None:
        self._value = value
        self.emit_properties_changed({"Value": value})


class PmdStrap:
    """The PMD side of a virtual H10: answers the control point, streams while started."""

    def __init__(
        self,
        control: GattCharacteristic,
        data: GattCharacteristic,
        refuse: dict[int, int],
        malformed_after: int | None = None,
        clock_offset_ns: int = STRAP_CLOCK_OFFSET_NS,
        features: tuple[int, ...] = (pmd_encoder.ECG, pmd_encoder.ACC),
    ) -> None:
        self.control = control
        self.data = data
        self.refuse = refuse
        self.malformed_after = malformed_after
        self.clock_offset_ns = clock_offset_ns
        self.ecg_uv, self.acc_mg = pmd_signals()
        self.started_ns: dict[int, int] = {}
        self.sent: dict[int, int] = {}
        self.features = features
        control.read_value = pmd_encoder.features_value(features)
        control.on_write = self.on_write

    def on_write(self, command: bytes) -> None:
        log("pmd_write", hex=command.hex())
        op, measurement = command[0], command[1] if len(command) > 1 else 0xFF
        known = measurement in self.features
        status, parameters = 0, b""
        if op not in (1, 2, 3):
            status = 1
        elif not known:
            status = 2
        elif op == 1:
            parameters = (
                pmd_encoder.H10_ECG_SETTINGS
                if measurement == pmd_encoder.ECG
                else pmd_encoder.H10_ACC_SETTINGS
            )
        elif op == 2:
            status = self.refuse.get(measurement, 0)
            if status == 0 and measurement in self.started_ns:
                status = 6  # already in that state
            if status == 0:
                if measurement == pmd_encoder.ACC:
                    parameters = pmd_encoder.settings_parameters([(5, [1.0])])
                self.started_ns[measurement] = time.monotonic_ns()
                self.sent[measurement] = 0
                log("pmd_started", measurement=measurement)
        elif op == 3:
            self.started_ns.pop(measurement, None)
            log("pmd_stopped", measurement=measurement)
        answer = pmd_encoder.response(op, measurement, status, parameters)
        # Answered after the write returns, as an indication (the spec's order).
        asyncio.get_running_loop().call_soon(self.control.notify, answer)

    def stream(self) -> None:
        """Send every frame now due: frame k is sent once its last sample's time has passed."""
        if not self.data.notifying:
            self.started_ns.clear()  # the link is gone: an H10 forgets its streams
            return
        for measurement, status in self.refuse.items():
            if status == 6 and measurement not in self.started_ns:
                # --pmd-refuse T:6: left streaming by an earlier central, so streaming from
                # the subscription on, and its start is answered "already in that state".
                self.started_ns[measurement] = time.monotonic_ns()
                self.sent[measurement] = 0
                log("pmd_started", measurement=measurement)
        now_ns = time.monotonic_ns()
        for measurement, started_ns in list(self.started_ns.items()):
            ecg = measurement == pmd_encoder.ECG
            rate_hz = ECG_HZ if ecg else ACC_HZ
            per_frame = ECG_FRAME_SAMPLES if ecg else ACC_FRAME_SAMPLES
            signal_ = self.ecg_uv if ecg else self.acc_mg
            while True:
                k = self.sent[measurement]
                first = k * per_frame
                last = first + per_frame - 1
                last_ns = started_ns + round(last * 1e9 / rate_hz)
                if last_ns > now_ns or last >= len(signal_):
                    break
                stamp_ns = last_ns + self.clock_offset_ns
                samples = signal_[first : last + 1]
                if ecg and k == self.malformed_after:
                    frame = pmd_encoder.ecg_frame(stamp_ns, samples) + b"\x01"
                    self.malformed_after = None  # once
                elif ecg:
                    frame = pmd_encoder.ecg_frame(stamp_ns, samples)
                elif k % 2 == 0:
                    frame = pmd_encoder.acc_raw_frame(stamp_ns, samples, 0x01)
                else:
                    frame = pmd_encoder.acc_delta_frame(stamp_ns, samples, 0x81)
                self.data.notify(frame)
                log("pmd_sent", measurement=measurement, first=first, count=per_frame,
                    hex=frame.hex())  # fmt: skip
                self.sent[measurement] = k + 1


class Advertisement(ServiceInterface):
    def __init__(self, name: str) -> None:
        super().__init__("org.bluez.LEAdvertisement1")
        self._name = name

    @dbus_property(access=PropertyAccess.READ)
    def Type(self) -> DBusStr:
        return "peripheral"

    @dbus_property(access=PropertyAccess.READ)
    def ServiceUUIDs(self) -> Strings:
        return ["180D"]

    @dbus_property(access=PropertyAccess.READ)
    def LocalName(self) -> DBusStr:
        return self._name

    @dbus_property(access=PropertyAccess.READ)
    def Discoverable(self) -> DBusBool:
        return True

    @method()
    def Release(self) -> None:
        pass


async def call_bluez(bus: MessageBus, path: str, interface: str, member: str, body) -> None:
    reply = await bus.call(
        Message(
            destination="org.bluez",
            path=path,
            interface=interface,
            member=member,
            signature="oa{sv}",
            body=body,
        )
    )
    if reply.message_type == MessageType.ERROR:
        raise RuntimeError(f"{member} failed: {reply.error_name} {reply.body}")


async def run(args: argparse.Namespace) -> None:
    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    strap = Strap(bus, args.adapter, args.central, args.first_seq)
    heart_service = f"{APP_PATH}/service0"
    battery_service = f"{APP_PATH}/service1"
    measurement = GattCharacteristic(strap, HEART_RATE_MEASUREMENT, heart_service, ["notify"], b"")
    location = GattCharacteristic(strap, BODY_SENSOR_LOCATION, heart_service, ["read"], b"\x01")
    battery = GattCharacteristic(
        strap, BATTERY_LEVEL, battery_service, ["read", "notify"], bytes([args.battery])
    )
    bus.export(heart_service, GattService(HEART_RATE_SERVICE))
    bus.export(f"{heart_service}/char0", measurement)
    bus.export(f"{heart_service}/char1", location)
    bus.export(battery_service, GattService(BATTERY_SERVICE))
    bus.export(f"{battery_service}/char0", battery)
    bus.export(ADVERTISEMENT_PATH, Advertisement(args.name))
    pmd: PmdStrap | None = None
    if args.pmd:
        pmd_service = f"{APP_PATH}/service2"
        control = GattCharacteristic(
            strap, PMD_CONTROL_POINT, pmd_service, ["read", "write", "indicate"], b""
        )
        data = GattCharacteristic(strap, PMD_DATA, pmd_service, ["notify"], b"")
        bus.export(pmd_service, GattService(PMD_SERVICE))
        bus.export(f"{pmd_service}/char0", control)
        bus.export(f"{pmd_service}/char1", data)
        refuse = {}
        for item in args.pmd_refuse:
            refused, status = item.split(":")
            refuse[int(refused)] = int(status)
        features = tuple(int(m) for m in args.pmd_features.split(","))
        pmd = PmdStrap(
            control, data, refuse, args.pmd_malformed_after, args.pmd_clock_offset_ns, features
        )

    adapter_path = f"/org/bluez/{args.adapter}"
    await call_bluez(
        bus, adapter_path, "org.bluez.GattManager1", "RegisterApplication", [APP_PATH, {}]
    )
    await call_bluez(
        bus,
        adapter_path,
        "org.bluez.LEAdvertisingManager1",
        "RegisterAdvertisement",
        [ADVERTISEMENT_PATH, {}],
    )

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def pause() -> None:
        strap.paused = True
        log("paused")

    def toggle_contact() -> None:
        strap.contact = not strap.contact
        log("contact", contact=strap.contact)

    loop.add_signal_handler(signal.SIGUSR1, pause)
    loop.add_signal_handler(signal.SIGUSR2, toggle_contact)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    bus_gone = asyncio.create_task(bus.wait_for_disconnect())
    bus_gone.add_done_callback(lambda _: stop.set())  # the test bed went away: so do we
    log("ready", name=args.name)

    while not stop.is_set():
        if pmd is not None:
            pmd.stream()
        if measurement.notifying and not strap.paused:
            payload = packet_for_sequence(strap.seq) if strap.contact else NO_CONTACT_PACKET
            measurement.notify(payload)
            log("sent", seq=strap.seq, hex=payload.hex())
            strap.seq += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=args.interval)

    if bus_gone.done():
        log("bus gone")
        return
    with_timeout = 2.0
    for member, interface, path in (
        ("UnregisterAdvertisement", "org.bluez.LEAdvertisingManager1", ADVERTISEMENT_PATH),
        ("UnregisterApplication", "org.bluez.GattManager1", APP_PATH),
    ):
        await asyncio.wait_for(
            bus.call(
                Message(
                    destination="org.bluez",
                    path=adapter_path,
                    interface=interface,
                    member=member,
                    signature="o",
                    body=[path],
                )
            ),
            timeout=with_timeout,
        )
    log("stopped")
    bus.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser(description="virtual BLE heart-rate strap (test bed)")
    parser.add_argument("--adapter", default="hci1")
    parser.add_argument(
        "--central",
        default="00:11:22:33:44:55",
        help="address of the central's adapter (to tell who is connected)",
    )
    parser.add_argument("--name", default="SM Test Strap")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between packets")
    parser.add_argument("--first-seq", type=int, default=0)
    parser.add_argument("--battery", type=int, default=87)
    parser.add_argument("--pmd", action="store_true", help="a virtual Polar H10 (PMD service)")
    parser.add_argument(
        "--pmd-refuse",
        action="append",
        default=[],
        metavar="TYPE:STATUS",
        help="answer the start of measurement TYPE (0 ECG, 2 ACC) with error STATUS",
    )
    parser.add_argument("--pmd-malformed-after", type=int, default=None, metavar="N")
    parser.add_argument(
        "--pmd-clock-offset-ns",
        type=int,
        default=STRAP_CLOCK_OFFSET_NS,
        help="the strap clock's lead on time.monotonic_ns()",
    )
    parser.add_argument(
        "--pmd-features", default="0,2", help="measurement types offered (0 ECG, 2 ACC)"
    )
    args = parser.parse_args()
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
