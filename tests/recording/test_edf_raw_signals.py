"""EDF+ export of a strap's raw data: ``ECG`` at its native 130 Hz and ``ACC X/Y/Z`` in mg over
the whole session, read back with pyedflib; a file without raw data keeps only ``RR``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyedflib
import pytest
from recording_helpers import START_UTC, make_metadata, write_simulated_session

from drivers.events import AccSamples, EcgSamples
from drivers.hrs import encode_heart_rate_measurement
from drivers.simulated_h10 import beat_times_from_rr, synthesize_acc, synthesize_ecg
from monitor.recording.export_edf import SESSION_START_TEXT, export_edf
from monitor.recording.reader import read_session
from monitor.recording.session_file import SessionWriter

ECG_RUN = 73
ACC_RUN = 25
GAP_S = (20.0, 24.0)  # nothing sent here (a drop-out)


@pytest.fixture(scope="module")
def raw_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 s of synthesised H10 ECG and ACC in runs as the strap sends them, with a gap."""
    path = tmp_path_factory.mktemp("edf") / "raw.sqlite"
    beats_s = beat_times_from_rr(np.full(45, 870.0), start_s=0.4)
    ecg = synthesize_ecg(beats_s, seed=1, duration_s=40.0)
    acc = synthesize_acc(40.0, breaths_per_min=12.0, seed=2, movement_bouts_s=((30.0, 33.0),))
    # The start's fraction of a second (the EDF's sample grid begins on the whole second) is a
    # whole number of ECG and ACC samples, so that each sample's nearest EDF sample is one.
    writer = SessionWriter.create(
        make_metadata(start_utc=START_UTC.replace(microsecond=100000)), path
    )
    for k in range(40):  # a packet a second: the session's own time line
        writer.add_packet(k + 1.0, encode_heart_rate_measurement(69, (870.0,), contact=True))
    for first in range(0, ecg.t_s.size - ECG_RUN + 1, ECG_RUN):
        t0 = float(ecg.t_s[first])
        if GAP_S[0] <= t0 < GAP_S[1]:
            continue
        values = tuple(int(v) for v in np.rint(ecg.ecg_uv[first : first + ECG_RUN]))
        writer.add_source_event(EcgSamples(t0 + 0.57, t0, 130.0, values))
    mg = np.rint(acc.acc_mg).astype(int)
    for first in range(0, acc.t_s.size - ACC_RUN + 1, ACC_RUN):
        t0 = float(acc.t_s[first])
        if GAP_S[0] <= t0 < GAP_S[1]:
            continue
        xyz = tuple((int(x), int(y), int(z)) for x, y, z in mg[first : first + ACC_RUN])
        writer.add_source_event(AccSamples(t0 + 0.5, t0, 50.0, xyz))
    writer.close()
    return path


def test_ecg_and_acc_signals_hold_the_files_samples(raw_session: Path, tmp_path: Path) -> None:
    session = read_session(raw_session)
    assert session.ecg is not None and session.acc is not None
    edf = export_edf(session, tmp_path / "raw.edf")
    with pyedflib.EdfReader(str(edf)) as reader:
        labels = reader.getSignalLabels()
        assert labels == ["RR", "ECG", "ACC X", "ACC Y", "ACC Z"]
        rates = dict(zip(labels, reader.getSampleFrequencies(), strict=True))
        assert rates["ECG"] == 130.0 and {rates[f"ACC {a}"] for a in "XYZ"} == {50.0}
        assert reader.getPhysicalDimension(1) == "uV" and reader.getPhysicalDimension(2) == "mg"
        onsets, _, texts = reader.readAnnotations()
        offset_s = float(onsets[list(texts).index(SESSION_START_TEXT)])
        duration_s = reader.getFileDuration()
        signals = {label: reader.readSignal(i) for i, label in enumerate(labels)}
        steps = {
            label: (reader.getPhysicalMaximum(i) - reader.getPhysicalMinimum(i)) / 65535
            for i, label in enumerate(labels)
        }
    # The whole session: up to its last sample.
    assert duration_s >= offset_s + session.ecg.times_s()[-1]
    assert signals["ECG"].size == round(duration_s * 130)

    def check(values: np.ndarray, times_s: np.ndarray, hz: float, label: str) -> None:
        index = np.rint((times_s + offset_s) * hz).astype(int)
        got = signals[label][index]
        # EDF stores 16-bit numbers over the physical range: within one step of it (edflib
        # truncates rather than rounds to the digital value).
        assert np.max(np.abs(got - values)) <= steps[label] * (1 + 1e-6), label
        elsewhere = np.ones(signals[label].size, bool)
        elsewhere[index] = False
        assert np.all(np.abs(signals[label][elsewhere]) <= steps[label]), label  # 0: nothing sent

    check(session.ecg.samples(), session.ecg.times_s(), 130.0, "ECG")
    for axis, name in enumerate("XYZ"):
        check(session.acc.samples()[:, axis], session.acc.times_s(), 50.0, f"ACC {name}")
    gap = slice(round((GAP_S[0] + 0.6 + offset_s) * 130), round((GAP_S[1] - 0.6 + offset_s) * 130))
    assert np.all(np.abs(signals["ECG"][gap]) <= steps["ECG"])


def test_a_file_without_raw_data_exports_as_before(tmp_path: Path) -> None:
    path = tmp_path / "hr.sqlite"
    write_simulated_session(path)
    edf = export_edf(read_session(path), tmp_path / "hr.edf")
    with pyedflib.EdfReader(str(edf)) as reader:
        assert reader.getSignalLabels() == ["RR"]
