"""A source of heartbeats from a source that sends an ECG and no beats: another program's LSL ECG
stream (:class:`drivers.lsl_inlet.LslInletSource` reading a stream of type ECG).

The driver only moves samples; here each ECG run goes through
:class:`monitor.core.ecg_rr.EcgIntervals` (the live R-peak detector of
:mod:`monitor.core.ecg_peaks`) and every RR interval it decides becomes one Heart Rate
Measurement packet (:func:`drivers.hrs.rr_packet`), stamped with its R peak's time as a lab
stream's RR sample would be. The session engine, the recorder and replay then take the beats as
they take a strap's (docs/architecture.md, "Where a new source goes"): the file stores the packets,
so a replay shows what the session showed.

The ECG runs themselves go no further. The engine's ECG check (:mod:`monitor.core.ecg_live_beats`)
settles a strap's beats against an independent ECG; these beats *are* the ECG's R peaks, so it
would confirm every one of them, a missed R peak included, and overrule the RR artefact filter
(Lipponen & Tarvainen 2019), which is what finds a missed or extra detection in the intervals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np

from drivers.events import EcgSamples, SignalGap, SourceEvent
from drivers.hrs import rr_packet
from drivers.source import HeartRateSource
from monitor.core.ecg_peaks import MIN_SAMPLE_HZ
from monitor.core.ecg_rr import EcgIntervals
from monitor.user_errors import UserError

ECG_GAP_REASON = "ECG interrupted"
"""Why the beats stopped: the ECG broke off or showed no heartbeat for a while."""


class EcgBeatSource:
    """``source``'s events, with each ECG run replaced by the beats its R peaks decide.

    Parameters
    ----------
    source : HeartRateSource
        A source that sends ECG (:class:`~drivers.events.EcgSamples`) and no beats of its own.
    """

    def __init__(self, source: HeartRateSource) -> None:
        self.source = source
        self.intervals = EcgIntervals()
        self.ecg_runs = 0
        """ECG runs received so far."""

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Every event of the source but its ECG runs; a packet per RR interval found in them,
        after a :class:`~drivers.events.SignalGap` where the ECG lost the heartbeat.

        Raises
        ------
        UserError
            When the ECG is sampled too slowly to find QRS complexes in.
        """
        async for event in self.source.events():
            if not isinstance(event, EcgSamples):
                yield event
                continue
            self.ecg_runs += 1
            try:
                found = self.intervals.push(
                    event.start_s, event.sample_hz, np.asarray(event.ecg_uv, dtype=float)
                )
            except ValueError as error:
                raise UserError(f"{error}; at least {MIN_SAMPLE_HZ:g} Hz is needed") from None
            for interval in found:
                if interval.gap_from_s is not None:
                    # The beats stop at the last one before the lost stretch; the next packet
                    # anchors afresh at its own time (docs/architecture.md, Time).
                    start_s = interval.t_s - interval.rr_ms / 1000.0
                    yield SignalGap(interval.gap_from_s, start_s, ECG_GAP_REASON)
                packet = rr_packet(interval.rr_ms, interval.t_s)
                if packet is not None:
                    yield packet

    async def stop(self) -> None:
        """Stop the source."""
        await self.source.stop()
