"""The ECG strip's ring (monitor/session/ecg_strip.py), the strap's data line
(monitor/session/strap_data.py) and what the engine gives them (the strap's raw-data label, the
detected R peaks), Qt-free: hand-made sample runs with known values, synthesised ECG whose R
waves peak at known times."""

from __future__ import annotations

import math

import numpy as np
import pytest

from drivers.events import DeviceInfo, EcgSamples
from drivers.simulated_h10 import synthesize_ecg
from monitor.session.ecg_strip import EcgRing
from monitor.session.engine import SessionEngine, SourceStatus
from monitor.session.strap_data import strap_data_text

HZ = 130.0


def _run(first: int, n: int, hz: float = HZ) -> EcgSamples:
    """Samples ``first`` … ``first + n - 1`` of a ramp whose value is its index (µV)."""
    return EcgSamples((first + n) / hz, first / hz, hz, tuple(range(first, first + n)))


def test_the_ring_keeps_the_newest_samples_in_order_and_stays_bounded() -> None:
    ring = EcgRing(keep_s=6.0)
    for first in range(0, 73 * 40, 73):  # 40 PMD frames: 22.5 s
        ring.push(_run(first, 73))
    last = 73 * 40 - 1
    assert len(ring) == math.ceil(6.0 * HZ) + 1  # the capacity, not the session's length
    strip = ring.strip(5.0)
    assert strip is not None
    # The last 5 s: samples whose time is within 5 s of the newest (index / 130 Hz).
    expected = np.arange(last - int(5.0 * HZ), last + 1, dtype=float)
    np.testing.assert_array_equal(strip.ecg_uv, expected)
    np.testing.assert_allclose(strip.x_s, (expected - last) / HZ, atol=1e-9)
    assert strip.end_s == pytest.approx(last / HZ)


def test_a_gap_in_the_ecg_breaks_the_line() -> None:
    ring = EcgRing()
    ring.push(_run(0, 73))
    ring.push(_run(73 + 130, 73))  # one second of samples never came
    strip = ring.strip(5.0)
    assert strip is not None
    assert strip.ecg_uv.size == 73 + 1 + 73
    assert math.isnan(strip.ecg_uv[73])
    assert strip.x_s[73] == pytest.approx((73 - (73 + 130 + 72)) / HZ)  # just after sample 72
    np.testing.assert_array_equal(strip.ecg_uv[74:], np.arange(203, 276))


def test_a_clock_set_back_or_a_new_rate_starts_afresh() -> None:
    ring = EcgRing()
    ring.push(_run(500, 73))
    ring.push_peaks([520 / HZ])
    ring.push(_run(100, 73))  # earlier than the newest sample: the strap's clock was reset
    strip = ring.strip()
    assert strip is not None
    np.testing.assert_array_equal(strip.ecg_uv, np.arange(100, 173))
    assert strip.peak_x_s.size == 0
    ring.push(_run(0, 10, hz=250.0))
    assert ring.sample_hz == 250.0 and len(ring) == 10


def test_peaks_are_marked_on_the_trace_where_they_fall() -> None:
    ring = EcgRing()
    ring.push(_run(0, 730))  # 5.6 s
    ring.push_peaks([0.05, 2.0 + 0.25 / HZ, 5.0])
    strip = ring.strip(5.0)
    assert strip is not None
    end_s = 729 / HZ
    # 0.05 s is more than 5 s before the newest sample: off the strip.
    np.testing.assert_allclose(strip.peak_x_s, [2.0 + 0.25 / HZ - end_s, 5.0 - end_s])
    # On a ramp of value = index, the value between samples is the time × 130.
    np.testing.assert_allclose(strip.peak_uv, [2.0 * HZ + 0.25, 5.0 * HZ])


def test_an_empty_ring_has_no_strip() -> None:
    assert EcgRing().strip() is None


@pytest.mark.parametrize(
    ("status", "rr", "text"),
    [
        (SourceStatus(ecg=True, acc=True, raw_data="ecg,acc"), True, "heart rate + RR + ECG + ACC"),
        (SourceStatus(ecg=True, raw_data="ecg"), True, "heart rate + RR + ECG"),
        (SourceStatus(raw_data="none"), True, "heart rate + RR only"),
        (SourceStatus(), True, "heart rate + RR only"),
        (SourceStatus(), False, "heart rate only"),
        (SourceStatus(acc=True, raw_data="ecg,acc"), True,
         "heart rate + RR + ACC (ECG not arriving)"),
        (SourceStatus(raw_data="ecg,acc"), True, "heart rate + RR only (ECG + ACC not arriving)"),
    ],
)  # fmt: skip
def test_the_strap_data_line(status: SourceStatus, rr: bool, text: str) -> None:
    assert strap_data_text(status, heart_rate=True, rr=rr)[0] == text


def test_the_strap_data_line_explains_what_is_missing() -> None:
    assert strap_data_text(SourceStatus(), heart_rate=False, rr=False)[0] == "—"
    _, tip = strap_data_text(SourceStatus(raw_data="off"), heart_rate=True, rr=True)
    assert "not asked for" in tip
    _, tip = strap_data_text(SourceStatus(), heart_rate=True, rr=False)
    assert "variability cannot be computed" in tip


def test_the_engine_keeps_what_the_strap_said_of_its_raw_data() -> None:
    engine = SessionEngine()
    engine.handle(DeviceInfo(0.0, "Polar H10 1A2B", "AA:BB", extra={"raw_data": "none"}))
    assert engine.status.raw_data == "none"
    # A later announcement of the same connection with its raw data started replaces it...
    engine.handle(DeviceInfo(1.0, "Polar H10 1A2B", "AA:BB", extra={"raw_data": "ecg,acc"}))
    assert engine.status.raw_data == "ecg,acc"
    # ...and one that says nothing of raw data leaves it.
    engine.handle(DeviceInfo(2.0, "Polar H10 1A2B", "AA:BB"))
    assert engine.status.raw_data == "ecg,acc"


def test_the_engine_hands_each_detected_r_peak_to_the_views_once() -> None:
    beats_s = 1.0 + np.cumsum(np.full(12, 0.8))
    ecg = synthesize_ecg(beats_s, seed=5, duration_s=12.0)
    engine = SessionEngine()
    peaks: list[float] = []
    for i in range(0, ecg.t_s.size, 73):
        run = EcgSamples(
            float(ecg.t_s[min(i + 73, ecg.t_s.size) - 1]),
            float(ecg.t_s[i]),
            ecg.sample_hz,
            tuple(int(v) for v in np.round(ecg.ecg_uv[i : i + 73])),
        )
        peaks.extend(p for update in engine.handle(run) for p in update.ecg_peaks_s)
    # The synthesised R waves peak exactly at the beats; all but the last (within the
    # detector's decision lag of the end) are reported, each once, within 8 ms.
    assert len(peaks) == len(set(peaks))
    decided = beats_s[beats_s < ecg.t_s[-1] - 1.0]
    assert len(peaks) >= decided.size
    assert np.abs(np.asarray(peaks)[:, None] - beats_s[None, :]).min(axis=1).max() <= 0.008
    assert np.abs(decided[:, None] - np.asarray(peaks)[None, :]).min(axis=1).max() <= 0.008
