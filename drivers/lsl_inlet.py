"""A heart-rate source reading another program's LSL stream (a phone bridge, a Polar-to-LSL
tool, an ECG amplifier): the source protocol (:class:`drivers.source.EventSource`) over a pylsl
inlet. The stream is found by name; what it holds is read from its header
(:mod:`drivers.lsl_stream_layout`): a stream of type ECG is read as ECG, any other as RR, unless
the kind is chosen.

- **RR**: each sample's first channel is an RR interval in ms; its LSL timestamp is taken as the
  beat's time (the end of the interval) and becomes the packet's arrival time on the host's
  monotonic clock, so the session engine's beat clock (RR sums anchored at the first arrival,
  docs/architecture.md "Time") rebuilds the sender's beat times.
- **ECG**: each chunk of the chosen channel becomes one :class:`~drivers.events.EcgSamples` run in
  µV, its first sample's LSL timestamp mapped onto the host's monotonic clock. Nothing is computed
  here: the beats are found in the ECG by :class:`monitor.session.ecg_beat_source.EcgBeatSource`.
  The inlet lets liblsl synchronise the clocks and smooth the time stamps (``proc_clocksync``,
  ``proc_dejitter``; liblsl documentation, "Time synchronization"): senders commonly stamp a
  whole chunk with the time they sent it, so raw stamps jitter by the sender's transmission
  delays, which would move every R peak; dejittered stamps follow the stream's actual rate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import numpy as np
import pylsl
from pylsl.util import LostError

from drivers.events import (
    ConnectionState,
    DeviceInfo,
    EcgSamples,
    SourceEvent,
    StateChanged,
)
from drivers.hrs import rr_packet
from drivers.lsl_quiet import quiet_liblsl
from drivers.lsl_stream_layout import (
    EcgLayout,
    InletKind,
    LslStreamNotFoundError,
    ecg_layout,
    inlet_kind,
)

quiet_liblsl()  # before liblsl's first call, which reads its configuration

__all__ = ["LslInletSource", "LslStreamNotFoundError", "stream_channels"]

PULL_TIMEOUT_S = 0.2
"""How long one pull waits for samples before the source looks whether it was asked to stop."""


def stream_channels(info: pylsl.StreamInfo) -> list[tuple[str, str]]:
    """(label, unit) of each channel from a full stream header; blanks where not described."""
    described: list[tuple[str, str]] = []
    channel = info.desc().child("channels").child("channel")
    while not channel.empty() and len(described) < info.channel_count():
        described.append((channel.child_value("label"), channel.child_value("unit")))
        channel = channel.next_sibling("channel")
    described.extend([("", "")] * (info.channel_count() - len(described)))
    return described


class LslInletSource:
    """Heartbeats (RR) or ECG from the LSL stream named ``stream_name``.

    Parameters
    ----------
    stream_name : str
    resolve_timeout_s : float
        How long to look for the stream (and for its header) before giving up.
    kind : InletKind, optional
        Read the stream as RR or ECG whatever its type says (default: by its type).
    channel : str, optional
        An ECG stream's channel: its label or its number from 1 (needed when it has several).
    """

    def __init__(
        self,
        stream_name: str,
        resolve_timeout_s: float = 10.0,
        kind: InletKind | None = None,
        channel: str | None = None,
    ) -> None:
        self.stream_name = stream_name
        self.resolve_timeout_s = resolve_timeout_s
        self.chosen_kind = kind
        self.channel = channel
        self.kind: InletKind | None = None
        """What the stream is read as, once found."""
        self.ecg: EcgLayout | None = None
        """An ECG stream's channel, unit and rate, once found."""
        self._stop = False

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Yield connecting, the stream's identity, connected, packets (RR) or ECG runs, stopped.

        Raises
        ------
        LslStreamNotFoundError
            When no stream of that name answers within ``resolve_timeout_s``.
        drivers.lsl_stream_layout.LslStreamError
            When an ECG stream does not say what is needed (channel, unit, regular rate).
        """
        yield StateChanged(time.monotonic(), ConnectionState.CONNECTING, self.stream_name)
        found = await asyncio.to_thread(
            pylsl.resolve_byprop, "name", self.stream_name, 1, self.resolve_timeout_s
        )
        if not found:
            raise LslStreamNotFoundError(f"no LSL stream named {self.stream_name!r} found")
        self.kind = kind = inlet_kind(found[0].type(), self.chosen_kind)
        if kind is InletKind.ECG:
            flags = pylsl.proc_clocksync | pylsl.proc_dejitter
            inlet = pylsl.StreamInlet(
                found[0], max_buflen=360, recover=False, processing_flags=flags
            )
            info = await asyncio.to_thread(inlet.info, self.resolve_timeout_s)
            self.ecg = ecg_layout(
                info.name(),
                info.nominal_srate(),
                info.channel_format() == pylsl.cf_string,
                stream_channels(info),
                self.channel,
            )
            extra = {"lsl": "inlet", "lsl_type": "ECG", "ecg": self.ecg.describe()}
        else:
            inlet = pylsl.StreamInlet(found[0], max_buflen=360, recover=False)
            info = found[0]
            extra = {"lsl": "inlet"}
        await asyncio.to_thread(inlet.open_stream, self.resolve_timeout_s)
        yield DeviceInfo(time.monotonic(), info.name(), info.source_id(), extra=extra)
        yield StateChanged(time.monotonic(), ConnectionState.CONNECTED, "LSL stream")
        samples = self._ecg_runs(inlet) if self.ecg is not None else self._rr_packets(inlet)
        detail = "stopped"
        try:
            async for event in samples:
                yield event
        except LostError:
            detail = "the LSL stream ended"
        inlet.close_stream()
        yield StateChanged(time.monotonic(), ConnectionState.STOPPED, detail)

    async def _rr_packets(self, inlet: pylsl.StreamInlet) -> AsyncIterator[SourceEvent]:
        while not self._stop:
            chunk, stamps = await asyncio.to_thread(inlet.pull_chunk, PULL_TIMEOUT_S, 1024)
            # The sender's clock on ours (zero on this machine); the monotonic offset now.
            offset_s = inlet.time_correction(timeout=self.resolve_timeout_s)
            to_monotonic_s = time.monotonic() - pylsl.local_clock()
            for sample, stamp in zip(chunk, stamps, strict=True):
                packet = rr_packet(sample[0], stamp + offset_s + to_monotonic_s)
                if packet is not None:
                    yield packet

    async def _ecg_runs(self, inlet: pylsl.StreamInlet) -> AsyncIterator[SourceEvent]:
        layout = self.ecg
        assert layout is not None
        max_samples = max(1, int(layout.sample_hz * 2))
        while not self._stop:
            chunk, stamps = await asyncio.to_thread(inlet.pull_chunk, PULL_TIMEOUT_S, max_samples)
            if not stamps:
                continue
            # Stamps are on our LSL clock already (proc_clocksync); the monotonic offset now.
            arrival_s = time.monotonic()
            to_monotonic_s = arrival_s - pylsl.local_clock()
            values = np.asarray(chunk, dtype=float)[:, layout.index] * layout.uv_per_unit
            for start, stop in _finite_runs(values):
                yield EcgSamples(
                    arrival_s,
                    float(stamps[start]) + to_monotonic_s,
                    layout.sample_hz,
                    tuple(np.rint(values[start:stop]).astype(np.int64).tolist()),
                )

    async def stop(self) -> None:
        """Stop after the current pull."""
        self._stop = True


def _finite_runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each stretch of finite values: a lost sample (NaN) is left out, never
    made up; the run after it starts at its own time."""
    good = np.isfinite(values)
    if good.all():
        return [(0, values.size)]
    edges = np.flatnonzero(np.diff(np.concatenate(([0], good.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
