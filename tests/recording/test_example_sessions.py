"""The example sessions in recordings/ are readable and what the script makes today."""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path

import numpy as np
from recording_helpers import REPO_ROOT

from monitor.recording.model import EventKind, SourceKind
from monitor.recording.reader import read_session
from monitor.recording.rr_files import read_rr_file

SCRIPT = REPO_ROOT / "scripts" / "make_example_sessions.py"
RECORDINGS = REPO_ROOT / "recordings"


def load_script() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("make_example_sessions", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_examples_match_a_fresh_regeneration(tmp_path: Path) -> None:
    script = load_script()
    assert script.main([str(tmp_path)]) == 0
    for name in (script.SIMULATED_NAME, script.IMPORTED_NAME):
        committed, fresh = read_session(RECORDINGS / name), read_session(tmp_path / name)
        assert committed.schema_version == fresh.schema_version, "regenerate the examples"
        assert committed.metadata == fresh.metadata
        assert committed.packets.raw == fresh.packets.raw
        np.testing.assert_array_equal(committed.packets.arrival_s, fresh.packets.arrival_s)
        for field in ("t_s", "rr_ms", "arrival_s", "beat_class"):
            np.testing.assert_array_equal(
                getattr(committed.beats, field), getattr(fresh.beats, field)
            )
        assert committed.events == fresh.events


def test_the_simulated_example_is_a_full_session_with_therapist_events() -> None:
    session = read_session(RECORDINGS / "example_simulated_session.sqlite")
    assert session.metadata.source_kind is SourceKind.SIMULATOR
    assert session.duration_s > 20 * 60
    kinds = [e.kind for e in session.events]
    assert [e.text for e in session.events if e.kind == EventKind.PHASE] == [
        "baseline",
        "imagery",
        "grounding",
        "rescripting",
        "calm place",
    ]
    alerts = [e for e in session.events if e.kind == EventKind.ALERT]
    assert [e.data["alert_kind"] for e in alerts].count("hyper") == 1  # the peak of the imagery
    assert kinds.count(EventKind.SUDS) >= 3
    assert kinds.count(EventKind.NOTE) >= 3
    # The drop-out once, as the source reported it (the engine does not report it again).
    gaps = [e.text for e in session.events if e.kind == EventKind.GAP]
    assert gaps == ["simulated drop-out"]
    assert (session.beats.beat_class >= 0).all()
    assert (session.beats.beat_class > 0).any()  # the injected artefacts are there


def test_the_imported_example_holds_the_real_recording_unchanged() -> None:
    session = read_session(RECORDINGS / "example_rest_rri_import.sqlite")
    rr_ms = read_rr_file(REPO_ROOT / "tests" / "data" / "rest_rri.txt").rr_ms
    np.testing.assert_array_equal(session.beats.rr_ms, rr_ms)
    assert session.metadata.source_kind is SourceKind.IMPORT
    assert session.metadata.original_file_name == "rest_rri.txt"
