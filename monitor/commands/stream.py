"""``session-monitor stream``: print a strap's (or the simulator's) events as JSON lines.

One JSON object per line on stdout, for every packet and every state change, so scripts can
watch a strap without the dashboard::

    session-monitor stream --device "Polar H10 1234ABCD" --adapter hci0 --duration 60
    session-monitor stream --simulate --seed 3 --speed inf --duration 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from typing import TYPE_CHECKING, Any

from drivers.events import (
    BatteryLevel,
    ContactChanged,
    DeviceInfo,
    HeartRatePacket,
    SignalGap,
    SourceEvent,
    StateChanged,
)
from monitor.commands import CliError

if TYPE_CHECKING:  # annotations only
    from drivers.source import HeartRateSource


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stream",
        help="print a strap's packets and state changes as JSON lines",
        description="Connect to a heart-rate strap (or run the simulator) and print one JSON "
        "object per line for every packet (type, arrival time, hr, rr_ms, contact, energy, raw "
        "bytes) and every state, battery, contact or gap event. Times are seconds on the "
        "host's monotonic clock (simulated seconds with --simulate at other speeds than 1).",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--device", metavar="NAME|ADDRESS", help="the strap's name or address")
    source.add_argument("--simulate", action="store_true", help="use the built-in simulator")
    parser.add_argument("--adapter", metavar="NAME", help="Bluetooth adapter, e.g. hci0")
    parser.add_argument(
        "--timeout",
        type=float,
        default=15.0,
        metavar="S",
        help="seconds to look for the strap before giving up (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="simulator seed (default: 0)")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="simulator speed; 'inf' runs as fast as possible (default: 1)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="stop after S seconds (simulated seconds with --simulate); default: until Ctrl-C, "
        "or the end of the simulated session",
    )
    parser.set_defaults(handler=run)


def event_to_json(event: SourceEvent) -> dict[str, Any]:
    """The JSON-ready form of one source event (``type`` names the kind)."""
    if isinstance(event, HeartRatePacket):
        return {
            "type": "packet",
            "arrival_s": event.arrival_s,
            "hr_bpm": event.hr_bpm,
            "rr_ms": list(event.rr_ms),
            "contact": event.contact,
            "energy_kj": event.energy_kj,
            "raw": event.raw.hex(),
        }
    if isinstance(event, StateChanged):
        return {
            "type": "state",
            "arrival_s": event.arrival_s,
            "state": event.state.value,
            "detail": event.detail,
        }
    if isinstance(event, SignalGap):
        return {
            "type": "gap",
            "start_s": event.start_s,
            "end_s": event.end_s,
            "reason": event.reason,
        }
    if isinstance(event, ContactChanged):
        return {"type": "contact", "arrival_s": event.arrival_s, "contact": event.contact}
    if isinstance(event, BatteryLevel):
        return {"type": "battery", "arrival_s": event.arrival_s, "percent": event.percent}
    if isinstance(event, DeviceInfo):
        return {
            "type": "device",
            "arrival_s": event.arrival_s,
            "name": event.name,
            "address": event.address,
            "body_sensor_location": event.body_sensor_location,
            "extra": dict(event.extra),
        }
    return {"type": type(event).__name__, "repr": repr(event)}


def _check(args: argparse.Namespace) -> None:
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CliError(f"--duration must be a positive number of seconds, not {args.duration}")
    if args.simulate:
        if not args.speed > 0 or math.isnan(args.speed):
            raise CliError(f"--speed must be positive (or inf), not {args.speed}")
        if args.adapter:
            raise CliError("--adapter applies to --device, not to --simulate")
    elif not (math.isfinite(args.timeout) and args.timeout > 0):
        raise CliError(f"--timeout must be a positive number of seconds, not {args.timeout}")


def run(args: argparse.Namespace) -> int:
    _check(args)
    if args.simulate:
        from drivers.simulator import SimulatedHeartRateSource

        source = SimulatedHeartRateSource(
            seed=args.seed, speed=args.speed, duration_s=args.duration
        )
        return asyncio.run(_stream(source, wall_duration_s=None))

    from drivers.ble import BleHeartRateSource, StrapError, with_doctor_hint

    try:
        strap = BleHeartRateSource(args.device, adapter=args.adapter, find_timeout_s=args.timeout)
        return asyncio.run(_stream(strap, wall_duration_s=args.duration))
    except StrapError as error:
        raise CliError(with_doctor_hint(str(error))) from None


async def _stream(source: HeartRateSource, wall_duration_s: float | None) -> int:
    from monitor.session.pump import pump

    def write_line(event: SourceEvent) -> None:
        sys.stdout.write(json.dumps(event_to_json(event)) + "\n")
        sys.stdout.flush()

    timer = None
    if wall_duration_s is not None:
        timer = asyncio.get_running_loop().call_later(
            wall_duration_s, lambda: asyncio.ensure_future(source.stop())
        )
    try:
        await pump(source, write_line)
    finally:
        if timer is not None:
            timer.cancel()
    return 0
