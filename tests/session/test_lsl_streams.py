"""The LSL streams' pure mappings (monitor/session/lsl_streams.py), without any network.

Reference values are worked by hand from the inputs each test builds.
"""

from __future__ import annotations

import math

from monitor.core.artefacts import BeatClass, RawBeatDecision
from monitor.core.engine import HrvSnapshot
from monitor.core.indices import WindowIndices
from monitor.core.tolerance import ArousalReading, Zone
from monitor.recording.model import SessionEvent
from monitor.session.engine import SessionUpdate
from monitor.session.lsl_streams import (
    HRV_CHANNELS,
    SessionClockMap,
    hrv_samples,
    marker_samples,
    rr_samples,
    stream_specs,
)


def test_session_time_maps_onto_the_lsl_clock_from_one_reading_of_both_clocks() -> None:
    """Origin 100 s on the monotonic clock, read as 150 s monotonic = 1000 s LSL: session time 0
    is LSL 950 s; at speed 10, session second 20 is 2 clock seconds later (952 s)."""
    clock = SessionClockMap.from_clocks(100.0, 150.0, 1000.0)
    assert clock.lsl_time(0.0) == 950.0
    assert clock.lsl_time(12.5) == 962.5
    assert SessionClockMap.from_clocks(100.0, 150.0, 1000.0, speed=10.0).lsl_time(20.0) == 952.0
    assert SessionClockMap.from_clocks(100.0, 150.0, 1000.0, speed=math.inf).speed == 1.0


def test_rr_samples_are_the_decided_raw_beats_in_beat_order_at_their_beat_times() -> None:
    decisions = (
        RawBeatDecision(4, 3.25, 812.5, BeatClass.ECTOPIC),
        RawBeatDecision(3, 2.4375, 800.78125, BeatClass.NORMAL),
    )
    samples = rr_samples(SessionUpdate(t_s=5.0, beat_classes=decisions))
    assert [(s.t_s, s.values) for s in samples] == [
        (2.4375, (800.78125, 0.0)),
        (3.25, (812.5, 1.0)),
    ]


def test_hrv_sample_carries_every_index_and_the_arousal_in_the_channel_order() -> None:
    indices = WindowIndices(hr_10s_bpm=72.0, rmssd_ms=41.0, lf_ms2=350.0)
    beat = HrvSnapshot(8.0, 830.0, 830.0, BeatClass.NORMAL, False, indices)
    reading = ArousalReading(8.0, Zone.INSIDE, arousal=0.5, z_hr=0.25, z_vagal=-0.75)
    (sample,) = hrv_samples(SessionUpdate(t_s=8.0, beat=beat, reading=reading))
    labels = [c.label for c in HRV_CHANNELS]
    assert len(sample.values) == len(labels) and sample.t_s == 8.0
    by_label = dict(zip(labels, sample.values, strict=True))
    assert by_label["nn_ms"] == 830.0 and by_label["hr_10s_bpm"] == 72.0
    assert by_label["rmssd_ms"] == 41.0 and by_label["lf_ms2"] == 350.0
    assert (by_label["arousal"], by_label["z_hr"], by_label["z_vagal"]) == (0.5, 0.25, -0.75)
    assert math.isnan(by_label["sdnn_ms"])
    units = {c.label: c.unit for c in HRV_CHANNELS}
    assert (units["hr_10s_bpm"], units["lf_ms2"], units["rmssd_ms"]) == ("bpm", "ms^2", "ms")
    assert units["short_artefact_pct"] == "percent" and units["lf_hf"] == "dimensionless"
    assert hrv_samples(SessionUpdate(t_s=9.0)) == []


def test_markers_say_each_event_at_its_own_time() -> None:
    events = (
        SessionEvent.phase(1.0, "imagery"),
        SessionEvent.suds(2.0, 6, "tight chest"),
        SessionEvent.note(3.0, "client: calmer"),
        SessionEvent.alert(4.0, "pause", "arousal 2.1 SD above"),
        SessionEvent.alert(4.0, "pause", "arousal 2.1 SD above", end_s=9.5),
        SessionEvent(5.0, "gap", text="signal lost", end_s=7.0),
    )
    samples = marker_samples(SessionUpdate(t_s=9.5, events=events))
    assert [(s.t_s, s.values[0]) for s in samples] == [
        (1.0, "phase: imagery"),
        (2.0, "suds: 6 (tight chest)"),
        (3.0, "note: client: calmer"),
        (4.0, "alert start: pause: arousal 2.1 SD above"),
        (9.5, "alert end: pause"),
        (5.0, "gap start: signal lost"),
        (7.0, "gap end"),
    ]
    assert marker_samples(SessionUpdate(t_s=1.0, events=(SessionEvent(1.0, "battery", 80),))) == []


def test_stream_headers_name_three_streams_of_the_conventional_types() -> None:
    rr, hrv, markers = stream_specs("Lab7")
    assert (rr.name, rr.type, hrv.name, hrv.type) == ("Lab7-RR", "RR", "Lab7-HRV", "HRV")
    assert (markers.name, markers.type, markers.string_values) == ("Lab7-Markers", "Markers", True)
    assert [c.label for c in rr.channels] == ["rr_ms", "beat_class"]
