"""The H10's raw data (PMD) through real bleak, from a virtual H10 on the mock-BlueZ test bed.

The virtual strap (``bluez_testbed/virtual_strap.py --pmd``) answers the control point and
notifies ECG and ACC frames built by ``pmd_encoder.py`` (written from Polar's specification,
independently of the product's parser) from a synthesised ECG and ACC, and logs every frame it
sent with the index of its first sample: what must arrive is known exactly. No durations are
asserted; every wait has a generous limit.
"""

from __future__ import annotations

import numpy as np
import pytest
from bluez_testbed.harness import StrapProcess
from bluez_testbed.virtual_strap import ACC_HZ, ECG_HZ, STRAP_CLOCK_OFFSET_NS, pmd_signals
from test_ble_testbed import Recorder, make_source

from drivers.events import (
    AccSamples,
    ConnectionState,
    DeviceInfo,
    EcgSamples,
    HeartRatePacket,
    StateChanged,
)

ECG, ACC = 0, 2


@pytest.fixture(scope="module")
def signals() -> tuple[list[int], list[tuple[int, int, int]]]:
    return pmd_signals()


def sent_frames(strap: StrapProcess, measurement: int) -> dict[str, dict]:
    """The frames the strap reported sending, by their bytes (hex)."""
    return {e["hex"]: e for e in strap.find("pmd_sent") if e["measurement"] == measurement}


def of(recorder: Recorder, kind: type) -> list:
    return [e for e in recorder.events if isinstance(e, kind)]


def raw_data_labels(recorder: Recorder) -> list[str]:
    return [e.extra.get("raw_data") for e in of(recorder, DeviceInfo)]


def assert_placed_between_happening_and_arrival(
    run: EcgSamples | AccSamples, clock_offset_ns: int
) -> None:
    """The run's last sample is mapped after it happened and (about) before it arrived."""
    count = len(run.ecg_uv) if isinstance(run, EcgSamples) else len(run.acc_mg)
    happened_s = (int.from_bytes(run.raw[1:9], "little") - clock_offset_ns) / 1e9
    last_s = run.start_s + (count - 1) / run.sample_hz
    assert last_s >= happened_s - 1e-6
    assert last_s <= run.arrival_s + 1.1 * count / run.sample_hz


async def test_ecg_and_acc_arrive_parsed_with_the_encoded_values_on_the_host_clock(
    start_strap, signals
) -> None:
    ecg_uv, acc_mg = signals
    strap = start_strap(pmd=True)
    recorder = Recorder(make_source(raw_data=True))
    await recorder.wait_until(
        lambda: len(of(recorder, EcgSamples)) >= 40 and len(of(recorder, AccSamples)) >= 40,
        30,
        "40 ECG and 40 ACC frames",
    )
    await recorder.stop()

    assert raw_data_labels(recorder) == ["ecg,acc"]
    # The driver asked for what the spec and its choice say: ECG 130 Hz / 14 bits, then ACC
    # 50 Hz / 16 bits / ±8 G (hand-encoded from the spec's setting layout).
    writes = [e["hex"] for e in strap.find("pmd_write")]
    assert "0200000182000101" + "0e00" in writes
    assert "02020001320001011000020108" + "00" in writes
    # A clean shutdown stopped both streams on the strap.
    assert {e["measurement"] for e in strap.find("pmd_stopped")} == {ECG, ACC}

    for kind, measurement, signal, rate_hz in (
        (EcgSamples, ECG, ecg_uv, ECG_HZ),
        (AccSamples, ACC, acc_mg, ACC_HZ),
    ):
        runs = of(recorder, kind)
        sent = sent_frames(strap, measurement)
        starts = []
        for run in runs:
            frame = sent[run.raw.hex()]  # exactly a frame the strap sent
            values = run.ecg_uv if kind is EcgSamples else run.acc_mg
            assert list(values) == signal[frame["first"] : frame["first"] + frame["count"]]
            assert run.sample_hz == rate_hz
            # The strap's clock is the host's monotonic clock plus a constant, so the time
            # each frame's last sample truly happened on the host clock is known: the mapped
            # time is never before it (StrapClock anchors on arrivals, which come after), and
            # never later than the arrival, but for up to a frame's length while the clock
            # moves its anchor earlier and spreads a frame (StrapClock rule 3; the run's
            # times are nominal-rate from its first sample).
            assert_placed_between_happening_and_arrival(run, STRAP_CLOCK_OFFSET_NS)
            starts.append(run.start_s)
        assert np.all(np.diff(starts) > 0)
        firsts = [sent[run.raw.hex()]["first"] for run in runs]
        assert firsts == sorted(firsts)  # in order, none twice
        # Both delta-compressed (0x81) and raw (0x01) ACC frames were decoded.
        if kind is AccSamples:
            assert {run.raw[9] for run in runs} == {0x01, 0x81}
    assert of(recorder, HeartRatePacket)  # the beats came all along


async def test_ecg_and_acc_resume_after_the_strap_drops_out(start_strap) -> None:
    first = start_strap(pmd=True)
    recorder = Recorder(make_source(raw_data=True))
    await recorder.wait_until(
        lambda: len(of(recorder, EcgSamples)) >= 10 and len(of(recorder, AccSamples)) >= 10,
        30,
        "raw data before the drop-out",
    )
    first.kill(wait_gone=False)
    await recorder.wait_until(
        lambda: ConnectionState.LOST in recorder.states(), 15, "the loss to be noticed"
    )
    before = {kind: len(of(recorder, kind)) for kind in (EcgSamples, AccSamples)}
    lost_at = next(
        e.arrival_s
        for e in recorder.events
        if isinstance(e, StateChanged) and e.state is ConnectionState.LOST
    )
    # The returning strap's clock was set back a second (resynchronised by its phone app, say):
    # a driver that kept the old connection's strap-to-host mapping (no reset) would place its
    # samples a second before they happened, within StrapClock's tolerated lag.
    later_offset_ns = STRAP_CLOCK_OFFSET_NS - 10**9
    second = start_strap(pmd=True, pmd_clock_offset_ns=later_offset_ns)
    await recorder.wait_until(
        lambda: all(len(of(recorder, kind)) >= before[kind] + 10 for kind in before),
        30,
        "raw data after the return",
    )
    await recorder.stop()

    # The driver started the streams again on the new connection (the H10 forgot them).
    assert {e["measurement"] for e in second.find("pmd_started")} == {ECG, ACC}
    assert raw_data_labels(recorder) == ["ecg,acc", "ecg,acc"]
    sent_again = {**sent_frames(second, ECG), **sent_frames(second, ACC)}
    for kind in (EcgSamples, AccSamples):
        after = of(recorder, kind)[before[kind] :]
        assert all(run.raw.hex() in sent_again for run in after)
        # A fresh strap clock: times after the return sit after the loss, between each
        # sample's happening and its arrival, and keep increasing.
        starts = [run.start_s for run in after]
        assert starts[0] > lost_at
        assert np.all(np.diff(starts) > 0)
        for run in after:
            assert_placed_between_happening_and_arrival(run, later_offset_ns)


async def test_a_strap_without_pmd_gives_beats_and_says_it_has_no_raw_data(strap) -> None:
    recorder = Recorder(make_source(raw_data=True))
    await recorder.wait_until(lambda: len(of(recorder, HeartRatePacket)) >= 20, 15, "20 packets")
    await recorder.stop()
    assert raw_data_labels(recorder) == ["none"]
    assert not of(recorder, EcgSamples) and not of(recorder, AccSamples)


async def test_a_strap_offering_only_ecg_streams_ecg_and_says_so(start_strap, signals) -> None:
    strap = start_strap(pmd=True, pmd_features="0")
    recorder = Recorder(make_source(raw_data=True))
    await recorder.wait_until(lambda: len(of(recorder, EcgSamples)) >= 20, 30, "20 ECG frames")
    await recorder.stop()
    assert raw_data_labels(recorder) == ["ecg"]
    assert not of(recorder, AccSamples)
    # Only ECG was asked for: its settings, its start, its stop at the end.
    assert [e["hex"][:4] for e in strap.find("pmd_write")] == ["0100", "0200", "0300"]
    sent = sent_frames(strap, ECG)
    for run in of(recorder, EcgSamples):
        frame = sent[run.raw.hex()]
        assert list(run.ecg_uv) == signals[0][frame["first"] : frame["first"] + frame["count"]]


async def test_raw_data_off_leaves_a_virtual_h10_on_the_heart_rate_service_alone(
    start_strap,
) -> None:
    strap = start_strap(pmd=True)
    recorder = Recorder(make_source())
    await recorder.wait_until(lambda: len(of(recorder, HeartRatePacket)) >= 20, 15, "20 packets")
    await recorder.stop()
    assert raw_data_labels(recorder) == ["off"]
    assert not strap.find("pmd_write")
    assert not of(recorder, EcgSamples)


async def test_a_control_point_refusal_stops_raw_data_and_beats_go_on(start_strap) -> None:
    strap = start_strap(pmd=True, pmd_refuse=("2:9",))  # ACC start: "invalid range"
    recorder = Recorder(make_source(raw_data=True))
    await recorder.wait_until(lambda: "none" in raw_data_labels(recorder), 30, "the refusal")
    beats_then = len(of(recorder, HeartRatePacket))
    await recorder.wait_until(
        lambda: len(of(recorder, HeartRatePacket)) >= beats_then + 20, 15, "beats after it"
    )
    await recorder.stop()

    (detail,) = [
        e.detail
        for e in of(recorder, StateChanged)
        if e.state is ConnectionState.CONNECTED and "raw data" in e.detail
    ]
    assert "the strap refused to start accelerometer: invalid range (PMD status 9)" in detail
    assert raw_data_labels(recorder) == ["none"]
    # The ECG it had started was stopped again: raw data stops as a whole.
    assert [e["measurement"] for e in strap.find("pmd_stopped")] == [ECG]
    assert recorder.error is None
    assert recorder.states()[-1] is ConnectionState.STOPPED
    assert ConnectionState.LOST not in recorder.states()


async def test_a_stream_already_running_counts_as_started(start_strap) -> None:
    """An H10 left streaming ECG sends it from the subscription on, before the driver asks,
    and answers its start with status 6 ("already in that state")."""
    strap = start_strap(pmd=True, pmd_refuse=("0:6",))
    recorder = Recorder(make_source(raw_data=True))
    await recorder.wait_until(
        lambda: len(of(recorder, EcgSamples)) >= 10 and len(of(recorder, AccSamples)) >= 10,
        30,
        "ECG and ACC frames",
    )
    await recorder.stop()
    assert raw_data_labels(recorder) == ["ecg,acc"]
    assert not [e for e in of(recorder, StateChanged) if "raw data" in e.detail]
    sent = sent_frames(strap, ECG)
    assert all(run.raw.hex() in sent for run in of(recorder, EcgSamples))


async def test_a_malformed_frame_stops_raw_data_and_beats_go_on(start_strap) -> None:
    strap = start_strap(pmd=True, pmd_malformed_after=20)
    recorder = Recorder(make_source(raw_data=True))
    await recorder.wait_until(
        lambda: raw_data_labels(recorder)[-1:] == ["none"], 30, "the raw data to stop"
    )
    beats_then = len(of(recorder, HeartRatePacket))
    ecg_then = len(of(recorder, EcgSamples))
    await recorder.wait_until(
        lambda: len(of(recorder, HeartRatePacket)) >= beats_then + 20, 15, "beats after it"
    )
    await recorder.stop()
    assert raw_data_labels(recorder) == ["ecg,acc", "none"]
    (detail,) = [e.detail for e in of(recorder, StateChanged) if "raw data" in e.detail]
    assert "malformed raw-data frame" in detail
    assert ecg_then >= 1
    assert {e["measurement"] for e in strap.find("pmd_stopped")} == {ECG, ACC}
    assert ConnectionState.LOST not in recorder.states()
