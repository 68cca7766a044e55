"""Beat times from Heart Rate Measurement packets (docs/architecture.md, "Time").

A BLE heart-rate notification carries no timestamp, only the RR intervals measured since the
previous notification (zero, one or several). This module turns packets into beats with a
reconstructed time each, keeping the arrival time beside it. Pure computation: no bleak, no I/O.
"""

from __future__ import annotations

import math

from drivers.events import Beat, HeartRatePacket

DEFAULT_MAX_LAG_S = 2.0
"""How far reconstruction may fall behind arrival before RR are taken as lost (see BeatClock)."""


class BeatClock:
    """Reconstruct each beat's time from RR sums anchored at packet arrival times.

    The rule
    --------
    Each RR interval ends at a beat, and the notification that carries it arrives after that
    beat. So for a packet arriving at ``a`` with intervals ``rr_1..rr_n`` (oldest first):

    1. **Anchor.** At the first packet, and at the first packet after :meth:`reset` (call it on
       every ``SignalGap``), the last beat is placed at ``a`` and the earlier ones backwards
       from it by their RR intervals: ``t_n = a``, ``t_(i-1) = t_i - rr_i``.
    2. **Continue.** Afterwards each beat follows the previous one by its RR interval:
       ``t_i = t_(i-1) + rr_i``. Beat-to-beat spacing is then exactly the strap's RR, which is
       what HRV needs.
    3. **Never after arrival.** A beat cannot be reported before it happened: if continuing
       would put the packet's last beat after ``a``, the packet's beats are placed backwards
       from ``a`` instead (as in 1). Since the first anchor assumes zero transmission delay, this
       only ratchets the clock earlier, towards the smallest delay seen. If even that would put
       the packet's first beat at or before the previous beat (RR sum longer than the time
       since the previous beat), the packet's beats are spread evenly over that time so beat
       times still strictly increase. (Only when packets arrive at virtually the same instant can
       order win over arrival, by the smallest step a float allows.)
    4. **Lost RR.** If continuing leaves the last beat more than ``max_lag_s`` before ``a``,
       the strap has dropped RR intervals (or beats were missed); the packet is re-anchored
       as in 1.

    Beats placed by rules 1, 3 or 4 carry ``reanchored=True``: the time from the previous beat
    to them is not their ``rr_ms``. Packets without RR produce no beats and move nothing.
    Arrival times are kept on every beat; never plot or store arrival time as beat time.

    Parameters
    ----------
    max_lag_s : float, optional
        Largest plausible delay between a packet's last beat and its arrival, beyond which RR
        are taken as lost. Straps notify about once a second, so the natural lag stays within
        about one RR interval plus radio jitter.
    """

    def __init__(self, max_lag_s: float = DEFAULT_MAX_LAG_S) -> None:
        if not max_lag_s > 0:
            raise ValueError(f"max_lag_s must be positive, got {max_lag_s}")
        self.max_lag_s = max_lag_s
        self._last_beat_s: float | None = None

    @property
    def last_beat_s(self) -> float | None:
        """Time of the most recent beat, or ``None`` before the first (or after a reset)."""
        return self._last_beat_s

    def reset(self) -> None:
        """Forget the previous beat; the next packet with RR re-anchors at its arrival.

        Call this on every ``SignalGap`` (disconnection, lost contact), so that beats are never
        bridged across missing data.
        """
        self._last_beat_s = None

    def push(self, packet: HeartRatePacket) -> list[Beat]:
        """Turn one packet into beats with reconstructed times.

        Parameters
        ----------
        packet : HeartRatePacket
            The next packet of the stream, in arrival order.

        Returns
        -------
        list of Beat
            One beat per RR interval of the packet, oldest first; empty when it has none.
        """
        rr_ms = packet.rr_ms
        if not rr_ms:
            return []
        arrival_s = packet.arrival_s
        offsets_s = _cumulative_s(rr_ms)  # time of each beat after the previous packet's last
        total_s = offsets_s[-1]
        previous_s = self._last_beat_s

        if previous_s is None:
            times = _backwards_from(arrival_s, offsets_s)
            flags = [True] + [False] * (len(rr_ms) - 1)
        else:
            forward_last_s = previous_s + total_s
            span_s = arrival_s - previous_s
            if forward_last_s <= arrival_s and arrival_s - forward_last_s <= self.max_lag_s:
                times = [previous_s + offset for offset in offsets_s]
                flags = [False] * len(rr_ms)
            elif forward_last_s <= arrival_s or arrival_s - total_s + offsets_s[0] > previous_s:
                # Lost RR (behind by more than max_lag_s), or the clock ran ahead of arrival
                # while the packet still fits after the previous beat: anchor at arrival.
                times = _backwards_from(arrival_s, offsets_s)
                flags = [True] + [False] * (len(rr_ms) - 1)
            else:
                # The RR sum is longer than the time since the previous beat: spread the beats
                # over that time so they stay in order and none is after its arrival.
                scale = span_s / total_s if span_s > 0 else 0.0
                times = [previous_s + offset * scale for offset in offsets_s]
                flags = [True] * len(rr_ms)
        if previous_s is not None:
            # Keep strict order even when arrivals are (nearly) identical: the smallest step a
            # float allows, which can overshoot arrival by ~1e-14 s only in that case.
            floor_s = previous_s
            for index, t_s in enumerate(times):
                if t_s <= floor_s:
                    times[index] = math.nextafter(floor_s, math.inf)
                    flags[index] = True
                floor_s = times[index]
        self._last_beat_s = times[-1]
        return [
            Beat(t_s=t_s, rr_ms=rr, arrival_s=arrival_s, reanchored=flag)
            for t_s, rr, flag in zip(times, rr_ms, flags, strict=True)
        ]


def _cumulative_s(rr_ms: tuple[float, ...]) -> list[float]:
    offsets = []
    total = 0.0
    for rr in rr_ms:
        total += rr / 1000.0
        offsets.append(total)
    return offsets


def _backwards_from(anchor_s: float, offsets_s: list[float]) -> list[float]:
    total_s = offsets_s[-1]
    return [anchor_s - (total_s - offset) for offset in offsets_s]
