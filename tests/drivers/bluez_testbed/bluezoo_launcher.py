"""Run the bluezoo BlueZ D-Bus mock, with the fixes a reconnect test needs, as its own process.

bluezoo is GPL-2.0: it is only ever run as a separate process by the test fixtures, never
imported by the product. This launcher patches bluezoo 1.0.2 in memory (no fork) and starts it:

1. A disconnect leaves the per-connection GATT link objects exported, so the next connection
   sees duplicate services (bleak: "Multiple Characteristics with this UUID") or fails with
   errno 17. Fix: on disconnect, stop forwarding notifications, stop notifications on the GATT
   application (as BlueZ does when the last subscriber goes), unexport the links and reset
   ServicesResolved.
2. A disconnect may be applied to a device object that is not the exported one (a duplicate
   made by a scan pass), so the central never hears of it. Fix: apply it to the exported
   device objects on both adapters.
3. When a GATT application goes away (unregistered, or its D-Bus client exits: the strap
   "walked off"), upstream never tells the connected central. Fix: disconnect every device
   connected to that adapter.
4. A device already known is never reported again by a scan: only changed properties are
   emitted. Real BlueZ emits an RSSI change for every advertisement it receives. Fix: emit an
   RSSI PropertiesChanged for the device on every scan pass.

It also cancels a previous discovery task when discovery is started again (upstream leaks it,
and the leaked task keeps scanning after StopDiscovery), and accepts a fractional
``--scan-interval`` so tests need not wait whole seconds.

Usage: ``python bluezoo_launcher.py --scan-interval 0.5 -a 00:11:22:33:44:55 -a ...`` with
``DBUS_SYSTEM_BUS_ADDRESS`` pointing at a private bus.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random

from bluezoo import bluezoo as bluezoo_main
from bluezoo.adapter import Adapter
from bluezoo.device import Device
from bluezoo.gatt import GattCharacteristicClientLink, GattManager
from bluezoo.log import logger

DEVICE_INTERFACE = "org.bluez.Device1"


def _exported(device: Device) -> Device:
    """The device object actually exported at ``device``'s path (fix 2)."""
    if device.adapter is None:
        return device
    return device.adapter.devices.get(device.get_object_path(), device)


async def _set_property(device: Device, name: str, value: bool) -> None:
    try:
        await getattr(device, name).set_async(value)
    except Exception:  # an object that is not exported cannot emit; its state is still set
        logger.debug("could not emit %s on %s", name, device)


async def _release_links(device: Device) -> None:
    """Stop and unexport the GATT link objects of one connection (fix 1)."""
    for link in list(device.services.values()):
        if isinstance(link, GattCharacteristicClientLink):
            link.client_props_changed_subscription.unsubscribe()
            if link.client.Notifying.get(False):
                with contextlib.suppress(Exception):  # the application may be gone already
                    await asyncio.wait_for(link.client.StopNotify(), timeout=2)
    for link in reversed(list(device.services.values())):
        with contextlib.suppress(KeyError):
            device.peer_adapter.mock.remove_object(link)
    device.services.clear()


async def _disconnect(self: Device, uuid: str | None = None) -> None:
    self.connecting_task.cancel()
    logger.info(f"Disconnecting {self}")
    central = _exported(self)
    peripheral = _exported(self.peer) if self.peer is not None else None
    # Connected first, as BlueZ reports a dropped link before tearing down its services.
    for device in {id(d): d for d in (self, central, self.peer, peripheral) if d}.values():
        device.connected = False
        await _set_property(device, "Connected", False)
    for device in {id(d): d for d in (self, central) if d}.values():
        await _release_links(device)
    for device in {id(d): d for d in (self, central, self.peer, peripheral) if d}.values():
        if device.services_resolved:
            device.services_resolved = False
            await _set_property(device, "ServicesResolved", False)


_original_del_gatt_application = GattManager._GattManager__del_gatt_application


async def _del_gatt_application(self, app) -> None:
    await _original_del_gatt_application(self, app)
    # Fix 3: the peripheral's application is gone, so every link to this adapter is dead.
    for adapter in self.mock.adapters.values():
        for device in list(adapter.devices.values()):
            if device.peer_adapter is self and device.connected:
                await device.disconnect()


_original_add_device = Adapter.add_device


async def _add_device(self: Adapter, device: Device) -> None:
    rssi = -50 - random.randint(0, 20)
    device.rssi = rssi
    path = "/".join((self.get_object_path(), f"dev_{device.address.replace(':', '_')}"))
    known = self.devices.get(path)
    await _original_add_device(self, device)
    if known is not None:
        # Fix 4: report the advertisement, as BlueZ does, so scanners see the device again.
        known.rssi = rssi
        with contextlib.suppress(Exception):
            known.properties_changed.emit((DEVICE_INTERFACE, {"RSSI": ("n", rssi)}, []))


_original_create_discovering_task = bluezoo_main.BluezMockService.create_discovering_task


def _create_discovering_task(self, id: int):
    self.adapters[id].discovering_task.cancel()
    return _original_create_discovering_task(self, id)


def apply_fixes() -> None:
    """Patch bluezoo in this process."""
    Device.disconnect = _disconnect
    GattManager._GattManager__del_gatt_application = _del_gatt_application
    Adapter.add_device = _add_device
    bluezoo_main.BluezMockService.create_discovering_task = _create_discovering_task


def main() -> None:
    parser = argparse.ArgumentParser(description="bluezoo with the test bed's fixes")
    parser.add_argument("--scan-interval", type=float, default=0.5)
    parser.add_argument("-a", "--adapter", dest="adapters", action="append", default=[])
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    apply_fixes()
    loop = asyncio.new_event_loop()
    loop.run_until_complete(
        bluezoo_main.startup(
            bus="system",
            adapters=args.adapters,
            auto_enable=True,
            scan_interval=args.scan_interval,
        )
    )
    loop.run_forever()


if __name__ == "__main__":
    main()
