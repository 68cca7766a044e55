"""The simulated strap: detected beats as a Heart Rate Service strap sends them.

Notifications about once a second carry the RR intervals detected since the last one, in real
Heart Rate Measurement bytes (:func:`drivers.hrs.encode_heart_rate_measurement`), with a small
random radio delay; contact loss and link drop-outs (:class:`Disturbances`) drop the beats the
strap could not see or send and give the events a real strap gives (contact changes, lost and
reconnecting states, a ``SignalGap`` when the signal returns).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from drivers.events import (
    BatteryLevel,
    ConnectionState,
    DeviceInfo,
    SignalGap,
    SourceEvent,
    StateChanged,
)
from drivers.hrs import ContactTracker, encode_heart_rate_measurement, parse_heart_rate_measurement
from drivers.simulated_disturbances import Disturbances
from drivers.simulated_heart import SimulatedBeat


def strap_events(
    detected: Iterator[SimulatedBeat],
    *,
    end_s: float,
    origin_s: float,
    disturbances: Disturbances,
    radio_seed: np.random.SeedSequence,
    notify_interval_s: float,
    device_name: str,
    device_id: str,
    resting_hr_bpm: float,
) -> Iterator[SourceEvent]:
    """Detected beats as a strap sends them, over simulated time (no sleeping).

    Parameters
    ----------
    detected : iterator of SimulatedBeat
        Beats as the detector reports them (:func:`drivers.simulated_disturbances.detected_beats`).
    end_s : float
        Simulated seconds to run.
    origin_s : float
        Added to every time, so the session can start at any clock value.
    disturbances : Disturbances
        Its contact-loss and drop-out windows.
    radio_seed : numpy.random.SeedSequence
        Seed of the radio's delivery delays.
    notify_interval_s : float
        Time between notifications.
    device_name, device_id : str
        What ``DeviceInfo`` reports (the id also as the address ``SIM-<id>``).
    resting_hr_bpm : float
        The HR a strap reports before it has seen any beat.


    Yields
    ------
    SourceEvent
        ``StateChanged`` connecting/connected, ``DeviceInfo``, ``BatteryLevel``, then packets
        about once per ``notify_interval_s`` with ``ContactChanged``, ``SignalGap`` and
        lost/reconnecting/connected states where disturbances ask for them, and finally
        ``StateChanged`` stopped.
    """
    radio = np.random.default_rng(radio_seed)
    contact_loss = sorted(disturbances.contact_loss)
    dropouts = sorted(disturbances.dropouts)

    def within(windows: list[tuple[float, float]], t_s: float) -> tuple[float, float] | None:
        for window in windows:
            if window[0] <= t_s < window[1]:
                return window
        return None

    yield StateChanged(origin_s, ConnectionState.CONNECTING, "simulated strap")
    yield DeviceInfo(
        origin_s,
        name=device_name,
        address=f"SIM-{device_id}",
        body_sensor_location="Chest",
        extra={"simulated": "true", "seed": device_id},
    )
    yield BatteryLevel(origin_s, 100)
    yield StateChanged(origin_s, ConnectionState.CONNECTED, "simulated strap")

    beats = detected
    pending = next(beats)
    recent_rr_ms: list[float] = []
    contact_tracker = ContactTracker()
    link_down: tuple[float, float] | None = None
    gap_start_s: float | None = None
    last_arrival_s: float | None = None
    notify_s = notify_interval_s
    while notify_s <= end_s:
        dropout = within(dropouts, notify_s)
        if dropout is not None:
            if link_down is None:
                link_down = dropout
                gap_start_s = last_arrival_s if last_arrival_s is not None else dropout[0]
                yield StateChanged(
                    origin_s + dropout[0], ConnectionState.LOST, "simulated drop-out"
                )
                yield StateChanged(origin_s + dropout[0], ConnectionState.RECONNECTING, "attempt 1")
        elif link_down is not None:
            yield StateChanged(
                origin_s + link_down[1], ConnectionState.CONNECTED, "simulated strap back"
            )

        # Beats up to this notification, dropped when the strap could not see or send them.
        rr_ms: list[float] = []
        while pending.t_s <= notify_s:
            started_s = pending.t_s - pending.rr_ms / 1000.0
            lost = (
                dropout is not None
                or within(contact_loss, pending.t_s) is not None
                or within(contact_loss, started_s) is not None
                or (link_down is not None and started_s < link_down[1])
            )
            if not lost:
                rr_ms.append(pending.rr_ms)
            recent_rr_ms = [*recent_rr_ms, pending.rr_ms][-4:]
            pending = next(beats)
        if dropout is not None:
            notify_s += notify_interval_s
            continue
        link_down = None

        arrival_s = origin_s + notify_s + float(radio.uniform(0.004, 0.030))
        touching = within(contact_loss, notify_s) is None
        if touching:
            # The strap's own HR: an average over its last few detections.
            hr_bpm = (
                round(60000.0 / (sum(recent_rr_ms) / len(recent_rr_ms)))
                if recent_rr_ms
                else round(resting_hr_bpm)
            )
            raw = encode_heart_rate_measurement(min(hr_bpm, 255), rr_ms, contact=True)
        else:
            raw = encode_heart_rate_measurement(0, (), contact=False)
        packet = parse_heart_rate_measurement(raw, arrival_s)

        if gap_start_s is not None:
            lost_since_s = contact_tracker.take_lost_since()
            if lost_since_s is not None:
                gap_start_s = min(gap_start_s, lost_since_s)
            yield SignalGap(gap_start_s, arrival_s, "simulated drop-out")
            gap_start_s = None
        yield from contact_tracker.update(packet)
        yield packet
        last_arrival_s = arrival_s
        notify_s += notify_interval_s
    stopped_s = max(origin_s + end_s, last_arrival_s or origin_s)
    yield StateChanged(stopped_s, ConnectionState.STOPPED, "end of simulated session")
