"""A heart-rate source reading an LSL RR stream from another program (a phone bridge, a
Polar-to-LSL tool): the source protocol (:class:`drivers.source.EventSource`) over a pylsl inlet.

Each sample's first channel is an RR interval in ms; its LSL timestamp is taken as the beat's
time (the end of the interval) and becomes the packet's arrival time on the host's monotonic
clock, so the session engine's beat clock (RR sums anchored at the first arrival,
docs/architecture.md "Time") rebuilds the sender's beat times. ECG streams are not read here:
R-peak detection belongs to the ECG issue (#16).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator

import pylsl
from pylsl.util import LostError

from drivers.events import (
    ConnectionState,
    DeviceInfo,
    HeartRatePacket,
    SourceEvent,
    StateChanged,
)
from drivers.hrs import encode_heart_rate_measurement, parse_heart_rate_measurement
from drivers.lsl_quiet import quiet_liblsl

quiet_liblsl()  # before liblsl's first call, which reads its configuration

MAX_RR_MS = 65_535 * 1000 / 1024
"""The longest interval a Heart Rate Measurement can carry (uint16 in 1/1024 s)."""

PULL_TIMEOUT_S = 0.2
"""How long one pull waits for samples before the source looks whether it was asked to stop."""


class LslStreamNotFoundError(Exception):
    """No LSL stream of that name answered on the network."""


def packet_from_sample(rr_ms: float, arrival_s: float) -> HeartRatePacket | None:
    """One RR sample as a strap's notification would carry it, parsed.

    The payload is encoded as a Heart Rate Measurement (:func:`drivers.hrs.encode_heart_rate_
    measurement`) so the session file stores a notification that replay re-parses like a
    strap's; the interval is therefore quantized to the strap unit of 1/1024 s (at most 0.49 ms
    off; Polar-derived LSL streams carry that unit already). The heart rate is the beat's own,
    60000 / RR. ``None`` for a value that is no interval (NaN, zero, negative, over 64 s).
    """
    if not (math.isfinite(rr_ms) and 0 < rr_ms < MAX_RR_MS):
        return None
    hr_bpm = min(255, round(60_000.0 / rr_ms))
    raw = encode_heart_rate_measurement(hr_bpm, (float(rr_ms),), hr_uint16=False)
    return parse_heart_rate_measurement(raw, arrival_s)


class LslInletSource:
    """Beats from the LSL stream named ``stream_name``.

    Parameters
    ----------
    stream_name : str
    resolve_timeout_s : float
        How long to look for the stream before giving up.
    """

    def __init__(self, stream_name: str, resolve_timeout_s: float = 10.0) -> None:
        self.stream_name = stream_name
        self.resolve_timeout_s = resolve_timeout_s
        self._stop = False

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Yield connecting, the stream's identity, connected, a packet per sample, stopped.

        Raises
        ------
        LslStreamNotFoundError
            When no stream of that name answers within ``resolve_timeout_s``.
        """
        yield StateChanged(time.monotonic(), ConnectionState.CONNECTING, self.stream_name)
        found = await asyncio.to_thread(
            pylsl.resolve_byprop, "name", self.stream_name, 1, self.resolve_timeout_s
        )
        if not found:
            raise LslStreamNotFoundError(f"no LSL stream named {self.stream_name!r} found")
        inlet = pylsl.StreamInlet(found[0], max_buflen=360, recover=False)
        await asyncio.to_thread(inlet.open_stream, self.resolve_timeout_s)
        info = found[0]
        yield DeviceInfo(time.monotonic(), info.name(), info.source_id(), extra={"lsl": "inlet"})
        yield StateChanged(time.monotonic(), ConnectionState.CONNECTED, "LSL stream")
        detail = "stopped"
        while not self._stop:
            try:
                chunk, stamps = await asyncio.to_thread(inlet.pull_chunk, PULL_TIMEOUT_S, 1024)
                # The sender's clock on ours (zero on this machine); the monotonic offset now.
                offset_s = inlet.time_correction(timeout=self.resolve_timeout_s)
            except LostError:
                detail = "the LSL stream ended"
                break
            to_monotonic_s = time.monotonic() - pylsl.local_clock()
            for sample, stamp in zip(chunk, stamps, strict=True):
                packet = packet_from_sample(sample[0], stamp + offset_s + to_monotonic_s)
                if packet is not None:
                    yield packet
        inlet.close_stream()
        yield StateChanged(time.monotonic(), ConnectionState.STOPPED, detail)

    async def stop(self) -> None:
        """Stop after the current pull."""
        self._stop = True
