"""Exports and imports: Kubios RR text, CSV and EDF+ round trips, RR text and HRM imports."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pyedflib
import pytest
from recording_helpers import LONG_NOTE, START_UTC, SimulatedRecording

from drivers.hrs import parse_heart_rate_measurement, quantize_rr_ms
from monitor.recording.errors import UnreadableFileError
from monitor.recording.export_csv import csv_paths, export_csv
from monitor.recording.export_edf import MAX_ANNOTATION_BYTES, export_edf
from monitor.recording.export_kubios import export_kubios
from monitor.recording.importers import import_file
from monitor.recording.model import THERAPIST_EVENT_KINDS, EventKind, SourceKind
from monitor.recording.reader import read_session
from monitor.recording.rr_files import read_rr_file

RR_TOLERANCE_MS = 1000.0 / 1024.0  # one unit of the strap's RR field
DATA_DIR = Path(__file__).parents[1] / "data"


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_kubios_export_then_import_gives_the_same_rr(
    simulated_session: tuple[Path, SimulatedRecording], tmp_path: Path
) -> None:
    original = read_session(simulated_session[0])
    text = export_kubios(original, tmp_path / "kubios.txt")
    assert mode(text) == 0o600
    lines = text.read_text().splitlines()
    header = [line for line in lines if line.startswith("#")]
    values = [line for line in lines if not line.startswith("#")]
    assert lines[: len(header)] == header  # header first, then only numbers
    assert len(values) == len(original.beats)
    assert all(float(v) > 0 for v in values)

    imported = read_session(import_file(text, tmp_path / "imported.sqlite", client_code="C017"))
    error_ms = np.max(np.abs(imported.beats.rr_ms - original.beats.rr_ms))
    assert error_ms <= 0.0005 + 1e-9  # three decimals, far inside RR_TOLERANCE_MS
    assert error_ms < RR_TOLERANCE_MS
    # RR text has no clock: beats follow by their RR sums from the first beat's recorded time.
    assert imported.beats.t_s[0] == original.beats.t_s[0]
    np.testing.assert_allclose(
        np.diff(imported.beats.t_s), imported.beats.rr_ms[1:] / 1000.0, rtol=0, atol=1e-9
    )
    assert imported.metadata.source_kind is SourceKind.IMPORT
    assert imported.metadata.original_file_name == "kubios.txt"


def test_csv_export_then_import_gives_the_same_beats_and_events(
    simulated_session: tuple[Path, SimulatedRecording], tmp_path: Path
) -> None:
    original = read_session(simulated_session[0])
    beats_csv, events_csv, session_csv = export_csv(original, tmp_path / "session.csv")
    assert (beats_csv, events_csv, session_csv) == csv_paths(tmp_path / "session.csv")
    assert (events_csv.name, session_csv.name) == ("session.events.csv", "session.session.csv")
    assert {mode(beats_csv), mode(events_csv), mode(session_csv)} == {0o600}
    assert beats_csv.read_text().splitlines()[0] == (
        "beat,t_s,rr_ms,arrival_s,beat_class,beat_class_name"
    )

    imported = read_session(import_file(beats_csv, tmp_path / "from_csv.sqlite"))
    for field in ("t_s", "rr_ms", "arrival_s", "beat_class"):
        np.testing.assert_array_equal(
            getattr(imported.beats, field), getattr(original.beats, field)
        )
    assert imported.events == original.events
    # Whose session and when come back from the session file.
    assert imported.metadata.client_code == original.metadata.client_code
    assert imported.metadata.start_utc == original.metadata.start_utc


def test_edf_export_carries_beats_and_events_as_annotations(
    simulated_session: tuple[Path, SimulatedRecording], tmp_path: Path
) -> None:
    original = read_session(simulated_session[0])
    edf = export_edf(original, tmp_path / "session.edf")
    assert mode(edf) == 0o600

    reader = pyedflib.EdfReader(str(edf))
    try:
        onsets, durations, texts = reader.readAnnotations()
        assert reader.getSignalLabels() == ["RR"]
        assert reader.getStartdatetime() == START_UTC.replace(tzinfo=None, microsecond=0)
        assert reader.getPatientCode() == "C017"
        rr_signal = reader.readSignal(0)
    finally:
        reader.close()
    texts = [str(t) for t in texts]
    beat_texts = [t for t in texts if t.startswith("RR=")]
    assert len(beat_texts) == len(original.beats)
    assert "Phase: baseline" in texts and "Phase: grounding" in texts
    assert "SUDS 7: heavy in the chest" in texts
    # 44 bytes: cut after 40, the rest follows at the same onset marked "+".
    alert = texts.index("Alert above_window: HR +18 bpm over base")
    assert texts[alert + 1] == "+line"
    assert durations[alert] == pytest.approx(31.5)
    assert onsets[alert] == onsets[alert + 1] == pytest.approx(100.25)  # +0.25 s of the start
    assert any(t.startswith("Note: Client described") for t in texts)
    window = texts.index("Window: upper 3.5 SD, edge 2.5 SD, lower")
    assert texts[window + 1] == "+ -3.5 SD, dwell 20 s"
    assert all(len(t.encode("utf-8")) <= MAX_ANNOTATION_BYTES for t in texts)
    # The tachogram shows the RR values (to the signal's resolution) where beats are.
    assert 500 < np.median(rr_signal[rr_signal > 0]) < 1200


def test_edf_export_then_import_recovers_rr_times_and_events(
    simulated_session: tuple[Path, SimulatedRecording], tmp_path: Path
) -> None:
    original = read_session(simulated_session[0])
    edf = export_edf(original, tmp_path / "session.edf")
    imported = read_session(import_file(edf, tmp_path / "from_edf.sqlite"))

    rr_error_ms = np.max(np.abs(imported.beats.rr_ms - original.beats.rr_ms))
    assert rr_error_ms <= 0.00005 + 1e-9
    assert rr_error_ms < RR_TOLERANCE_MS
    np.testing.assert_array_equal(imported.beats.beat_class, original.beats.beat_class)
    # The EDF start is the whole second, its 0.25 s is the "Session start" annotation's
    # onset, and the import takes it back out: the same start, the same times from it.
    assert imported.metadata.start_utc == START_UTC
    np.testing.assert_allclose(imported.beats.t_s, original.beats.t_s, atol=1e-4)
    assert imported.metadata.client_code == "C017"

    def therapist(events: list) -> list[tuple]:
        return [
            (e.kind, round(e.t_s, 3), e.value, e.text, e.end_s and round(e.end_s, 3))
            for e in events
            if e.kind in THERAPIST_EVENT_KINDS
        ]

    assert therapist(imported.events) == therapist(original.events)
    notes = [e.text for e in imported.events if e.kind is EventKind.NOTE]
    assert notes == [LONG_NOTE]  # split into 40-byte pieces and joined again
    gaps = [e for e in imported.events if e.kind is EventKind.GAP]
    assert len(gaps) == len([e for e in original.events if e.kind is EventKind.GAP])
    # A live change of the window comes back as the change: its bounds and dwell (the beat
    # it reached live is not in the annotation, so it applies by time).
    (window,) = [e for e in imported.events if e.kind is EventKind.TOLERANCE]
    (recorded,) = [e for e in original.events if e.kind is EventKind.TOLERANCE]
    fields = ("upper_sd", "edge_sd", "lower_sd", "dwell_s")
    assert window.data["settings"] == {f: recorded.data["settings"][f] for f in fields}
    assert "after_beat_s" not in window.data


def test_importing_a_real_rr_text_recording(tmp_path: Path) -> None:
    source = DATA_DIR / "rest_rri.txt"
    session = read_session(import_file(source, tmp_path / "rest.sqlite", client_code="R001"))
    rr_in_file = read_rr_file(source).rr_ms
    assert len(session.beats) == rr_in_file.size == 910
    np.testing.assert_array_equal(session.beats.rr_ms, rr_in_file)  # unaltered
    np.testing.assert_allclose(session.beats.t_s, np.cumsum(rr_in_file) / 1000.0)
    np.testing.assert_array_equal(session.beats.arrival_s, session.beats.t_s)
    assert session.metadata.start_utc is None
    assert session.metadata.client_code == "R001"
    # One synthetic notification per beat, carrying the beat's RR in 1/1024 s.
    assert len(session.packets) == 910
    reparsed = [
        parse_heart_rate_measurement(raw, t).rr_ms
        for t, raw in zip(session.packets.arrival_s, session.packets.raw, strict=True)
    ]
    assert reparsed == [(quantize_rr_ms(rr),) for rr in rr_in_file]


def test_importing_polar_hrm_keeps_its_start_time(tmp_path: Path) -> None:
    session = read_session(import_file(DATA_DIR / "noisy_rri.hrm", tmp_path / "hrm.sqlite"))
    recording = read_rr_file(DATA_DIR / "noisy_rri.hrm")
    np.testing.assert_array_equal(session.beats.rr_ms, recording.rr_ms)
    assert recording.start_time is not None
    assert session.metadata.start_utc == recording.start_time.astimezone(dt.UTC)
    assert session.metadata.end_utc is not None
    assert session.metadata.client_code == "imported"


def test_a_zero_rr_value_is_kept_for_the_artefact_stage(tmp_path: Path) -> None:
    session = read_session(import_file(DATA_DIR / "real_rri.txt", tmp_path / "real.sqlite"))
    assert 0.0 in session.beats.rr_ms


def test_a_failed_import_leaves_nothing_behind(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("812\n790\nnot a number\n")
    out_folder = tmp_path / "out"
    out_folder.mkdir()
    with pytest.raises(UnreadableFileError, match="line 3"):
        import_file(bad, out_folder / "s.sqlite")
    assert os.listdir(out_folder) == []

    negative = tmp_path / "negative.txt"
    negative.write_text("812\n-790\n")
    with pytest.raises(UnreadableFileError, match="not an interval"):
        import_file(negative, out_folder / "s.sqlite")
    assert os.listdir(out_folder) == []


def test_import_and_export_never_replace_a_file_unless_asked(
    simulated_session: tuple[Path, SimulatedRecording], tmp_path: Path
) -> None:
    out = tmp_path / "taken.sqlite"
    out.write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        import_file(DATA_DIR / "rest_rri.txt", out)
    assert out.read_bytes() == b"keep me"
    import_file(DATA_DIR / "rest_rri.txt", out, overwrite=True)
    assert len(read_session(out).beats) == 910
    assert mode(out) == 0o600

    session = read_session(simulated_session[0])
    text = tmp_path / "k.txt"
    text.write_text("mine")
    with pytest.raises(FileExistsError):
        export_kubios(session, text)
    beats_csv, events_csv, _ = csv_paths(tmp_path / "c.csv")
    events_csv.write_text("mine")
    with pytest.raises(FileExistsError):
        export_csv(session, beats_csv)
    assert not beats_csv.exists()  # neither file of the pair was written
    assert (text.read_text(), events_csv.read_text()) == ("mine", "mine")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
