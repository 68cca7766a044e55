"""What BlueZ, the Linux Bluetooth service, says about this computer's adapters, over D-Bus.

``session-monitor doctor`` asks this on Linux: is the system D-Bus reachable, does BlueZ answer
on it, may this user talk to it, and which adapters are there and powered. It uses dbus-fast,
the D-Bus library bleak itself uses on Linux, and never waits longer than its timeout: a stuck
service must not hang the doctor.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

BLUEZ = "org.bluez"
ADAPTER_INTERFACE = "org.bluez.Adapter1"

_DENIED = (
    "org.freedesktop.DBus.Error.AccessDenied",
    "org.freedesktop.DBus.Error.AuthFailed",
    "org.bluez.Error.NotPermitted",
    "org.bluez.Error.NotAuthorized",
)
_NOT_RUNNING = (
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
                    destination=BLUEZ,
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
        if name in _NOT_RUNNING:
            return BluezStatus(bus_reachable=True, detail=name)
        return BluezStatus(
            bus_reachable=True, bluez_running=True, permitted=name not in _DENIED, detail=name
        )
    adapters = []
    for path, interfaces in reply.body[0].items():
        properties = interfaces.get(ADAPTER_INTERFACE)
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
