"""BLE heart-rate straps through bleak: scan, connect, stream, and reconnect by themselves.

This is the only module of the project that imports bleak. It finds any device advertising the
Heart Rate Service (0x180D, no brand or name filter), connects by name or address on a chosen
adapter, reads battery (0x2A19) and body-sensor location (0x2A38), subscribes to Heart Rate
Measurement notifications (0x2A37) and turns them into the typed events of
:mod:`drivers.events`. Parsing and the contact bookkeeping live in :mod:`drivers.hrs` (pure).

Reconnection
------------
Straps drop: out of range, flat battery, and the known drop at exactly 150 s of Polar H10/H9 on
Linux with some peers (OpenHRV issue 39). When the link is lost — bleak reports a disconnect,
or the link stays up but no notification arrives for ``stall_timeout_s`` — the source says
``LOST`` with the reason, then scans for the strap again (``RECONNECTING``, attempt n) with a
bounded exponential back-off between attempts, and reconnects as soon as the strap advertises
again. The first packet after the return is preceded by ``SignalGap(start_s, end_s, reason)``
from the last packet before the loss. It never gives up on its own: only :meth:`stop` ends a
session that once connected, so a 50-minute session survives any number of drops.

Raw data (Polar H10)
--------------------
With ``raw_data=True`` and a strap offering Polar Measurement Data, each connection also starts
the ECG and ACC streams (:mod:`drivers.ble_pmd`) beside the heart rate, after it: beats never
wait for the control point. Their samples come on the packets' clock; the device is announced
(``DeviceInfo``) once it is known which data the strap gives. A PMD error stops only the raw
data, with one ``StateChanged`` detail; the next connection starts the streams again.

Threading
---------
Every bleak object is created and closed inside the event loop that iterates
:meth:`BleHeartRateSource.events` (docs/architecture.md, "Threading": one loop on a worker
thread). Nothing here knows about Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bleak import BleakClient, BleakScanner
from bleak.args.bluez import BlueZClientArgs, BlueZScannerArgs
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
    BleakError,
)

if TYPE_CHECKING:
    from dbus_fast.aio import MessageBus

from drivers.ble_pmd import RAW_DATA_NONE, RAW_DATA_OFF, PmdStreams
from drivers.events import (
    BatteryLevel,
    ConnectionState,
    DeviceInfo,
    HeartRatePacket,
    SignalGap,
    SourceEvent,
    StateChanged,
)
from drivers.hrs import (
    BATTERY_LEVEL_UUID,
    BODY_SENSOR_LOCATION_UUID,
    HEART_RATE_MEASUREMENT_UUID,
    HEART_RATE_SERVICE_UUID,
    ContactTracker,
    MalformedPacketError,
    parse_battery_level,
    parse_body_sensor_location,
    parse_heart_rate_measurement,
)

logger = logging.getLogger(__name__)

_ADDRESS = re.compile(r"^(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$")
_GATT_TIMEOUT_S = 5.0
_INITIAL_CONNECT_TRIES = 3


DOCTOR_HINT = "run `session-monitor doctor` to check this computer's Bluetooth"
"""Appended to every Bluetooth error the user sees: the doctor says what to fix, one line each."""


class StrapError(Exception):
    """A strap problem the user can act on, with a one-line plain-language message."""


def with_doctor_hint(message: str) -> str:
    """``message`` followed by :data:`DOCTOR_HINT` (once, however often it is called)."""
    return message if DOCTOR_HINT in message else f"{message}; {DOCTOR_HINT}"


@dataclass(frozen=True, slots=True)
class StrapInfo:
    """A heart-rate strap seen by a scan."""

    name: str
    address: str
    rssi: int | None


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """How a lost strap is looked for again.

    Attributes
    ----------
    first_delay_s : float
        Pause after the first failed attempt.
    max_delay_s : float
        The back-off never pauses longer than this, so the strap is found again within about
        ``max_delay_s`` plus one advertising interval of its return.
    factor : float
        Growth of the pause from one failed attempt to the next.
    scan_window_s : float
        How long one attempt scans for the strap before pausing.
    """

    first_delay_s: float = 0.5
    max_delay_s: float = 2.0
    factor: float = 2.0
    scan_window_s: float = 8.0

    def delays(self) -> Iterator[float]:
        """The pauses between attempts: first_delay_s, growing by factor, capped at max."""
        delay_s = self.first_delay_s
        while True:
            yield min(delay_s, self.max_delay_s)
            delay_s *= self.factor


def is_bluetooth_address(text: str) -> bool:
    """Whether ``text`` looks like a Bluetooth address (``AA:BB:CC:DD:EE:FF``)."""
    return bool(_ADDRESS.match(text.strip()))


def _adapter_label(adapter: str | None) -> str:
    return adapter or "the default Bluetooth adapter"


def explain_bluetooth_error(error: BaseException, adapter: str | None = None) -> str:
    """A one-line, plain-language explanation of a Bluetooth failure.

    Parameters
    ----------
    error : BaseException
        What bleak, D-Bus or the OS raised.
    adapter : str, optional
        The adapter in use, to name it in the message.

    Returns
    -------
    str
        The message for :class:`StrapError`, ending with :data:`DOCTOR_HINT`.
    """
    return with_doctor_hint(_explain(error, adapter))


def _explain(error: BaseException, adapter: str | None) -> str:
    label = _adapter_label(adapter)
    if isinstance(error, BleakBluetoothNotAvailableError):
        reason = error.reason
        if reason is BleakBluetoothNotAvailableReason.NO_BLUETOOTH:
            return "no Bluetooth adapter found on this computer"
        if reason is BleakBluetoothNotAvailableReason.POWERED_OFF:
            return "Bluetooth is off: turn it on (for example `bluetoothctl power on`)"
        if reason is BleakBluetoothNotAvailableReason.NO_BLE_CENTRAL_ROLE:
            return f"{label} cannot connect to Bluetooth Low Energy devices"
        if reason in (
            BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM,
            BleakBluetoothNotAvailableReason.DENIED_BY_USER,
            BleakBluetoothNotAvailableReason.DENIED_BY_UNKNOWN,
        ):
            return (
                "permission to use Bluetooth was denied: allow this user to use BlueZ "
                "(on Linux, membership of the 'bluetooth' group or a polkit rule)"
            )
        return "Bluetooth is not available: " + _one_line(error.args[0] if error.args else error)
    if isinstance(error, BleakDBusError):
        name = error.dbus_error
        if name == "org.bluez.Error.NotReady":
            return f"Bluetooth adapter {adapter or ''} is off: turn it on".replace("  ", " ")
        if name in (
            "org.freedesktop.DBus.Error.AccessDenied",
            "org.bluez.Error.NotPermitted",
            "org.bluez.Error.NotAuthorized",
            "org.freedesktop.DBus.Error.AuthFailed",
        ):
            return "permission to use Bluetooth was denied (check the 'bluetooth' group or polkit)"
        if name in (
            "org.freedesktop.DBus.Error.ServiceUnknown",
            "org.freedesktop.DBus.Error.NameHasNoOwner",
        ):
            return "the Bluetooth service (BlueZ, bluetoothd) is not running"
        if name == "org.freedesktop.DBus.Error.UnknownObject":
            return f"Bluetooth adapter {adapter} not found"
        return f"Bluetooth error: {_one_line(error)}"
    if isinstance(error, PermissionError):
        return "permission to use Bluetooth was denied (check the 'bluetooth' group or polkit)"
    if isinstance(error, FileNotFoundError | ConnectionRefusedError):
        return "cannot reach the system D-Bus, so no Bluetooth service is available"
    if isinstance(error, TimeoutError):
        return f"Bluetooth operation on {label} timed out"
    if isinstance(error, BleakError):
        text = _one_line(error)
        match = re.search(r"adapter '([^']+)' not found", text)
        if match:
            return f"Bluetooth adapter {match.group(1)} not found"
        return f"Bluetooth error: {text}"
    if isinstance(error, OSError):
        return f"cannot reach the Bluetooth service: {_one_line(error)}"
    return f"Bluetooth error: {_one_line(error)}"


def _one_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text or type(value).__name__


async def _check_adapter(adapter: str | None) -> None:
    """Fail early, with a clear message, when the adapter is missing or off (Linux/BlueZ).

    bleak does not check an explicitly named adapter's power state, and a scan on a powered-off
    adapter fails with a cryptic D-Bus error or silently finds nothing.
    """
    if adapter is None or sys.platform != "linux":
        return
    from dbus_fast import BusType, Message, MessageType  # bleak's own D-Bus library on Linux
    from dbus_fast.aio import MessageBus

    try:
        bus = await asyncio.wait_for(MessageBus(bus_type=BusType.SYSTEM).connect(), 5.0)
    except Exception as error:
        raise StrapError(explain_bluetooth_error(error, adapter)) from error
    try:
        reply = await asyncio.wait_for(
            bus.call(
                Message(
                    destination="org.bluez",
                    path=f"/org/bluez/{adapter}",
                    interface="org.freedesktop.DBus.Properties",
                    member="Get",
                    signature="ss",
                    body=["org.bluez.Adapter1", "Powered"],
                )
            ),
            5.0,
        )
        if reply.message_type == MessageType.ERROR:
            if reply.error_name in (
                "org.freedesktop.DBus.Error.UnknownObject",
                "org.freedesktop.DBus.Error.UnknownMethod",
                "org.freedesktop.DBus.Error.InvalidArgs",
            ):
                known = await _adapter_names(bus)
                others = f" (adapters here: {', '.join(known)})" if known else ""
                raise StrapError(f"Bluetooth adapter {adapter} not found{others}")
            raise StrapError(
                explain_bluetooth_error(BleakDBusError(reply.error_name or "", reply.body), adapter)
            )
        if not reply.body[0].value:
            raise StrapError(
                f"Bluetooth adapter {adapter} is off: turn it on "
                f"(for example `bluetoothctl power on`)"
            )
    except TimeoutError as error:
        raise StrapError("the Bluetooth service (BlueZ) does not answer") from error
    finally:
        bus.disconnect()


async def _adapter_names(bus: MessageBus) -> list[str]:
    from dbus_fast import Message, MessageType

    reply = await bus.call(
        Message(
            destination="org.bluez",
            path="/",
            interface="org.freedesktop.DBus.ObjectManager",
            member="GetManagedObjects",
        )
    )
    if reply.message_type == MessageType.ERROR:
        return []
    return sorted(
        path.rsplit("/", 1)[-1]
        for path, interfaces in reply.body[0].items()
        if "org.bluez.Adapter1" in interfaces
    )


def _scanner_args(adapter: str | None) -> BlueZScannerArgs:
    return BlueZScannerArgs(adapter=adapter) if adapter else BlueZScannerArgs()


def _client_args(adapter: str | None) -> BlueZClientArgs:
    return BlueZClientArgs(adapter=adapter) if adapter else BlueZClientArgs()


async def scan_straps(adapter: str | None = None, timeout_s: float = 5.0) -> list[StrapInfo]:
    """List the heart-rate straps in range: any device advertising the Heart Rate Service.

    Parameters
    ----------
    adapter : str, optional
        Bluetooth adapter to scan with (``"hci0"``); the system's default when omitted.
    timeout_s : float, optional
        How long to scan.

    Returns
    -------
    list of StrapInfo
        Name, address and RSSI of each strap, strongest signal first.

    Raises
    ------
    StrapError
        No adapter, adapter off, Bluetooth service unreachable, permission denied.
    """
    await _check_adapter(adapter)
    try:
        found = await BleakScanner.discover(
            timeout=timeout_s,
            return_adv=True,
            service_uuids=[HEART_RATE_SERVICE_UUID],
            bluez=_scanner_args(adapter),
        )
    except StrapError:
        raise
    except Exception as error:
        raise StrapError(explain_bluetooth_error(error, adapter)) from error
    straps = [
        StrapInfo(
            name=advertisement.local_name or device.name or "",
            address=device.address,
            rssi=advertisement.rssi,
        )
        for device, advertisement in found.values()
        if HEART_RATE_SERVICE_UUID in [u.lower() for u in advertisement.service_uuids]
    ]
    return sorted(straps, key=lambda s: -(s.rssi if s.rssi is not None else -999))


async def probe_bluetooth(timeout_s: float = 2.0) -> str | None:
    """Ask the operating system's Bluetooth backend whether a scan can start at all.

    A short scan for heart-rate straps through bleak (CoreBluetooth on macOS, WinRT on Windows,
    BlueZ on Linux): it fails at once when there is no adapter, the adapter is off or this
    program may not use Bluetooth, which is what ``session-monitor doctor`` reports.

    Parameters
    ----------
    timeout_s : float
        How long the scan may run; it is cut short at that time whatever happens.

    Returns
    -------
    str or None
        ``None`` when the scan started and ended normally, else the plain-language reason.
    """
    try:
        await asyncio.wait_for(
            BleakScanner.discover(timeout=timeout_s, service_uuids=[HEART_RATE_SERVICE_UUID]),
            timeout_s + 3.0,
        )
    except Exception as error:  # whatever the backend raises becomes the one line shown
        return _explain(error, None)
    return None


class _Ended:
    """Marks the end of the event queue."""


_END = _Ended()


class BleHeartRateSource:
    """A BLE heart-rate strap as an async stream of source events, reconnecting by itself.

    Parameters
    ----------
    device : str
        The strap's address (``AA:BB:CC:DD:EE:FF``) or its advertised name.
    adapter : str, optional
        Bluetooth adapter (``"hci0"``); the system's default when omitted.
    find_timeout_s : float, optional
        How long to look for the strap at the start before giving up with :class:`StrapError`.
    connect_timeout_s : float, optional
        Limit for one connection attempt (connect and service discovery).
    stall_timeout_s : float, optional
        A connected strap that sends no notification for this long is treated as lost
        (straps notify about once a second, even without RR intervals).
    reconnect : ReconnectPolicy, optional
        Back-off and scan window while the strap is away.
    raw_data : bool, optional
        Also stream the strap's raw ECG (130 Hz) and acceleration when it offers Polar
        Measurement Data (the Polar H10; :mod:`drivers.ble_pmd`), restarted at every connection.
        ``DeviceInfo.extra["raw_data"]`` says what it gives: ``"ecg,acc"``, ``"ecg"``,
        ``"none"`` (no PMD, or its setup failed), or ``"off"`` (not asked).

    Examples
    --------
    >>> async def main():
    ...     source = BleHeartRateSource("AA:BB:CC:DD:EE:FF", adapter="hci0")
    ...     async for event in source.events():
    ...         print(event)          # call `await source.stop()` from elsewhere to end
    """

    def __init__(
        self,
        device: str,
        *,
        adapter: str | None = None,
        find_timeout_s: float = 15.0,
        connect_timeout_s: float = 20.0,
        stall_timeout_s: float = 5.0,
        reconnect: ReconnectPolicy | None = None,
        raw_data: bool = False,
    ) -> None:
        device = device.strip()
        if not device:
            raise StrapError("no strap given: pass its name or address")
        if not (find_timeout_s > 0 and connect_timeout_s > 0 and stall_timeout_s > 0):
            raise ValueError("timeouts must be positive")
        self.device = device
        self.adapter = adapter
        self.find_timeout_s = find_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.stall_timeout_s = stall_timeout_s
        self.reconnect = reconnect or ReconnectPolicy()
        self.raw_data = raw_data
        self.malformed_packets = 0
        self._queue: asyncio.Queue[SourceEvent | BaseException | _Ended] | None = None
        self._stop_requested: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None
        self._contact = ContactTracker()
        self._battery_percent: int | None = None
        self._last_notification_s = 0.0
        self._last_packet_s: float | None = None
        self._gap: tuple[float, str] | None = None

    # Public API -----------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Connect and yield events until :meth:`stop` (or the consumer stops iterating).

        Yields
        ------
        SourceEvent
            ``StateChanged`` (scanning, connecting, connected, lost, reconnecting, stopped),
            ``DeviceInfo`` and ``BatteryLevel`` at each connection, ``HeartRatePacket`` per
            notification (arrival time from ``time.monotonic()``), ``ContactChanged`` on change,
            ``SignalGap`` when the signal returns after a loss; with ``raw_data``,
            ``EcgSamples`` and ``AccSamples`` per PMD frame. The last event is ``STOPPED``.

        Raises
        ------
        StrapError
            Before the first connection only: strap not found within ``find_timeout_s``, no
            adapter, adapter off, permission denied, or the strap refused the connection.
        """
        if self._runner is not None and not self._runner.done():
            raise RuntimeError("events() is already running for this source")
        self._queue = asyncio.Queue()
        self._stop_requested = asyncio.Event()
        self._runner = asyncio.create_task(self._run(), name=f"ble-source-{self.device}")
        try:
            while True:
                item = await self._queue.get()
                if isinstance(item, _Ended):
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop notifications, disconnect cleanly and end :meth:`events`.

        Safe to call at any time, more than once, and before :meth:`events` started.
        """
        if self._stop_requested is None or self._runner is None:
            return
        self._stop_requested.set()
        if self._runner.done() or self._runner is asyncio.current_task():
            return
        done, _ = await asyncio.wait({self._runner}, timeout=self.connect_timeout_s + 10)
        if not done:
            logger.warning("BLE source did not stop in time; cancelling it")
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    # The session ----------------------------------------------------------------------------

    def _emit(self, event: SourceEvent | BaseException | _Ended) -> None:
        assert self._queue is not None
        self._queue.put_nowait(event)

    def _state(self, state: ConnectionState, detail: str = "") -> None:
        self._emit(StateChanged(time.monotonic(), state, detail))

    @property
    def _stopping(self) -> bool:
        return self._stop_requested is not None and self._stop_requested.is_set()

    async def _run(self) -> None:
        failure: BaseException | None = None
        detail = "stopped"
        try:
            await self._session()
        except StrapError as error:
            failure = error
            detail = str(error)
        except Exception as error:  # never a traceback for the user; the log keeps it
            logger.exception("BLE session failed")
            failure = StrapError(explain_bluetooth_error(error, self.adapter))
            detail = str(failure)
        finally:
            self._state(ConnectionState.STOPPED, detail)
            if failure is not None:
                self._emit(failure)
            self._emit(_END)

    async def _session(self) -> None:
        self._state(
            ConnectionState.SCANNING,
            f"looking for {self.device} on {_adapter_label(self.adapter)}",
        )
        await _check_adapter(self.adapter)
        ble_device = await self._find(self.find_timeout_s, self._matches_request)
        if ble_device is None:
            if self._stopping:
                return
            raise StrapError(
                f"no heart-rate strap '{self.device}' found on {_adapter_label(self.adapter)} "
                f"within {self.find_timeout_s:g} s: is it worn (moist electrodes), charged, "
                f"and not connected to another app?"
            )
        address = ble_device.address
        connected_once = False
        failed_connects = 0
        attempt = 0
        delays = self.reconnect.delays()
        while not self._stopping:
            if ble_device is None:
                # Scan again: the strap must be advertising before a connection can work.
                why = "strap not in range"
                try:
                    ble_device = await self._find(
                        self.reconnect.scan_window_s, lambda d, a: _same_address(d, address)
                    )
                except StrapError as error:  # adapter unplugged, BlueZ restarting: keep trying
                    # A passing state of the link (recorded with it), not an error for the user.
                    why = str(error).removesuffix(f"; {DOCTOR_HINT}")
                if ble_device is None:
                    attempt += 1
                    await self._pause_then_announce(next(delays), attempt, why)
                    continue
            outcome = await self._connect_and_stream(ble_device, initial=not connected_once)
            ble_device = None
            if self._stopping:
                return
            if outcome.connected:
                connected_once = True
                gap_start_s = self._last_packet_s or outcome.connected_at_s
                lost_since_s = self._contact.take_lost_since()
                if lost_since_s is not None:
                    gap_start_s = min(gap_start_s, lost_since_s)
                self._gap = (gap_start_s, outcome.reason)
                self._state(ConnectionState.LOST, outcome.reason)
                delays = self.reconnect.delays()
                attempt = 1
                self._state(ConnectionState.RECONNECTING, f"attempt {attempt}")
                continue
            failed_connects += 1
            if not connected_once and failed_connects >= _INITIAL_CONNECT_TRIES:
                raise StrapError(
                    f"found {self.device} but could not connect ({outcome.reason}); is it "
                    f"connected to another app? (a Polar H10 accepts one connection at a time)"
                )
            attempt += 1
            await self._pause_then_announce(next(delays), attempt, outcome.reason)

    async def _pause_then_announce(self, delay_s: float, attempt: int, why: str) -> None:
        assert self._stop_requested is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_requested.wait(), timeout=delay_s)
        if not self._stopping:
            self._state(ConnectionState.RECONNECTING, f"attempt {attempt} ({why})")

    def _matches_request(self, device: BLEDevice, advertisement: AdvertisementData) -> bool:
        if is_bluetooth_address(self.device):
            return _same_address(device, self.device)
        return self.device in (advertisement.local_name, device.name)

    async def _find(
        self, timeout_s: float, match: Callable[[BLEDevice, AdvertisementData], bool]
    ) -> BLEDevice | None:
        """Scan until a matching device advertises, the timeout passes, or stop is asked."""
        assert self._stop_requested is not None
        search = asyncio.create_task(
            BleakScanner.find_device_by_filter(
                match, timeout=timeout_s, bluez=_scanner_args(self.adapter)
            )
        )
        stop = asyncio.create_task(self._stop_requested.wait())
        try:
            await asyncio.wait({search, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not search.done():
                search.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await search
        if search.cancelled():
            return None
        error = search.exception()
        if error is not None:
            raise StrapError(explain_bluetooth_error(error, self.adapter)) from error
        return search.result()

    async def _connect_and_stream(self, ble_device: BLEDevice, *, initial: bool) -> _Outcome:
        """One connection: connect, read info, stream until lost or stopped."""
        if initial:
            self._state(ConnectionState.CONNECTING, f"{ble_device.name or ''} {ble_device.address}")
        disconnected = asyncio.Event()
        client = BleakClient(
            ble_device,
            disconnected_callback=lambda _client: disconnected.set(),
            bluez=_client_args(self.adapter),
            timeout=self.connect_timeout_s,
        )
        try:
            await client.connect()
        except Exception as error:
            logger.info("connecting to %s failed: %r", ble_device.address, error)
            await _quietly(client.disconnect())
            # A link reason (recorded with the gap it causes), not yet an error for the user.
            return _Outcome(False, _explain(error, self.adapter))
        subscribed: list[str] = []
        connected_at_s: float | None = None
        pmd: PmdStreams | None = None
        pmd_setup: asyncio.Task[None] | None = None
        info: DeviceInfo | None = None
        try:
            measurement = client.services.get_characteristic(HEART_RATE_MEASUREMENT_UUID)
            if measurement is None:
                missing = (
                    f"{ble_device.name or ble_device.address} has no heart-rate measurement "
                    f"(0x2A37)"
                )
                if initial:
                    raise StrapError(f"{missing}: is it a heart-rate strap?")
                # The strap we streamed from before: a half-set-up link, try again.
                return _Outcome(False, missing)
            wants_raw_data = self.raw_data and PmdStreams.offered(client)
            raw_label = RAW_DATA_OFF if not self.raw_data else RAW_DATA_NONE
            # With raw data coming, the device is announced once its streams are known.
            info = device_info = await self._read_device_info(
                client, ble_device, raw_label, announce=not wants_raw_data
            )
            if wants_raw_data:
                pmd = PmdStreams(
                    client,
                    self._emit,
                    lambda why: self._raw_data_failed(device_info, why, pmd, disconnected),
                    _GATT_TIMEOUT_S,
                )
            # Connected before subscribing, so that no packet is ever announced before it.
            connected_at_s = time.monotonic()
            self._last_notification_s = connected_at_s
            self._state(ConnectionState.CONNECTED, ble_device.name or ble_device.address)
            await asyncio.wait_for(
                client.start_notify(measurement, self._on_measurement), _GATT_TIMEOUT_S
            )
            subscribed.append(HEART_RATE_MEASUREMENT_UUID)
            battery = client.services.get_characteristic(BATTERY_LEVEL_UUID)
            if battery is not None and "notify" in battery.properties:
                with contextlib.suppress(Exception):  # battery notifications are optional
                    await asyncio.wait_for(
                        client.start_notify(battery, self._on_battery), _GATT_TIMEOUT_S
                    )
                    subscribed.append(BATTERY_LEVEL_UUID)
            if pmd is not None:
                # Beside the watch, so a slow or silent control point never delays noticing a
                # lost link; the heart rate streams meanwhile.
                pmd_setup = asyncio.create_task(self._start_raw_data(pmd, info))
            reason = await self._watch(disconnected)
            return _Outcome(True, reason, connected_at_s)
        except StrapError:
            raise
        except Exception as error:
            logger.info("setting up %s failed: %r", ble_device.address, error)
            explanation = _explain(error, self.adapter)
            if connected_at_s is not None:
                return _Outcome(True, f"subscribing failed: {explanation}", connected_at_s)
            return _Outcome(False, explanation)
        finally:
            if pmd_setup is not None and not pmd_setup.done():
                pmd_setup.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pmd_setup
            clean = self._stopping and client.is_connected and not disconnected.is_set()
            if pmd is not None:
                if info is not None and not pmd.announced:
                    # The link ended during the setup: the device was here, without raw data.
                    self._emit(_with_raw_data(info, RAW_DATA_NONE))
                await pmd.close()
                if clean:
                    await pmd.stop()
            if clean:
                # Clean shutdown: notifications off, then disconnect. (A silent link is only
                # disconnected: asking a wedged strap to stop notifying could hang.)
                for uuid in subscribed:
                    await _quietly(client.stop_notify(uuid))
            await _quietly(client.disconnect())

    async def _start_raw_data(self, pmd: PmdStreams, info: DeviceInfo) -> None:
        """Start the PMD streams, then announce the device with what it gives."""
        label = await pmd.start()
        pmd.announced = True
        self._emit(_with_raw_data(info, label))

    def _raw_data_failed(
        self,
        info: DeviceInfo,
        reason: str,
        pmd: PmdStreams | None,
        disconnected: asyncio.Event,
    ) -> None:
        """The raw data stopped on an error: say so once; the heart rate goes on."""
        if self._stopping or disconnected.is_set():
            return  # the link ending is the news, told by the watch (the log has the rest)
        self._state(ConnectionState.CONNECTED, f"{info.name}: raw data stopped ({reason})")
        if pmd is not None and pmd.announced:  # else the setup's announcement says none
            self._emit(_with_raw_data(info, RAW_DATA_NONE))

    async def _watch(self, disconnected: asyncio.Event) -> str:
        """Wait while connected; return why the link ended ("" when stop was asked)."""
        assert self._stop_requested is not None
        stop = asyncio.create_task(self._stop_requested.wait())
        dropped = asyncio.create_task(disconnected.wait())
        try:
            while True:
                silent_s = time.monotonic() - self._last_notification_s
                remaining_s = max(self.stall_timeout_s - silent_s, 0.05)
                await asyncio.wait(
                    {stop, dropped}, timeout=remaining_s, return_when=asyncio.FIRST_COMPLETED
                )
                if self._stopping:
                    return ""
                if disconnected.is_set():
                    return "the strap disconnected (out of range, battery, or switched off)"
                if time.monotonic() - self._last_notification_s >= self.stall_timeout_s:
                    return f"no heart-rate notification for {self.stall_timeout_s:g} s"
        finally:
            stop.cancel()
            dropped.cancel()

    async def _read_device_info(
        self, client: BleakClient, ble_device: BLEDevice, raw_data: str, *, announce: bool
    ) -> DeviceInfo:
        location = None
        if client.services.get_characteristic(BODY_SENSOR_LOCATION_UUID) is not None:
            try:
                value = await asyncio.wait_for(
                    client.read_gatt_char(BODY_SENSOR_LOCATION_UUID), _GATT_TIMEOUT_S
                )
                location = parse_body_sensor_location(value)
            except (MalformedPacketError, BleakError, TimeoutError) as error:
                logger.info("body sensor location unreadable: %r", error)
        now = time.monotonic()
        extra = {"adapter": self.adapter} if self.adapter else {}
        extra["raw_data"] = raw_data
        info = DeviceInfo(now, ble_device.name or self.device, ble_device.address, location, extra)
        if announce:
            self._emit(info)
        if client.services.get_characteristic(BATTERY_LEVEL_UUID) is not None:
            try:
                value = await asyncio.wait_for(
                    client.read_gatt_char(BATTERY_LEVEL_UUID), _GATT_TIMEOUT_S
                )
                self._battery_percent = parse_battery_level(value)
                self._emit(BatteryLevel(time.monotonic(), self._battery_percent))
            except (MalformedPacketError, BleakError, TimeoutError) as error:
                logger.info("battery level unreadable: %r", error)
        return info

    # Notification callbacks (called by bleak inside the loop) --------------------------------

    def _on_measurement(self, _sender: BleakGATTCharacteristic, data: bytearray) -> None:
        arrival_s = time.monotonic()
        self._last_notification_s = arrival_s
        try:
            packet: HeartRatePacket = parse_heart_rate_measurement(data, arrival_s)
        except MalformedPacketError as error:
            self.malformed_packets += 1
            logger.warning("ignored a malformed heart-rate notification: %s", error)
            return
        if self._gap is not None:
            start_s, reason = self._gap
            self._gap = None
            self._emit(SignalGap(start_s, arrival_s, reason))
        for event in self._contact.update(packet):
            self._emit(event)
        self._last_packet_s = arrival_s
        self._emit(packet)

    def _on_battery(self, _sender: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            percent = parse_battery_level(data)
        except MalformedPacketError as error:
            logger.warning("ignored a malformed battery notification: %s", error)
            return
        if percent != self._battery_percent:
            self._battery_percent = percent
            self._emit(BatteryLevel(time.monotonic(), percent))


@dataclass(frozen=True, slots=True)
class _Outcome:
    connected: bool
    reason: str
    connected_at_s: float = 0.0


def _with_raw_data(info: DeviceInfo, label: str) -> DeviceInfo:
    """The device announced again, now, with which raw data it gives."""
    return dataclasses.replace(
        info, arrival_s=time.monotonic(), extra={**info.extra, "raw_data": label}
    )


def _same_address(device: BLEDevice, address: str) -> bool:
    return device.address.replace("-", ":").lower() == address.replace("-", ":").lower()


async def _quietly(operation: Awaitable[object]) -> None:
    """Run a teardown step with a time limit; a failed teardown must not hide the outcome."""
    try:
        await asyncio.wait_for(operation, _GATT_TIMEOUT_S)
    except Exception as error:
        logger.debug("teardown step failed: %r", error)


# -- what BlueZ says about this computer (session-monitor doctor, Linux) ----------------------

_DBUS_DENIED = (
    "org.freedesktop.DBus.Error.AccessDenied",
    "org.freedesktop.DBus.Error.AuthFailed",
    "org.bluez.Error.NotPermitted",
    "org.bluez.Error.NotAuthorized",
)
_BLUEZ_NOT_RUNNING = (
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
)


@dataclass(frozen=True)
class AdapterState:
    """One Bluetooth adapter as BlueZ reports it."""

    name: str
    address: str
    powered: bool


@dataclass(frozen=True)
class BluezStatus:
    """The answer, or why there is none.

    Attributes
    ----------
    bus_reachable : bool
        The system D-Bus accepted a connection.
    bluez_running : bool
        BlueZ answered on the bus.
    permitted : bool
        BlueZ let this user list its objects (False: the D-Bus policy refused).
    adapters : tuple of AdapterState
        The adapters, by name (``hci0`` ...); empty when none or when BlueZ did not answer.
    detail : str
        What went wrong, in the bus's own words ("" when nothing did).
    """

    bus_reachable: bool
    bluez_running: bool = False
    permitted: bool = False
    adapters: tuple[AdapterState, ...] = field(default_factory=tuple)
    detail: str = ""


async def bluez_status(timeout_s: float = 3.0) -> BluezStatus:
    """Ask BlueZ for its adapters on the system bus (``$DBUS_SYSTEM_BUS_ADDRESS`` if set).

    ``session-monitor doctor`` asks this on Linux: is the system D-Bus reachable, does BlueZ
    answer on it, may this user talk to it, and which adapters are there and powered. It never
    waits longer than its timeout: a stuck service must not hang the doctor.

    Parameters
    ----------
    timeout_s : float
        Limit for connecting and for the reply, each.

    Returns
    -------
    BluezStatus
    """
    from dbus_fast import BusType, Message, MessageType
    from dbus_fast.aio import MessageBus

    try:
        bus = await asyncio.wait_for(MessageBus(bus_type=BusType.SYSTEM).connect(), timeout_s)
    except TimeoutError:
        return BluezStatus(bus_reachable=False, detail=f"no answer within {timeout_s:g} s")
    except Exception as error:  # socket missing, refused, bad address: all "unreachable"
        return BluezStatus(bus_reachable=False, detail=" ".join(str(error).split()))
    try:
        reply = await asyncio.wait_for(
            bus.call(
                Message(
                    destination="org.bluez",
                    path="/",
                    interface="org.freedesktop.DBus.ObjectManager",
                    member="GetManagedObjects",
                )
            ),
            timeout_s,
        )
    except TimeoutError:
        return BluezStatus(bus_reachable=True, detail=f"BlueZ gave no answer in {timeout_s:g} s")
    finally:
        bus.disconnect()
    if reply.message_type == MessageType.ERROR:
        name = reply.error_name or ""
        if name in _BLUEZ_NOT_RUNNING:
            return BluezStatus(bus_reachable=True, detail=name)
        return BluezStatus(
            bus_reachable=True, bluez_running=True, permitted=name not in _DBUS_DENIED, detail=name
        )
    adapters = []
    for path, interfaces in reply.body[0].items():
        properties = interfaces.get("org.bluez.Adapter1")
        if properties is None:
            continue
        address = properties.get("Address")
        powered = properties.get("Powered")
        adapters.append(
            AdapterState(
                name=path.rsplit("/", 1)[-1],
                address=str(address.value) if address is not None else "",
                powered=bool(powered.value) if powered is not None else False,
            )
        )
    return BluezStatus(
        bus_reachable=True,
        bluez_running=True,
        permitted=True,
        adapters=tuple(sorted(adapters, key=lambda a: a.name)),
    )
