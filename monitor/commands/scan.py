"""``session-monitor scan``: list the heart-rate straps in range (name, address, RSSI)."""

from __future__ import annotations

import argparse
import asyncio
import math
import sys

from monitor.commands import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="list nearby heart-rate straps (name, address, RSSI)",
        description="Scan for Bluetooth Low Energy devices advertising the Heart Rate Service "
        "(any brand) and print one per line: name, address and signal strength (RSSI, dBm), "
        "tab-separated, strongest first.",
    )
    parser.add_argument(
        "--adapter", metavar="NAME", help="Bluetooth adapter to use, e.g. hci0 (default: system's)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds to scan (default: %(default)s)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise CliError(f"--timeout must be a positive number of seconds, not {args.timeout}")
    from drivers.ble import (  # bleak loads only when Bluetooth is used
        StrapError,
        scan_straps,
        with_doctor_hint,
    )

    try:
        straps = asyncio.run(scan_straps(args.adapter, args.timeout))
    except StrapError as error:
        raise CliError(with_doctor_hint(str(error))) from None
    if not straps:
        where = args.adapter or "the default adapter"
        print(f"no heart-rate strap found on {where} within {args.timeout:g} s", file=sys.stderr)
        return 1
    for strap in straps:
        rssi = "" if strap.rssi is None else str(strap.rssi)
        print(f"{strap.name or '(no name)'}\t{strap.address}\t{rssi}", flush=True)
    return 0
