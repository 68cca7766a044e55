"""``import FILE.xdf`` (issue #17): XDF files as LabRecorder writes them, read back as sessions.

The files are written by tests/xdf_writer.py, which follows the XDF specification; pyxdf, the
reader the importer uses, is an independent check of the writer (first test). The round trip is
real: a simulated session published by our LSL outlets, received by real pylsl inlets, written
as XDF with the streams' own headers, imported through the CLI, and compared with the session
file the same run wrote.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import uuid
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
import pyxdf

from drivers.simulated_h10 import beat_times_from_rr, synthesize_ecg
from monitor.recording.model import EventKind
from monitor.recording.reader import read_session
from monitor.session.live import LiveOptions, LiveSession
from monitor.session.lsl_outlets import SessionOutlets
from tests.session.test_lsl_loopback import open_inlets, pull
from tests.xdf_writer import XdfStream, write_xdf

DATA = Path(__file__).resolve().parent.parent / "data"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=300
    )


def import_xdf(xdf: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("import", str(xdf), "--out", str(out), *extra)


def rr_stream(
    name: str,
    rr: np.ndarray,
    stamps: np.ndarray,
    *,
    unit: str = "ms",
    kind: str = "RR",
    **kw: object,
) -> XdfStream:
    return XdfStream(
        1 + hash(name) % 1000,
        name,
        kind,
        "double64",
        channels=[("rr" if unit == "" else "rr_ms" if unit == "ms" else "rr_s", unit)],
        stamps=list(stamps),
        values=[[float(v)] for v in rr],
        **kw,  # type: ignore[arg-type]
    )


def marker_stream(name: str, markers: list[tuple[float, str]], **kw: object) -> XdfStream:
    return XdfStream(
        2000 + hash(name) % 1000,
        name,
        "Markers",
        "string",
        channels=[("marker", "")],
        stamps=[t for t, _ in markers],
        values=[[text] for _, text in markers],
        **kw,  # type: ignore[arg-type]
    )


REST_RR_MS = np.loadtxt(DATA / "rest_rri.txt", comments="#")[:300]


def test_pyxdf_reads_what_the_writer_writes(tmp_path: Path) -> None:
    """Numbers, strings, and a regular stream whose stamps are left out but every 10th."""
    stamps = 100.0 + np.cumsum(REST_RR_MS) / 1000.0
    ecg = XdfStream(
        7, "ECG", "ECG", "float32", nominal_srate=130.0, channels=[("ECG", "microvolts")],
        stamps=list(50.0 + np.arange(260) / 130.0), values=[[float(i % 7)] for i in range(260)],
        stamp_every=10,
    )  # fmt: skip
    path = write_xdf(
        tmp_path / "w.xdf",
        [
            rr_stream("RR", REST_RR_MS, stamps),
            marker_stream("M", [(100.5, "phase: baseline")]),
            ecg,
        ],
    )
    streams, _ = pyxdf.load_xdf(str(path), synchronize_clocks=False, dejitter_timestamps=False)
    by_name = {s["info"]["name"][0]: s for s in streams}
    np.testing.assert_array_equal(by_name["RR"]["time_series"][:, 0], REST_RR_MS)
    np.testing.assert_allclose(by_name["RR"]["time_stamps"], stamps, rtol=0, atol=1e-9)
    assert by_name["M"]["time_series"] == [["phase: baseline"]]
    assert by_name["RR"]["info"]["desc"][0]["channels"][0]["channel"][0]["unit"] == ["ms"]
    np.testing.assert_allclose(by_name["ECG"]["time_stamps"], 50.0 + np.arange(260) / 130.0)


def test_a_session_published_over_lsl_comes_back_beat_for_beat(tmp_path: Path) -> None:
    prefix = f"SMXdf-{uuid.uuid4().hex[:10]}"
    outlets = SessionOutlets(name_prefix=prefix)
    inlets = open_inlets(prefix)
    options = LiveOptions(
        simulate=True, speed=math.inf, duration_s=420.0, seed=3, out=tmp_path / "s.sqlite"
    )
    path = asyncio.run(LiveSession(options, outlets=outlets).run())
    assert path is not None
    recorded = read_session(path)
    rr_values, rr_stamps = pull(inlets["RR"], len(recorded.beats))
    own_markers = [e for e in recorded.events if e.kind in (EventKind.PHASE, EventKind.SUDS)]
    marker_values, marker_stamps = pull(inlets["Markers"], len(own_markers))
    # Each stream with its real header, as LabRecorder writes it (the writer needs only the
    # channel format from it, to encode the values).
    streams = []
    for i, (kind, values, stamps) in enumerate(
        (("RR", rr_values, rr_stamps), ("Markers", marker_values, marker_stamps)), start=1
    ):
        header = inlets[kind].info().as_xml()
        fmt = ElementTree.fromstring(header).findtext("channel_format") or ""
        streams.append(XdfStream(i, "", "", fmt, header_xml=header, stamps=stamps, values=values))
    xdf = write_xdf(tmp_path / "published.xdf", streams)
    result = import_xdf(xdf, tmp_path / "imported.sqlite", "--client", "X017")
    assert result.returncode == 0, result.stderr
    assert (
        f"from XDF stream '{prefix}-RR' (RR), rr_ms in ms (as the stream states)" in result.stdout
    )
    imported = read_session(tmp_path / "imported.sqlite")
    np.testing.assert_allclose(imported.beats.rr_ms, recorded.beats.rr_ms, rtol=1e-6)
    np.testing.assert_array_equal(imported.beats.beat_class, recorded.beats.beat_class)
    # The session's first phase marker is at its time zero: the import is on the same clock.
    np.testing.assert_allclose(imported.beats.t_s, recorded.beats.t_s, rtol=0, atol=0.005)
    for kind in (EventKind.PHASE, EventKind.SUDS, EventKind.NOTE):
        mine = [(round(e.t_s, 2), e.text, e.value) for e in recorded.events if e.kind == kind]
        theirs = [(round(e.t_s, 2), e.text, e.value) for e in imported.events if e.kind == kind]
        assert theirs == mine
    assert [e.text for e in imported.events if e.kind == EventKind.PHASE][:2] == [
        "baseline",
        "imagery",
    ]


def test_a_bridge_stream_in_seconds_with_clock_offsets_and_foreign_markers(tmp_path: Path) -> None:
    """A one-channel IBI stream without a unit (seconds), recorded on another machine whose clock
    is 250 s ahead (its clock offsets say so), and a marker stream of another program."""
    beat_s = beat_times_from_rr(REST_RR_MS, start_s=10.0)[1:]
    remote = rr_stream(
        "PolarBridge", REST_RR_MS / 1000.0, beat_s + 250.0, unit="", kind="IBI",
        clock_offsets=[(20.0, -250.0), (200.0, -250.0)],
    )  # fmt: skip
    markers = marker_stream("Experiment", [(9.0, "trial_start"), (60.0, "phase: imagery")])
    xdf = write_xdf(tmp_path / "bridge.xdf", [remote, markers])
    result = import_xdf(xdf, tmp_path / "b.sqlite")
    assert result.returncode == 0, result.stderr
    assert "in s (no unit stated; the values are seconds)" in result.stdout
    session = read_session(tmp_path / "b.sqlite")
    np.testing.assert_allclose(session.beats.rr_ms, REST_RR_MS, rtol=1e-12)
    # Time zero is the first marker (9 s on the recorder's clock): beats 1 s after it and on.
    np.testing.assert_allclose(session.beats.t_s, beat_s - 9.0, atol=1e-6)
    notes = [(e.t_s, e.text) for e in session.events if e.kind == EventKind.NOTE]
    assert notes == [(0.0, "trial_start")]
    phases = [(round(e.t_s, 6), e.text) for e in session.events if e.kind == EventKind.PHASE]
    assert phases == [(51.0, "imagery")]


def test_an_ecg_only_recording_is_imported_from_its_r_peaks(tmp_path: Path) -> None:
    """An H10 ECG stream (130 Hz, µV) and no RR: the beats are the detected R peaks, within
    8 ms of the true beat times the ECG was synthesised around (tests/data rest RR)."""
    truth_s = beat_times_from_rr(REST_RR_MS, start_s=1.0)
    ecg = synthesize_ecg(truth_s, seed=4)
    stream = XdfStream(
        3, "PolarH10-ECG", "ECG", "float32", nominal_srate=130.0, channels=[("ECG", "microvolts")],
        stamps=list(ecg.t_s + 1000.0), values=[[float(v)] for v in ecg.ecg_uv],
    )  # fmt: skip
    xdf = write_xdf(tmp_path / "ecg.xdf", [stream], samples_per_chunk=130)
    result = import_xdf(xdf, tmp_path / "e.sqlite")
    assert result.returncode == 0, result.stderr
    assert "R peaks of XDF ECG stream 'PolarH10-ECG'" in result.stdout
    session = read_session(tmp_path / "e.sqlite")
    # Time zero is the first R peak (it starts the first interval): back on the truth's clock.
    found_s = session.beats.t_s + truth_s[0]
    nearest = np.abs(found_s[:, np.newaxis] - truth_s[np.newaxis, 1:]).min(axis=0)
    assert len(session.beats) >= len(truth_s) - 3
    assert np.mean(nearest * 1000.0 < 8.0) >= 0.99


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.write_bytes(b"XDF:"), "holds no chunks"),
        (lambda p: p.write_bytes(b"XDF:\x04\xff\xff\xff\x00\x01\x00"), "cut off"),
    ],
)
def test_empty_and_foreign_files_get_one_line_and_nothing_is_written(
    tmp_path: Path, make: object, says: str
) -> None:
    path = tmp_path / "bad.xdf"
    make(path)  # type: ignore[operator]
    out = tmp_path / "never.sqlite"
    result = import_xdf(path, out)
    assert result.returncode == 2
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_file_cut_off_mid_recording_is_refused_not_imported_in_part(tmp_path: Path) -> None:
    stamps = 100.0 + np.cumsum(REST_RR_MS) / 1000.0
    whole = write_xdf(tmp_path / "whole.xdf", [rr_stream("RR", REST_RR_MS, stamps)])
    cut = tmp_path / "cut.xdf"
    cut.write_bytes(whole.read_bytes()[: len(whole.read_bytes()) // 2])
    result = import_xdf(cut, tmp_path / "cut.sqlite")
    assert result.returncode == 2
    assert "cut off at byte" in result.stderr and "the recording did not finish" in result.stderr
    assert not (tmp_path / "cut.sqlite").exists()


def test_the_choice_between_streams_is_the_users(tmp_path: Path) -> None:
    stamps = 100.0 + np.cumsum(REST_RR_MS) / 1000.0
    other = REST_RR_MS[::-1].copy()
    xdf = write_xdf(
        tmp_path / "two.xdf",
        [rr_stream("Client-RR", REST_RR_MS, stamps), rr_stream("Therapist-RR", other, stamps)],
    )
    ambiguous = import_xdf(xdf, tmp_path / "a.sqlite")
    assert ambiguous.returncode == 2
    assert "'Client-RR' (RR), 'Therapist-RR' (RR)" in ambiguous.stderr
    assert "--stream NAME" in ambiguous.stderr and not (tmp_path / "a.sqlite").exists()
    chosen = import_xdf(xdf, tmp_path / "t.sqlite", "--stream", "Therapist-RR")
    assert chosen.returncode == 0, chosen.stderr
    np.testing.assert_array_equal(read_session(tmp_path / "t.sqlite").beats.rr_ms, other)
    missing = import_xdf(xdf, tmp_path / "m.sqlite", "--stream", "Nobody")
    assert missing.returncode == 2 and "no stream named 'Nobody'" in missing.stderr


def test_no_heart_stream_and_unclear_units_are_refused(tmp_path: Path) -> None:
    eeg = XdfStream(
        1, "EEG", "EEG", "float32", nominal_srate=256.0, channels=[("Cz", "microvolts")],
        stamps=[i / 256.0 for i in range(512)], values=[[0.0]] * 512,
    )  # fmt: skip
    only_eeg = import_xdf(write_xdf(tmp_path / "eeg.xdf", [eeg]), tmp_path / "e.sqlite")
    assert only_eeg.returncode == 2
    assert "no RR or ECG stream among 'EEG' (EEG)" in only_eeg.stderr
    odd = rr_stream("RR", REST_RR_MS / 100.0, 100.0 + np.arange(300.0), unit="")
    unclear = import_xdf(write_xdf(tmp_path / "odd.xdf", [odd]), tmp_path / "o.sqlite")
    assert unclear.returncode == 2 and "neither milliseconds nor seconds" in unclear.stderr
    zero = REST_RR_MS.copy()
    zero[5] = 0.0
    bad = rr_stream("RR", zero, 100.0 + np.arange(300.0))
    refused = import_xdf(write_xdf(tmp_path / "zero.xdf", [bad]), tmp_path / "z.sqlite")
    assert (
        refused.returncode == 2 and "sample 6 (0.0) is not a heartbeat interval" in refused.stderr
    )
    assert not any((tmp_path / n).exists() for n in ("e.sqlite", "o.sqlite", "z.sqlite"))
